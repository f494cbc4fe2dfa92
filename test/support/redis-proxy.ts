import { connect, createServer, type Socket } from 'node:net';

/** What the proxy does to a client's write that matches a planned fault. */
export type RedisFault = 'cut' | 'hold' | 'lose-reply';

export interface RedisProxy {
  /** The URL clients connect to instead of Redis's. */
  url: string;
  /** Drops every client connection that has sent something matching `sent` (every one without). */
  cut(sent?: RegExp): void;
  /**
   * The next `times` client writes matching `pattern`: `cut` drops that connection before Redis
   * sees the write (a network blip mid-command); `hold` freezes the connection from that write
   * on, open but with nothing more reaching Redis (a Redis, or a network, that stopped answering
   * it: replies stay in order, as TCP keeps them); `lose-reply` lets Redis run the write and
   * drops the connection when the reply comes back (the client cannot know whether it ran).
   * Resolves once all `times` have happened.
   */
  onNextSend(pattern: RegExp, fault: RedisFault, times?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free port of 127.0.0.1 in front of a real Redis, for the faults a killed
 * redis-server cannot produce: one connection lost while the others stay, a connection lost in
 * the middle of one command, a command that is never answered.
 */
export async function startRedisProxy(redisPort: number): Promise<RedisProxy> {
  const clients = new Map<Socket, string>();
  const plans: Array<{ pattern: RegExp; fault: RedisFault; left: number; done: () => void }> = [];
  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    clients.set(client, '');
    let frozen = false;
    let loseReply = false;
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (frozen) {
        return;
      }
      const text = chunk.toString('latin1');
      clients.set(client, (clients.get(client) ?? '') + text);
      const plan = plans.find((p) => p.left > 0 && p.pattern.test(text));
      if (plan) {
        if (--plan.left === 0) {
          plan.done();
        }
        if (plan.fault === 'cut') {
          drop();
          return;
        }
        if (plan.fault === 'hold') {
          frozen = true;
          return;
        }
        loseReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => (loseReply ? drop() : client.write(chunk)));
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => {
      clients.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut(sent) {
      for (const [client, text] of clients) {
        if (!sent || sent.test(text)) {
          client.destroy();
        }
      }
    },
    onNextSend(pattern, fault, times = 1) {
      return new Promise((done) => plans.push({ pattern, fault, left: times, done }));
    },
    close() {
      for (const client of clients.keys()) {
        client.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: an outage, not a shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port: empty, or with every write before the kill if persistent. */
  restart(): Promise<void>;
  /** Stops it answering (SIGSTOP): connections stay open, nothing is answered — a hung Redis. */
  pause(): void;
  /** Lets a paused server answer again (SIGCONT). */
  resume(): void;
  /** Kills it for good. */
  stop(): Promise<void>;
}

/**
 * Resolves once the server on `port` answers PING as Redis does, rejects if `child` exits first
 * (e.g. another test's server took the free port before redis-server could bind it: a TCP
 * connect alone would then reach the wrong server).
 */
function waitForPong(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error): void => {
      if (!settled) {
        settled = true;
        child.off('exit', onExit);
        if (error) {
          reject(error);
        } else {
          resolve();
        }
      }
    };
    const onExit = (): void => finish(new Error(`redis-server exited before listening on ${port}`));
    child.once('exit', onExit);
    const attempt = (): void => {
      if (settled) {
        return;
      }
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      const retry = (): void => {
        socket.destroy();
        if (Date.now() > deadline) {
          finish(new Error(`redis-server did not answer on ${port}`));
        } else {
          setTimeout(attempt, 25);
        }
      };
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString('latin1');
        if (reply.includes('\r\n')) {
          if (reply.startsWith('+PONG')) {
            socket.destroy();
            finish();
          } else {
            retry();
          }
        }
      });
      socket.once('error', retry);
    };
    attempt();
  });
}

/**
 * A real, throw-away `redis-server` (Debian's) on a free port of 127.0.0.1, without persistence,
 * or `persistent` (an append-only file synced on every write, in a temporary directory: a kill
 * loses nothing, as with the compose file's Redis). Tests that need Redis start their own and
 * stop it in afterAll.
 */
export async function startRedis(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  const persistence = options.persistent
    ? [
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        mkdtempSync(join(tmpdir(), 'redis-')),
      ]
    : ['--appendonly', 'no'];
  let port = 0;
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      { stdio: 'ignore' },
    );
    child = started;
    await waitForPong(started, port, 10_000);
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running && running.exitCode === null) {
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    }
  };
  // A free port may be taken by another test before redis-server binds it: then try another.
  for (let tries = 1; ; tries++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      await kill();
      if (tries === 3) {
        throw err;
      }
    }
  }
  const signal = (name: NodeJS.Signals) => (): void => {
    child?.kill(name);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    pause: signal('SIGSTOP'),
    resume: signal('SIGCONT'),
    stop: kill, // SIGKILL ends a paused server too.
  };
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import type { ChatService } from '@app/chat';
import { AuthenticationError, InvalidRequestError } from '@app/contracts';
import { ChatFrontDoor, type HotRoute } from './chat-front-door';

type Use = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;
type Step = { use: Use };

const BODY = { model: 'llama-4-scout', messages: [{ role: 'user', content: 'Hi' }] };

describe('ChatFrontDoor', () => {
  let server: Server;
  let base: string;
  let ran: string[];
  let completed: unknown[][];
  const chain: Step[] = [];
  let complete: (...args: unknown[]) => Promise<void>;
  let responded: unknown[][];

  const step = (
    name: string,
    effect?: (req: IncomingMessage & Record<string, unknown>) => void,
  ): Step => ({
    use: (req, _res, next) => {
      ran.push(name);
      effect?.(req as IncomingMessage & Record<string, unknown>);
      next();
    },
  });

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const sut = new ChatFrontDoor(
      chain, // read per request: each test sets its steps
      { complete: (...args: unknown[]) => complete(...args) } as unknown as ChatService,
      new Map([
        [
          '/v1/responses',
          (...args: Parameters<HotRoute>) => {
            responded.push(args);
            args[2].end('responded');
            return Promise.resolve();
          },
        ],
      ]),
    );
    server = createServer(
      sut.listener((req, res) => {
        ran.push(`rest ${req.method} ${req.url}`);
        res.end('rest');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    Logger.overrideLogger(['error', 'warn', 'log']);
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    ran = [];
    completed = [];
    responded = [];
    chain.splice(
      0,
      chain.length,
      step('request-id', (req) => (req.id = 'req-1')),
      step('auth', (req) => (req.principal = { keyName: 'team-a' })),
      step('body', (req) => (req.body = structuredClone(BODY))),
    );
    complete = (...args) => {
      completed.push(args);
      (args[2] as ServerResponse).end('served');
      return Promise.resolve();
    };
  });

  const post = (path: string): Promise<Response> => fetch(`${base}${path}`, { method: 'POST' });

  it('runs the chain in order, then the chat service with the validated request', async () => {
    const res = await post('/v1/chat/completions');
    expect(await res.text()).toBe('served');
    expect(ran).toEqual(['request-id', 'auth', 'body']);
    expect(completed).toHaveLength(1);
    expect(completed[0].slice(0, 2)).toEqual([
      { principal: { keyName: 'team-a' }, requestId: 'req-1', record: undefined },
      BODY,
    ]);
  });

  it('takes the chat path with a query string', async () => {
    await post('/v1/chat/completions?trace=1');
    expect(ran).toEqual(['request-id', 'auth', 'body']);
    expect(completed).toHaveLength(1);
  });

  it('runs the same chain for another hot route, then only that route', async () => {
    const res = await post('/v1/responses?x=1');
    expect(await res.text()).toBe('responded');
    expect(ran).toEqual(['request-id', 'auth', 'body']);
    expect(completed).toHaveLength(0);
    expect(responded[0].slice(0, 2)).toEqual([
      { principal: { keyName: 'team-a' }, requestId: 'req-1', record: undefined },
      BODY,
    ]);
  });

  it.each([
    ['GET', '/v1/responses'],
    ['POST', '/v1/responses/'],
    ['GET', '/v1/chat/completions'],
    ['POST', '/v1/chat/completions/'],
    ['POST', '/v1/chat/completionsX'],
    ['POST', '/v1/models'],
  ])('hands %s %s to the rest of the app', async (method, path) => {
    const res = await fetch(`${base}${path}`, { method });
    expect(await res.text()).toBe('rest');
    expect(ran).toEqual([`rest ${method} ${path}`]);
    expect(completed).toHaveLength(0);
  });

  it('answers a thrown GatewayError in the OpenAI envelope and stops the chain', async () => {
    chain[1] = {
      use: () => {
        throw new AuthenticationError('missing_api_key');
      },
    };
    const res = await post('/v1/chat/completions');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({
      error: { code: 'missing_api_key', type: 'authentication_error' },
    });
    expect(ran).toEqual(['request-id']);
    expect(completed).toHaveLength(0);
  });

  it('answers an error passed to next()', async () => {
    chain[1] = {
      use: (_req, _res, next) => next(new InvalidRequestError('nope', 'x', 'invalid_value')),
    };
    const res = await post('/v1/chat/completions');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'x', code: 'invalid_value' } });
  });

  it('answers a rejected async step (the body reader)', async () => {
    chain[2] = {
      use: () => Promise.reject(new InvalidRequestError('bad json', null, 'invalid_json')),
    };
    const res = await post('/v1/chat/completions');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('refuses an invalid body with the exact param, before the chat service', async () => {
    chain[2] = step('body', (req) => (req.body = { ...BODY, temperature: 3 }));
    const res = await post('/v1/chat/completions');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'temperature' } });
    expect(completed).toHaveLength(0);
  });

  it('turns anything else into a 500 without internals', async () => {
    complete = () => Promise.reject(new Error('secret detail at /srv/gateway'));
    const res = await post('/v1/chat/completions');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'internal_error' } });
    expect(text).not.toContain('secret');
  });
});

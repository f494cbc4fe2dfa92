import { createLogger, JsonLogger } from './logger';

function capture(level: Parameters<typeof createLogger>[0]): {
  lines: Array<Record<string, unknown>>;
  logs: ReturnType<typeof createLogger>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logs = createLogger(level, {
    write: (chunk: string) => {
      lines.push(JSON.parse(chunk) as Record<string, unknown>);
    },
  });
  return { lines, logs };
}

describe('JsonLogger (Nest messages as JSON lines)', () => {
  it('writes a message with its context at the mapped level', () => {
    const { lines, logs } = capture('verbose');
    const nest = new JsonLogger(logs.logger);
    nest.log('listening', 'Gateway');
    nest.warn('backend vllm benched', 'BackendHealth');
    nest.verbose('detail');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'Gateway', msg: 'listening' }),
      expect.objectContaining({
        level: 'warn',
        context: 'BackendHealth',
        msg: 'backend vllm benched',
      }),
      expect.objectContaining({ level: 'trace', msg: 'detail' }),
    ]);
    expect(lines[0].time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(lines[0].pid).toBe(process.pid);
  });

  it('keeps an error’s stack apart from its message, with or without a context', () => {
    const { lines, logs } = capture('error');
    const nest = new JsonLogger(logs.logger);
    nest.error('POST /x failed', 'Error: boom\n    at x (y.ts:1:1)', 'Errors');
    nest.error('shutdown failed', 'Shutdown');
    nest.error(new Error('thrown'));
    expect(lines[0]).toMatchObject({
      level: 'error',
      context: 'Errors',
      msg: 'POST /x failed',
      stack: 'Error: boom\n    at x (y.ts:1:1)',
    });
    expect(lines[1]).toMatchObject({ context: 'Shutdown', msg: 'shutdown failed' });
    expect(lines[1].stack).toBeUndefined();
    expect(lines[2]).toMatchObject({
      msg: 'thrown',
      stack: expect.stringContaining('Error: thrown') as unknown,
    });
  });

  it('writes nothing below the configured level', () => {
    const { lines, logs } = capture('warn');
    const nest = new JsonLogger(logs.logger);
    nest.log('not written');
    nest.debug('not written');
    nest.warn('written');
    expect(lines.map((l) => l.msg)).toEqual(['written']);
  });

  it('writes a pre-serialised line in the same shape (the access line)', () => {
    const { lines, logs } = capture('log');
    logs.line('request', '"status":200,"path":"/v1/chat/completions"');
    expect(lines[0]).toEqual({
      level: 'info',
      time: expect.any(String) as unknown,
      pid: process.pid,
      msg: 'request',
      status: 200,
      path: '/v1/chat/completions',
    });
  });
});

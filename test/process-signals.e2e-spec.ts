import { spawn } from 'node:child_process';
import { repoRoot } from './deploy/deploy-files';
import { buildIfNeeded, GATEWAY_MAIN } from './support/build';
import { freePort } from './support/ports';

const ROOT = repoRoot();

describe('the gateway process and its signals (e2e)', () => {
  beforeAll(() => {
    // The demo's rule: build when dist is missing or older than any source.
    expect(buildIfNeeded()).toBe(0);
  }, 120_000);

  it('ignores a repeated SIGTERM during the drain and exits 0 when the drain is done', async () => {
    const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
    const child = spawn(process.execPath, [GATEWAY_MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        HOST: '127.0.0.1',
        GATEWAY_API_KEYS: 'signals-key-0123456789',
        SHUTDOWN_DELAY_SECONDS: '1',
        SHUTDOWN_GRACE_SECONDS: '5',
        BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (
        !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const signalled = Date.now();
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill('SIGTERM');
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      // It waited out the shutdown delay instead of dying on the second signal.
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(1000);
      expect(output).toContain('received again: still draining');
      // One JSON object per line, to the last one (written out before exit).
      const lines = output.split('\n').filter((l) => l.length > 0);
      for (const line of lines) {
        expect(() => JSON.parse(line) as unknown).not.toThrow();
      }
      expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ msg: 'shut down' });
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});

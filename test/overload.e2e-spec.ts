import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PNG } from 'pngjs';
import { BackendHealthService } from '@app/routing';
import { buildIfNeeded } from './support/build';
import { startBackends, type FakeBackends } from './support/backends';
import { clearFaults } from './support/fixture';
import {
  auth,
  CLIENT_KEY,
  resetCircuits,
  startGateway,
  type RunningGateway,
} from './support/gateway';
import { rawHttp } from './support/raw-http';

const MiB = 1024 * 1024;

/** A chat body of about `bytes` bytes: a question and a PNG of random (incompressible) pixels. */
function bodyOf(bytes: number): Buffer {
  const side = Math.max(1, Math.round(Math.sqrt((bytes * 0.75) / 3)));
  const png = new PNG({ width: side, height: side, colorType: 2 });
  randomBytes(side * side * 4).copy(png.data);
  const image = PNG.sync.write(png, { colorType: 2, deflateLevel: 0 }).toString('base64');
  return Buffer.from(
    JSON.stringify({
      model: 'llama-4-scout',
      max_tokens: 5,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Reply with 3 words.' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
          ],
        },
      ],
    }),
  );
}

describe('overload protection (e2e)', () => {
  let fakes: FakeBackends;

  beforeAll(async () => {
    fakes = await startBackends();
  });
  afterAll(async () => {
    await fakes.close();
  });
  beforeEach(() => clearFaults(fakes.all(), { clearRequests: true }));

  describe('with small caps', () => {
    let gw: RunningGateway;
    beforeAll(async () => {
      gw = await startGateway({
        ...fakes.env,
        BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
        GATEWAY_MAX_INFLIGHT_REQUESTS: '3',
        GATEWAY_MAX_INFLIGHT_BODY_BYTES: String(2 * MiB),
      });
    });
    afterAll(async () => {
      await gw.close();
    });
    beforeEach(async () => {
      // The boot probe may still be out (and fail on a loaded machine): start from healthy circuits.
      const health = gw.app.get(BackendHealthService);
      for (let i = 0; i < 100 && health.stateOf('vllm').status !== 'available'; i++) {
        resetCircuits(gw.app);
        await health.probeAll();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      resetCircuits(gw.app);
    });

    /** Waits until the overload gate holds what a test needs held. */
    const until = async (check: (overload: Record<string, number>) => boolean): Promise<void> => {
      for (let i = 0; i < 400; i++) {
        const info = (
          (await (await fetch(`${gw.url}/readyz`)).json()) as {
            info: Record<string, Record<string, number>>;
          }
        ).info;
        if (check(info.overload)) {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error('the gate never got there');
    };

    const post = (body: Buffer): Promise<Response> =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: body.toString('latin1'),
      });

    it('answers 503 overloaded before reading a body that would pass the byte cap', async () => {
      fakes.vllm.setFault({ kind: 'slow', delayMs: 1500 });
      const holding = post(bodyOf(1.5 * MiB));
      await until((o) => o.inflight_body_bytes > MiB);
      const { port } = gw.server.address() as AddressInfo;
      // Headers only: the body is never sent, yet the answer comes.
      const raw = await rawHttp(port, (write) =>
        write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n' +
            `Authorization: Bearer ${CLIENT_KEY}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${1 * MiB}\r\n\r\n`,
        ),
      );
      expect(raw).toMatch(/^HTTP\/1\.1 503 /);
      expect(raw).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(raw).toMatch(/\r\nconnection: close\r\n/i);
      expect(raw).toContain('"code":"overloaded"');
      expect((await holding).status).toBe(200);
      expect(fakes.vllm.chatRequests()).toHaveLength(1);
      // Bytes held are given back: the same request now passes.
      fakes.vllm.setFault(null);
      expect((await post(bodyOf(1 * MiB))).status).toBe(200);
    }, 40_000);

    it('answers 503 overloaded past max_inflight_requests, and /readyz stays 200 and says so', async () => {
      fakes.vllm.setFault({ kind: 'slow', delayMs: 1000 });
      const small = bodyOf(10);
      const held = [post(small), post(small), post(small)];
      await until((o) => o.inflight === 3);
      const refused = await post(small);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(
        ((await refused.json()) as { error: { code: string; message: string } }).error,
      ).toMatchObject({
        code: 'overloaded',
        message: expect.stringMatching(/3 requests are in flight/),
      });
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(200);
      const info = ((await ready.json()) as { info: Record<string, Record<string, number>> }).info;
      expect(info.overload).toMatchObject({ inflight: 3, max_inflight_requests: 3 });
      expect(info.overload.refused).toBeGreaterThanOrEqual(1);
      expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(fakes.vllm.chatRequests()).toHaveLength(3);
    });
  });

  it('keeps the built gateway far under its 1 GiB memory limit with 50 concurrent 15 MB bodies (default caps)', () => {
    // The gateway alone, as a process (scripts/overload.mjs builds it if needed and samples its RSS);
    // without the caps the same burst took it from ~180 MB to ~1.7 GB.
    expect(buildIfNeeded()).toBe(0);
    const run = spawnSync(process.execPath, ['scripts/overload.mjs'], {
      env: { ...process.env, OVERLOAD_PARALLEL: '50', DEMO_SKIP_BUILD: '1' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
      body_mb: number;
      rss_peak_mb: number;
      statuses: Record<string, number>;
    };
    expect(report.body_mb).toBeGreaterThan(14);
    expect(Object.keys(report.statuses).sort()).toEqual(['200', '503']);
    expect(report.statuses['200'] + report.statuses['503']).toBe(50);
    expect(report.rss_peak_mb).toBeLessThan(750);
  }, 180_000);
});

import type { FakeBackends } from './support/backends';
import {
  restoreHealth,
  startGatewayOnFakes,
  stopGatewayOnFakes,
  writeKeysFile,
} from './support/fixture';
import { auth, type RunningGateway } from './support/gateway';

const LOCAL_KEY = 'sk-local-team-0123456789abcdef';

describe('routing that tells the truth: data locality, per-hop windows and parameters (e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;

  const hello = { messages: [{ role: 'user', content: 'Say hello to the DGX' }] };
  const chat = (
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const cloudCalls = (): number =>
    fakes.ollama.chatRequests().length + fakes.openrouter.chatRequests().length;
  const localOnly = { 'x-gateway-data-policy': 'local-only' };
  const asLocalTeam = { Authorization: `Bearer ${LOCAL_KEY}` };

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes({
      GATEWAY_API_KEYS_FILE: writeKeysFile(
        `keys:\n  - { name: local-team, key: ${LOCAL_KEY}, data_policy: local_only }\n`,
      ),
      BACKEND_HEALTH_INTERVAL_SECONDS: '3600',
    }));
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));
  beforeEach(() => restoreHealth({ fakes, gw }, { clearRequests: true, probe: true }));

  describe('local-only, by request header or by key', () => {
    it('serves from vLLM and echoes the policy in force', async () => {
      const res = await chat({ model: 'llama-4-scout', ...hello }, localOnly);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-backend')).toBe('vllm');
      expect(res.headers.get('x-gateway-data-policy')).toBe('local-only');
      expect(res.headers.get('x-gateway-skipped')).toBe(
        'ollama-cloud=data_policy,openrouter=data_policy',
      );
    });

    it.each([
      ['the request header', localOnly],
      ['the key', asLocalTeam],
      [
        'the key, even when the header asks for any',
        { ...asLocalTeam, 'x-gateway-data-policy': 'any' },
      ],
    ])(
      'with vLLM down, %s gets local_backend_unavailable and no cloud backend is called',
      async (_how, headers) => {
        await fakes.vllm.stop();
        try {
          const res = await chat({ model: 'llama-4-scout', ...hello }, headers);
          expect(res.status).toBe(503);
          expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
          expect(res.headers.get('x-gateway-data-policy')).toBe('local-only');
          expect((await res.json()).error.code).toBe('local_backend_unavailable');
          expect(cloudCalls()).toBe(0);
        } finally {
          await fakes.vllm.start();
        }
      },
    );

    it('does not fail over to the cloud after vLLM fails (a retry is local too)', async () => {
      fakes.vllm.setFault({ kind: 'status', status: 500 });
      for (let i = 0; i < 4; i++) {
        const res = await chat(
          { model: 'llama-4-scout', stream: i % 2 === 0, ...hello },
          localOnly,
        );
        expect(res.status).toBe(503);
        expect((await res.json()).error.code).toBe('local_backend_unavailable');
      }
      expect(fakes.vllm.chatRequests().length).toBeGreaterThan(0);
      expect(cloudCalls()).toBe(0);
    });

    it.each(['flagship', 'image-gen', 'gpt-5.5-pro'])(
      'refuses %s, which has no hop on the DGX, with model_not_local and calls nothing',
      async (model) => {
        const res = await chat({ model, ...hello }, asLocalTeam);
        expect(res.status).toBe(400);
        expect((await res.json()).error).toMatchObject({ code: 'model_not_local', param: 'model' });
        expect(cloudCalls() + fakes.vllm.chatRequests().length).toBe(0);
      },
    );

    it('refuses an unknown policy value rather than guessing', async () => {
      const res = await chat(
        { model: 'llama-4-scout', ...hello },
        { 'x-gateway-data-policy': 'cloud' },
      );
      expect(res.status).toBe(400);
      expect((await res.json()).error.param).toBe('x-gateway-data-policy');
      expect(fakes.vllm.chatRequests()).toHaveLength(0);
    });
  });

  describe('context-aware routing', () => {
    // About 75,000 estimated tokens: more than vLLM's 65,536, far less than the cloud's 10 M.
    const long = { messages: [{ role: 'user', content: 'word '.repeat(60_000) }] };

    it("skips vLLM for a prompt over its build's window and serves it from the cloud", async () => {
      const res = await chat({ model: 'llama-4-scout', ...long });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-backend')).toBe('ollama-cloud');
      expect(res.headers.get('x-gateway-skipped')).toBe('vllm=context_window');
      expect(fakes.vllm.chatRequests()).toHaveLength(0);
    });

    it('answers context_length_exceeded naming the largest window when no hop can take it', async () => {
      const res = await chat({ model: 'llama-4-scout', ...long }, localOnly);
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
      expect(error.message).toContain('65536 tokens');
      expect(fakes.all().flatMap((s) => s.chatRequests())).toHaveLength(0);
    });
  });

  describe('parameters a hop does not take', () => {
    it('drops logit_bias for gpt-5.5-pro visibly, and it never reaches the backend', async () => {
      const res = await chat({ model: 'gpt-5.5-pro', logit_bias: { '1': -100 }, ...hello });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-rust-api-applied')).toBe('param_dropped=logit_bias');
      const [sent] = fakes.openrouter.chatRequests();
      expect(sent.body).not.toHaveProperty('logit_bias');
    });

    it('refuses logprobs for gpt-5.5-pro with the param named, calling nothing', async () => {
      const res = await chat({ model: 'gpt-5.5-pro', logprobs: true, ...hello });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({
        code: 'unsupported_parameter',
        param: 'logprobs',
      });
      expect(fakes.openrouter.chatRequests()).toHaveLength(0);
    });
  });
});

import { parseSimCli } from './cli-config';

describe('parseSimCli', () => {
  it('starts the three demo backends by default on 127.0.0.1', () => {
    const opts = parseSimCli({}, []);
    expect(opts.map((o) => [o.name, o.flavor, o.port, o.host])).toEqual([
      ['vllm', 'vllm', 8001, '127.0.0.1'],
      ['ollama-cloud', 'ollama', 8002, '127.0.0.1'],
      ['openrouter', 'openrouter', 8003, '127.0.0.1'],
    ]);
  });

  it('reads instances and pacing from the environment', () => {
    const [opts] = parseSimCli(
      {
        SIM_INSTANCES: 'local:vllm:9000',
        SIM_TTFT_MS: '40',
        SIM_TOKENS_PER_SECOND: '12.5',
        SIM_IMAGE_DELAY_MS: '1500',
        SIM_REASONING_TOKENS: '64',
        SIM_API_KEY: 'sk-all',
      },
      [],
    );
    expect(opts).toMatchObject({
      name: 'local',
      port: 9000,
      ttftMs: 40,
      tokensPerSecond: 12.5,
      imageDelayMs: 1500,
      reasoningTokens: 64,
      apiKey: 'sk-all',
    });
  });

  it('lets argv win over SIM_INSTANCES and a per-instance key win over SIM_API_KEY', () => {
    const opts = parseSimCli({ SIM_INSTANCES: 'x:vllm:1', SIM_API_KEY: 'sk-all' }, [
      'or:openrouter:0:sk:with:colons',
    ]);
    expect(opts).toHaveLength(1);
    expect(opts[0]).toMatchObject({
      name: 'or',
      flavor: 'openrouter',
      port: 0,
      apiKey: 'sk:with:colons',
    });
  });

  it.each([
    [{ SIM_INSTANCES: 'a:gpt:1' }, /SIM_INSTANCES: 'a:gpt:1'/],
    [{ SIM_INSTANCES: 'a:vllm:99999' }, /name:flavor:port/],
    [{ SIM_INSTANCES: 'a:vllm:1,a:ollama:2' }, /'a' is used twice/],
    [{ SIM_TTFT_MS: '-1' }, /SIM_TTFT_MS/],
    [{ SIM_TOKENS_PER_SECOND: 'fast' }, /SIM_TOKENS_PER_SECOND/],
  ])('refuses %j naming the bad key', (env, message) => {
    expect(() => parseSimCli(env, [])).toThrow(message);
  });
});

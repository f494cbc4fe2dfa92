import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './deploy/deploy-files';
import { buildIfNeeded, GATEWAY_MAIN, SIM_MAIN } from './support/build';
import { freePort } from './support/ports';

const ROOT = repoRoot();
const DEMO = join(ROOT, 'scripts/demo.mjs');
const DIST = [GATEWAY_MAIN, SIM_MAIN];
const READY_LINE = 'Demo ready.';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Block {
  title: string;
  cmd: string;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The pasteable section: `# title` followed by its command lines, blocks separated by blank lines. */
function parseBlocks(out: string): Block[] {
  const start = out.indexOf('Paste these commands');
  const end = out.indexOf(READY_LINE);
  const section = out.slice(out.indexOf('\n', start) + 1, end);
  return section
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b !== '')
    .map((b) => {
      const [title, ...lines] = b.split('\n');
      return { title: title.replace(/^#\s*/, ''), cmd: lines.join('\n') };
    });
}

function runBash(script: string, cwd: string): Promise<Ran> {
  return new Promise((res) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { cwd, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/** The JSON body after the headers of a `curl -i` answer. */
function bodyAfterHeaders(out: string): unknown {
  const i = out.indexOf('\r\n\r\n');
  return JSON.parse(i < 0 ? out : out.slice(i + 4)) as unknown;
}

interface ChatAnswer {
  choices: { message: { content: string | null }; finish_reason: string }[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childPids(out: string): number[] {
  const m = /upstream-sim pid (\d+), gateway pid (\d+)/.exec(out);
  return m ? [Number(m[1]), Number(m[2])] : [];
}

/** What every printed command must show, keyed by a word of its title. */
const CHECKS: [RegExp, (r: Ran, cwd: string) => void][] = [
  [
    /demo key/,
    (r) => {
      expect(r.stdout).toBe('');
    },
  ],
  [
    /Models & constraints/,
    (r) => {
      expect(r.stdout).toContain('"alias": "gpt-5.5-pro"');
      expect(r.stdout).toContain('"min_max_tokens": 200');
    },
  ],
  [
    /A chat with the local model/,
    (r) => {
      const out = JSON.parse(r.stdout) as { content: unknown };
      expect(typeof out.content).toBe('string');
      expect(out.content).not.toBe('');
    },
  ],
  [
    /streamed/,
    (r) => {
      expect(r.stdout).toMatch(/^data: \{.*"delta"/m);
      expect(r.stdout).toContain('data: [DONE]');
    },
  ],
  [
    /floors it to 200/,
    (r) => {
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200/);
      expect(r.stdout).toMatch(/^x-rust-api-applied: max_tokens_floored=200\r?$/im);
      const answer = bodyAfterHeaders(r.stdout) as ChatAnswer;
      expect(answer.choices[0].message.content).toMatch(/\S/);
    },
  ],
  [
    /straight to the simulated OpenRouter/,
    (r) => {
      expect(JSON.parse(r.stdout)).toMatchObject({ content: '', finish_reason: 'length' });
    },
  ],
  [
    /Vision input/,
    (r) => {
      const content = JSON.parse(r.stdout) as unknown;
      expect(content).toMatch(/png image, 32×24 pixels/i);
    },
  ],
  [
    /Image generation/,
    (r, cwd) => {
      const png = readFileSync(join(cwd, 'image.png'));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(png.length).toBeGreaterThan(100);
    },
  ],
  [
    /Tool calling/,
    (r) => {
      const out = JSON.parse(r.stdout) as {
        finish_reason: string;
        tool_calls: Array<{ function: { name: string; arguments: string } }>;
      };
      expect(out.finish_reason).toBe('tool_calls');
      expect(out.tool_calls[0].function.name).toBe('get_weather');
      expect(JSON.parse(out.tool_calls[0].function.arguments)).toEqual({ city: 'Paris' });
    },
  ],
  [
    /The Responses API/,
    (r) => {
      const out = JSON.parse(r.stdout) as { status: string; text: string; usage: unknown };
      expect(out.status).toBe('completed');
      expect(out.text).toContain('Why is the sky blue?');
      expect(out.usage).toMatchObject({ output_tokens_details: { reasoning_tokens: 120 } });
    },
  ],
  [
    /The Images API/,
    (r, cwd) => {
      const png = readFileSync(join(cwd, 'generated.png'));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    },
  ],
  [
    /take the simulated vLLM down/,
    (r) => {
      expect(JSON.parse(r.stdout)).toMatchObject({ name: 'vllm', down: true });
    },
  ],
  [
    /readyz shows vllm: unreachable/,
    (r) => {
      expect(JSON.parse(r.stdout)).toMatchObject({
        vllm: 'unreachable',
        'ollama-cloud': 'available',
      });
    },
  ],
  [
    /answers from ollama-cloud/,
    (r) => {
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200/);
      expect(r.stdout).toMatch(/^x-gateway-backend: ollama-cloud\r?$/im);
      expect((bodyAfterHeaders(r.stdout) as ChatAnswer).choices[0].message.content).toMatch(/\S/);
    },
  ],
  [
    /bring vLLM back/,
    (r) => {
      expect(JSON.parse(r.stdout)).toMatchObject({ name: 'vllm', down: false });
    },
  ],
];

describe('npm run demo (e2e)', () => {
  let demo: ChildProcess | undefined;
  let output = '';
  let cwd = '';

  beforeAll(() => {
    // The demo's own rule: build when dist is missing or older than any source, so the demo
    // under test is never a stale build.
    expect(buildIfNeeded()).toBe(0);
    expect(DIST.every((f) => existsSync(f))).toBe(true);
    cwd = mkdtempSync(join(tmpdir(), 'demo-e2e-'));
  }, 120_000);

  afterAll(async () => {
    // On a failure mid-test: stop the demo the normal way, then make sure no child outlives it.
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      const gone = new Promise((res) => demo?.once('exit', res));
      demo.kill('SIGTERM');
      await Promise.race([gone, new Promise((res) => setTimeout(res, 10_000))]);
      demo.kill('SIGKILL');
    }
    for (const pid of childPids(output).filter(alive)) {
      process.kill(pid, 'SIGKILL');
    }
    rmSync(cwd, { recursive: true, force: true });
  }, 20_000);

  it('prints commands that all work as printed, then stops every child on SIGTERM', async () => {
    const [port, vllm, ollama, openrouter, metricsPort] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const child = spawn(process.execPath, [DEMO], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        DEMO_VLLM_PORT: String(vllm),
        DEMO_OLLAMA_CLOUD_PORT: String(ollama),
        DEMO_OPENROUTER_PORT: String(openrouter),
        DEMO_SKIP_BUILD: '1',
        SIM_TTFT_MS: '20',
        SIM_TOKENS_PER_SECOND: '500',
        SIM_IMAGE_DELAY_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = child;
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      const onData = (c: Buffer): void => {
        output += c.toString();
        if (output.includes(READY_LINE)) {
          res();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code) =>
        rej(new Error(`demo exited (${code}) before ready:\n${output}`)),
      );
    });

    for (const url of ['/docs', '/v1/info', '/readyz']) {
      expect(output).toContain(`http://127.0.0.1:${port}${url}`);
    }
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    expect(output).toContain(metricsUrl);
    expect(await (await fetch(metricsUrl)).text()).toContain('gateway_backend_state{');
    const blocks = parseBlocks(output);
    expect(blocks.map((b) => b.title)).toHaveLength(CHECKS.length);
    const bearer = blocks[0].cmd;
    expect(bearer).toBe('export BEARER=demo-key-0123456789');

    for (const [i, block] of blocks.entries()) {
      const [pattern, check] = CHECKS[i];
      expect(block.title).toMatch(pattern);
      const ran = await runBash(`${bearer}\n${block.cmd}`, cwd);
      const context = `${block.title}\n$ ${block.cmd}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
      expect({ context, code: ran.code }).toEqual({ context, code: 0 });
      try {
        check(ran, cwd);
      } catch (err) {
        throw new Error(`${context}\n\n${(err as Error).message}`, { cause: err });
      }
    }

    const children = childPids(output);
    expect(children).toHaveLength(2);
    expect(children.every(alive)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Demo stopped.');
    expect(children.filter(alive)).toEqual([]);
  }, 90_000);
});

import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { GATEWAY, readRepoFile } from './deploy-files';

const content = readRepoFile('Dockerfile');
const dockerfile = DockerfileParser.parse(content);
const froms = dockerfile.getFROMs();
const finalStart = froms[froms.length - 1].getRange().start.line;
/** Instructions of the last (runtime) stage. */
const runtime = dockerfile.getInstructions().filter((i) => i.getRange().start.line >= finalStart);

// dockerfile-utils reports LSP diagnostics: DiagnosticSeverity.Error = 1, Warning = 2.
const LSP_ERROR = 1;
const LSP_WARNING = 2;

type Diagnostic = ReturnType<typeof validate>[number];

function describeDiagnostic(d: Diagnostic): string {
  const message = typeof d.message === 'string' ? d.message : d.message.value;
  return `${d.range.start.line + 1}: ${message}`;
}

function last(keyword: string, instructions: Instruction[] = runtime): Instruction {
  const found = instructions.filter((i) => i.getKeyword() === keyword);
  if (found.length === 0) {
    throw new Error(`no ${keyword} in the runtime stage`);
  }
  return found[found.length - 1];
}

function args(instruction: Instruction): string[] {
  return instruction.getArguments().map((a) => a.getValue());
}

/** Exec-form JSON array of an instruction (ENTRYPOINT/CMD), parsed. */
function execForm(instruction: Instruction): string[] {
  return JSON.parse(instruction.getArgumentsContent() ?? 'null') as string[];
}

describe('Dockerfile lint (dockerfile-utils)', () => {
  it('has no errors or warnings', () => {
    const problems = validate(content).filter(
      (d) => d.severity === LSP_ERROR || d.severity === LSP_WARNING,
    );
    expect(problems.map(describeDiagnostic)).toEqual([]);
  });

  it('passes deploy/vllm/Dockerfile (vLLM + LMCache) without errors or warnings', () => {
    const vllm = readRepoFile('deploy/vllm/Dockerfile');
    const problems = validate(vllm).filter(
      (d) => d.severity === LSP_ERROR || d.severity === LSP_WARNING,
    );
    expect(problems.map(describeDiagnostic)).toEqual([]);
  });

  it('reports a broken instruction, so the lint can fail', () => {
    const broken = `${content}\nEXPOSE eighty\n`;
    expect(validate(broken).some((d) => d.severity === LSP_ERROR)).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, with the runtime stage last', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.map((f) => f.getBuildStage())).toContain('build');
  });

  it('pins every base image to an exact Node 20 version, never latest', () => {
    for (const from of froms) {
      expect(from.getImageName()).toBe('node');
      expect(from.getImageTag()).toMatch(/^20\.(19|[2-9]\d)\.\d+-bookworm-slim$/);
    }
  });

  it('installs production dependencies only into the runtime stage', () => {
    const copies = dockerfile
      .getCOPYs()
      .filter((c) => c.getRange().start.line >= finalStart)
      .map((c) => ({ from: c.getFromFlag()?.getValue(), args: args(c).join(' ') }));
    const nodeModules = copies.find((c) => c.args.includes('node_modules'));
    const stage = froms.find((f) => f.getBuildStage() === nodeModules?.from);
    expect(stage).toBeDefined();
    const stageStart = stage?.getRange().start.line ?? -1;
    const nextStart = froms.map((f) => f.getRange().start.line).find((l) => l > stageStart);
    const stageRuns = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'RUN')
      .filter((i) => i.getRange().start.line > stageStart)
      .filter((i) => i.getRange().start.line < (nextStart ?? Infinity))
      .map((i) => i.getArgumentsContent() ?? '');
    expect(stageRuns.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(copies).toContainEqual({ from: 'build', args: '/app/dist ./dist' });
  });

  it('runs as a non-root user', () => {
    const user = args(last('USER'))[0];
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it(`exposes ${GATEWAY.port} and ${GATEWAY.metricsPort}, and health-checks ${GATEWAY.livenessPath}`, () => {
    expect(args(last('EXPOSE'))).toEqual([String(GATEWAY.port), String(GATEWAY.metricsPort)]);
    const healthcheck = last('HEALTHCHECK').getArgumentsContent() ?? '';
    expect(healthcheck).toContain(GATEWAY.livenessPath);
    expect(healthcheck).toContain(`process.env.PORT || ${GATEWAY.port}`);
  });

  it('stops with SIGTERM, delivered to node through tini, started as start:prod says', () => {
    expect(args(last('STOPSIGNAL'))).toEqual(['SIGTERM']);
    expect(execForm(last('ENTRYPOINT'))).toEqual(['/usr/bin/tini', '--']);
    // The image starts the gateway as `npm run start:prod` does (flags included), without npm.
    const start = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> })
      .scripts['start:prod'];
    expect(execForm(last('CMD'))).toEqual(start.split(' '));
    expect(start).toMatch(
      /^node (--[a-z-]+(=[0-9a-z]+)? )*dist\/apps\/gateway\/apps\/gateway\/src\/main\.js$/,
    );
  });

  it('sets PORT to the exposed port', () => {
    const env = last('ENV').getArgumentsContent() ?? '';
    expect(env).toMatch(new RegExp(`PORT=${GATEWAY.port}\\b`));
  });
});

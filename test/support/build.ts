import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../deploy/deploy-files';

const STALE_LOCK_MS = 300_000;

/** The built entry points the process e2e tests start. */
export const GATEWAY_MAIN = join(repoRoot(), 'dist/apps/gateway/apps/gateway/src/main.js');
export const SIM_MAIN = join(repoRoot(), 'dist/apps/upstream-sim/apps/upstream-sim/src/main.js');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds the gateway and the simulator when dist is missing or older than any source (the demo's
 * rule), one test file at a time: Jest runs files in parallel workers, and two `nest build`s
 * writing the same dist would hand a half-written file to whichever test starts it first.
 * Returns the build's exit status.
 */
export function buildIfNeeded(): number | null {
  const root = repoRoot();
  const lock = join(
    tmpdir(),
    `dgx-gw-build-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`,
  );
  const deadline = Date.now() + 170_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) {
        rmSync(lock, { recursive: true, force: true });
      } else if (Date.now() > deadline) {
        throw new Error(`another build held ${lock} too long`);
      }
      sleepSync(200);
    }
  }
  try {
    return spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `(await import(${JSON.stringify(join(root, 'scripts/processes.mjs'))})).buildIfNeeded(() => {})`,
      ],
      { cwd: root, stdio: 'ignore' },
    ).status;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// What the scripts and the bench share to run the built gateway and simulators as processes: the
// build check, free ports, readiness polling, RSS sampling and a group of children that dies with
// the script.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GATEWAY_MAIN = join(ROOT, 'dist/apps/gateway/apps/gateway/src/main.js');
/**
 * Node's flags for the gateway, as production starts it: package.json's `start:prod` (which the
 * Dockerfile's CMD repeats) is the one place they are declared. `--no-memory-reducer`: after a
 * quiet spell V8 shrinks the heap, and the next bursts ran 20–30 % slower for minutes (measured
 * with bursts of load 8 s apart: 29–33k requests per 4 s burst, then 21–26k from the first
 * shrinking on; with the flag 29–32k throughout). `--max-semi-space-size=32` (MB; Node 20's
 * default is 16): with the default young generation, 4 of 28 gateways loaded side by side at c64
 * fell for their whole life into a state of long scavenges and repeated full collections that took
 * 35–45 % more CPU per request; with 32 MB none of 20 did (README, Performance).
 */
export const NODE_FLAGS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  .scripts['start:prod'].split(' ')
  .filter((arg) => arg.startsWith('--'));
/** The command that runs the built gateway as production does. */
export const GATEWAY_COMMAND = [process.execPath, ...NODE_FLAGS, GATEWAY_MAIN];
export const SIM_MAIN = join(ROOT, 'dist/apps/upstream-sim/apps/upstream-sim/src/main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      newest = Math.max(newest, newestMtime(p));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Builds when a dist entry point is missing or older than any app/lib source. */
export function buildIfNeeded(log = console.log) {
  if (process.env.DEMO_SKIP_BUILD === '1') {
    return;
  }
  const sources = Math.max(newestMtime(join(ROOT, 'apps')), newestMtime(join(ROOT, 'libs')));
  if (Math.min(mtime(GATEWAY_MAIN), mtime(SIM_MAIN)) >= sources) {
    return;
  }
  log('Building (dist is missing or older than the sources)...');
  const r = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    throw new Error('npm run build failed');
  }
}

/** A port of 127.0.0.1 the OS says is free now. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Whether `port` of `host` can be listened on now (a fixed port someone may already hold). */
export function portFree(host, port) {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `url` until it answers 200. Throws after `timeoutMs`, or as soon as `isDead()` says a
 * process it waits for has exited.
 */
export async function waitReady(url, { timeoutMs = 30_000, isDead = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (isDead()) {
      throw new Error(`a process exited before ${url} was ready`);
    }
    try {
      if ((await fetch(url)).status === 200) {
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`);
}

/** Waits until something accepts TCP connections on `port` of 127.0.0.1 (gives up silently). */
export async function waitListening(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const up = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
    });
    if (up) {
      return;
    }
    await sleep(50);
  }
}

/** A process's resident set size in MB, from /proc (NaN when it does not say). */
export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

let clockTicks;
/**
 * The CPU time a process has used so far (user + system), in microseconds, from /proc (NaN where
 * there is none). Read in clock ticks: 10 ms each on Linux.
 */
export function cpuMicroseconds(pid) {
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
  try {
    // The fields after the command name, which is in brackets and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return NaN;
  }
}

const running = (c) => c.exitCode === null && c.signalCode === null;

/**
 * The child processes one script starts. Each runs in the repo root with the script's env plus its
 * own, stdin closed, stdout dropped unless asked for, stderr shown. A child that exits before
 * `stop()` is reported by `onUnexpectedExit(name, codeOrSignal)`: by default the script says so,
 * prefixed with `label`, and exits 1, so no result is printed that a dead process did not earn.
 * Whatever still runs when the script exits is SIGKILLed.
 */
export function processGroup({ label, onUnexpectedExit } = {}) {
  const children = [];
  let stopping = false;
  const unexpected =
    onUnexpectedExit ??
    ((name, how) => {
      console.error(`${label}: ${name} exited (${how})`);
      process.exit(1);
    });
  process.on('exit', () => children.filter(running).forEach((c) => c.kill('SIGKILL')));
  return {
    /** Starts `argv` (`[command, ...args]`); `detached` gives it its own process group. */
    launch(name, argv, env = {}, { stdout = 'ignore', detached = false } = {}) {
      const child = spawn(argv[0], argv.slice(1), {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', stdout, 'inherit'],
        detached,
      });
      child.on('exit', (code, signal) => {
        if (!stopping) {
          unexpected(name, signal ?? code);
        }
      });
      children.push(child);
      return child;
    },
    /** Whether any child has exited. */
    anyExited: () => children.some((c) => !running(c)),
    /**
     * SIGTERMs every child still running and resolves once they have all exited; with
     * `killAfterMs`, SIGKILLs the ones still running by then.
     */
    stop({ killAfterMs } = {}) {
      stopping = true;
      const alive = children.filter(running);
      const exited = Promise.all(alive.map((c) => new Promise((r) => c.once('exit', r))));
      alive.forEach((c) => c.kill('SIGTERM'));
      if (killAfterMs !== undefined) {
        setTimeout(() => alive.forEach((c) => c.kill('SIGKILL')), killAfterMs).unref();
      }
      return exited.then(() => alive.length);
    },
  };
}

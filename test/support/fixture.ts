import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendHealthService } from '@app/routing';
import type { SimServer } from '../../apps/upstream-sim/src';
import type { GatewayOptions } from '../../apps/gateway/src/bootstrap';
import { startBackends, UPSTREAM_KEYS, type FakeBackends, type UpstreamKeys } from './backends';
import { resetCircuits, startGateway, type RunningGateway } from './gateway';

/** The real gateway on three fresh in-process fakes: what an e2e file starts once for its tests. */
export interface GatewayOnFakes {
  fakes: FakeBackends;
  gw: RunningGateway;
}

/** Starts three fresh fakes, then a gateway pointed at them with `env` on top of theirs. */
export async function startGatewayOnFakes(
  env: Record<string, string | undefined> = {},
  options: GatewayOptions = {},
  upstreamKeys: UpstreamKeys = UPSTREAM_KEYS,
): Promise<GatewayOnFakes> {
  const fakes = await startBackends(upstreamKeys);
  try {
    return { fakes, gw: await startGateway({ ...fakes.env, ...env }, options) };
  } catch (err) {
    await fakes.close();
    throw err;
  }
}

/** Closes the gateway, then its fakes; either is missing when the beforeAll that starts it failed. */
export async function stopGatewayOnFakes({ gw, fakes }: Partial<GatewayOnFakes>): Promise<void> {
  await gw?.close();
  await fakes?.close();
}

/** No fake faulted any more; with `clearRequests`, none remembering the calls of earlier tests. */
export function clearFaults(sims: SimServer[], { clearRequests = false } = {}): void {
  for (const sim of sims) {
    sim.setFault(null);
    if (clearRequests) {
      sim.clearRequests();
    }
  }
}

/**
 * What each test starts from: no fake faulted and healthy circuits; with `clearRequests`, no fake
 * remembering the calls of earlier tests; with `probe`, every backend probed again, so no test
 * inherits the unreachable status an earlier one caused.
 */
export async function restoreHealth(
  { fakes, gw }: GatewayOnFakes,
  { clearRequests = false, probe = false } = {},
): Promise<void> {
  clearFaults(fakes.all(), { clearRequests });
  resetCircuits(gw.app);
  if (probe) {
    await gw.app.get(BackendHealthService).probeAll();
  }
}

/** Writes `yaml` to a fresh temporary keys file (for GATEWAY_API_KEYS_FILE) and returns its path. */
export function writeKeysFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gateway-keys-')), 'keys.yaml');
  writeFileSync(file, yaml);
  return file;
}

import { parseSimCli } from './cli-config';
import { startSim } from './sim-server';
import type { SimServer } from './sim-types';

async function main(): Promise<void> {
  let options;
  try {
    options = parseSimCli(process.env, process.argv.slice(2));
  } catch (err) {
    console.error(`sim: ${(err as Error).message}`);
    process.exit(2);
  }
  const sims: SimServer[] = [];
  const closeAll = (): Promise<void[]> => Promise.all(sims.map((s) => s.close()));
  try {
    for (const opts of options) {
      const sim = await startSim(opts);
      sims.push(sim);
      console.log(`sim ${sim.name} listening on ${sim.url}`);
    }
  } catch (err) {
    console.error(`sim: cannot start: ${(err as Error).message}`);
    await closeAll();
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    void closeAll().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

void main();

// Entry point when run as a script (node dist/cli/main.js, tsx src/cli/main.ts, bin/ns3ts.js).
// `ns3ts agent` may start itself again first (relaunch.ts), before the CLI's modules load.
import { relaunchIfNeeded } from './relaunch.js';

const relaunched = await relaunchIfNeeded(process.argv);
if (relaunched !== undefined) {
  process.exitCode = relaunched;
} else {
  const { main } = await import('./program.js');
  process.exitCode = await main(process.argv);
}

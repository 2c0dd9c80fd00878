// Entry point when run as a script (node dist/cli/main.js, tsx src/cli/main.ts, bin/ns3ts.js).
// `ns3ts agent` may start itself again first (relaunch.ts), before the CLI's modules load.
import { relaunchIfNeeded } from './relaunch.js';

// A reader that stops early (`ns3ts train --help | head`) closes the pipe: the rest of the output
// has nowhere to go, which is no error of the command. Without a listener the write's EPIPE is an
// unhandled 'error' event and a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const relaunched = await relaunchIfNeeded(process.argv);
if (relaunched !== undefined) {
  process.exitCode = relaunched;
} else {
  const { main } = await import('./program.js');
  process.exitCode = await main(process.argv);
}

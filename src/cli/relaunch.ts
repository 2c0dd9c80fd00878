// `ns3ts agent` serves a simulator in lockstep: each step is a round trip through two processes
// on the same cores. V8's background threads (concurrent compilation of the hot per-step code,
// concurrent and parallel garbage collection) compete with the simulator for those cores exactly
// while it computes the next state. The agent therefore runs in a V8 without them
// (`--single-threaded`: compilation and collection on the main thread, which otherwise only waits
// for the next state). The flag must be given when Node starts (V8 reads it once, and Node refuses
// it in NODE_OPTIONS), so the CLI starts itself again with it, before any module of the CLI is
// loaded. The agent starts about 0.3 s later for it (one more Node start-up, and the CLI's modules
// compiled on one thread: `ns3ts agent --help` 0.9 s against 0.6 s), once per agent process.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** The V8 flag the agent runs with. */
export const AGENT_V8_FLAG = '--single-threaded';

/** Set (to anything) to run `ns3ts agent` in this process, with V8's background threads. */
export const NO_RELAUNCH_ENV = 'NS3TS_NO_RELAUNCH';

/** Signals sent to the launcher that the agent receives too (a terminal's Ctrl-C reaches both; the agent ends at the first). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The CLI's global options that take a value (program.ts): the subcommand follows them. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--log-level']);

/** The subcommand of a command line (argv as process.argv), or undefined. */
export function subcommandOf(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * When this command line is `ns3ts agent` and this Node lacks AGENT_V8_FLAG, runs it again in a
 * child Node that has it and resolves to the child's exit code; otherwise resolves to undefined
 * (this process runs the command). The child shares stdin/stdout/stderr; SIGINT, SIGTERM and
 * SIGHUP sent to this process are passed on, a child ended by a signal ends this process with the
 * same signal, and the child exits when this process dies (it watches an IPC channel), so no agent
 * outlives its launcher.
 */
export async function relaunchIfNeeded(argv: readonly string[]): Promise<number | undefined> {
  if (subcommandOf(argv) !== 'agent') return undefined;
  if (process.execArgv.includes(AGENT_V8_FLAG)) {
    watchLauncher();
    return undefined;
  }
  if (process.env[NO_RELAUNCH_ENV] !== undefined) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, AGENT_V8_FLAG, ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  let ended: { code: number | null; signal: NodeJS.Signals | null };
  try {
    ended = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
  }
  if (ended.signal !== null) {
    // Ended by a signal: end the same way, so that whoever started `ns3ts agent` sees it.
    process.kill(process.pid, ended.signal);
    return 128 + constants.signals[ended.signal];
  }
  return ended.code ?? 1;
}

/** In the relaunched agent: exit when the launcher is gone (its IPC channel closes). */
function watchLauncher(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => {
    process.stderr.write('ns3ts agent: the process that launched it exited; stopping\n');
    process.exit(1);
  });
}

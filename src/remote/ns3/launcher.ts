import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, Ns3tsError, log, signalProcessGroup, withParentDeathSignal } from '../../util/index.js';
import type { SimulatorLauncher } from '../../env/index.js';

/**
 * Starts simulator processes for remote envs: an ns-3 program, `ns3ts sim` (selfCommand() +
 * ['sim', ...]) or the C++ example peer — anything that takes the endpoint and seed as
 * arguments.
 *
 * No orphans: every child runs in its own process group (detached), so stopping it also stops
 * whatever it started; the group is sent SIGTERM, then SIGKILL after `killGraceMs`, and the
 * child is reaped. Every live child of every launcher is also killed (SIGKILL to its group) when
 * this process exits, on SIGINT/SIGTERM/SIGHUP (the signal then takes its default course unless
 * someone else handles it), and on an uncaught exception.
 *
 * Event 'exit' (index, { code, signal }, pid): a simulator ended on its own (not through stop()).
 *
 * Logs: the stdout and stderr of simulator i go to `<logDir>/<name>-<i>.log` (appended, one
 * header line per start with the pid, seed and endpoint). A temporary log folder (no `logDir`
 * given) is removed on close() when every simulator ended normally (exit code 0, or stopped by
 * the launcher); otherwise it is kept and named on stderr.
 *
 * A simulator also dies when this process is killed outright (SIGKILL, OOM): it is started with
 * a parent-death signal where the system offers one (util/parent-death.ts).
 */
/** What a simulator is started as: the program and how it gets its endpoint, seed and scenario. */
export interface SimulatorArgOptions {
  /** Executable (absolute path or a command on PATH). */
  command: string;
  /** Arguments placed before the endpoint, seed and scenario arguments (e.g. ['--import', 'tsx', 'main.ts', 'sim']). */
  args?: readonly string[];
  /** Scenario arguments appended after the endpoint and seed ones. */
  extraArgs?: readonly string[];
  /** How the endpoint is passed (default: `--openGymEndpoint=<endpoint>`). */
  endpointArgs?: (endpoint: string) => string[];
  /** How the seed is passed (default: `--simSeed=<seed>`). */
  seedArgs?: (seed: number) => string[];
}

/** The full argument list of a simulator for `seed` and `endpoint` (after the command). */
export function simulatorArgs(options: SimulatorArgOptions, seed: number, endpoint: string): string[] {
  const endpointArgs = options.endpointArgs ?? ((ep: string) => [`--openGymEndpoint=${ep}`]);
  const seedArgs = options.seedArgs ?? ((s: number) => [`--simSeed=${s}`]);
  return [...(options.args ?? []), ...endpointArgs(endpoint), ...seedArgs(seed), ...(options.extraArgs ?? [])];
}

export interface ProcessLauncherOptions extends SimulatorArgOptions {
  /** Directory of the simulators' logs (default: a new temporary directory). */
  logDir?: string;
  /** Log file prefix (default: the command's base name). */
  name?: string;
  /** Wait between SIGTERM and SIGKILL, ms (default 2000). */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SimulatorExit {
  code: number | null;
  signal: string | null;
}

interface Slot {
  child: ChildProcess;
  pid: number;
  exited: Promise<SimulatorExit>;
  exit: SimulatorExit | null;
  stopping: boolean;
}

/** Process groups of every live child of every launcher in this process. */
const liveGroups = new Set<number>();
/** Further clean-ups of launchers whose simulators are not children (Slurm jobs to cancel). */
const hardExitCleanups = new Set<() => void>();
let exitHooksInstalled = false;

function killChildrenNow(): void {
  for (const pid of liveGroups) signalProcessGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

function runHardExitCleanups(): void {
  for (const cleanup of [...hardExitCleanups]) {
    hardExitCleanups.delete(cleanup);
    cleanup();
  }
}

function killAllNow(): void {
  killChildrenNow();
  runHardExitCleanups();
}

/**
 * Runs `cleanup` (synchronously) when this process exits, on an uncaught exception, and on a
 * SIGINT/SIGTERM/SIGHUP that nobody else handles (the CLI's Ctrl-C closes the envs itself, after
 * the episode in progress). Returns the function that removes it.
 */
export function onHardExit(cleanup: () => void): () => void {
  installExitHooks();
  hardExitCleanups.add(cleanup);
  return () => hardExitCleanups.delete(cleanup);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killChildrenNow();
      // Only ours: restore the default action and re-raise, so the process ends as it would have.
      // Otherwise whoever handles the signal closes the envs (or exits, which runs the clean-ups).
      if (process.listenerCount(signal) === 1) {
        runHardExitCleanups();
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
  process.on('uncaughtExceptionMonitor', killAllNow);
}

export class ProcessLauncher extends EventEmitter implements SimulatorLauncher {
  readonly logDir: string;
  private readonly options: ProcessLauncherOptions;
  private readonly name: string;
  private readonly killGraceMs: number;
  private readonly slots = new Map<number, Slot>();
  private readonly exits = new Map<number, SimulatorExit>();
  private readonly everSpawned: number[] = [];
  /** The log folder is a temporary one of this launcher's (removed on a clean close). */
  private readonly ownLogDir: boolean;
  /** Simulators that ended on their own with a failure ("simulator 0 pid 123: exit code 1"). */
  private readonly failures: string[] = [];
  private closed = false;

  constructor(options: ProcessLauncherOptions) {
    super();
    if (typeof options.command !== 'string' || options.command === '') {
      throw new InputError('command', options.command, 'the program to launch');
    }
    this.options = options;
    this.name = options.name ?? options.command.split('/').pop()!.replace(/\.[A-Za-z]+$/, '');
    this.killGraceMs = options.killGraceMs ?? 2000;
    this.ownLogDir = options.logDir === undefined;
    this.logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'ns3ts-sim-'));
    mkdirSync(this.logDir, { recursive: true });
    installExitHooks();
  }

  /** The full argument list simulator `index` gets for `seed` and `endpoint`. */
  argsFor(seed: number, endpoint: string): string[] {
    return simulatorArgs(this.options, seed, endpoint);
  }

  logPath(index: number): string {
    return join(this.logDir, `${this.name}-${index}.log`);
  }

  async start(index: number, seed: number, endpoint: string): Promise<{ pid: number }> {
    if (this.closed) throw new Ns3tsError('ProcessLauncher: start after close');
    if (!Number.isInteger(index) || index < 0) throw new InputError('index', index, 'a non-negative integer');
    if (!Number.isInteger(seed) || seed < 0) throw new InputError('seed', seed, 'a non-negative integer');
    await this.stop(index);
    const args = this.argsFor(seed, endpoint);
    const logFd = openSync(this.logPath(index), 'a');
    writeSync(logFd, `--- ${new Date().toISOString()} start seed=${seed} endpoint=${endpoint}\n--- ${this.options.command} ${args.join(' ')}\n`);
    let child: ChildProcess;
    const launch = withParentDeathSignal(this.options.command, args, this.options.cwd);
    log.debug(`simulator ${index}: ${this.options.command} ${args.join(' ')} (log ${this.logPath(index)})`);
    try {
      child = spawn(launch.command, launch.args, {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: this.options.env ?? process.env,
        ...(this.options.cwd === undefined ? {} : { cwd: this.options.cwd }),
      });
    } finally {
      closeSync(logFd);
    }
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once('spawn', () => resolvePid(child.pid!));
      child.once('error', (err) =>
        reject(new Ns3tsError(`cannot start simulator ${index} (${this.options.command}): ${err.message}`)),
      );
    });
    liveGroups.add(pid);
    this.everSpawned.push(pid);
    this.exits.delete(index);
    const slot: Slot = {
      child,
      pid,
      exit: null,
      stopping: false,
      exited: new Promise<SimulatorExit>((resolveExit) => {
        child.once('exit', (code, signal) => {
          const exit = { code, signal };
          slot.exit = exit;
          if (!slot.stopping && (code !== 0 || signal !== null)) this.failures.push(`simulator ${index} pid ${pid}: ${signal ? `signal ${signal}` : `exit code ${code}`}`);
          liveGroups.delete(pid);
          // The group may still hold children of the simulator (e.g. a shell wrapper's).
          signalProcessGroup(pid, 'SIGKILL');
          if (this.slots.get(index) === slot) this.exits.set(index, exit);
          if (!slot.stopping) this.emit('exit', index, exit, pid);
          resolveExit(exit);
        });
      }),
    };
    this.slots.set(index, slot);
    return { pid };
  }

  async stop(index: number): Promise<void> {
    const slot = this.slots.get(index);
    if (!slot) return;
    if (slot.exit === null) {
      slot.stopping = true;
      signalProcessGroup(slot.pid, 'SIGTERM');
      signalProcessGroup(slot.pid, 'SIGCONT'); // a stopped (hung by SIGSTOP) simulator handles SIGTERM too
      const timer = setTimeout(() => signalProcessGroup(slot.pid, 'SIGKILL'), this.killGraceMs);
      try {
        await slot.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    this.exits.set(index, slot.exit!);
    this.slots.delete(index);
  }

  exitInfo(index: number): SimulatorExit | null {
    const slot = this.slots.get(index);
    if (slot) return slot.exit;
    return this.exits.get(index) ?? null;
  }

  /** The pid of simulator `index` while it runs. */
  pid(index: number): number | null {
    const slot = this.slots.get(index);
    return slot && slot.exit === null ? slot.pid : null;
  }

  /** Every pid this launcher ever spawned (tests check that none is left). */
  spawnedPids(): readonly number[] {
    return this.everSpawned;
  }

  /** Resolves when simulator `index` exits (at once if it is not running). */
  async waitForExit(index: number): Promise<SimulatorExit | null> {
    const slot = this.slots.get(index);
    if (!slot) return this.exits.get(index) ?? null;
    return slot.exited;
  }

  async close(): Promise<void> {
    const first = !this.closed;
    this.closed = true;
    await Promise.all([...this.slots.keys()].map((index) => this.stop(index)));
    if (!first || !this.ownLogDir) return;
    closeTemporaryLogDir(this.logDir, this.failures);
  }
}

/**
 * The end of a launcher's temporary log folder (one the caller did not choose): removed when no
 * simulator failed; otherwise kept, with where and why printed, since its logs say what happened.
 */
export function closeTemporaryLogDir(dir: string, failures: readonly string[]): void {
  if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`ns3ts: simulator logs kept in ${dir} (${failures.join('; ')})\n`);
}

/** True while a process with this pid exists (zombies included). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

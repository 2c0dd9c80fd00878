import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  InputError,
  Ns3tsError,
  checkScriptPath,
  checkSlurmValues,
  log,
  runSlurmAsync,
  scancelJobs,
  shellQuote,
  squeueJobs,
  squeueJobsAsync,
  writeFileAtomic,
} from '../../util/index.js';
import type { SimulatorLauncher } from '../../env/index.js';
import { closeTemporaryLogDir, onHardExit, simulatorArgs, type SimulatorArgOptions, type SimulatorExit } from './launcher.js';

/**
 * Simulators as one Slurm job array: array task i is simulator slot i (env i of the vector env).
 * A task holds its CPU for the whole run and plays one episode after another: the trainer asks
 * for an episode by writing a request file (generation, then the program's arguments, one a
 * line) in the run's simulator folder, the task starts the program and writes its pid, and
 * writes its exit code once it ends. An episode restart therefore costs a process start, not a
 * trip through the Slurm queue. The folder must be visible to every node under the same path
 * (as the sweep executor assumes); the simulators connect back over TCP to `host`.
 *
 * A task that disappears from the queue (node lost, `scancel` of the task, time limit) ends the
 * episode it was playing (exitInfo reports it, so the env truncates that episode), and the next
 * start() of its slot resubmits it as a one-task array with the same index. close() writes a stop
 * file, `scancel`s every job it submitted and waits until none is left in `squeue`; a trainer
 * that dies outright leaves tasks that exit on their own after `idleSeconds` without a request.
 */
export interface SlurmLauncherOptions extends SimulatorArgOptions {
  /** Number of simulator slots (array task indices 0..simulators-1). */
  simulators: number;
  /** Folder for requests, pids, exit codes, logs and the task script (shared by every node). */
  dir: string;
  /** The host name or address simulators reach the trainer at (default: this host's name). */
  host?: string;
  partition?: string;
  /** Time limit of the job, Slurm format (e.g. 01:00:00). */
  time?: string;
  cpusPerTask?: number;
  jobName?: string;
  /** Further sbatch arguments (e.g. --account=x, --oversubscribe). */
  sbatchArgs?: string[];
  /** Exported to the tasks: NS3TS_CURVE_KEYS=<file> when the endpoint uses CURVE. */
  environment?: Record<string, string>;
  /** Longest wait for a task to start the program (queue wait included), ms (default 300000). */
  startTimeoutMs?: number;
  /** How often squeue is asked whether the tasks still run, ms (default 1000). */
  pollMs?: number;
  /** A task exits after this long without a request (default 600). */
  idleSeconds?: number;
  /** Wait between SIGTERM and SIGKILL of a program stopped on purpose, seconds (default 2). */
  killGraceSeconds?: number;
  /** Resubmissions of one slot's task before start() gives up (default 3). */
  maxResubmits?: number;
  /** Name of the program (log file prefix; default: the command's base name). */
  name?: string;
  /**
   * `dir` is a temporary folder of the caller's: close() removes it, unless a simulator failed
   * (then it stays, with its logs, and close() prints where), as ProcessLauncher does with its
   * temporary log folder (default false: the folder is the run's and stays).
   */
  removeDirOnClose?: boolean;
}

interface Slot {
  /** The array job currently hosting this slot's task (`<job>_<index>` in squeue). */
  jobId: string | null;
  /** The latest episode request of this slot. */
  generation: number;
  pid: number | null;
  exit: SimulatorExit | null;
  stopping: boolean;
  resubmits: number;
}

/** Reported as the signal of a simulator whose Slurm task left the queue while it ran. */
export const TASK_LOST = 'slurm-task-lost';

const FILE_POLL_MS = 50;

/** squeue states of a task that runs (or will run) its simulator. */
const LIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'REQUEUED', 'RESIZING', 'SUSPENDED']);

export class SlurmLauncher extends EventEmitter implements SimulatorLauncher {
  readonly dir: string;
  readonly host: string;
  /** Every array job submitted (the first one, then resubmissions). */
  readonly jobIds: string[] = [];
  private readonly options: SlurmLauncherOptions;
  private readonly name: string;
  private readonly slots: Slot[];
  private readonly everSpawned: number[] = [];
  private readonly script: string;
  private pendingSubmit: { indices: Set<number>; done: Promise<string> } | null = null;
  private readonly queued = new Set<string>();
  private pollTimer: NodeJS.Timeout | null = null;
  private polling = false;
  /** Submissions so far: a poll that overlapped one does not know its tasks and is discarded. */
  private submissions = 0;
  private removeHardExitHook: () => void;
  private closed = false;
  /** The simulators that ended on their own with an error, or could not be started. */
  private readonly failures: string[] = [];

  constructor(options: SlurmLauncherOptions) {
    super();
    if (!Number.isInteger(options.simulators) || options.simulators < 1) throw new InputError('simulators', options.simulators, 'a positive integer');
    if (typeof options.command !== 'string' || options.command === '') throw new InputError('command', options.command, 'the program to launch');
    checkSlurmValues({ partition: options.partition, time: options.time, jobName: options.jobName, cpusPerTask: options.cpusPerTask, extraArgs: options.sbatchArgs });
    this.options = options;
    this.dir = checkScriptPath('simulator folder', resolve(options.dir));
    this.host = options.host ?? hostname();
    if (!/^[A-Za-z0-9_.:-]+$/.test(this.host)) throw new InputError('host', this.host, 'a host name or address the simulators reach this machine at');
    this.name = options.name ?? options.command.split('/').pop()!;
    this.slots = Array.from({ length: options.simulators }, () => ({ jobId: null, generation: 0, pid: null, exit: null, stopping: false, resubmits: 0 }));
    mkdirSync(this.dir, { recursive: true });
    this.script = join(this.dir, 'simulator-task.sh');
    writeFileAtomic(this.script, this.taskScript());
    // A trainer that exits (or is killed by a signal this process handles) cancels its jobs.
    this.removeHardExitHook = onHardExit(() => this.cancelNow());
  }

  /** The endpoint a simulator on another node connects to: the bound port on `host`. */
  remoteEndpoint(endpoint: string): string {
    return endpoint.replace(/^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\*|0\.0\.0\.0):/, `tcp://${this.host}:`);
  }

  logPath(index: number): string {
    return join(this.dir, `${this.name}-${index}.log`);
  }

  async start(index: number, seed: number, endpoint: string): Promise<{ pid: number }> {
    if (this.closed) throw new Ns3tsError('SlurmLauncher: start after close');
    const slot = this.slotOf(index);
    if (!Number.isInteger(seed) || seed < 0) throw new InputError('seed', seed, 'a non-negative integer');
    if (endpoint.startsWith('ipc://')) throw new InputError('endpoint', endpoint, 'a tcp:// endpoint (Slurm tasks may run on other nodes)');
    try {
      return await this.startSlot(index, slot, seed, endpoint);
    } catch (err) {
      if (!this.closed) this.failures.push(`simulator ${index}: ${(err as Error).message}`);
      throw err;
    }
  }

  private async startSlot(index: number, slot: Slot, seed: number, endpoint: string): Promise<{ pid: number }> {
    await this.stop(index);
    const generation = ++slot.generation;
    slot.pid = null;
    slot.exit = null;
    slot.stopping = false;
    const args = simulatorArgs(this.options, seed, this.remoteEndpoint(endpoint));
    writeFileAtomic(join(this.dir, `sim-${index}.request`), [String(generation), this.options.command, ...args].join('\n') + '\n');
    log.debug(`simulator ${index}: episode request ${generation} (seed ${seed}) for Slurm task ${slot.jobId ?? '(to submit)'}`);
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 300_000);
    if (slot.jobId === null || !this.taskAlive(index)) await this.submit(index);
    const pidFile = this.file(index, generation, 'pid');
    for (;;) {
      if (this.closed) throw new Ns3tsError('SlurmLauncher: closed while starting a simulator');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0]);
        if (!Number.isInteger(pid) || pid <= 0) throw new Ns3tsError(`${pidFile}: not a pid`);
        slot.pid = pid;
        this.everSpawned.push(pid);
        return { pid };
      }
      if (slot.generation !== generation) throw new Ns3tsError(`simulator ${index}: a newer start replaced this one`);
      if (!this.taskAlive(index)) {
        if (slot.resubmits >= (this.options.maxResubmits ?? 3)) {
          throw new Ns3tsError(`simulator ${index}: its Slurm task ended ${slot.resubmits + 1} times before starting the program (see ${join(this.dir, `slurm-*_${index}.out`)})`);
        }
        slot.resubmits++;
        log.warn(`simulator ${index}: Slurm task ${slot.jobId}_${index} is gone; resubmitting it`);
        await this.submit(index);
      }
      if (Date.now() > deadline) {
        const state = squeueJobs([`${slot.jobId}_${index}`])[0];
        throw new Ns3tsError(
          `simulator ${index}: Slurm task ${slot.jobId}_${index} did not start the program within ${this.options.startTimeoutMs ?? 300_000} ms` +
            (state ? ` (${state.state}, ${state.reason})` : ''),
        );
      }
      await sleep(FILE_POLL_MS);
    }
  }

  /** Asks the task to end the program of the current episode (SIGTERM, then SIGKILL); does not wait. */
  async stop(index: number): Promise<void> {
    const slot = this.slotOf(index);
    if (slot.pid === null || this.exitInfo(index) !== null) return;
    slot.stopping = true;
    writeFileSync(this.file(index, slot.generation, 'stop'), '');
  }

  exitInfo(index: number): SimulatorExit | null {
    const slot = this.slots[index];
    if (!slot || slot.pid === null) return null;
    if (slot.exit) return slot.exit;
    const exitFile = this.file(index, slot.generation, 'exit');
    if (existsSync(exitFile)) {
      const status = Number(readFileSync(exitFile, 'utf8').trim());
      // bash reports death by signal N as 128 + N.
      slot.exit = status > 128 && status < 160 ? { code: null, signal: `signal ${status - 128}` } : { code: status, signal: null };
    } else if (slot.jobId !== null && !this.taskAlive(index)) {
      slot.exit = { code: null, signal: TASK_LOST };
    }
    const exit = slot.exit;
    if (exit && !slot.stopping && !this.closed && (exit.code !== 0 || exit.signal !== null)) {
      this.failures.push(`simulator ${index} pid ${slot.pid}: ${exit.signal ?? `exit code ${exit.code}`}`);
    }
    return exit;
  }

  /** Every program pid the tasks reported (per episode). */
  spawnedPids(): readonly number[] {
    return this.everSpawned;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    writeFileSync(join(this.dir, 'stop'), '');
    this.cancelNow();
    // Wait (bounded) until Slurm has cleaned up: no task of ours left in the queue.
    const deadline = Date.now() + 30_000;
    while (this.jobIds.length > 0 && Date.now() < deadline) {
      const left = await squeueJobsAsync(this.jobIds).catch(() => []);
      if (left.length === 0) break;
      await sleep(250);
    }
    this.removeHardExitHook();
    if (this.options.removeDirOnClose) closeTemporaryLogDir(this.dir, this.failures);
  }

  // ---------------------------------------------------------------------------------------------

  private slotOf(index: number): Slot {
    const slot = this.slots[index];
    if (!Number.isInteger(index) || !slot) throw new InputError('index', index, `a simulator slot 0..${this.slots.length - 1}`);
    return slot;
  }

  private file(index: number, generation: number, kind: 'pid' | 'exit' | 'stop'): string {
    return join(this.dir, `sim-${index}.${generation}.${kind}`);
  }

  /** Whether slot `index`'s task was in the queue at the last poll (a fresh submission counts as queued). */
  private taskAlive(index: number): boolean {
    const jobId = this.slots[index]!.jobId;
    return jobId !== null && this.queued.has(`${jobId}_${index}`);
  }

  /** Submits slot `index` with every other slot asking in the same tick: one array job. */
  private submit(index: number): Promise<string> {
    if (!this.pendingSubmit) {
      const indices = new Set<number>();
      const done = new Promise<string>((resolveJob, reject) => {
        setImmediate(() => {
          this.pendingSubmit = null;
          this.submitArray([...indices].sort((a, b) => a - b)).then(resolveJob, reject);
        });
      });
      this.pendingSubmit = { indices, done };
    }
    this.pendingSubmit.indices.add(index);
    return this.pendingSubmit.done;
  }

  private async submitArray(indices: number[]): Promise<string> {
    const o = this.options;
    const args = [
      '--parsable',
      `--array=${indices.join(',')}`,
      `--job-name=${o.jobName ?? 'ns3ts-sim'}`,
      `--output=${join(this.dir, 'slurm-%A_%a.out')}`,
      `--chdir=${this.dir}`,
      `--cpus-per-task=${o.cpusPerTask ?? 1}`,
      ...(o.partition ? [`--partition=${o.partition}`] : []),
      ...(o.time ? [`--time=${o.time}`] : []),
      ...(o.sbatchArgs ?? []),
      this.script,
    ];
    const out = (await runSlurmAsync('sbatch', args)).trim();
    const jobId = out.split(';')[0]!.trim();
    if (!/^\d+$/.test(jobId)) throw new Ns3tsError(`sbatch printed ${JSON.stringify(out)}, expected a job id`);
    this.jobIds.push(jobId);
    this.submissions++;
    for (const i of indices) {
      this.slots[i]!.jobId = jobId;
      this.queued.add(`${jobId}_${i}`);
    }
    log.info(`simulators ${indices.join(',')}: Slurm job ${jobId} (${this.dir})`);
    if (this.closed) this.cancelNow();
    this.startPolling();
    return jobId;
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.pollTimer.unref();
  }

  /** Refreshes which tasks are queued; reports programs that ended (or lost their task) on their own. */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const before = this.submissions;
      const queue = await squeueJobsAsync(this.jobIds);
      if (this.closed || this.submissions !== before) return;
      this.queued.clear();
      // A task being cancelled or ending (COMPLETING, ...) no longer runs its simulator.
      for (const entry of queue) if (LIVE_STATES.has(entry.state)) this.queued.add(entry.jobId);
      this.slots.forEach((slot, index) => {
        if (slot.pid === null || slot.exit !== null) return;
        const exit = this.exitInfo(index);
        if (exit && !slot.stopping) this.emit('exit', index, exit, slot.pid);
      });
    } catch (err) {
      log.warn(`squeue failed (keeping the last known state): ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private cancelNow(): void {
    if (this.jobIds.length === 0) return;
    try {
      scancelJobs(this.jobIds);
    } catch (err) {
      process.stderr.write(`ns3ts: cannot cancel Slurm job(s) ${this.jobIds.join(', ')}: ${(err as Error).message}\n`);
    }
  }

  /** The batch script of every task: the episode loop described above. */
  private taskScript(): string {
    const grace = this.options.killGraceSeconds ?? 2;
    const idle = this.options.idleSeconds ?? 600;
    const exports = Object.entries(this.options.environment ?? {}).map(([key, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new InputError('environment', key, 'an environment variable name');
      return `export ${key}=${shellQuote(value)}`;
    });
    return `#!/usr/bin/env bash
# One ns3ts simulator slot (array task index = env index): plays the episodes the trainer requests
# in sim-<index>.request, one program run each (see src/remote/ns3/slurm-launcher.ts).
set -u
dir=${shellQuote(this.dir)}
i=$SLURM_ARRAY_TASK_ID
log="$dir/${this.name}-$i.log"
${exports.join('\n')}
served=0
child=0
# scancel: end the program first, so that the task leaves the queue only once it is gone.
trap 'if [ "$child" -gt 0 ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; exit 143' TERM INT
idle_ticks=0
while :; do
  [ -e "$dir/stop" ] && exit 0
  lines=()
  [ -r "$dir/sim-$i.request" ] && mapfile -t lines < "$dir/sim-$i.request"
  gen=\${lines[0]:-0}
  if [ "$gen" -gt "$served" ] 2>/dev/null; then
    served=$gen
    idle_ticks=0
    printf -- '--- %s start request %s on %s (Slurm task %s_%s)\\n' "$(date -u +%FT%TZ)" "$gen" "$(hostname)" "\${SLURM_ARRAY_JOB_ID:-}" "$i" >> "$log"
    "\${lines[@]:1}" >> "$log" 2>&1 &
    child=$!
    printf '%s %s\\n' "$child" "$(hostname)" > "$dir/sim-$i.$gen.pid.tmp" && mv "$dir/sim-$i.$gen.pid.tmp" "$dir/sim-$i.$gen.pid"
    ticks=-1
    while kill -0 "$child" 2>/dev/null; do
      if [ "$ticks" -lt 0 ] && { [ -e "$dir/sim-$i.$gen.stop" ] || [ -e "$dir/stop" ]; }; then
        kill -TERM "$child" 2>/dev/null
        ticks=0
      elif [ "$ticks" -ge 0 ]; then
        ticks=$((ticks + 1))
        [ "$ticks" -ge $((${grace} * 10)) ] && kill -KILL "$child" 2>/dev/null
      fi
      sleep 0.1
    done
    wait "$child"
    code=$?
    child=0
    printf '%s\\n' "$code" > "$dir/sim-$i.$gen.exit.tmp" && mv "$dir/sim-$i.$gen.exit.tmp" "$dir/sim-$i.$gen.exit"
  else
    idle_ticks=$((idle_ticks + 1))
    [ "$idle_ticks" -ge $((${idle} * 10)) ] && exit 0
    sleep 0.1
  fi
done
`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { packageRoot, selfCommand, signalProcessGroup, writeJsonAtomic } from '../util/index.js';
import { readRunMetrics, type RunMetrics } from './integrity.js';

export type { RunMetrics } from './integrity.js';
import { metricSelected } from './schema.js';
import { RUN_FILES, type RunStep } from './plan.js';
import { acquireRunLock, readRunRecord, readStatus, writeStatus, type LivenessCheck, type RunLock, type RunStatus } from './run-store.js';

/**
 * The ns3ts command line that runs steps: `$NS3TS_COMMAND` if set, else `selfCommand()`, with tsx's loader given as an absolute
 * path when running from sources, because steps run in their run folder, where a bare `--import
 * tsx` would not resolve.
 */
export function ns3tsCommandLine(): string[] {
  // NS3TS_COMMAND (words separated by spaces) runs the steps with another installation, e.g. on a
  // cluster whose nodes have ns3ts at another path.
  const override = process.env.NS3TS_COMMAND?.trim();
  if (override) return override.split(/\s+/);
  const self = selfCommand();
  const args = self.args.slice();
  const at = args.indexOf('--import');
  if (at >= 0 && args[at + 1] === 'tsx') {
    args[at + 1] = createRequire(join(packageRoot, 'package.json')).resolve('tsx');
  }
  return [self.command, ...args];
}

export type AttemptOutcome =
  /** The run finished now; its metrics are written. */
  | 'done'
  /** It failed and has attempts left. */
  | 'retry'
  /** It failed its last attempt. */
  | 'failed'
  /** Stopped by the signal; back to pending, the attempt not counted. */
  | 'interrupted'
  /** Another live worker holds it. */
  | 'busy'
  /** Already done (or failed for good): nothing to do. */
  | 'skipped';

export interface AttemptOptions {
  /** Attempts in all (1 + retries). */
  maxAttempts: number;
  executor: 'local' | 'slurm';
  /** Aborting sends SIGINT to the running step, waits for it, and leaves the run pending. */
  signal?: AbortSignal;
  /** The ns3ts command line (default ns3tsCommandLine()). */
  ns3ts?: readonly string[];
  env?: NodeJS.ProcessEnv;
  liveness?: LivenessCheck;
  /** Called when a step's process starts / ends (e.g. to count running runs). */
  onStepStart?: (runDir: string, step: RunStep, pid: number) => void;
  /** Seconds between SIGINT and SIGKILL of an interrupted step. */
  killAfterSeconds?: number;
}

/**
 * Runs one attempt of the run in `runDir` under its lock: each step as a child process (in its
 * own process group, working directory = the run folder, stdout and stderr to files there), then
 * collects the metrics; status.json is written (atomically) before and after. The status says
 * `done` only after metrics.json is complete, so a crash at any moment leaves either a finished
 * run or one that is run again.
 */
export async function attemptRun(runDir: string, options: AttemptOptions): Promise<AttemptOutcome> {
  const before = readStatus(runDir);
  if (before.state === 'done' || (before.state === 'failed' && before.attempts >= options.maxAttempts)) return 'skipped';
  if (options.signal?.aborted) return 'interrupted';
  const lock = acquireRunLock(runDir, options.liveness);
  if (!lock) return 'busy';
  try {
    // Read again under the lock: another worker may have finished it in between.
    const status = readStatus(runDir);
    if (status.state === 'done' || (status.state === 'failed' && status.attempts >= options.maxAttempts)) return 'skipped';
    return await runLocked(runDir, status, lock, options);
  } finally {
    lock.release();
  }
}

async function runLocked(runDir: string, status: RunStatus, lock: RunLock, options: AttemptOptions): Promise<AttemptOutcome> {
  const record = readRunRecord(runDir);
  if (!record) throw new Error(`${runDir}: no ${RUN_FILES.config}`);
  const startedAt = new Date();
  const slurmJobId = process.env.SLURM_ARRAY_JOB_ID && process.env.SLURM_ARRAY_TASK_ID
    ? `${process.env.SLURM_ARRAY_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID}`
    : process.env.SLURM_JOB_ID;
  const running: RunStatus = {
    state: 'running',
    attempts: status.attempts,
    ...(status.error !== undefined ? { error: status.error } : {}),
    updatedAt: startedAt.toISOString(),
    startedAt: startedAt.toISOString(),
    host: hostname(),
    pid: process.pid,
    executor: options.executor,
    ...(slurmJobId ? { slurmJobId } : {}),
  };
  writeStatus(runDir, running);
  const ns3ts = options.ns3ts ?? ns3tsCommandLine();
  let failure: string | undefined;
  let interrupted = false;
  for (const step of record.steps) {
    // Every attempt trains from scratch (ns3ts train refuses an existing run folder, and a fresh
    // start keeps the run reproducible).
    if (step.name === 'train') rmSync(join(runDir, RUN_FILES.trainDir), { recursive: true, force: true });
    let result: StepResult;
    try {
      result = await runStep(runDir, step, ns3ts, step.args, lock, options);
    } catch (err) {
      // The command could not be started (e.g. a wrong NS3TS_COMMAND): a failure of this run.
      failure = `${step.name} could not start ${ns3ts[0]}: ${(err as Error).message.split('\n')[0]}`;
      break;
    }
    if (result.interrupted) {
      interrupted = true;
      break;
    }
    if (result.code !== 0) {
      failure = `${step.name} ${result.signal ? `killed by ${result.signal}` : `exited with code ${result.code}`}: ${lastLine(join(runDir, `${step.name}.log`))}`;
      break;
    }
  }
  if (!interrupted && failure === undefined) {
    try {
      writeJsonAtomic(join(runDir, RUN_FILES.metrics), collectMetrics(runDir, record.metrics));
      // Done only when the results read back as results.
      const back = readRunMetrics(runDir);
      if (!back.ok) failure = `results do not read back: ${back.why}`;
    } catch (err) {
      failure = `collecting metrics: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const finishedAt = new Date();
  const base = { ...running, updatedAt: finishedAt.toISOString() };
  if (interrupted) {
    writeStatus(runDir, { ...base, state: 'pending', error: 'interrupted' });
    return 'interrupted';
  }
  const attempts = status.attempts + 1;
  const timing = { finishedAt: finishedAt.toISOString(), durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000 };
  if (failure === undefined) {
    const { error: _previous, ...rest } = base;
    writeStatus(runDir, { ...rest, ...timing, state: 'done', attempts });
    return 'done';
  }
  const final = attempts >= options.maxAttempts;
  writeStatus(runDir, { ...base, ...timing, state: final ? 'failed' : 'pending', attempts, error: failure });
  return final ? 'failed' : 'retry';
}

interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  interrupted: boolean;
}

function runStep(runDir: string, step: RunStep, ns3ts: readonly string[], args: string[], lock: RunLock, options: AttemptOptions): Promise<StepResult> {
  return new Promise((resolvePromise, reject) => {
    const out = openSync(join(runDir, `${step.name}.stdout`), 'w');
    const err = openSync(join(runDir, `${step.name}.log`), 'w');
    const [command, ...prefix] = ns3ts as [string, ...string[]];
    let child;
    try {
      child = spawn(command, [...prefix, ...args], {
        cwd: runDir,
        env: options.env ?? process.env,
        stdio: ['ignore', out, err],
        // Its own process group: a Ctrl-C on the terminal reaches the sweep only, which then stops
        // the steps itself (and can kill a step's whole tree).
        detached: true,
      });
    } catch (e) {
      closeSync(out);
      closeSync(err);
      reject(e);
      return;
    }
    closeSync(out);
    closeSync(err);
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (e) => reject(e));
      return;
    }
    lock.setChild(pid);
    options.onStepStart?.(runDir, step, pid);
    let interrupted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      interrupted = true;
      signalProcessGroup(pid, 'SIGINT');
      killTimer = setTimeout(() => signalProcessGroup(pid, 'SIGKILL'), (options.killAfterSeconds ?? 10) * 1000);
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      lock.setChild(undefined);
      resolvePromise({ code, signal, interrupted });
    });
  });
}


function lastLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('(run with --verbose'));
    // The CLI's one-line error ("ns3ts: ...") if there is one, else the last line.
    const line = [...lines].reverse().find((l) => l.startsWith('ns3ts: ')) ?? lines[lines.length - 1] ?? '(no output)';
    return line.length > 300 ? `${line.slice(0, 297)}...` : line;
  } catch {
    return '(no log)';
  }
}

/** The run folder the train step wrote (`--out . --run-id train`), relative to the run folder. */
export function trainedRunDir(_runDir: string): string {
  return RUN_FILES.trainDir;
}

/** metrics.json of a run: flat `name -> number` (eval KPIs as printed, training summary under `train.`). */

/**
 * Flattens the numbers of the eval step's JSON output (`kpis.*`, `perSlice.<slice>.*`) and of the
 * training summary (`train.*`), keeping those the sweep's `metrics` list selects.
 */
export function collectMetrics(runDir: string, selection: readonly string[]): RunMetrics {
  const metrics: Record<string, number> = {};
  let policy: string | undefined;
  const trainSummary = join(runDir, trainedRunDir(runDir), 'summary.json');
  if (existsSync(trainSummary)) flatten(JSON.parse(readFileSync(trainSummary, 'utf8')) as unknown, 'train', metrics);
  const evalOut = join(runDir, 'eval.stdout');
  if (existsSync(evalOut)) {
    const report = parseJsonOutput(readFileSync(evalOut, 'utf8'));
    if (typeof report.policy === 'string') policy = report.policy;
    for (const [key, value] of Object.entries(report)) {
      // seed and episode count are inputs, not results
      if (key === 'seed' || key === 'episodes') continue;
      flatten(value, key, metrics);
    }
  }
  const selected: Record<string, number> = {};
  for (const [name, value] of Object.entries(metrics)) if (metricSelected(name, selection)) selected[name] = value;
  return { metrics: selected, ...(policy !== undefined ? { policy } : {}) };
}

/** The JSON object a `--json` command printed (the whole output, or its last JSON line). */
export function parseJsonOutput(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  const candidates = [trimmed, ...trimmed.split('\n').reverse().map((l) => l.trim()).filter((l) => l.startsWith('{'))];
  for (const candidate of candidates) {
    try {
      const value = JSON.parse(candidate) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`eval printed no JSON object (${trimmed.length === 0 ? 'empty output' : JSON.stringify(trimmed.slice(0, 60))})`);
}

function flatten(value: unknown, prefix: string, out: Record<string, number>): void {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) out[prefix] = value;
    return;
  }
  if (typeof value === 'boolean') {
    out[prefix] = value ? 1 : 0;
    return;
  }
  // Lists (distributions such as rCdf, time series) are not per-run scalars: they stay in the
  // step's output file and are left out of the index.
  if (Array.isArray(value)) return;
  if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) flatten(v, `${prefix}.${key}`, out);
  }
}

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { writeFileAtomic, writeJsonAtomic } from '../util/index.js';
import { canonicalJson } from './run-id.js';
import { RUN_FILES, type PlannedRun, type SweepRunSpec, type RunStep, type SweepPlan } from './plan.js';

/**
 * The on-disk state of a sweep. The run folders are the source of truth: each holds its config,
 * status, logs and metrics, so that any executor (local pool, Slurm task, a later re-run) can
 * pick up where another stopped, and the results index can always be rebuilt from them.
 *
 * The run locks below are ours rather than proper-lockfile (4.1.2): a
 * lock here must say who holds it across hosts (host, pid, Slurm job id, the step's process
 * group), so that a lock left by a crashed worker or a cancelled Slurm task is taken over and its
 * leftover step killed; proper-lockfile only knows mtime staleness.
 *
 *   <sweep-dir>/sweep.json           the plan (spec and run ids)
 *   <sweep-dir>/runs/<id>/config.json, scenario.yaml, repro.sh, status.json, metrics.json,
 *                          <step>.stdout, <step>.log, train/ (when the sweep trains)
 */
export type RunState = 'pending' | 'running' | 'done' | 'failed';

export interface RunStatus {
  state: RunState;
  /** Finished attempts (failed or done); an attempt cut short by a stop or a crash of the executor is not counted. */
  attempts: number;
  /** The last failure, one line. */
  error?: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  host?: string;
  pid?: number;
  executor?: 'local' | 'slurm';
  slurmJobId?: string;
}

/** config.json of a run. */
export interface RunRecord {
  id: string;
  sweep: string;
  index: number;
  point: Record<string, unknown>;
  seed: number;
  /** The hashed part: the run id is runId(config). */
  config: SweepRunSpec;
  steps: RunStep[];
  /** Metric selection of the sweep (not part of the id: it only filters what is collected). */
  metrics: string[];
}

export interface SweepRecord {
  name: string;
  description: string;
  params: string[];
  seeds: number[];
  runs: Array<{ id: string; index: number; point: Record<string, unknown>; seed: number }>;
  createdAt: string;
}

export const SWEEP_FILE = 'sweep.json';
export const RUNS_DIR = 'runs';

export function runDirOf(sweepDir: string, id: string): string {
  return join(resolve(sweepDir), RUNS_DIR, id);
}

/**
 * Creates the sweep folder and every run folder that is missing (config, scenario, repro.sh and
 * a pending status); existing run folders are left as they are, so finished runs stay finished.
 */
export function materializeSweep(sweepDir: string, plan: SweepPlan, ns3tsCommand: readonly string[]): void {
  const dir = resolve(sweepDir);
  mkdirSync(join(dir, RUNS_DIR), { recursive: true });
  const record: SweepRecord = {
    name: plan.spec.name,
    description: plan.spec.description,
    params: plan.params,
    seeds: plan.spec.seeds,
    runs: plan.runs.map((r) => ({ id: r.id, index: r.index, point: r.point, seed: r.seed })),
    createdAt: new Date().toISOString(),
  };
  const previous = readSweepRecord(dir);
  if (previous) record.createdAt = previous.createdAt;
  if (!previous || canonicalJson({ ...previous, createdAt: '' }) !== canonicalJson({ ...record, createdAt: '' })) {
    writeJsonAtomic(join(dir, SWEEP_FILE), record);
  }
  for (const run of plan.runs) materializeRun(runDirOf(dir, run.id), run, plan.spec.name, plan.spec.metrics, ns3tsCommand);
}

/** Creates one run folder (config, scenario, repro.sh, pending status) unless it exists; a study adds its trials' runs this way. */
export function materializeRun(runDir: string, run: PlannedRun, sweep: string, metrics: string[], ns3tsCommand: readonly string[]): void {
  mkdirSync(runDir, { recursive: true });
  const configPath = join(runDir, RUN_FILES.config);
  if (!existsSync(configPath)) {
    const record: RunRecord = { id: run.id, sweep, index: run.index, point: run.point, seed: run.seed, config: run.config, steps: run.steps, metrics };
    writeFileAtomic(join(runDir, RUN_FILES.scenario), stringifyYaml(run.config.scenario, { lineWidth: 0 }));
    writeFileAtomic(join(runDir, RUN_FILES.repro), reproScript(run, ns3tsCommand));
    writeJsonAtomic(configPath, record);
  }
  if (!existsSync(join(runDir, RUN_FILES.status))) writeStatus(runDir, { state: 'pending', attempts: 0, updatedAt: new Date().toISOString() });
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** repro.sh: the exact commands of the run, runnable from anywhere (it changes to its folder). */
export function reproScript(run: Pick<PlannedRun, 'id' | 'steps'>, ns3tsCommand: readonly string[]): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# Repeats run ${run.id} of this sweep: the same resolved scenario (scenario.yaml), seed and`,
    '# commands. Set NS3TS to another ns3ts command line to run it with another installation.',
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    `NS3TS=\${NS3TS:-${shellQuote(ns3tsCommand.map(shellQuote).join(' '))}}`,
  ];
  for (const step of run.steps) {
    // A repeated training starts from scratch, as the sweep's own attempts do.
    if (step.name === 'train') lines.push(`rm -rf ${RUN_FILES.trainDir}`);
    lines.push(`$NS3TS ${step.args.map(shellQuote).join(' ')} > ${step.name}.stdout`);
  }
  return `${lines.join('\n')}\n`;
}

export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readSweepRecord(sweepDir: string): SweepRecord | undefined {
  return readJsonFile<SweepRecord>(join(sweepDir, SWEEP_FILE));
}

export function readRunRecord(runDir: string): RunRecord | undefined {
  return readJsonFile<RunRecord>(join(runDir, RUN_FILES.config));
}

export function readStatus(runDir: string): RunStatus {
  return readJsonFile<RunStatus>(join(runDir, RUN_FILES.status)) ?? { state: 'pending', attempts: 0, updatedAt: '' };
}

export function writeStatus(runDir: string, status: RunStatus): void {
  writeJsonAtomic(join(runDir, RUN_FILES.status), status);
}

/** Every run folder of a sweep (whatever sweep.json says: folders are the truth). */
export function listRunDirs(sweepDir: string): string[] {
  const dir = join(resolve(sweepDir), RUNS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, RUN_FILES.config)))
    .map((e) => join(dir, e.name))
    .sort();
}

// ---------------------------------------------------------------------------------------------
// Locks: one holder per run, so that two workers (local or Slurm tasks) never run the same one.

export interface LockInfo {
  host: string;
  pid: number;
  slurmJobId?: string;
  /** The process group of the step being run (killed when a stale lock is taken over). */
  childPid?: number;
  since: string;
}

export interface RunLock {
  readonly runDir: string;
  /** Records the running step's pid in the lock (for cleanup after a crash of this process). */
  setChild(pid: number | undefined): void;
  release(): void;
}

function currentSlurmJob(): string | undefined {
  const array = process.env.SLURM_ARRAY_JOB_ID;
  const task = process.env.SLURM_ARRAY_TASK_ID;
  if (array && task) return `${array}_${task}`;
  return process.env.SLURM_JOB_ID;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock's holder is gone: its process is dead (same host) or its Slurm job has left the queue. */
export type LivenessCheck = (info: LockInfo) => boolean;

export const defaultLiveness: LivenessCheck = (info) => {
  if (info.host === hostname()) return processAlive(info.pid);
  // Another node: only Slurm can tell whether the holder still exists; without a job id, trust it.
  if (info.slurmJobId) return slurmJobAlive(info.slurmJobId);
  return true;
};

let squeueCheck: ((jobId: string) => boolean) | undefined;
/** Set by the Slurm executor (avoids importing child_process work here). */
export function setSlurmJobCheck(check: (jobId: string) => boolean): void {
  squeueCheck = check;
}
function slurmJobAlive(jobId: string): boolean {
  return squeueCheck ? squeueCheck(jobId) : true;
}

/**
 * Takes the run's lock, or returns undefined when a live holder has it. A stale lock (holder
 * dead) is taken over: renamed away first, so that of two workers racing for it only one wins;
 * a step the dead holder left running on this host is killed.
 */
export function acquireRunLock(runDir: string, alive: LivenessCheck = defaultLiveness): RunLock | undefined {
  const path = join(runDir, RUN_FILES.lock);
  for (let attempt = 0; attempt < 3; attempt++) {
    const info: LockInfo = { host: hostname(), pid: process.pid, slurmJobId: currentSlurmJob(), since: new Date().toISOString() };
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readJsonFile<LockInfo>(path);
      if (holder === undefined) {
        // Being written right now by its creator (or an empty file left by a crash at that very
        // moment): treat as held unless it is old.
        if (!lockIsOld(path)) return undefined;
      } else if (alive(holder)) {
        return undefined;
      }
      const aside = `${path}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(path, aside);
      } catch {
        continue; // someone else took it over first
      }
      if (holder) killLeftoverStep(holder, runDir);
      try {
        unlinkSync(aside);
      } catch {
        // already gone
      }
      continue;
    }
    writeSync(fd, JSON.stringify(info));
    closeSync(fd);
    let released = false;
    return {
      runDir,
      setChild(pid) {
        if (released) return;
        writeFileAtomic(path, JSON.stringify({ ...info, childPid: pid }));
      },
      release() {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      },
    };
  }
  return undefined;
}

/**
 * Removes a stale lock (its holder gone) from a run folder, as a takeover and release would; a
 * live holder's lock stays. A finished run can keep one: its worker died between writing the
 * status and releasing the lock, and finished runs are not attempted again, so nothing else
 * would take it over.
 */
export function clearStaleLock(runDir: string, alive: LivenessCheck = defaultLiveness): void {
  if (!existsSync(join(runDir, RUN_FILES.lock))) return;
  acquireRunLock(runDir, alive)?.release();
}

function lockIsOld(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 60_000;
  } catch {
    return true;
  }
}

/** Kills the process group of a step whose executor died, if it still runs in this run folder. */
function killLeftoverStep(holder: LockInfo, runDir: string): void {
  const pid = holder.childPid;
  if (!pid || holder.host !== hostname() || !processAlive(pid)) return;
  try {
    // Only if it is really that step (pids are reused): its working directory is the run folder.
    if (resolve(readlinkSync(`/proc/${pid}/cwd`)) !== resolve(runDir)) return;
  } catch {
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

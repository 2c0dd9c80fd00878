import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { RUN_FILES } from './plan.js';
import {
  acquireRunLock,
  defaultLiveness,
  readSweepRecord,
  RUNS_DIR,
  writeStatus,
  type LivenessCheck,
  type RunRecord,
  type RunState,
  type RunStatus,
  type SweepRecord,
} from './run-store.js';

/** A run's results as the sweep keeps them (metrics.json). */
export interface RunMetrics {
  metrics: Record<string, number>;
  /** The policy the eval step reported (e.g. baseline:static). */
  policy?: string;
}

/**
 * What a sweep's run folders really hold, as opposed to what their status.json claims. `results`
 * and `status` both read runs through here, so they agree on every run, and each run is in
 * exactly one condition:
 *
 *   pending, running, done, failed   as status.json says, once checked:
 *   done      only when metrics.json reads back as results;
 *   running   only while its owner lives (same host: its pid; Slurm: its job, when known);
 *   orphaned  status says running, but the process that ran it is gone (killed sweep);
 *   broken    config.json or status.json unreadable, an unknown state, a done run without
 *             readable results, or a run of sweep.json whose folder is missing.
 *
 * Re-running the sweep (prepareSweep) repairs broken runs: they are made pending again and run.
 */
export type RunCondition = RunState | 'orphaned' | 'broken';

/** Run counts: the four states always, `orphaned` and `broken` when there are any. */
export type RunCounts = Record<RunState, number> & Partial<Record<'orphaned' | 'broken', number>>;

export interface RunInspection {
  /** The run id (the folder name). */
  runId: string;
  runDir: string;
  condition: RunCondition;
  /** Why a run is broken or orphaned, one line. */
  problem?: string;
  /** config.json, when it reads back. */
  record?: RunRecord;
  /** status.json, when it reads back (absent = a pending run just created). */
  status?: RunStatus;
  /** metrics.json of a done run. */
  metrics?: RunMetrics;
}

const STATES: readonly RunState[] = ['pending', 'running', 'done', 'failed'];

type Read<T> = { ok: true; value: T } | { ok: false; why: string };

function readJson(path: string, name: string): Read<unknown> {
  if (!existsSync(path)) return { ok: false, why: `${name} missing` };
  try {
    return { ok: true, value: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (err) {
    return { ok: false, why: `${name} unreadable (${(err as Error).message.split('\n')[0]})` };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkRecord(value: unknown, runId: string): Read<RunRecord> {
  const r = value as Record<string, unknown>;
  if (!isObject(value) || typeof r.id !== 'string' || !Number.isInteger(r.index) || !Number.isInteger(r.seed) || !isObject(r.point) || !isObject(r.config) || !Array.isArray(r.steps)) {
    return { ok: false, why: `${RUN_FILES.config} is not a run record` };
  }
  if (r.id !== runId) return { ok: false, why: `${RUN_FILES.config} names run ${JSON.stringify(r.id)}, not this folder` };
  return { ok: true, value: value as unknown as RunRecord };
}

/** metrics.json as results: { metrics: { name: finite number }, policy?: string }. */
export function checkRunMetrics(value: unknown): Read<RunMetrics> {
  if (!isObject(value) || !isObject(value.metrics)) return { ok: false, why: `${RUN_FILES.metrics} has no metrics object` };
  for (const [name, v] of Object.entries(value.metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, why: `${RUN_FILES.metrics}: metric ${JSON.stringify(name)} is not a finite number` };
  }
  if (value.policy !== undefined && typeof value.policy !== 'string') return { ok: false, why: `${RUN_FILES.metrics}: policy is not a string` };
  return { ok: true, value: value as unknown as RunMetrics };
}

/** Reads metrics.json back as results, or says why it cannot. */
export function readRunMetrics(runDir: string): Read<RunMetrics> {
  const raw = readJson(join(runDir, RUN_FILES.metrics), RUN_FILES.metrics);
  return raw.ok ? checkRunMetrics(raw.value) : raw;
}

/** The condition of one run folder (see RunCondition). */
export function inspectRun(runDir: string, liveness: LivenessCheck = defaultLiveness): RunInspection {
  const runId = runDir.split('/').pop()!;
  const base = { runId, runDir };
  if (!existsSync(runDir)) return { ...base, condition: 'broken', problem: 'run folder missing' };
  const rawRecord = readJson(join(runDir, RUN_FILES.config), RUN_FILES.config);
  const record = rawRecord.ok ? checkRecord(rawRecord.value, runId) : rawRecord;
  if (!record.ok) return { ...base, condition: 'broken', problem: record.why };
  const withRecord = { ...base, record: record.value };
  const statusPath = join(runDir, RUN_FILES.status);
  if (!existsSync(statusPath)) return { ...withRecord, condition: 'pending' };
  const rawStatus = readJson(statusPath, RUN_FILES.status);
  if (!rawStatus.ok) return { ...withRecord, condition: 'broken', problem: rawStatus.why };
  const status = rawStatus.value as RunStatus;
  if (!isObject(status) || !STATES.includes(status.state)) {
    return { ...withRecord, condition: 'broken', problem: `unknown state ${JSON.stringify(isObject(status) ? status.state : status)} in ${RUN_FILES.status}` };
  }
  const withStatus = { ...withRecord, status };
  if (status.state === 'done') {
    const metrics = readRunMetrics(runDir);
    if (!metrics.ok) return { ...withStatus, condition: 'broken', problem: `done, but ${metrics.why}` };
    return { ...withStatus, condition: 'done', metrics: metrics.value };
  }
  if (status.state === 'running' && typeof status.pid === 'number' && status.host) {
    const owner = { host: status.host, pid: status.pid, since: status.startedAt ?? '', ...(status.slurmJobId ? { slurmJobId: status.slurmJobId } : {}) };
    if (!liveness(owner)) {
      const who = status.slurmJobId && status.host !== hostname() ? `Slurm job ${status.slurmJobId}` : `process ${status.pid} on ${status.host}`;
      return { ...withStatus, condition: 'orphaned', problem: `status says running, but its ${who} is gone` };
    }
  }
  return { ...withStatus, condition: status.state };
}

export interface SweepInspection {
  sweep: SweepRecord | undefined;
  /** The runs of the sweep's current version (every run of sweep.json, or every folder without one). */
  runs: RunInspection[];
  /** Folders of runs not in the current sweep.json (an earlier grid or seeds). */
  stale: number;
}

/** Every run of a sweep folder, each in one condition. */
export function inspectSweep(sweepDir: string, liveness: LivenessCheck = defaultLiveness): SweepInspection {
  const dir = resolve(sweepDir);
  const runsDir = join(dir, RUNS_DIR);
  const folders = existsSync(runsDir) ? readdirSync(runsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];
  const sweep = readSweepRecord(dir);
  const current = sweep && Array.isArray(sweep.runs) ? sweep.runs.map((r) => r.id) : undefined;
  const ids = current ?? folders.filter((name) => existsSync(join(runsDir, name, RUN_FILES.config)));
  const listed = new Set(ids);
  const stale = current ? folders.filter((name) => !listed.has(name) && existsSync(join(runsDir, name, RUN_FILES.config))).length : 0;
  return { sweep, runs: ids.map((id) => inspectRun(join(runsDir, id), liveness)), stale };
}

export function countConditions(runs: readonly RunInspection[]): RunCounts {
  const counts: RunCounts = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const run of runs) counts[run.condition] = (counts[run.condition] ?? 0) + 1;
  return counts;
}

/** " 2 orphaned, 1 broken" parts of a counts line (empty when there are none). */
export function problemCounts(counts: RunCounts): string {
  return `${counts.orphaned ? `, ${counts.orphaned} orphaned` : ''}${counts.broken ? `, ${counts.broken} broken` : ''}`;
}

/** One line per broken or orphaned run (at most `limit`), for status and results footers. */
export function problemLines(runs: readonly RunInspection[], limit = 10): string[] {
  const problems = runs.filter((r) => r.condition === 'broken' || r.condition === 'orphaned');
  const lines = problems.slice(0, limit).map((r) => `  ${r.condition} ${r.runId}: ${r.problem ?? ''}`);
  if (problems.length > limit) lines.push(`  ... ${problems.length - limit} more broken or orphaned runs`);
  return lines;
}

/**
 * Makes the broken runs among `runDirs` runnable again (a re-run of the sweep calls this before
 * recreating missing files): an unreadable config.json or status.json is removed (the sweep
 * writes them anew), a done run without readable results goes back to pending. Runs another live
 * worker holds are left alone. Returns the repaired run folders.
 */
export function repairBrokenRuns(runDirs: readonly string[], liveness: LivenessCheck = defaultLiveness): string[] {
  const repaired: string[] = [];
  for (const runDir of runDirs) {
    if (!existsSync(runDir)) continue;
    if (inspectRun(runDir, liveness).condition !== 'broken') continue;
    const lock = acquireRunLock(runDir, liveness);
    if (!lock) continue;
    try {
      const run = inspectRun(runDir, liveness);
      if (run.condition !== 'broken') continue;
      if (!run.record) {
        rmSync(join(runDir, RUN_FILES.config), { force: true });
        rmSync(join(runDir, RUN_FILES.status), { force: true });
      } else if (!run.status) {
        rmSync(join(runDir, RUN_FILES.status), { force: true });
      } else {
        const { finishedAt: _f, durationSeconds: _d, ...rest } = run.status;
        writeStatus(runDir, { ...rest, state: 'pending', error: `repaired: ${run.problem ?? 'broken'}`, updatedAt: new Date().toISOString() });
      }
      repaired.push(runDir);
    } finally {
      lock.release();
    }
  }
  return repaired;
}

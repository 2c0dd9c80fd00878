import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, checkOutputDir, writeFileAtomic } from '../util/index.js';
import { ns3tsCommandLine } from './execute.js';
import { runLocalPool, type LocalPoolOptions, type PoolSummary } from './local.js';
import { planSweep, type SweepPlan } from './plan.js';
import {
  acquireRunLock,
  clearStaleLock,
  materializeSweep,
  readStatus,
  readSweepRecord,
  runDirOf,
  setSlurmJobCheck,
  writeStatus,
} from './run-store.js';
import { countConditions, inspectSweep, problemCounts, repairBrokenRuns, type RunCounts, type RunInspection } from './integrity.js';
import { loadSweepFile } from './schema.js';
import { readSubmissions, slurmJobAlive, squeueJobs, submitSlurmArrays, waitForJobs, type QueueEntry, type SlurmOptions, type Submission } from './slurm.js';

export interface PreparedSweep {
  plan: SweepPlan;
  sweepDir: string;
  runDirs: string[];
}

/**
 * Loads a sweep file, expands it and creates the sweep folder with a folder per run (existing
 * run folders are kept as they are). `retryFailed` gives runs that failed for good a new set of
 * attempts.
 */
export function prepareSweep(file: string, options: { out?: string; retryFailed?: boolean } = {}): PreparedSweep {
  const spec = loadSweepFile(file);
  const plan = planSweep(spec);
  const sweepDir = checkOutputDir(options.out ?? join('sweeps', spec.name), '--out');
  // Broken runs (unreadable files, done without results) are made runnable again first, and the
  // locks of dead workers are cleared.
  const runDirs = plan.runs.map((r) => runDirOf(sweepDir, r.id));
  repairBrokenRuns(runDirs);
  for (const dir of runDirs) clearStaleLock(dir);
  materializeSweep(sweepDir, plan, ns3tsCommandLine());
  // The sweep file as it was run, for reference.
  writeFileAtomic(join(sweepDir, 'sweep.yaml'), readFileSync(resolve(file)));
  if (options.retryFailed) for (const dir of runDirs) resetFailed(dir);
  return { plan, sweepDir, runDirs };
}

function resetFailed(runDir: string): void {
  if (readStatus(runDir).state !== 'failed') return;
  const lock = acquireRunLock(runDir);
  if (!lock) return;
  try {
    const status = readStatus(runDir);
    if (status.state === 'failed') writeStatus(runDir, { ...status, state: 'pending', attempts: 0, updatedAt: new Date().toISOString() });
  } finally {
    lock.release();
  }
}

/** Runs whose status is not final (done, or failed with no attempts left). */
export function missingRuns(runDirs: readonly string[], maxAttempts: number): string[] {
  return runDirs.filter((dir) => {
    const s = readStatus(dir);
    return !(s.state === 'done' || (s.state === 'failed' && s.attempts >= maxAttempts));
  });
}

export async function runSweepLocal(prepared: PreparedSweep, options: Omit<LocalPoolOptions, 'label'>): Promise<PoolSummary> {
  return runLocalPool(prepared.runDirs, { ...options, label: prepared.plan.spec.name });
}

export interface SlurmSweepOptions extends SlurmOptions {
  wait?: boolean;
  pollSeconds?: number;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  onPoll?: (status: SweepStatus) => void;
}

/**
 * Submits one job array for the runs still missing (several only beyond the cluster's
 * MaxArraySize); with `wait`, waits until they have left the queue.
 */
export async function runSweepSlurm(prepared: PreparedSweep, options: SlurmSweepOptions): Promise<{ submissions: Submission[]; missing: number }> {
  const missing = missingRuns(prepared.runDirs, options.maxAttempts).filter((dir) => {
    // Runs a live worker is running right now (e.g. a task of an earlier array) are not resubmitted.
    return readStatus(dir).state !== 'running' || staleRunning(dir);
  });
  const submissions = submitSlurmArrays(
    prepared.sweepDir,
    missing.map((runDir) => ({ id: runDir.split('/').pop()!, runDir })),
    { ...options, jobName: options.jobName ?? `ns3ts-${prepared.plan.spec.name}` },
  );
  if (submissions.length > 0 && options.wait) {
    await waitForJobs(submissions.map((s) => s.jobId), {
      ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
      ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onPoll: () => options.onPoll?.(sweepStatus(prepared.sweepDir, { squeue: false })),
    });
  }
  return { submissions, missing: missing.length };
}

function staleRunning(runDir: string): boolean {
  setSlurmJobCheck(slurmJobAlive);
  const lock = acquireRunLock(runDir);
  if (!lock) return false;
  lock.release();
  return true;
}

export interface SweepStatus {
  sweepDir: string;
  name: string;
  total: number;
  /** Every run in one condition: pending, running, done, failed, and orphaned / broken when there are any. */
  counts: RunCounts;
  failures: Array<{ runId: string; error: string }>;
  /** Broken and orphaned runs with the reason. */
  problems: Array<{ runId: string; condition: 'broken' | 'orphaned'; problem: string }>;
  /** Queue entries of this sweep's Slurm submissions (when asked for and Slurm is there). */
  queue: QueueEntry[];
  submissions: Submission[];
  queueError?: string;
}

/** Progress of a sweep from its run folders, plus its Slurm jobs still in the queue. */
export function sweepStatus(sweepDir: string, options: { squeue?: boolean } = {}): SweepStatus {
  const dir = resolve(sweepDir);
  // Runs of Slurm tasks on other nodes are alive while their job is in the queue.
  if (options.squeue !== false) setSlurmJobCheck(slurmJobAlive);
  const { sweep: record, runs } = inspectSweep(dir);
  if (!record && runs.length === 0) throw new InputError('sweep-dir', sweepDir, 'a sweep folder (with sweep.json and runs/)');
  const counts = countConditions(runs);
  const failures = runs.filter((r) => r.condition === 'failed').map((r) => ({ runId: r.runId, error: r.status?.error ?? '' }));
  const problems = runs
    .filter((r): r is RunInspection & { condition: 'broken' | 'orphaned' } => r.condition === 'broken' || r.condition === 'orphaned')
    .map((r) => ({ runId: r.runId, condition: r.condition, problem: r.problem ?? '' }));
  const submissions = readSubmissions(dir);
  let queue: QueueEntry[] = [];
  let queueError: string | undefined;
  if (options.squeue !== false && submissions.length > 0) {
    try {
      queue = squeueJobs(submissions.map((s) => s.jobId));
    } catch (err) {
      queueError = (err as Error).message;
    }
  }
  return {
    sweepDir: dir,
    name: record?.name ?? dir.split('/').pop()!,
    total: runs.length,
    counts,
    failures,
    problems,
    queue,
    submissions,
    ...(queueError ? { queueError } : {}),
  };
}

export function formatStatus(status: SweepStatus): string {
  const c = status.counts;
  const lines = [
    `sweep ${status.name} (${status.sweepDir})`,
    `runs: ${status.total} — ${c.done} done, ${c.running} running, ${c.pending} pending, ${c.failed} failed${problemCounts(c)}`,
  ];
  for (const p of status.problems.slice(0, 10)) lines.push(`  ${p.condition} ${p.runId}: ${p.problem}`);
  if (status.problems.length > 10) lines.push(`  ... ${status.problems.length - 10} more broken or orphaned runs`);
  for (const f of status.failures.slice(0, 10)) lines.push(`  failed ${f.runId}: ${f.error}`);
  if (status.failures.length > 10) lines.push(`  ... ${status.failures.length - 10} more failed runs`);
  if (status.submissions.length > 0) {
    const last = status.submissions[status.submissions.length - 1]!;
    lines.push(`slurm: ${status.submissions.length} submission(s), last job ${last.jobId} (${last.tasks} tasks, ${last.submittedAt})`);
    if (status.queueError) lines.push(`  squeue: ${status.queueError}`);
    else if (status.queue.length === 0) lines.push('  nothing of this sweep in the queue');
    else {
      const byState = new Map<string, number>();
      for (const q of status.queue) byState.set(q.state, (byState.get(q.state) ?? 0) + 1);
      lines.push(`  queue: ${[...byState].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

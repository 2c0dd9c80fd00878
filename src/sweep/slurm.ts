import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, Ns3tsError, checkScriptPath, checkSlurmValues, runSlurm, shellQuote, squeueJobs, writeFileAtomic, type QueueEntry } from '../util/index.js';
import { attemptRun, ns3tsCommandLine, type AttemptOutcome } from './execute.js';
import { readStatus, setSlurmJobCheck } from './run-store.js';

/**
 * Slurm execution: one job array per submission, one array task per run still missing. Each task
 * runs `ns3ts sweep run-task <manifest> <index>`, which executes that manifest row's run folder
 * exactly as the local pool does (same lock, status, retries, metrics), so results are collected
 * the same way. Assumes the sweep folder is on a filesystem every node sees under the same path,
 * and that nodes have Node.js (and ns-3 for ns-3 scenarios) and this checkout at the same path.
 */
export interface SlurmOptions {
  partition?: string;
  /** Time limit per task, Slurm format (e.g. 00:30:00). */
  time?: string;
  cpusPerTask?: number;
  /** At most this many tasks at once (`%N` of --array). */
  maxParallel?: number;
  /** Attempts in all per run, made inside the task. */
  maxAttempts: number;
  jobName?: string;
  /** Further sbatch arguments (e.g. --account=x). */
  extraArgs?: string[];
  /** The cluster's MaxArraySize (default: asked from `scontrol show config`). */
  maxArraySize?: number;
}

export interface ManifestRow {
  index: number;
  runId: string;
  /** Absolute path of the run folder (the same on every node). */
  runDir: string;
}

export interface Submission {
  jobId: string;
  manifest: string;
  script: string;
  tasks: number;
  submittedAt: string;
}

export const SLURM_DIR = 'slurm';
export const SUBMISSIONS_FILE = 'submissions.jsonl';

/** The manifest: one JSON row per line; a task's index is its line number. */
export function writeManifest(path: string, rows: readonly ManifestRow[]): void {
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function readManifestRow(path: string, index: number): ManifestRow {
  if (!existsSync(path)) throw new InputError('manifest', path, 'an existing manifest file (written by ns3ts sweep --executor slurm)');
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (!Number.isInteger(index) || index < 0 || index >= lines.length) {
    throw new InputError('index', index, `a task index 0..${lines.length - 1} of ${path}`);
  }
  return JSON.parse(lines[index]!) as ManifestRow;
}

/** The generated batch script of a job array over a manifest. */
export function batchScript(options: SlurmOptions & { manifest: string; tasks: number; logDir: string }): string {
  checkSlurmValues(options);
  checkScriptPath('slurm log folder', options.logDir);
  checkScriptPath('manifest', options.manifest);
  const ns3ts = ns3tsCommandLine();
  const throttle = options.maxParallel ? `%${options.maxParallel}` : '';
  const lines = [
    '#!/usr/bin/env bash',
    `#SBATCH --job-name=${options.jobName ?? 'ns3ts-sweep'}`,
    `#SBATCH --array=0-${options.tasks - 1}${throttle}`,
    `#SBATCH --output=${join(options.logDir, 'task-%A_%a.out')}`,
    `#SBATCH --cpus-per-task=${options.cpusPerTask ?? 1}`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.time ? [`#SBATCH --time=${options.time}`] : []),
    '# One task per manifest row: runs that row\'s run folder (see `ns3ts sweep run-task --help`).',
    'set -euo pipefail',
    `exec ${ns3ts.map(shellQuote).join(' ')} sweep run-task ${shellQuote(options.manifest)} "$SLURM_ARRAY_TASK_ID" --retries ${options.maxAttempts - 1}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The cluster's MaxArraySize (array indices must stay below it); Slurm's default when unknown. */
export function maxArraySize(): number {
  try {
    const match = /^MaxArraySize\s*=\s*(\d+)/m.exec(runSlurm('scontrol', ['show', 'config']));
    if (match) return Number(match[1]);
  } catch {
    // fall through to Slurm's default
  }
  return 1001;
}

/**
 * Submits the given runs (callers pass only the runs still missing) as one job array, or, when
 * there are more runs than the cluster's MaxArraySize allows, as one array per chunk. Returns the
 * submissions (none when there is nothing to run).
 */
export function submitSlurmArrays(sweepDir: string, runs: ReadonlyArray<{ id: string; runDir: string }>, options: SlurmOptions): Submission[] {
  // Checked before any folder or manifest is written.
  checkSlurmValues(options);
  checkScriptPath('sweep folder', resolve(sweepDir));
  if (runs.length === 0) return [];
  const chunk = Math.max(1, (options.maxArraySize ?? maxArraySize()) - 1);
  const submissions: Submission[] = [];
  for (let start = 0; start < runs.length; start += chunk) {
    submissions.push(submitSlurmArray(sweepDir, runs.slice(start, start + chunk), options, submissions.length));
  }
  return submissions;
}

/** Submits one job array over the given runs. */
export function submitSlurmArray(sweepDir: string, runs: ReadonlyArray<{ id: string; runDir: string }>, options: SlurmOptions, part = 0): Submission {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  let dir = join(resolve(sweepDir), SLURM_DIR, part > 0 ? `${stamp}-${part}` : stamp);
  for (let k = 2; existsSync(dir); k++) dir = join(resolve(sweepDir), SLURM_DIR, `${stamp}-${part}-${k}`);
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'manifest.jsonl');
  writeManifest(manifest, runs.map((r, index) => ({ index, runId: r.id, runDir: resolve(r.runDir) })));
  const script = join(dir, 'array.sh');
  writeFileAtomic(script, batchScript({ ...options, manifest, tasks: runs.length, logDir: dir }));
  const args = ['--parsable', `--chdir=${dir}`, ...(options.extraArgs ?? []), script];
  const out = runSlurm('sbatch', args).trim();
  const jobId = out.split(';')[0]!.trim();
  if (!/^\d+$/.test(jobId)) throw new Ns3tsError(`sbatch printed ${JSON.stringify(out)}, expected a job id`);
  const submission: Submission = { jobId, manifest, script, tasks: runs.length, submittedAt: new Date().toISOString() };
  appendFileSync(join(resolve(sweepDir), SLURM_DIR, SUBMISSIONS_FILE), `${JSON.stringify(submission)}\n`);
  return submission;
}

export function readSubmissions(sweepDir: string): Submission[] {
  const path = join(resolve(sweepDir), SLURM_DIR, SUBMISSIONS_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Submission);
}

export { squeueJobs, type QueueEntry };

/** Whether a Slurm job (or array task "123_4") is still queued or running. */
export function slurmJobAlive(jobId: string): boolean {
  try {
    return squeueJobs([jobId]).length > 0;
  } catch {
    return true; // cannot tell: do not take its lock
  }
}

/** Waits until none of the jobs is queued any more; calls `onPoll` with the queue between polls. */
export async function waitForJobs(jobIds: readonly string[], options: { pollSeconds?: number; timeoutSeconds?: number; signal?: AbortSignal; onPoll?: (queue: QueueEntry[]) => void } = {}): Promise<void> {
  const deadline = options.timeoutSeconds ? Date.now() + options.timeoutSeconds * 1000 : Infinity;
  for (;;) {
    const queue = squeueJobs(jobIds);
    options.onPoll?.(queue);
    if (queue.length === 0) return;
    if (options.signal?.aborted) throw new Ns3tsError(`stopped waiting for Slurm job(s) ${jobIds.join(', ')} (they keep running; see ns3ts sweep status)`);
    if (Date.now() > deadline) throw new Ns3tsError(`Slurm job(s) ${jobIds.join(', ')} still queued after ${options.timeoutSeconds}s`);
    await new Promise((r) => setTimeout(r, (options.pollSeconds ?? 2) * 1000));
  }
}

/**
 * The body of an array task: runs one manifest row with up to `maxAttempts` attempts. Another
 * live holder of the run, or a run already done, makes the task a no-op.
 */
export async function runTask(manifest: string, index: number, maxAttempts: number, signal?: AbortSignal): Promise<{ row: ManifestRow; outcome: AttemptOutcome }> {
  setSlurmJobCheck(slurmJobAlive);
  const row = readManifestRow(manifest, index);
  let outcome: AttemptOutcome = 'retry';
  while (outcome === 'retry') {
    outcome = await attemptRun(row.runDir, { maxAttempts, executor: 'slurm', ...(signal ? { signal } : {}) });
  }
  if (outcome === 'skipped' && readStatus(row.runDir).state === 'failed') outcome = 'failed';
  return { row, outcome };
}

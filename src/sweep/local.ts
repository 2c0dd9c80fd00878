// The worker pool is ours rather than p-limit (7.x, Node >= 20): the pool is not just a
// concurrency cap but a retry queue (a failed attempt goes to the back until its attempts are
// used), with per-run locks that skip runs held by another worker, and a stop that returns the
// running runs to pending. p-limit would cap concurrency and leave all of that to us.
import { ProgressBar } from '../util/index.js';
import { attemptRun, type AttemptOptions } from './execute.js';
import { readStatus } from './run-store.js';

export interface LocalPoolOptions {
  /** Concurrent runs (each one child process at a time). */
  workers: number;
  /** Attempts in all per run (1 + retries). */
  maxAttempts: number;
  /** Aborting stops the pool: running steps get SIGINT, their runs go back to pending. */
  signal?: AbortSignal;
  progress?: boolean;
  label?: string;
  /** Passed to each attempt (tests: a fake ns3ts command line). */
  attempt?: Partial<Pick<AttemptOptions, 'ns3ts' | 'env' | 'liveness' | 'killAfterSeconds'>>;
}

export interface PoolSummary {
  /** Runs finished by this invocation. */
  done: number;
  /** Runs that were already finished (skipped). */
  alreadyDone: number;
  failed: number;
  /** Attempts that failed and were retried. */
  retried: number;
  /** Runs left pending by a stop. */
  interrupted: number;
  /** Runs held by another live worker (another sweep process or a Slurm task). */
  busy: number;
  seconds: number;
}

/**
 * Runs the given run folders with a pool of `workers` concurrent child processes. Runs already
 * done are skipped; a failed attempt goes to the back of the queue until it has used its attempts;
 * one failing run never stops the others.
 */
export async function runLocalPool(runDirs: readonly string[], options: LocalPoolOptions): Promise<PoolSummary> {
  const started = Date.now();
  const summary: PoolSummary = { done: 0, alreadyDone: 0, failed: 0, retried: 0, interrupted: 0, busy: 0, seconds: 0 };
  const queue: string[] = [];
  for (const dir of runDirs) {
    const status = readStatus(dir);
    if (status.state === 'done') summary.alreadyDone++;
    else if (status.state === 'failed' && status.attempts >= options.maxAttempts) summary.failed++;
    else queue.push(dir);
  }
  const total = queue.length;
  const bar = new ProgressBar({ total, label: options.label ?? 'sweep', enabled: options.progress ?? true });
  let running = 0;
  let finished = 0;
  const draw = (): void => {
    bar.update(finished, `done ${summary.done + summary.alreadyDone} running ${running} failed ${summary.failed}${summary.busy ? ` elsewhere ${summary.busy}` : ''}`);
  };
  draw();
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && !options.signal?.aborted) {
      const dir = queue.shift()!;
      running++;
      draw();
      let outcome;
      try {
        outcome = await attemptRun(dir, {
          maxAttempts: options.maxAttempts,
          executor: 'local',
          ...(options.signal ? { signal: options.signal } : {}),
          ...options.attempt,
        });
      } finally {
        running--;
      }
      switch (outcome) {
        case 'done':
          summary.done++;
          finished++;
          break;
        case 'skipped':
          if (readStatus(dir).state === 'done') summary.alreadyDone++;
          else summary.failed++;
          finished++;
          break;
        case 'failed':
          summary.failed++;
          finished++;
          break;
        case 'retry':
          summary.retried++;
          queue.push(dir);
          break;
        case 'interrupted':
          summary.interrupted++;
          break;
        case 'busy':
          summary.busy++;
          finished++;
          break;
      }
      draw();
    }
  };
  const count = Math.max(1, Math.min(options.workers, queue.length || 1));
  await Promise.all(Array.from({ length: count }, () => worker()));
  summary.interrupted += queue.length;
  summary.seconds = (Date.now() - started) / 1000;
  bar.done(`done ${summary.done + summary.alreadyDone} failed ${summary.failed}${summary.interrupted ? ` stopped ${summary.interrupted}` : ''}`);
  return summary;
}

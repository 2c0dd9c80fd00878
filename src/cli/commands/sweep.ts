import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { InputError, Ns3tsError, log } from '../../util/index.js';
import {
  formatStatus,
  prepareSweep,
  runSweepLocal,
  runSweepSlurm,
  runTask,
  sweepStatus,
  type PreparedSweep,
} from '../../sweep/index.js';
import { abortOnSignals } from '../signals.js';
import { withExecutorOptions, integerOption, parseInteger } from '../options.js';

/** Ctrl-C: running steps get SIGINT, their runs go back to pending, finished results stay. */
const sweepStopWarning = (sig: NodeJS.Signals): string => `sweep: ${sig}: stopping the running steps (again to exit at once)`;

interface SweepOptions {
  out?: string;
  workers: number;
  retries: number;
  retryFailed?: boolean;
  executor: 'local' | 'slurm';
  partition?: string;
  time?: string;
  cpusPerTask: number;
  maxParallel?: number;
  sbatchArg: string[];
  wait?: boolean;
  timeout?: number;
  dryRun?: boolean;
  progress: boolean;
}

function describePlan(prepared: PreparedSweep): string {
  const { plan } = prepared;
  const lines = [`sweep ${plan.spec.name}: ${plan.runs.length} runs (${plan.runs.length / plan.spec.seeds.length} grid points × ${plan.spec.seeds.length} seeds) in ${prepared.sweepDir}`];
  for (const run of plan.runs.slice(0, 50)) {
    const point = Object.entries(run.point).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    lines.push(`  ${run.id}  seed ${run.seed}  ${point}`);
  }
  if (plan.runs.length > 50) lines.push(`  ... ${plan.runs.length - 50} more`);
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('run a scenario sweep (grid × seeds) locally with a worker pool or on Slurm as one job array; finished runs are skipped')
    .argument('[file]', 'sweep file (scenarios/sweeps/*.yaml)')
    .option('-o, --out <dir>', 'sweep folder (run folders, results) (default: "sweeps/<sweep name>")')
    .option('-w, --workers <n>', 'local executor: concurrent runs', integerOption('--workers'), availableParallelism())
    .option('--retries <n>', 'retries of a crashed run before it is marked failed', integerOption('--retries'), 1)
    .option('--retry-failed', 'give runs that failed for good a new set of attempts', false);
  withExecutorOptions(sweep)
    .option('--max-parallel <n>', 'slurm: at most this many runs at once (--array=...%N) (default: no limit)', integerOption('--max-parallel'))
    .option('--wait', 'slurm: wait until the job array has finished', false)
    .option('--timeout <seconds>', 'slurm: with --wait, give up waiting after this long (default: no limit)', integerOption('--timeout'))
    .option('--dry-run', 'validate the sweep file, create the run folders and list the runs without running them', false)
    .option('--no-progress', 'no progress display on stderr')
    .action(async (file: string | undefined, opts: SweepOptions) => {
      if (!file) return sweep.help({ error: true });
      if (opts.workers < 1) throw new InputError('--workers', opts.workers, 'an integer >= 1 (concurrent runs)');
      if (opts.maxParallel === 0) throw new InputError('--max-parallel', 0, 'an integer >= 1 (runs at once)');
      const prepared = prepareSweep(file, { ...(opts.out ? { out: opts.out } : {}), retryFailed: Boolean(opts.retryFailed) });
      if (opts.dryRun) process.stdout.write(describePlan(prepared));
      else if (opts.executor === 'local') await runLocally(prepared, opts);
      else await runOnSlurm(prepared, opts);
    });
  registerRunTask(sweep);
  registerStatus(sweep);
}

/** `ns3ts sweep --executor local`: a worker pool on this machine; exit code 130 when stopped, 1 when a run failed. */
async function runLocally(prepared: PreparedSweep, opts: SweepOptions): Promise<void> {
  const { signal, dispose } = abortOnSignals(sweepStopWarning);
  try {
    const summary = await runSweepLocal(prepared, { workers: Math.max(1, opts.workers), maxAttempts: opts.retries + 1, signal, progress: opts.progress });
    log.info(
      `sweep ${prepared.plan.spec.name}: ${summary.done} run now, ${summary.alreadyDone} already done, ${summary.failed} failed` +
        `${summary.interrupted ? `, ${summary.interrupted} left pending` : ''}${summary.busy ? `, ${summary.busy} held by another worker` : ''} — ${prepared.sweepDir}`,
    );
    if (signal.aborted) process.exitCode = 130;
    else if (summary.failed > 0) process.exitCode = 1;
  } finally {
    dispose();
  }
}

/**
 * `ns3ts sweep --executor slurm`: submits the pending runs as job arrays (their ids on stdout);
 * with --wait, polls until they end and exits 1 unless every run is done.
 */
async function runOnSlurm(prepared: PreparedSweep, opts: SweepOptions): Promise<void> {
  const { signal, dispose } = abortOnSignals(sweepStopWarning);
  let lastLine = '';
  try {
    const result = await runSweepSlurm(prepared, {
      maxAttempts: opts.retries + 1,
      cpusPerTask: opts.cpusPerTask,
      ...(opts.partition ? { partition: opts.partition } : {}),
      ...(opts.time ? { time: opts.time } : {}),
      ...(opts.maxParallel ? { maxParallel: opts.maxParallel } : {}),
      extraArgs: opts.sbatchArg,
      wait: Boolean(opts.wait),
      ...(opts.timeout ? { timeoutSeconds: opts.timeout } : {}),
      signal,
      onPoll: (s) => {
        const line = `sweep ${s.name}: ${s.counts.done}/${s.total} done, ${s.counts.running} running, ${s.counts.failed} failed`;
        // Only when something changed: a long array would otherwise print a line per poll.
        if (opts.progress && line !== lastLine) process.stderr.write(`${line}\n`);
        lastLine = line;
      },
    });
    if (result.submissions.length === 0) {
      log.info(`sweep ${prepared.plan.spec.name}: nothing to run (every run is done or failed for good) — ${prepared.sweepDir}`);
    }
    for (const submission of result.submissions) {
      log.info(`sweep ${prepared.plan.spec.name}: submitted job array ${submission.jobId} with ${submission.tasks} tasks — ${prepared.sweepDir}`);
      process.stdout.write(`${submission.jobId}\n`);
    }
    if (opts.wait) {
      const status = sweepStatus(prepared.sweepDir, { squeue: false });
      process.stderr.write(formatStatus(status));
      if (status.counts.failed > 0 || status.counts.done < status.total) process.exitCode = 1;
    }
  } finally {
    dispose();
  }
}

/** `ns3ts sweep run-task`: what each Slurm job-array task executes. */
function registerRunTask(sweep: Command): void {
  sweep
    .command('run-task')
    .description('run one row of a Slurm manifest (what each job-array task executes)')
    .argument('<manifest>', 'manifest file written by `ns3ts sweep --executor slurm`')
    .argument('[index]', 'row index (default: $SLURM_ARRAY_TASK_ID)')
    .option('--retries <n>', 'retries of a crashed run inside this task', integerOption('--retries'), 1)
    .action(async (manifest: string, indexText: string | undefined, opts: { retries: number }) => {
      const text = indexText ?? process.env.SLURM_ARRAY_TASK_ID;
      if (text === undefined) throw new InputError('index', text, 'a row index, or SLURM_ARRAY_TASK_ID in the environment');
      const index = parseInteger('index', text);
      const { signal, dispose } = abortOnSignals(sweepStopWarning);
      try {
        const { row, outcome } = await runTask(manifest, index, opts.retries + 1, signal);
        log.info(`run ${row.runId}: ${outcome}`);
        if (outcome === 'failed') process.exitCode = 1;
        if (outcome === 'interrupted') throw new Ns3tsError(`run ${row.runId} was stopped; it is pending again`);
      } finally {
        dispose();
      }
    });
}

/** `ns3ts sweep status`. */
function registerStatus(sweep: Command): void {
  sweep
    .command('status')
    .description('progress of a sweep from its run folders, and its Slurm jobs in the queue')
    .argument('<sweep-dir>', 'sweep folder')
    .option('--json', 'print the status as JSON', false)
    .action((dir: string, opts: { json?: boolean }) => {
      const status = sweepStatus(dir);
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    });
}

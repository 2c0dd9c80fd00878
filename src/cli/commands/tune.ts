import type { Command } from 'commander';
import { Ns3tsError } from '../../util/index.js';
import { formatBest, formatStudyStatus, prepareStudy, readStudy, runStudy, type StudyRunOptions } from '../../tune/index.js';
import { abortOnSignals } from '../signals.js';
import { withExecutorOptions, integerOption } from '../options.js';

interface TuneRunOptions {
  out?: string;
  trials?: number;
  parallelism?: number;
  retries: number;
  executor: 'local' | 'slurm';
  partition?: string;
  time?: string;
  cpusPerTask: number;
  sbatchArg: string[];
  pollSeconds: number;
  progress: boolean;
}

export function register(program: Command): void {
  const tune = program
    .command('tune')
    .description('hyperparameter search: a study (search space, objective, sampler, pruner) run on the sweep executors; resumable');
  const run = tune
    .command('run')
    .description('run a study until its trial budget has ended (a killed study resumes where it stopped)')
    .argument('<file>', 'study file (scenarios/studies/*.yaml)')
    .option('-o, --out <dir>', 'study folder (default: "studies/<study name>")')
    .option('--trials <n>', 'trials in all (default: the study file\'s trials)', integerOption('--trials', { min: 1 }))
    .option('--parallelism <n>', 'trials at once (default: the study file\'s parallelism)', integerOption('--parallelism', { min: 1 }))
    .option('--retries <n>', 'retries of a crashed run before its trial fails', integerOption('--retries'), 1);
  withExecutorOptions(run)
    .option('--poll-seconds <n>', 'how often evaluation points (and Slurm runs) are checked', integerOption('--poll-seconds', { min: 1 }), 2)
    .option('--no-progress', 'no per-trial lines on stderr')
    .action(async (file: string, opts: TuneRunOptions) => {
      const prepared = await prepareStudy(file, opts.out ? { out: opts.out } : {});
      const { signal, dispose } = abortOnSignals((sig) => `tune: ${sig}: stopping the running trials (again to exit at once)`);
      try {
        const options: StudyRunOptions = {
          executor: opts.executor,
          maxAttempts: opts.retries + 1,
          signal,
          pollMs: opts.pollSeconds * 1000,
          ...(opts.trials !== undefined ? { trials: opts.trials } : {}),
          ...(opts.parallelism !== undefined ? { parallelism: opts.parallelism } : {}),
          ...(opts.executor === 'slurm'
            ? {
                slurm: {
                  cpusPerTask: opts.cpusPerTask,
                  extraArgs: opts.sbatchArg,
                  ...(opts.partition ? { partition: opts.partition } : {}),
                  ...(opts.time ? { time: opts.time } : {}),
                },
              }
            : {}),
          ...(opts.progress ? { onEvent: (line: string) => process.stderr.write(`${prepared.spec.name}: ${line}\n`) } : {}),
        };
        const summary = await runStudy(prepared, options);
        const best = summary.best ? `; best trial ${summary.best.number} = ${summary.best.value}` : '';
        process.stderr.write(
          `study ${prepared.spec.name}: ${summary.complete} complete, ${summary.pruned} pruned, ${summary.failed} failed` +
            `${summary.interrupted ? `, ${summary.interrupted} stopped (resume with the same command)` : ''}${best} — ${prepared.studyDir}\n`,
        );
        if (signal.aborted) process.exitCode = 130;
        else if (summary.complete === 0) process.exitCode = 1;
      } finally {
        dispose();
      }
    });
  tune
    .command('status')
    .description('trials of a study: counts, best so far, the last trials')
    .argument('<study-dir>', 'study folder (the --out of ns3ts tune run)')
    .option('--json', 'every trial as JSON', false)
    .action(async (dir: string, opts: { json?: boolean }) => {
      const view = await readStudy(dir);
      if (!opts.json) return void process.stdout.write(formatStudyStatus(view));
      const trials = view.trials.map((t) => ({ ...t, intermediate: Object.fromEntries(t.intermediate) }));
      process.stdout.write(`${JSON.stringify({ name: view.name, studyDir: view.studyDir, counts: view.counts, best: view.best?.number ?? null, bestSoFar: view.bestSoFar, trials }, null, 2)}\n`);
    });
  tune
    .command('best')
    .description('the best complete trial of a study: its value, parameters and run folders')
    .argument('<study-dir>', 'study folder')
    .option('--json', 'as JSON', false)
    .action(async (dir: string, opts: { json?: boolean }) => {
      const view = await readStudy(dir);
      if (!view.best && opts.json) throw new Ns3tsError(`study ${view.name}: no complete trial yet`);
      if (!opts.json) return void process.stdout.write(formatBest(view));
      const b = view.best!;
      process.stdout.write(`${JSON.stringify({ number: b.number, value: b.value, params: b.params, runIds: b.runIds }, null, 2)}\n`);
    });
}

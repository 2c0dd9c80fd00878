import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, checkOutputDir, signalProcessGroup, writeFileAtomic, writeJsonAtomic } from '../util/index.js';
import {
  RUN_FILES,
  SWEEP_FILE,
  acquireRunLock,
  attemptRun,
  canonicalJson,
  materializeRun,
  ns3tsCommandLine,
  planSweep,
  readRunMetrics,
  readStatus,
  runDirOf,
  squeueJobs,
  submitSlurmArrays,
  writeStatus,
  type AttemptOptions,
  type PlannedRun,
  type SlurmOptions,
  type SweepRecord,
} from '../sweep/index.js';
import { loadStudyFile, type StudySpec } from './schema.js';
import { createSampler, type ObservedTrial, type Sampler } from './samplers.js';
import { shouldPrune, type PrunerTrial } from './pruners.js';
import { addIntermediate, finishTrial, insertTrial, openStudyStore, readTrials, type TrialRecord } from './store.js';
import { formatParams, type ParamValues } from './space.js';

/**
 * Runs a study: proposes trials with its sampler, runs each trial's runs (one per seed) as
 * ordinary sweep run folders through the sweep executors (the local pool's attempts, or one Slurm
 * job array per trial), watches their evaluation points for the pruner, and records everything
 * in the study's DuckDB (store.ts).
 *
 *   <study-dir>/study.yaml      the study file as it was run
 *   <study-dir>/study.duckdb    trials, intermediate values, the spec
 *   <study-dir>/sweep.json      the runs so far, as a sweep record (so `ns3ts results` reads a study)
 *   <study-dir>/runs/<id>/      one run folder per trial and seed
 *
 * Kill and resume: a trial is recorded (number, parameters, run ids) before its runs start, and
 * runs are only ever run to the end once (the run folders' status). Starting the study again
 * finishes the trials recorded as running (their finished runs are not run again) and proposes
 * new ones only up to the budget.
 */

export interface PreparedStudy {
  spec: StudySpec;
  studyDir: string;
}

/** Loads a study file and creates (or reopens) its folder; a folder holding another study is refused. */
export async function prepareStudy(file: string, options: { out?: string } = {}): Promise<PreparedStudy> {
  const spec = loadStudyFile(file);
  const studyDir = resolve(checkOutputDir(options.out ?? join('studies', spec.name), '--out'));
  // Fails early on a space the scenario does not accept: plan the space's first random point.
  planTrial(spec, createSampler(spec.space, spec.seed, { type: 'random' }).propose(0, []), 0);
  mkdirSync(studyDir, { recursive: true });
  await openStudyStore(studyDir, spec.name, canonicalJson(spec));
  writeFileAtomic(join(studyDir, 'study.yaml'), readFileSync(resolve(file)));
  return { spec, studyDir };
}

/** The runs of a trial: the study's sweep part with the trial's values as a one-point grid. */
export function planTrial(spec: StudySpec, params: ParamValues, number: number): PlannedRun[] {
  const grid = Object.entries(params).map(([path, value]) => ({ path, values: [value] }));
  const plan = planSweep({ ...spec.sweep, grid });
  return plan.runs.map((run, i) => ({ ...run, index: number * spec.sweep.seeds.length + i }));
}

export interface StudyRunOptions {
  executor: 'local' | 'slurm';
  /** Attempts in all per run (1 + retries). */
  maxAttempts: number;
  /** Trials in all (default: the study's `trials`). */
  trials?: number;
  /** Trials at once (default: the study's `parallelism`). */
  parallelism?: number;
  /** Aborting stops the running steps; their trials stay running in the store and resume later. */
  signal?: AbortSignal;
  /** How often evaluation points are read (and, on Slurm, the runs' states), in ms (default 1000). */
  pollMs?: number;
  /** Local executor: passed to each attempt (tests: a fake ns3ts command line). */
  attempt?: Partial<Pick<AttemptOptions, 'ns3ts' | 'env' | 'killAfterSeconds'>>;
  /** Slurm executor: sbatch settings (maxAttempts is taken from above). */
  slurm?: Omit<SlurmOptions, 'maxAttempts'>;
  /** One line per trial event (started, complete, pruned, failed). */
  onEvent?: (line: string) => void;
}

export interface StudyRunSummary {
  complete: number;
  pruned: number;
  failed: number;
  /** Trials left running by a stop (they resume next time). */
  interrupted: number;
  best: TrialRecord | undefined;
  seconds: number;
}

type TrialEnd = { state: 'complete'; value: number } | { state: 'pruned'; step: number } | { state: 'failed'; error: string } | { state: 'interrupted' };

interface StudyContext {
  spec: StudySpec;
  studyDir: string;
  options: StudyRunOptions;
  /** The study's trials, kept in step with the store. */
  trials: TrialRecord[];
  sign: number;
  pollMs: number;
}

/** Runs the study until its budget of trials has ended (or the signal aborts). */
export async function runStudy(prepared: PreparedStudy, options: StudyRunOptions): Promise<StudyRunSummary> {
  const started = Date.now();
  const { spec, studyDir } = prepared;
  const ctx: StudyContext = {
    spec,
    studyDir,
    options,
    trials: await readTrials(studyDir),
    sign: spec.objective.direction === 'maximize' ? -1 : 1,
    pollMs: options.pollMs ?? 1000,
  };
  const sampler = createSampler(spec.space, spec.seed, spec.sampler);
  const budget = options.trials ?? spec.trials;
  const parallelism = Math.max(1, options.parallelism ?? spec.parallelism);
  const resume = ctx.trials.filter((t) => t.state === 'running').map((t) => t.number);
  const resumed = new Set(resume);
  const active = new Map<number, Promise<void>>();
  let interrupted = 0;
  const launch = (trial: TrialRecord): void => {
    options.onEvent?.(`trial ${trial.number} ${resumed.has(trial.number) ? 'resumed' : 'started'}: ${formatParams(trial.params)}`);
    const done = runTrial(ctx, trial).then(async (end) => {
      if (end.state === 'interrupted') {
        interrupted++;
        return;
      }
      await finishTrial(studyDir, trial.number, end);
      Object.assign(trial, {
        state: end.state,
        value: end.state === 'complete' ? end.value : null,
        error: end.state === 'failed' ? end.error : null,
        prunedStep: end.state === 'pruned' ? end.step : null,
        finishedAt: new Date().toISOString(),
      });
      options.onEvent?.(`trial ${trial.number} ${describeEnd(end)}`);
    });
    active.set(trial.number, done.finally(() => active.delete(trial.number)));
  };
  for (;;) {
    while (!options.signal?.aborted && active.size < parallelism) {
      const number = resume.shift();
      if (number !== undefined) {
        launch(ctx.trials.find((t) => t.number === number)!);
        continue;
      }
      const next = ctx.trials.length;
      if (next >= budget || !proposalReady(ctx.trials, next, parallelism)) break;
      launch(await proposeTrial(ctx, sampler, next, parallelism));
    }
    if (active.size === 0) break;
    await Promise.race(active.values());
  }
  const count = (state: string): number => ctx.trials.filter((t) => t.state === state).length;
  return { complete: count('complete'), pruned: count('pruned'), failed: count('failed'), interrupted, best: bestOf(ctx.trials, spec), seconds: (Date.now() - started) / 1000 };
}

/**
 * Trial k is proposed once every trial up to k − parallelism has ended, from those trials plus
 * trials k − parallelism + 1 .. k − 1 as running ones (whatever their state by then): the same
 * seed then proposes the same trials however the runs' timings fall.
 */
function proposalReady(trials: readonly TrialRecord[], next: number, parallelism: number): boolean {
  return trials.every((t) => t.number > next - parallelism || t.state !== 'running');
}

/** What the sampler sees when proposing trial `next` (see proposalReady), as losses. */
export function observedTrials(trials: readonly TrialRecord[], next: number, parallelism: number, sign: number): ObservedTrial[] {
  return trials.filter((t) => t.number < next && t.state !== 'failed').map((t) => {
    if (t.number > next - parallelism || t.state === 'running') return { number: t.number, state: 'running', params: t.params };
    if (t.state === 'complete') return { number: t.number, state: 'complete', params: t.params, loss: sign * t.value! };
    const steps = [...t.intermediate.keys()];
    const last = steps.length > 0 ? Math.max(...steps) : undefined;
    return { number: t.number, state: 'pruned', params: t.params, ...(last !== undefined ? { lastStep: last, lastLoss: sign * t.intermediate.get(last)! } : {}) };
  });
}

async function proposeTrial(ctx: StudyContext, sampler: Sampler, number: number, parallelism: number): Promise<TrialRecord> {
  const params = sampler.propose(number, observedTrials(ctx.trials, number, parallelism, ctx.sign));
  const runs = planTrial(ctx.spec, params, number);
  const trial: TrialRecord = {
    number,
    state: 'running',
    params,
    value: null,
    runIds: runs.map((r) => r.id),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    error: null,
    prunedStep: null,
    intermediate: new Map(),
  };
  // Recorded before any run exists: a kill from here on resumes this very trial.
  await insertTrial(ctx.studyDir, trial);
  ctx.trials.push(trial);
  const ns3ts = ctx.options.attempt?.ns3ts ?? ns3tsCommandLine();
  for (const run of runs) materializeRun(runDirOf(ctx.studyDir, run.id), run, ctx.spec.name, ctx.spec.sweep.metrics, ns3ts);
  writeStudyRecord(ctx);
  return trial;
}

/** sweep.json of the study folder: every trial's runs, with the space's paths as parameters. */
function writeStudyRecord(ctx: StudyContext): void {
  const runs: SweepRecord['runs'] = [];
  const seeds = ctx.spec.sweep.seeds;
  for (const t of ctx.trials) t.runIds.forEach((id, i) => runs.push({ id, index: t.number * seeds.length + i, point: t.params, seed: seeds[i]! }));
  const record: SweepRecord = {
    name: ctx.spec.name,
    description: ctx.spec.description,
    params: ctx.spec.space.map((p) => p.name),
    seeds,
    runs,
    createdAt: ctx.trials[0]?.startedAt ?? new Date().toISOString(),
  };
  writeJsonAtomic(join(ctx.studyDir, SWEEP_FILE), record);
}

async function runTrial(ctx: StudyContext, trial: TrialRecord): Promise<TrialEnd> {
  const dirs = trial.runIds.map((id) => runDirOf(ctx.studyDir, id));
  // A trial recorded just before a kill may be missing its folders: plan them again.
  if (dirs.some((d) => !existsSync(join(d, RUN_FILES.config)))) {
    const ns3ts = ctx.options.attempt?.ns3ts ?? ns3tsCommandLine();
    for (const run of planTrial(ctx.spec, trial.params, trial.number)) materializeRun(runDirOf(ctx.studyDir, run.id), run, ctx.spec.name, ctx.spec.sweep.metrics, ns3ts);
    writeStudyRecord(ctx);
  }
  const watch = new PruneWatch(ctx, trial, dirs);
  const outcome = ctx.options.executor === 'local' ? await runTrialLocal(ctx, dirs, watch) : await runTrialSlurm(ctx, trial, dirs, watch);
  // The last evaluation points, so that complete trials carry their whole curve for the pruner.
  await watch.poll(false, true);
  if (watch.prunedAt !== undefined) {
    for (const dir of dirs) await markPruned(dir, watch.prunedAt, ctx.options.maxAttempts);
    return { state: 'pruned', step: watch.prunedAt };
  }
  if (outcome === 'interrupted') return { state: 'interrupted' };
  return trialResult(ctx, dirs);
}

/** The trial's objective (mean over its runs), or why it failed. */
function trialResult(ctx: StudyContext, dirs: readonly string[]): TrialEnd {
  const values: number[] = [];
  for (const dir of dirs) {
    const status = readStatus(dir);
    const id = dir.split('/').pop()!;
    if (status.state !== 'done') return { state: 'failed', error: `run ${id}: ${status.error ?? status.state}` };
    const metrics = readRunMetrics(dir);
    if (!metrics.ok) return { state: 'failed', error: `run ${id}: ${metrics.why}` };
    const value = metrics.value.metrics[ctx.spec.objective.metric];
    if (value === undefined) {
      const names = Object.keys(metrics.value.metrics);
      return {
        state: 'failed',
        error: `objective.metric: got ${ctx.spec.objective.metric}, expected one of the run's metrics (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''})`,
      };
    }
    values.push(value);
  }
  return { state: 'complete', value: values.reduce((a, b) => a + b, 0) / values.length };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The local executor: the trial's runs side by side, each through the sweep's attempts (with retries). */
async function runTrialLocal(ctx: StudyContext, dirs: readonly string[], watch: PruneWatch): Promise<'ended' | 'interrupted'> {
  const { options } = ctx;
  const steps = new Map<string, number>();
  watch.onPrune = (): void => {
    for (const pid of steps.values()) signalProcessGroup(pid, 'SIGTERM');
  };
  const timer = setInterval(() => {
    watch.poll(true).catch((err: unknown) => options.onEvent?.(`reading evaluation points: ${(err as Error).message.split('\n')[0]}`));
  }, ctx.pollMs);
  try {
    const outcomes = await Promise.all(
      dirs.map(async (dir) => {
        for (;;) {
          const outcome = await attemptRun(dir, {
            maxAttempts: options.maxAttempts,
            executor: 'local',
            ...(options.signal ? { signal: options.signal } : {}),
            onStepStart: (_d, _step, pid) => steps.set(dir, pid),
            ...options.attempt,
          });
          steps.delete(dir);
          if (watch.prunedAt !== undefined) return 'ended';
          if (outcome === 'retry') continue;
          if (outcome === 'busy') {
            // Another trial with the same values runs it: wait for that one.
            if (options.signal?.aborted) return 'interrupted';
            await sleep(ctx.pollMs);
            continue;
          }
          return outcome === 'interrupted' ? 'interrupted' : 'ended';
        }
      }),
    );
    return outcomes.includes('interrupted') ? 'interrupted' : 'ended';
  } finally {
    clearInterval(timer);
  }
}

function runFinal(dir: string, maxAttempts: number): boolean {
  const s = readStatus(dir);
  return s.state === 'done' || (s.state === 'failed' && s.attempts >= maxAttempts);
}

/** The Slurm executor: one job array per trial (its runs not yet finished); pruning cancels it. */
async function runTrialSlurm(ctx: StudyContext, trial: TrialRecord, dirs: readonly string[], watch: PruneWatch): Promise<'ended' | 'interrupted'> {
  const { options } = ctx;
  const missing = dirs.filter((dir) => !runFinal(dir, options.maxAttempts) && !heldByLiveWorker(dir));
  const jobIds: string[] = [];
  if (missing.length > 0) {
    const submissions = submitSlurmArrays(
      ctx.studyDir,
      missing.map((runDir) => ({ id: runDir.split('/').pop()!, runDir })),
      { ...options.slurm, maxAttempts: options.maxAttempts, jobName: options.slurm?.jobName ?? `ns3ts-${ctx.spec.name}-t${trial.number}` },
    );
    jobIds.push(...submissions.map((s) => s.jobId));
    options.onEvent?.(`trial ${trial.number}: job array ${jobIds.join(', ')} (${missing.length} runs)`);
  }
  watch.onPrune = (): void => {
    if (jobIds.length === 0) return;
    try {
      execFileSync('scancel', jobIds, { stdio: 'ignore' });
    } catch (err) {
      // The array may have ended in between; its runs are marked pruned all the same.
      options.onEvent?.(`trial ${trial.number}: scancel ${jobIds.join(' ')}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  for (;;) {
    await sleep(ctx.pollMs);
    if (options.signal?.aborted) return 'interrupted';
    await watch.poll(true);
    const queued = jobIds.length > 0 ? squeueJobs(jobIds) : [];
    if (watch.prunedAt !== undefined && queued.length === 0) return 'ended';
    if (dirs.every((d) => runFinal(d, options.maxAttempts))) return 'ended';
    // The array left the queue with runs unfinished (a task killed by Slurm): they stay pending
    // for the next start of the study.
    if (queued.length === 0) return dirs.every((d) => runFinal(d, options.maxAttempts) || readStatus(d).state !== 'running') ? 'interrupted' : 'ended';
  }
}

function heldByLiveWorker(dir: string): boolean {
  if (readStatus(dir).state !== 'running') return false;
  const lock = acquireRunLock(dir);
  if (!lock) return true;
  lock.release();
  return false;
}

/** A pruned trial's runs that had not finished: failed for good, with the reason. */
async function markPruned(dir: string, step: number, maxAttempts: number): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const lock = acquireRunLock(dir);
    if (lock) {
      try {
        const status = readStatus(dir);
        if (status.state !== 'done') {
          writeStatus(dir, { ...status, state: 'failed', attempts: Math.max(status.attempts, maxAttempts), error: `pruned by the study at step ${step}`, updatedAt: new Date().toISOString() });
        }
      } finally {
        lock.release();
      }
      return;
    }
    // The stopped step's process is still exiting.
    await sleep(100);
  }
}

/**
 * Reads a running trial's evaluation points (train/metrics.jsonl of each of its runs), records
 * each step once every run has reached it (the mean over the runs), and asks the pruner.
 */
class PruneWatch {
  prunedAt: number | undefined;
  onPrune: () => void = () => {};
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly ctx: StudyContext,
    private readonly trial: TrialRecord,
    private readonly dirs: readonly string[],
  ) {}

  /**
   * Reads the points not yet recorded. A poll asked for while another one runs is skipped (the
   * timer's), unless `waitForRunning`: the last poll, after the runs ended, waits for the one in
   * flight and then reads, so that it sees every point the runs wrote.
   */
  async poll(decide: boolean, waitForRunning = false): Promise<void> {
    if (waitForRunning) while (this.inFlight) await this.inFlight.catch(() => undefined);
    if (this.inFlight || this.prunedAt !== undefined) return;
    this.inFlight = this.read(decide).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async read(decide: boolean): Promise<void> {
    const curves = this.dirs.map((dir) => evaluationCurve(join(dir, RUN_FILES.trainDir, 'metrics.jsonl'), this.ctx.spec.objective.intermediate));
    const steps = [...curves[0]!.keys()].filter((s) => !this.trial.intermediate.has(s) && curves.every((c) => c.has(s))).sort((a, b) => a - b);
    const points: Array<[number, number]> = steps.map((s) => [s, curves.reduce((sum, c) => sum + c.get(s)!, 0) / curves.length]);
    if (points.length === 0) return;
    for (const [s, v] of points) this.trial.intermediate.set(s, v);
    await addIntermediate(this.ctx.studyDir, this.trial.number, points);
    if (!decide || this.ctx.spec.pruner.type === 'none') return;
    const others = this.ctx.trials.filter((t) => t.number !== this.trial.number).map((t) => this.asPrunerTrial(t));
    for (const [s] of points) {
      if (shouldPrune(this.ctx.spec.pruner, this.asPrunerTrial(this.trial), s, others)) {
        this.prunedAt = s;
        this.onPrune();
        return;
      }
    }
  }

  private asPrunerTrial(t: TrialRecord): PrunerTrial {
    const intermediate = new Map<number, number>();
    for (const [s, v] of t.intermediate) intermediate.set(s, this.ctx.sign * v);
    return { state: t.state, intermediate };
  }
}

/** step (episode) -> the field's value, from the evaluation lines of a metrics.jsonl. */
export function evaluationCurve(path: string, field: string): Map<number, number> {
  const out = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  // The last line may be half written: only whole lines count.
  const lines = text.split('\n');
  lines.pop();
  for (const line of lines) {
    if (!line.includes('"eval"')) continue;
    try {
      const row = JSON.parse(line) as Record<string, unknown>;
      const value = row[field];
      if (row.type === 'eval' && typeof row.episode === 'number' && typeof value === 'number') out.set(row.episode, value);
    } catch {
      // a torn line: skipped
    }
  }
  return out;
}

function describeEnd(end: TrialEnd): string {
  switch (end.state) {
    case 'complete':
      return `complete: ${end.value}`;
    case 'pruned':
      return `pruned at step ${end.step}`;
    case 'failed':
      return `failed: ${end.error}`;
    default:
      return 'stopped';
  }
}

/** The best complete trial (first of equals). */
export function bestOf(trials: readonly TrialRecord[], spec: Pick<StudySpec, 'objective'>): TrialRecord | undefined {
  const sign = spec.objective.direction === 'maximize' ? -1 : 1;
  let best: TrialRecord | undefined;
  for (const t of trials) if (t.state === 'complete' && (best === undefined || sign * t.value! < sign * best.value!)) best = t;
  return best;
}

export function checkStudyDir(studyDir: string): string {
  const dir = resolve(studyDir);
  if (!existsSync(join(dir, 'study.duckdb'))) throw new InputError('study-dir', studyDir, 'a study folder (with study.duckdb; the --out of ns3ts tune run)');
  return dir;
}

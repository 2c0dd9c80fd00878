/**
 * The training loop: episodes of any slicing env (synthetic or ns-3, through createEnv) with a
 * registered agent, periodic evaluation (src/eval KPIs), a progress bar, and a run directory:
 *
 *   runs/<run-id>/config.json      resolved scenario, seed, agent settings, backend, versions, git commit
 *   runs/<run-id>/metrics.jsonl    one line per training episode ("train") and evaluation ("eval");
 *                                  no wall-clock values, so the same seed and backend give the same file
 *   runs/<run-id>/checkpoint.bin   agent state (weights, optimizer, replay buffer, RNG) + loop counters,
 *                                  replaced atomically after every `checkpointEvery` episodes, at
 *                                  most every `checkpointSeconds` (CheckpointSchedule, run-dir.ts)
 *   runs/<run-id>/summary.json     final figures, timings, throughput
 *
 * Resume (`resume: runDir`) restores the last checkpoint, cuts metrics.jsonl back to what the
 * checkpoint had seen, and continues — the finished run equals an uninterrupted one. Episode e of
 * a run is reset with seed deriveSeed(seed, 'train', e), so no env RNG state needs saving.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  arraysWithPrefix,
  checkAgentFits,
  describeBackend,
  getAgentEntry,
  readCheckpoint,
  selectBackend,
  type AgentMetrics,
  type AgentScenario,
  type BackendChoice,
  type BackendInfo,
  type FamilyRunSummary,
  type TrainableAgent,
} from '../agents/index.js';
import { type NdArray, type VectorEnv } from '../env/index.js';
import { FEATURE, FEATURES_PER_SLICE, createEnv, createTrainingEnv, isSlicingScenario, resolveFamilyScenario, type SlicingEnv, type SlicingLayout } from '../families/index.js';
import { KpiAccumulator, constraintCosts, evaluatePolicy, type EvalResult } from '../eval/index.js';
import { runEpisodes, type EpisodeResult } from '../rollout/index.js';
import { resolveScenario, scenarioLayout, type Scenario, type ScenarioBase } from '../scenario/index.js';
import { InputError, Ns3tsError, ProgressBar, log, checkSeed, deriveSeed, writeJsonAtomic } from '../util/index.js';
import { runWarnings } from './warnings.js';
import { isFamilyRunDir, trainFamilyRun } from './family-run.js';
import type { RunOptions } from './options.js';
import { readRunJson, type TrainerState } from './resume-check.js';
import {
  CONFIG_FILE,
  CheckpointSchedule,
  crossedMultiple,
  finishSummary,
  finiteMetrics,
  freshTrainer,
  loopSettings,
  newRunDir,
  ns3Version,
  openMetrics,
  provenance,
  resumePoint,
  writeRunCheckpoint,
  type LoopSettings,
} from './run-dir.js';

export interface TrainOptions extends RunOptions {
  /**
   * Scenario name, path or resolved scenario of any family (ignored on resume: the run's config has
   * it); the agent must accept the family's spaces, and the loop runs slicing scenarios.
   */
  scenario?: string | ScenarioBase;
  /** Slicing runs: the agents' backend (family agents train on the native engine). */
  backend?: BackendChoice;
  /**
   * An env to train on instead of createEnv(scenario) (not closed here): a slicing Env, or a
   * VectorEnv of them (e.g. createNs3VectorEnv) whose sub-envs play episodes e..e+n-1 in lockstep.
   */
  env?: SlicingEnv | VectorEnv<NdArray<Float32Array>, NdArray<Float32Array>>;
}

/** What a training run ends with: one shape for every family (agents/agent.ts owns it; run-dir.ts finishSummary makes it). */
export type TrainSummary = FamilyRunSummary;

export interface TrainRunConfig extends LoopSettings {
  runId: string;
  agent: { id: string; settings: Record<string, unknown> };
  scenario: Scenario;
  seed: number;
  backend: BackendInfo;
  versions: Record<string, string | null>;
  git: { commit: string | null; dirty: boolean | null };
  createdAt: string;
  /** Why this run may learn nothing (runWarnings), found when it started. */
  warnings?: string[];
  /** The agent's resolved settings, defaults included, as the run started with them (a resume builds the agent from these). */
  agentSettingsResolved?: Record<string, unknown>;
}

export { METRICS_FILE, CONFIG_FILE, SUMMARY_FILE } from './run-dir.js';

/**
 * The scenario fields a checkpoint records for loading its policy (AgentScenario), copied one by
 * one so that checkpoints keep the same bytes whatever else the scenario schema gains.
 */
function checkpointScenario(scenario: Scenario): AgentScenario {
  return {
    name: scenario.name,
    slices: scenario.slices.map((s) => ({ name: s.name, minShare: s.minShare, maxShare: s.maxShare })),
    constraints: scenario.constraints.map((c) => ({ slice: c.slice, kind: c.kind, limit: c.limit })),
    agent: { ...scenario.agent },
    episodeSteps: scenario.episodeSteps,
    stepSeconds: scenario.stepSeconds,
  };
}

function evalLine(episode: number, result: EvalResult): Record<string, unknown> {
  const k = result.kpis;
  return {
    type: 'eval',
    episode,
    meanUtility: k.meanUtility,
    meanReturn: k.meanReturn,
    qosSatisfaction: k.qosSatisfaction,
    slaViolationRate: k.slaViolationRate,
    capacityViolation: k.capacityViolation,
    jainFairness: k.jainFairness,
    // Each evaluation episode's return: the report draws their spread around meanReturn.
    episodeReturns: result.episodeReturns,
    constraints: result.constraints.map((c) => ({ slice: c.slice, kind: c.kind, limit: c.limit, value: c.value, satisfied: c.satisfied })),
  };
}

/** A run directory opened for training: its config, where the loop stands, the checkpoint to resume. */
interface OpenedRun {
  config: TrainRunConfig;
  runDir: string;
  trainer: TrainerState;
  checkpoint: ReturnType<typeof readCheckpoint> | null;
  /** The episode a resumed run goes on from (null for a new run). */
  resumedFrom: number | null;
}

/** Everything the episode loop works with. */
interface TrainingSession extends OpenedRun {
  options: TrainOptions;
  scenario: Scenario;
  layout: SlicingLayout;
  agent: TrainableAgent;
  env: SlicingEnv | VectorEnv<Obs, Obs>;
  metricsPath: string;
  bar: ProgressBar;
  started: number;
  stepsThisProcess: number;
  episodesThisProcess: number;
  lastTrain: Record<string, unknown> | null;
  pruned?: boolean;
  checkpoints: CheckpointSchedule;
}

/** Trains an agent; returns when the run has finished (or `stopAfter` episodes ran). */
export async function train(options: TrainOptions = {}): Promise<TrainSummary> {
  // Scenarios of other families (and their runs) train in the family loop (family-run.ts).
  const resolved = options.resume ? null : typeof options.scenario === 'object' ? options.scenario : resolveFamilyScenario(options.scenario ?? 'slicing-synthetic');
  if ((resolved && !isSlicingScenario(resolved)) || (options.resume && isFamilyRunDir(options.resume))) return trainFamily(resolved, options);
  const opened = options.resume ? await resumeRun(options.resume, options) : await newRun(resolved ? { ...options, scenario: resolved } : options);
  if ('finished' in opened) return opened.finished;
  const run = opened;
  options.onRunDir?.(run.runDir);
  const announce = options.announce ?? ((): void => {});
  // One calm line; why a faster backend did not load is a debug detail (and in config.json).
  announce(`${describeBackend(run.config.backend)}; run ${run.runDir}`);
  for (const reason of run.config.backend.fallbacks) log.debug(`backend fallback: ${reason}`);
  const agent = await buildAgent(run);
  const metricsPath = openMetrics(run.runDir, run.trainer.metricsBytes);
  await options.onRunOpen?.(run.runDir);
  let env: SlicingEnv | VectorEnv<Obs, Obs>;
  try {
    // Simulator stdout/stderr (ns-3 scenarios) go into the run directory beside the metrics.
    if (options.env === undefined) log.debug(`env: ${run.config.scenario.env.kind} env of scenario ${run.config.scenario.name} (seed ${run.config.seed})`);
    env = options.env ?? (await createTrainingEnv(run.config.scenario, { seed: run.config.seed, runDir: run.runDir }));
  } catch (err) {
    agent.dispose();
    throw err;
  }
  const session: TrainingSession = {
    ...run,
    options,
    scenario: run.config.scenario,
    layout: scenarioLayout(run.config.scenario),
    agent,
    env,
    metricsPath,
    bar: new ProgressBar({ total: run.config.episodes, label: `train ${agent.id}`, enabled: options.progress ?? true }),
    started: Date.now(),
    stepsThisProcess: 0,
    episodesThisProcess: 0,
    lastTrain: null,
    checkpoints: new CheckpointSchedule(run.config),
  };
  try {
    if (run.resumedFrom !== null && run.resumedFrom < run.config.episodes) announce(`resuming at episode ${run.resumedFrom + 1}`);
    await trainEpisodes(session);
  } catch (err) {
    agent.dispose();
    throw err;
  } finally {
    if (options.env === undefined) await env.close();
  }
  return finishRun(session);
}

/** A run of a family other than slicing, through the family loop (family-run.ts). */
async function trainFamily(scenario: ScenarioBase | null, options: TrainOptions): Promise<TrainSummary> {
  const { env: _env, scenario: _scenario, backend: _backend, resume, ...rest } = options;
  return trainFamilyRun({
    ...rest,
    ...(scenario ? { scenario } : {}),
    ...(resume === undefined ? {} : { resume }),
    evaluationSeed,
    provenance: provenance(),
  });
}

/** Reopens a run directory: its stored config (with this process's backend) and last checkpoint. */
async function resumeRun(resume: string, options: TrainOptions): Promise<OpenedRun | { finished: TrainSummary }> {
  const runDir = resolve(resume);
  const configPath = join(runDir, CONFIG_FILE);
  if (!existsSync(configPath)) throw new InputError('--resume', resume, `a run directory with ${CONFIG_FILE}`);
  const stored = readRunJson<TrainRunConfig>(configPath);
  const scenario = resolveScenario(stored.scenario);
  const episodes = options.episodes ?? stored.episodes;
  const point = resumePoint<TrainSummary>(runDir, { episodes, checkpointEvery: stored.checkpointEvery }, options.announce ?? ((): void => {}));
  if ('finished' in point) return point;
  const { trainer, checkpoint } = point;
  const backend = await selectBackend(options.backend ?? (stored.backend.requested as BackendChoice));
  const config = { ...stored, scenario, backend, episodes };
  return { config, runDir, trainer, checkpoint, resumedFrom: trainer.episode };
}

/** Resolves a new run's config from the options and the scenario, and creates its directory. */
async function newRun(options: TrainOptions): Promise<OpenedRun> {
  const resolved = typeof options.scenario === 'object' ? options.scenario : resolveFamilyScenario(options.scenario ?? 'slicing-synthetic');
  const agentId = options.agent ?? String(resolved.agent.id);
  // An unknown id, or an agent that does not act in the family's spaces, fails before anything is written.
  checkAgentFits(agentId, resolved);
  if (!isSlicingScenario(resolved)) {
    throw new InputError('--scenario', resolved.name, `a slicing scenario (the training loop reads the slicing layout; this one is of family ${resolved.family})`);
  }
  const scenario: Scenario = resolved;
  const seed = checkSeed(options.seed ?? scenario.seed, '--seed');
  const loop = loopSettings(options, scenario.training);
  const backend = await selectBackend(options.backend ?? 'auto');
  const { runId, runDir } = newRunDir(options, { scenario: scenario.name, agent: agentId, seed });
  const config: TrainRunConfig = {
    runId,
    agent: { id: agentId, settings: { ...options.agentSettings } },
    scenario,
    seed,
    ...loop,
    backend,
    ...provenance({ tfjs: backend.tfjsVersion, ns3: scenario.env.kind === 'ns3' ? ns3Version() : null }),
    createdAt: new Date().toISOString(),
  };
  mkdirSync(runDir, { recursive: true });
  const trainer = freshTrainer();
  return { config, runDir, trainer, checkpoint: null, resumedFrom: null };
}

/** Builds the run's agent; a new run records its resolved settings, a resumed one restores its state. */
async function buildAgent(run: OpenedRun): Promise<TrainableAgent> {
  const { config, runDir } = run;
  const scenario = config.scenario;
  const agent = await getAgentEntry(config.agent.id).create(scenarioLayout(scenario), scenario, {
    seed: config.seed,
    settings: config.agent.settings,
    ...(run.resumedFrom !== null && config.agentSettingsResolved ? { recordedSettings: config.agentSettingsResolved } : {}),
    plannedSteps: config.episodes * scenario.episodeSteps,
    runDir,
  });
  config.warnings = runWarnings({ agentId: agent.id, settings: agent.settings(), scenario, episodes: config.episodes });
  for (const warning of config.warnings) log.warn(warning);
  if (run.resumedFrom === null) {
    // The resolved settings (defaults included) go into the config, so the run can be repeated.
    config.agent.settings = { ...config.agent.settings };
    writeJsonAtomic(join(runDir, CONFIG_FILE), { ...config, agentSettingsResolved: agent.settings() });
  }
  if (run.checkpoint) {
    await agent.setState({ meta: run.checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(run.checkpoint.arrays, 'agent') });
  }
  return agent;
}

/** What the loop counts for each episode of the round in progress. */
interface RoundStats {
  /** KPIs of each episode (QoS satisfaction, capacity violation), by sub-env. */
  kpis: KpiAccumulator[];
  /** Sum over the episode's steps of each constraint's cost, by sub-env. */
  costs: Float64Array[];
  /** Running return and steps, by sub-env (the progress line). */
  returns: number[];
  steps: number[];
  /** The agent's last training metrics in the round (every episode line of the round carries them). */
  lastMetrics: AgentMetrics | null;
  /** Episodes played in the round (the sub-envs in lockstep; the progress bar moves by all of them). */
  count: number;
}

/**
 * The episode loop, through the rollout runner: exploration actions, every transition to the
 * agent, one metrics line per episode; after each round an evaluation and a checkpoint when due.
 */
async function trainEpisodes(s: TrainingSession): Promise<void> {
  const { config, scenario, layout, agent, options } = s;
  const shape = [layout.cells, layout.slices.length];
  const context = { layout, step: 0 };
  const n = 'numEnvs' in s.env ? s.env.numEnvs : 1;
  let round: RoundStats | null = null;
  s.bar.update(s.trainer.episode);
  await runEpisodes<Obs, Obs>(
    s.env,
    async (obs, at) => {
      context.step = at.step;
      return { data: await agent.actExplore(obs, context), shape };
    },
    {
      firstEpisode: s.trainer.episode,
      episodes: Math.max(0, config.episodes - s.trainer.episode),
      seed: (episode) => deriveSeed(config.seed, 'train', episode),
      // Finished (or surplus) sub-envs still need an action; theirs are ignored.
      idleAction: (obs) => ({ data: uniformShares(obs, layout), shape }),
      shouldStop: () => stopRequested(s),
      onRoundStart: (_first, count) => {
        agent.reset?.();
        round = newRoundStats(s, n, count);
      },
      onStep: async (t) => {
        const stats = round!;
        checkShares(t.action.data, layout);
        // KPIs are counted by eval's accumulator only (train imports eval's face; eval never imports train).
        stats.kpis[t.envIndex]!.addEnvStep(t.action.data, t.nextObs.data, t.reward, t.step + 1, t.info);
        if (scenario.constraints.length > 0) {
          const c = constraintCosts(scenario.constraints, layout, t.nextObs.data);
          const sum = stats.costs[t.envIndex]!;
          for (let j = 0; j < c.length; j++) sum[j] = sum[j]! + c[j]!;
        }
        const { obs, action, reward, nextObs, terminated, truncated, info, step } = t;
        const m = await agent.observe({ obs, action: action.data, reward, nextObs, terminated, truncated, info, step });
        if (m) stats.lastMetrics = m;
        stats.returns[t.envIndex]! += reward;
        stats.steps[t.envIndex]! += 1;
        s.stepsThisProcess += 1;
      },
      onStepEnd: (step) => {
        if ((step + 1) % 8 === 0) showStepProgress(s, round!, step + 1);
      },
      onEpisodeEnd: (e) => writeEpisodeLine(s, round!, e),
      onRoundEnd: (results) => endRound(s, round!, results),
    },
  );
  s.bar.done();
}

function newRoundStats(s: TrainingSession, n: number, count: number): RoundStats {
  const kpis = Array.from({ length: n }, () => new KpiAccumulator(s.layout, s.scenario.episodeSteps));
  for (const acc of kpis) acc.beginEpisode();
  return {
    kpis,
    costs: Array.from({ length: n }, () => new Float64Array(s.scenario.constraints.length)),
    returns: new Array<number>(n).fill(0),
    steps: new Array<number>(n).fill(0),
    lastMetrics: null,
    count,
  };
}

/**
 * The progress line during a round: the bar moves by the round's share of steps done (a single
 * 4000-step episode must not sit at 0/1 for minutes), with its first episode's step, steps/s,
 * mean reward and QoS so far.
 */
function showStepProgress(s: TrainingSession, round: RoundStats, stepsDone: number): void {
  if (!(s.options.progress ?? true)) return;
  const elapsed = (Date.now() - s.started) / 1000;
  const first = s.trainer.episode;
  const qos = round.kpis[0]!.result().kpis.qosSatisfaction;
  const within = Math.min(stepsDone / Math.max(1, s.scenario.episodeSteps), 0.99);
  s.bar.update(
    first + round.count * within,
    `ep ${first + 1}/${s.config.episodes} step ${stepsDone}/${s.scenario.episodeSteps} ${(s.stepsThisProcess / Math.max(elapsed, 1e-3)).toFixed(0)} steps/s reward ${(round.returns[0]! / Math.max(1, round.steps[0]!)).toFixed(3)} qos ${qos.toFixed(3)}`,
  );
}

/** The metrics line of a finished episode (and the agent's end-of-episode update). */
function writeEpisodeLine(s: TrainingSession, round: RoundStats, e: EpisodeResult): void {
  s.trainer.totalSteps += e.length;
  const constraintRates = Array.from(round.costs[e.envIndex]!, (v) => v / Math.max(1, e.length));
  const endMetrics = s.agent.endEpisode?.({ episode: e.episode, steps: e.length, return: e.return, constraintRates }) ?? {};
  const rates: Record<string, number> = {};
  s.scenario.constraints.forEach((c, j) => (rates[`constraintRate.${c.slice}.${c.kind}`] = constraintRates[j]!));
  const kpis = round.kpis[e.envIndex]!.result().kpis;
  s.lastTrain = {
    type: 'train',
    episode: e.episode + 1,
    steps: e.length,
    totalSteps: s.trainer.totalSteps,
    return: e.return,
    meanReward: e.return / Math.max(1, e.length),
    qosSatisfaction: kpis.qosSatisfaction,
    capacityViolation: kpis.capacityViolation,
    ...finiteMetrics(rates),
    ...finiteMetrics(round.lastMetrics),
    ...finiteMetrics(endMetrics),
  };
  appendFileSync(s.metricsPath, `${JSON.stringify(s.lastTrain)}\n`);
  s.options.onEpisode?.(s.lastTrain);
}

/** The run stops after this round (pruned, stopAfter reached, or Ctrl-C): it ends with a checkpoint. */
function stopRequested(s: TrainingSession): boolean {
  const { options } = s;
  return s.pruned === true || (options.stopAfter !== undefined && s.episodesThisProcess >= options.stopAfter) || options.signal?.aborted === true;
}

/** After a round: move the counters on, evaluate and checkpoint when due. */
async function endRound(s: TrainingSession, round: RoundStats, results: readonly EpisodeResult[]): Promise<void> {
  const { config, trainer } = s;
  const before = trainer.episode;
  trainer.episode = before + results.length;
  s.episodesThisProcess += results.length;
  const last = trainer.episode === config.episodes;
  const crossed = (every: number): boolean => crossedMultiple(before, trainer.episode, every);
  if (config.evalEvery > 0 && (crossed(config.evalEvery) || last)) await evaluateRun(s);
  const e = results[results.length - 1]!;
  const qos = round.kpis[e.envIndex]!.result().kpis.qosSatisfaction;
  s.bar.update(trainer.episode, `ep ${trainer.episode}/${config.episodes} return ${e.return.toFixed(2)} qos ${qos.toFixed(3)}`);
  // The episode loop may run on resolved promises alone; one turn of the event loop per round
  // lets a signal handler (Ctrl-C) run, so that this round's checkpoint is the one a stop keeps.
  if (s.options.signal && !s.options.signal.aborted) await new Promise((resolve) => setImmediate(resolve));
  if (s.checkpoints.due(before, trainer.episode, last || stopRequested(s))) await checkpointRun(s);
}

/** Evaluates the agent's policy on held-out seeds (on the training env when it is a plain Env). */
async function evaluateRun(s: TrainingSession): Promise<void> {
  const result = await evaluatePolicy(s.scenario, s.agent.evaluationPolicy(), {
    episodes: s.config.evalEpisodes,
    seed: evaluationSeed(s.config.seed),
    ...('numEnvs' in s.env ? {} : { env: s.env }),
  });
  s.trainer.lastEval = evalLine(s.trainer.episode, result);
  appendFileSync(s.metricsPath, `${JSON.stringify(s.trainer.lastEval)}\n`);
  s.options.onEpisode?.(s.trainer.lastEval);
  if (s.options.pruneAfterEvaluation?.(s.trainer.lastEval)) s.pruned = true;
}

/** Writes the checkpoint: agent state and the loop counters (with the metrics bytes they cover). */
async function checkpointRun(s: TrainingSession): Promise<void> {
  const state = await s.agent.getState();
  writeRunCheckpoint(s, state, { agentId: s.agent.id, layout: s.layout, scenario: checkpointScenario(s.scenario) });
  s.checkpoints.written();
}

/** The run's summary (written to summary.json once the run has finished); disposes of the agent. */
function finishRun(s: TrainingSession): TrainSummary {
  const { config, agent } = s;
  const settings = agent.settings();
  const summary = finishSummary(
    { ...s, agentId: agent.id, scenarioName: s.scenario.name },
    {
      backend: config.backend.name,
      replayBytesPerTransition: typeof settings.replayBytesPerTransition === 'number' ? settings.replayBytesPerTransition : null,
      warnings: config.warnings ?? [],
    },
  );
  agent.dispose();
  return summary;
}

/** Held-out evaluation seeds of a run (disjoint in practice from the training episodes' seeds). */
export function evaluationSeed(seed: number): number {
  return 1_000_000 + (deriveSeed(seed, 'eval') % 1_000_000_000);
}

/** An agent's shares must be finite and non-negative (the env would clip them silently). */
function checkShares(action: Float32Array, layout: SlicingLayout): void {
  const S = layout.slices.length;
  for (let c = 0; c < layout.cells; c++) {
    for (let s = 0; s < S; s++) {
      const v = action[c * S + s]!;
      if (!Number.isFinite(v) || v < 0) throw new Ns3tsError(`agent produced an invalid share ${v} at cell ${c}, slice ${s}`);
    }
  }
}

type Obs = NdArray<Float32Array>;

/** Equal shares over the active slices (the action of a sub-env whose episode already ended). */
function uniformShares(obs: Obs, layout: SlicingLayout): Float32Array {
  const S = layout.slices.length;
  const out = new Float32Array(layout.cells * S);
  for (let c = 0; c < layout.cells; c++) {
    let k = 0;
    for (let s = 0; s < S; s++) if (obs.data[(c * S + s) * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5) k++;
    for (let s = 0; s < S; s++) if (obs.data[(c * S + s) * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5) out[c * S + s] = 0.999 / k;
  }
  return out;
}

/**
 * The training loop of families other than slicing (docs/families.md): episodes of the family's
 * env with an agent that trains in the family's own spaces (AgentEntry.createForFamily), periodic
 * evaluation through the generic evaluation (eval/ evaluateFamilyPolicy, the family's KPIs), and
 * the same run directory as slicing runs — config.json, metrics.jsonl (one "train" line per
 * episode with the family's KPIs of that episode, one "eval" line per evaluation), checkpoint.bin
 * (agent state + loop counters, replaced atomically), summary.json. Resume continues from the last
 * checkpoint and cuts metrics.jsonl back to it, so a resumed run equals an uninterrupted one.
 * Episode e is reset with seed deriveSeed(seed, 'train', e). train() (run.ts) dispatches here.
 */
import { appendFileSync, existsSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BEST_CHECKPOINT_FILE, CHECKPOINT_FILE, arraysWithPrefix, checkAgentFits, readCheckpoint, writeCheckpoint, type AgentMetrics, type FamilyRunSummary as AgentRunSummary, type FamilyTrainableAgent } from '../agents/index.js';
import { evaluateFamilyPolicy } from '../eval/index.js';
import { familyOf, resolveFamilyScenario } from '../families/index.js';
import { runEpisodes } from '../rollout/index.js';
import type { ScenarioBase } from '../scenario/index.js';
import { InputError, ProgressBar, checkOutputDir, checkRunId, checkSeed, deriveSeed, writeJsonAtomic } from '../util/index.js';
import { checkMetricsBytes, checkTrainerState, finishedSummary, readRunJson, type TrainerState } from './resume-check.js';

const CONFIG_FILE = 'config.json';
const METRICS_FILE = 'metrics.jsonl';
const SUMMARY_FILE = 'summary.json';

export interface FamilyTrainOptions {
  /** A resolved scenario of a family other than slicing (new runs). */
  scenario?: ScenarioBase;
  /** A run directory to continue. */
  resume?: string;
  agent?: string;
  seed?: number;
  episodes?: number;
  outDir?: string;
  runId?: string;
  evalEvery?: number;
  evalEpisodes?: number;
  checkpointEvery?: number;
  agentSettings?: Record<string, unknown>;
  progress?: boolean;
  announce?: (line: string) => void;
  onEpisode?: (line: Record<string, unknown>) => void;
  stopAfter?: number;
  signal?: AbortSignal;
  onRunDir?: (runDir: string) => void;
  /** The held-out evaluation seed of a run seed (run.ts owns the rule). */
  evaluationSeed: (seed: number) => number;
  /** Versions and git state recorded in config.json (run.ts owns how they are found). */
  provenance?: Record<string, unknown>;
}

/** What a family run ends with; run.ts completes it into its TrainSummary (the fields run.ts adds are left out). */
export type FamilyRunSummary = Omit<AgentRunSummary, 'backend' | 'replayBytesPerTransition' | 'warnings'>;

interface FamilyRunConfig {
  runId: string;
  family: string;
  agent: { id: string; settings: Record<string, unknown> };
  scenario: ScenarioBase;
  seed: number;
  episodes: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  createdAt: string;
  [extra: string]: unknown;
}

function integer(value: number, field: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InputError(field, value, `an integer >= ${min}`);
  return value;
}

function finite(metrics: AgentMetrics | Record<string, number | null> | null | undefined): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(metrics ?? {})) out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  return out;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

/** Seed of a run's first validation episode (keep-the-best): a stream of its own, apart from the training and evaluation seeds. */
export function validationSeed(seed: number): number {
  return deriveSeed(seed, 'validation');
}

/** True when the run directory holds a run of a family other than slicing. */
export function isFamilyRunDir(runDir: string): boolean {
  const path = join(resolve(runDir), CONFIG_FILE);
  if (!existsSync(path)) return false;
  const stored = readRunJson<{ scenario?: { family?: unknown } }>(path);
  const family = stored.scenario?.family;
  return typeof family === 'string' && family !== 'slicing';
}

/** Trains a family agent; returns when the run has finished (or stopped). */
export async function trainFamilyRun(options: FamilyTrainOptions): Promise<FamilyRunSummary> {
  let config: FamilyRunConfig;
  let runDir: string;
  let trainer: TrainerState = { episode: 0, totalSteps: 0, metricsBytes: 0, lastEval: null };
  let checkpoint: ReturnType<typeof readCheckpoint> | null = null;
  let resumedFrom: number | null = null;
  /** The best validation score so far (keep-the-best), carried in the checkpoint so a resumed run compares against it. */
  let best: { episode: number; meanReturn: number } | null = null;
  if (options.resume) {
    runDir = resolve(options.resume);
    const stored = readRunJson<FamilyRunConfig>(join(runDir, CONFIG_FILE));
    config = { ...stored, scenario: resolveFamilyScenario(stored.scenario), episodes: options.episodes ?? stored.episodes };
    if (existsSync(join(runDir, CHECKPOINT_FILE))) {
      checkpoint = readCheckpoint(runDir);
      trainer = checkTrainerState(checkpoint.meta.trainer, config.episodes, join(runDir, CHECKPOINT_FILE));
      checkMetricsBytes(join(runDir, METRICS_FILE), trainer.metricsBytes);
      const finished = finishedSummary<FamilyRunSummary>(runDir, trainer, config.episodes);
      if (finished) {
        options.announce?.(`run ${runDir} already finished (${trainer.episode}/${config.episodes} episodes); nothing to do, ${SUMMARY_FILE} left as it is`);
        return finished;
      }
      resumedFrom = trainer.episode;
      best = (checkpoint.meta.best as typeof best | undefined) ?? null;
    }
  } else {
    const scenario = options.scenario;
    if (!scenario) throw new InputError('--scenario', scenario, 'a scenario');
    const agentId = options.agent ?? String(scenario.agent.id);
    const entry = checkAgentFits(agentId, scenario);
    if (!entry.createForFamily) throw new InputError('--agent', agentId, `an agent that trains on family ${familyOf(scenario).id}`);
    const seed = checkSeed(options.seed ?? scenario.seed, '--seed');
    const runId = options.runId === undefined ? `${scenario.name}-${agentId}-s${seed}-${timestamp()}` : checkRunId(options.runId);
    runDir = resolve(checkOutputDir(options.outDir ?? 'runs', '--out'), runId);
    if (existsSync(join(runDir, CONFIG_FILE))) throw new InputError('run directory', runDir, 'a new directory (use --resume to continue a run)');
    const { id: _id, ...scenarioSettings } = scenario.agent;
    config = {
      runId,
      family: familyOf(scenario).id,
      agent: { id: agentId, settings: { ...scenarioSettings, ...options.agentSettings } },
      scenario,
      seed,
      episodes: integer(options.episodes ?? scenario.training.episodes, '--episodes', 1),
      evalEvery: integer(options.evalEvery ?? scenario.training.evalEvery, '--eval-every', 0),
      evalEpisodes: integer(options.evalEpisodes ?? scenario.training.evalEpisodes, 'evalEpisodes', 1),
      checkpointEvery: integer(options.checkpointEvery ?? 1, 'checkpointEvery', 1),
      createdAt: new Date().toISOString(),
      ...options.provenance,
    };
    mkdirSync(runDir, { recursive: true });
  }
  options.onRunDir?.(runDir);
  options.announce?.(`run ${runDir}`);
  const scenario = config.scenario;
  const family = familyOf(scenario);
  const entry = checkAgentFits(config.agent.id, scenario);
  const agent: FamilyTrainableAgent = await entry.createForFamily!(scenario, {
    seed: config.seed,
    settings: config.agent.settings,
    plannedSteps: config.episodes * scenario.episodeSteps,
    runDir,
  });
  if (resumedFrom === null) writeJsonAtomic(join(runDir, CONFIG_FILE), { ...config, agentSettingsResolved: agent.settings() });
  if (checkpoint) await agent.setState({ meta: checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(checkpoint.arrays, 'agent') });
  const metricsPath = join(runDir, METRICS_FILE);
  if (existsSync(metricsPath)) {
    if (statSync(metricsPath).size !== trainer.metricsBytes) truncateSync(metricsPath, trainer.metricsBytes);
  } else {
    writeFileSync(metricsPath, '');
  }
  const env = await family.createEnv(scenario, { seed: config.seed, runDir });
  const bar = new ProgressBar({ total: config.episodes, label: `train ${config.agent.id}`, enabled: options.progress ?? true });
  const started = Date.now();
  let stepsThisProcess = 0;
  let episodesThisProcess = 0;
  let lastTrain: Record<string, unknown> | null = null;
  let lastMetrics: AgentMetrics | null = null;
  let kpis = family.kpis(scenario);

  const checkpointRun = async (): Promise<void> => {
    trainer.metricsBytes = statSync(metricsPath).size;
    const state = await agent.getState();
    const arrays: Record<string, (typeof state.arrays)[string]> = {};
    for (const [k, v] of Object.entries(state.arrays)) arrays[`agent/${k}`] = v;
    writeCheckpoint(runDir, { meta: { agentId: config.agent.id, family: family.id, scenario: { name: scenario.name }, trainer, agent: state.meta, ...(best ? { best } : {}) }, arrays });
  };

  const keepBest = agent.bestPolicy?.() ?? null;
  /** Scores the greedy policy on the validation episodes; a new best replaces best.bin. */
  const validate = async (): Promise<void> => {
    if (!keepBest) return;
    const seed = validationSeed(config.seed);
    const result = await evaluateFamilyPolicy(scenario, agent.evaluationPolicy(), { episodes: keepBest.episodes, seed });
    const meanReturn = result.episodeReturns.reduce((a, b) => a + b, 0) / Math.max(1, result.episodeReturns.length);
    if (best !== null && meanReturn <= best.meanReturn) return;
    best = { episode: trainer.episode, meanReturn };
    const state = keepBest.state();
    const arrays: Record<string, (typeof state.arrays)[string]> = {};
    for (const [k, v] of Object.entries(state.arrays)) arrays[`agent/${k}`] = v;
    const validation = { seed, episodes: keepBest.episodes, ...best };
    writeCheckpoint(runDir, { meta: { agentId: config.agent.id, family: family.id, scenario: { name: scenario.name }, validation, agent: state.meta }, arrays }, BEST_CHECKPOINT_FILE);
  };

  try {
    if (resumedFrom !== null) options.announce?.(`resuming at episode ${resumedFrom + 1}`);
    await runEpisodes(env, (obs, at) => agent.actExplore(obs, at), {
      firstEpisode: trainer.episode,
      episodes: Math.max(0, config.episodes - trainer.episode),
      seed: (episode) => deriveSeed(config.seed, 'train', episode),
      shouldStop: () => (options.stopAfter !== undefined && episodesThisProcess >= options.stopAfter) || options.signal?.aborted === true,
      onRoundStart: () => {
        kpis = family.kpis(scenario);
        kpis.beginEpisode();
        lastMetrics = null;
      },
      onStep: async (t) => {
        kpis.addStep(t);
        const m = await agent.observe(t);
        if (m) lastMetrics = m;
        stepsThisProcess += 1;
      },
      onEpisodeEnd: (e) => {
        trainer.totalSteps += e.length;
        const endMetrics = agent.endEpisode?.({ episode: e.episode, steps: e.length, return: e.return }) ?? {};
        lastTrain = {
          type: 'train',
          episode: e.episode + 1,
          steps: e.length,
          totalSteps: trainer.totalSteps,
          return: e.return,
          meanReward: e.return / Math.max(1, e.length),
          ...finite(kpis.result()),
          ...finite(lastMetrics),
          ...finite(endMetrics),
        };
        appendFileSync(metricsPath, `${JSON.stringify(lastTrain)}\n`);
        options.onEpisode?.(lastTrain);
      },
      onRoundEnd: async (results) => {
        const before = trainer.episode;
        trainer.episode = before + results.length;
        episodesThisProcess += results.length;
        const last = trainer.episode === config.episodes;
        const crossed = (every: number): boolean => Math.floor(trainer.episode / every) > Math.floor(before / every);
        if (config.evalEvery > 0 && (crossed(config.evalEvery) || last)) {
          const result = await evaluateFamilyPolicy(scenario, agent.evaluationPolicy(), { episodes: config.evalEpisodes, seed: options.evaluationSeed(config.seed) });
          const meanReturn = result.episodeReturns.reduce((a, b) => a + b, 0) / Math.max(1, result.episodeReturns.length);
          trainer.lastEval = { type: 'eval', episode: trainer.episode, meanReturn, ...finite(result.kpis), episodeReturns: result.episodeReturns };
          appendFileSync(metricsPath, `${JSON.stringify(trainer.lastEval)}\n`);
          options.onEpisode?.(trainer.lastEval);
        }
        if (keepBest && (crossed(keepBest.every) || last)) await validate();
        const e = results[results.length - 1]!;
        bar.update(trainer.episode, `ep ${trainer.episode}/${config.episodes} return ${e.return.toFixed(2)}`);
        if (crossed(config.checkpointEvery) || last || options.signal?.aborted) await checkpointRun();
      },
    });
  } catch (err) {
    agent.dispose();
    throw err;
  } finally {
    await env.close();
  }
  bar.done();
  const trainSeconds = (Date.now() - started) / 1000;
  const finalTrain = lastTrain as Record<string, unknown> | null;
  const summary: FamilyRunSummary = {
    runId: config.runId,
    runDir,
    agent: config.agent.id,
    scenario: scenario.name,
    seed: config.seed,
    episodes: config.episodes,
    completedEpisodes: trainer.episode,
    finished: trainer.episode >= config.episodes,
    totalSteps: trainer.totalSteps,
    updates: typeof finalTrain?.updates === 'number' ? finalTrain.updates : 0,
    trainSeconds,
    stepsPerSecond: stepsThisProcess / Math.max(trainSeconds, 1e-9),
    lastTrain: finalTrain,
    lastEval: trainer.lastEval,
    resumedFrom,
  };
  if (summary.finished) writeJsonAtomic(join(runDir, SUMMARY_FILE), summary);
  agent.dispose();
  return summary;
}

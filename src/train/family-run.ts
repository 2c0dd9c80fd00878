/**
 * The training loop of families other than slicing (docs/families.md): episodes of the family's
 * env with an agent that trains in the family's own spaces (AgentEntry.createForFamily), periodic
 * evaluation through the generic evaluation (eval/ evaluateFamilyPolicy, the family's KPIs), and
 * the same run directory as slicing runs — config.json, metrics.jsonl (one "train" line per
 * episode with the family's KPIs of that episode, one "eval" line per evaluation, one "validation" line per
 * keep-the-best validation), checkpoint.bin
 * (agent state + loop counters, replaced atomically), summary.json. Resume continues from the last
 * checkpoint and cuts metrics.jsonl back to it, so a resumed run equals an uninterrupted one.
 * Episode e is reset with seed deriveSeed(seed, 'train', e). train() (run.ts) dispatches here.
 *
 * An agent that is more than its networks brings the optional steps of FamilyTrainableAgent:
 * `prepare` before the first episode of a new run (PPO trains its demand predictor), checkpoint
 * parts beside its state (the predictor's weights, restored on resume instead of preparing
 * again), the env it acts on (`attachEnv`) and files of its own once the run has finished
 * (`writeArtifacts`: PPO's episode-log.json).
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BEST_CHECKPOINT_FILE, arraysWithPrefix, checkAgentFits, type AgentMetrics, type FamilyRunSummary, type FamilyTrainableAgent, writeCheckpoint } from '../agents/index.js';
import { evaluateFamilyPolicy, meanEpisodeReturn } from '../eval/index.js';
import { familyOf, resolveFamilyScenario } from '../families/index.js';
import { runEpisodes } from '../rollout/index.js';
import type { ScenarioBase } from '../scenario/index.js';
import { InputError, ProgressBar, checkSeed, deriveSeed, writeJsonAtomic } from '../util/index.js';
import type { RunOptions } from './options.js';
import { readRunJson } from './resume-check.js';
import {
  CONFIG_FILE,
  CheckpointSchedule,
  crossedMultiple,
  checkpointArrays,
  checkpointParts,
  finishSummary,
  finiteMetrics,
  freshTrainer,
  loopSettings,
  newRunDir,
  openMetrics,
  resumePoint,
  writeRunCheckpoint,
  type LoopSettings,
  type RunCheckpoint,
} from './run-dir.js';

export interface FamilyTrainOptions extends RunOptions {
  /** A resolved scenario of a family other than slicing (new runs). */
  scenario?: ScenarioBase;
  /** The held-out evaluation seed of a run seed (run.ts owns the rule). */
  evaluationSeed: (seed: number) => number;
  /** Versions and git state recorded in config.json (run.ts owns how they are found). */
  provenance?: Record<string, unknown>;
}

interface FamilyRunConfig extends LoopSettings {
  runId: string;
  family: string;
  agent: { id: string; settings: Record<string, unknown> };
  scenario: ScenarioBase;
  seed: number;
  createdAt: string;
  /** The agent's resolved settings as the run started with them (a resume builds the agent from these). */
  agentSettingsResolved?: Record<string, unknown>;
  [extra: string]: unknown;
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
  let trainer = freshTrainer();
  let checkpoint: RunCheckpoint | null = null;
  let resumedFrom: number | null = null;
  /** The best validation score so far (keep-the-best), carried in the checkpoint so a resumed run compares against it. */
  let best: { episode: number; meanReturn: number } | null = null;
  if (options.resume) {
    runDir = resolve(options.resume);
    const stored = readRunJson<FamilyRunConfig>(join(runDir, CONFIG_FILE));
    config = { ...stored, scenario: resolveFamilyScenario(stored.scenario), episodes: options.episodes ?? stored.episodes };
    const point = resumePoint<FamilyRunSummary>(runDir, config, options.announce ?? ((): void => {}));
    if ('finished' in point) return point.finished;
    ({ trainer, checkpoint } = point);
    if (checkpoint) {
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
    const loop = loopSettings(options, scenario.training);
    let runId: string;
    ({ runId, runDir } = newRunDir(options, { scenario: scenario.name, agent: agentId, seed }));
    const { id: _id, ...scenarioSettings } = scenario.agent;
    config = {
      runId,
      family: familyOf(scenario).id,
      agent: { id: agentId, settings: { ...scenarioSettings, ...options.agentSettings } },
      scenario,
      seed,
      ...loop,
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
    ...(options.resume && config.agentSettingsResolved ? { recordedSettings: config.agentSettingsResolved } : {}),
    plannedSteps: config.episodes * scenario.episodeSteps,
    runDir,
  });
  if (resumedFrom === null) writeJsonAtomic(join(runDir, CONFIG_FILE), { ...config, agentSettingsResolved: agent.settings() });
  const metricsPath = openMetrics(runDir, trainer.metricsBytes);
  let env: Awaited<ReturnType<typeof family.createEnv>>;
  try {
    if (checkpoint) {
      await agent.setState({ meta: checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(checkpoint.arrays, 'agent') });
      agent.restoreParts?.(checkpointParts(checkpoint));
    } else {
      await agent.prepare?.(options.announce ?? ((): void => {}));
    }
    env = await family.createEnv(scenario, { seed: config.seed, runDir });
    agent.attachEnv?.(env);
  } catch (err) {
    agent.dispose();
    throw err;
  }
  try {
    await options.onRunOpen?.(runDir);
  } catch (err) {
    agent.dispose();
    await env.close();
    throw err;
  }
  const bar = new ProgressBar({ total: config.episodes, label: `train ${config.agent.id}`, enabled: options.progress ?? true });
  const started = Date.now();
  let stepsThisProcess = 0;
  let episodesThisProcess = 0;
  let lastTrain: Record<string, unknown> | null = null;
  let lastMetrics: AgentMetrics | null = null;
  let kpis = family.kpis(scenario);

  const runMeta = { agentId: config.agent.id, family: family.id, scenario: { name: scenario.name } };
  const checkpoints = new CheckpointSchedule(config);
  const checkpointRun = async (): Promise<void> => {
    const state = await agent.getState();
    writeRunCheckpoint({ runDir, metricsPath, trainer }, state, { ...runMeta, ...(best ? { best } : {}) }, agent.checkpointParts?.());
    checkpoints.written();
  };

  const keepBest = agent.bestPolicy?.() ?? null;
  /** Scores the greedy policy on the validation episodes; a new best replaces best.bin. */
  const validate = async (): Promise<void> => {
    if (!keepBest) return;
    const seed = validationSeed(config.seed);
    const result = await evaluateFamilyPolicy(scenario, agent.evaluationPolicy(), { episodes: keepBest.episodes, seed });
    const meanReturn = meanEpisodeReturn(result);
    const previous = best;
    const improved = previous === null || meanReturn > previous.meanReturn;
    const kept = previous !== null && !improved ? previous : { episode: trainer.episode, meanReturn };
    best = kept;
    // One line per validation, as the evaluation lines: the curve that chose best.bin.
    const line = { type: 'validation', episode: trainer.episode, meanReturn, improved, bestEpisode: kept.episode, bestMeanReturn: kept.meanReturn, episodeReturns: result.episodeReturns };
    appendFileSync(metricsPath, `${JSON.stringify(line)}\n`);
    if (!improved) return;
    const state = keepBest.state();
    const validation = { seed, episodes: keepBest.episodes, ...kept };
    writeCheckpoint(runDir, { meta: { ...runMeta, validation, agent: state.meta }, arrays: checkpointArrays(state, agent.checkpointParts?.()) }, BEST_CHECKPOINT_FILE);
  };

  /** Set when `pruneAfterEvaluation` says so: the run stops there, unfinished. */
  let pruned = false;
  /** The run stops after this round (pruned, stopAfter reached, or Ctrl-C): it ends with a checkpoint. */
  const stopRequested = (): boolean => pruned || (options.stopAfter !== undefined && episodesThisProcess >= options.stopAfter) || options.signal?.aborted === true;

  try {
    if (resumedFrom !== null) options.announce?.(`resuming at episode ${resumedFrom + 1}`);
    await runEpisodes(env, (obs, at) => agent.actExplore(obs, at), {
      firstEpisode: trainer.episode,
      episodes: Math.max(0, config.episodes - trainer.episode),
      seed: (episode) => deriveSeed(config.seed, 'train', episode),
      shouldStop: stopRequested,
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
          ...finiteMetrics(kpis.result()),
          ...finiteMetrics(lastMetrics),
          ...finiteMetrics(endMetrics),
        };
        appendFileSync(metricsPath, `${JSON.stringify(lastTrain)}\n`);
        options.onEpisode?.(lastTrain);
      },
      onRoundEnd: async (results) => {
        const before = trainer.episode;
        trainer.episode = before + results.length;
        episodesThisProcess += results.length;
        const last = trainer.episode === config.episodes;
        const crossed = (every: number): boolean => crossedMultiple(before, trainer.episode, every);
        if (config.evalEvery > 0 && (crossed(config.evalEvery) || last)) {
          const result = await evaluateFamilyPolicy(scenario, agent.evaluationPolicy(), { episodes: config.evalEpisodes, seed: options.evaluationSeed(config.seed) });
          const meanReturn = meanEpisodeReturn(result);
          trainer.lastEval = { type: 'eval', episode: trainer.episode, meanReturn, ...finiteMetrics(result.kpis), episodeReturns: result.episodeReturns };
          appendFileSync(metricsPath, `${JSON.stringify(trainer.lastEval)}\n`);
          options.onEpisode?.(trainer.lastEval);
          if (options.pruneAfterEvaluation?.(trainer.lastEval)) pruned = true;
        }
        if (keepBest && (crossed(keepBest.every) || last)) await validate();
        const e = results[results.length - 1]!;
        const kept = best ? `, best validation ${best.meanReturn.toFixed(2)} (ep ${best.episode})` : '';
        bar.update(trainer.episode, `ep ${trainer.episode}/${config.episodes} return ${e.return.toFixed(2)}${kept}`);
        if (checkpoints.due(before, trainer.episode, last || stopRequested())) await checkpointRun();
      },
    });
  } catch (err) {
    agent.dispose();
    throw err;
  } finally {
    await env.close();
  }
  bar.done();
  try {
    if (trainer.episode >= config.episodes) await agent.writeArtifacts?.(runDir);
  } catch (err) {
    agent.dispose();
    throw err;
  }
  // Family agents train on the native engine (or its TypeScript fallback) and keep no replay-size setting.
  const summary = finishSummary(
    { config, runDir, agentId: config.agent.id, scenarioName: scenario.name, trainer, started, stepsThisProcess, lastTrain, resumedFrom },
    { backend: 'native', replayBytesPerTransition: null, warnings: [] },
  );
  agent.dispose();
  return summary;
}

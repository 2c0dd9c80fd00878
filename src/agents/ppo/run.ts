// The training run of PPO on a vnf-migration scenario, in the run-directory layout of `ns3ts
// train` (config.json, metrics.jsonl, checkpoint.bin, summary.json; see src/train/run.ts) plus
// episode-log.json, the per-step record of the greedy policy's evaluation episode. The run first
// trains the twin's demand predictor (federated Bi-GRU by default, its weights checkpointed with
// the agent), then plays one episode per PPO update: episode e is reset with deriveSeed(seed,
// 'train', e), so a resumed run continues exactly as an uninterrupted one.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VNF_FAMILY_ID, VnfEnv, movesToAction, resolveFamilyScenario, type DemandForecaster, type FamilyPolicy, type VnfAction, type VnfObs, type VnfScenario, type VnfStepRecord } from '../../families/index.js';
import { InputError, ProgressBar, checkOutputDir, checkRunId, checkSeed, deriveSeed, writeJsonAtomic } from '../../util/index.js';
import { selectBackend } from '../backend.js';
import { CHECKPOINT_FILE, arraysWithPrefix, readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import type { StoredArray } from '../checkpoint-format.js';
import type { FamilyRunOptions, FamilyRunSummary } from '../agent.js';
import { BiGruPredictor, buildPredictor, setWeights, trainCentralisedPredictor, trainFederatedPredictor, PREDICTOR_DEFAULTS, FEDERATED_DEFAULTS, getWeights, type FederatedSettings, type PredictorSettings } from '../predictor/index.js';
import { naiveForecaster } from '../../families/index.js';
import { PpoAgent, type PpoSettings } from './agent.js';

export const PREDICTORS = ['federated', 'centralised', 'last-value', 'seasonal'] as const;
export type PredictorChoice = (typeof PREDICTORS)[number];

export type PpoRunOptions = FamilyRunOptions;
export type PpoRunSummary = FamilyRunSummary;

interface PpoRunConfig {
  runId: string;
  agent: { id: 'ppo'; settings: Record<string, unknown> };
  scenario: VnfScenario;
  seed: number;
  episodes: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  predictor: PredictorChoice;
  backend: { name: string; requested: string };
  createdAt: string;
}

interface Trainer {
  episode: number;
  totalSteps: number;
  metricsBytes: number;
  lastEval: Record<string, unknown> | null;
}

function integer(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InputError(field, value, `an integer >= ${min}`);
  return value;
}

function splitSettings(settings: Record<string, unknown>): { predictor: PredictorChoice; ppo: Partial<PpoSettings> } {
  const { predictor = 'federated', ...ppo } = settings;
  if (!(PREDICTORS as readonly unknown[]).includes(predictor)) throw new InputError('agent.predictor', predictor, PREDICTORS.join(', '));
  return { predictor: predictor as PredictorChoice, ppo: ppo as Partial<PpoSettings> };
}

/** The forecaster of a run: trained here (Bi-GRU) or naive. */
async function buildForecaster(scenario: VnfScenario, choice: PredictorChoice, seed: number, announce: (line: string) => void): Promise<DemandForecaster> {
  if (choice === 'last-value' || choice === 'seasonal') return naiveForecaster(choice, scenario);
  announce(`training the ${choice} Bi-GRU demand predictor`);
  const options = { seed: deriveSeed(seed, 'predictor') };
  return choice === 'federated' ? trainFederatedPredictor(scenario, options) : trainCentralisedPredictor(scenario, options);
}

function predictorArrays(forecaster: DemandForecaster): Record<string, StoredArray> {
  if (!(forecaster instanceof BiGruPredictor)) return {};
  const arrays: Record<string, StoredArray> = { scale: forecaster.scale };
  getWeights(forecaster.model).forEach((w, i) => (arrays[`w${i}`] = w));
  return arrays;
}

function restorePredictor(scenario: VnfScenario, choice: PredictorChoice, arrays: Record<string, StoredArray>): DemandForecaster {
  if (choice === 'last-value' || choice === 'seasonal') return naiveForecaster(choice, scenario);
  const settings: PredictorSettings = { ...PREDICTOR_DEFAULTS, window: scenario.vnf.window };
  const model = buildPredictor(settings, 0);
  const weights: Float32Array[] = [];
  for (let i = 0; arrays[`w${i}`]; i++) weights.push(arrays[`w${i}`] as Float32Array);
  setWeights(model, weights);
  return new BiGruPredictor(`bigru-${choice}`, model, arrays.scale as Float64Array, settings, scenario.vnf.stepsPerDay, 0);
}

/** The greedy PPO policy for the generic rollout (eval, report). */
export function ppoPolicy(agent: PpoAgent, env: VnfEnv): FamilyPolicy<VnfObs, VnfAction> {
  return { id: 'ppo', act: () => movesToAction(env.scenario, agent.act(env, false)) };
}

/** Plays `episodes` episodes greedily from `seed`; returns the step records and the mean return. */
export async function evaluatePpo(agent: PpoAgent, env: VnfEnv, seed: number, episodes: number): Promise<{ records: VnfStepRecord[][]; meanReturn: number }> {
  const records: VnfStepRecord[][] = [];
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    await env.reset({ seed: seed + e });
    let done = false;
    while (!done) {
      const result = await env.step(movesToAction(env.scenario, agent.act(env, false)));
      total += result.reward;
      done = result.truncated || result.terminated;
    }
    records.push(env.records);
  }
  return { records, meanReturn: total / episodes };
}

function episodeKpis(records: readonly VnfStepRecord[]): Record<string, number> {
  const sum = (key: keyof VnfStepRecord): number => records.reduce((a, r) => a + (r[key] as number), 0);
  return {
    energyKWh: sum('energyKWh'),
    loadVariance: sum('loadVariance') / Math.max(1, records.length),
    migrations: sum('migrations'),
    downtimeSeconds: sum('downtimeSeconds'),
    overloadCpu: sum('overloadCpu'),
    objective: sum('cost'),
    forecastMae: sum('forecastMae') / Math.max(1, records.length),
    twinEnergyErrorPct: (100 * Math.abs(sum('twinEnergyKWh') - sum('energyKWh'))) / Math.max(1e-12, sum('energyKWh')),
  };
}

/** Trains PPO on a vnf-migration scenario into a run directory (new or resumed). */
export async function trainPpoRun(options: PpoRunOptions): Promise<PpoRunSummary> {
  const announce = options.announce ?? ((): void => {});
  let config: PpoRunConfig;
  let runDir: string;
  let trainer: Trainer = { episode: 0, totalSteps: 0, metricsBytes: 0, lastEval: null };
  let checkpoint: ReturnType<typeof readCheckpoint> | null = null;
  let resumedFrom: number | null = null;
  if (options.resume) {
    runDir = resolve(options.resume);
    config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as PpoRunConfig;
    config.scenario = resolveFamilyScenario(config.scenario) as VnfScenario;
    if (options.episodes !== undefined) config.episodes = integer(options.episodes, '--episodes', 1);
    if (existsSync(join(runDir, CHECKPOINT_FILE))) {
      checkpoint = readCheckpoint(runDir);
      trainer = checkpoint.meta.trainer as Trainer;
      resumedFrom = trainer.episode;
    }
  } else {
    const scenario = resolveFamilyScenario(options.scenario ?? 'vnf-twin') as VnfScenario;
    if (scenario.family !== VNF_FAMILY_ID) throw new InputError('--scenario', scenario.name, `a scenario of family ${VNF_FAMILY_ID} (ppo trains VNF migration)`);
    const seed = checkSeed(options.seed ?? scenario.seed, '--seed');
    const runId = options.runId === undefined ? `${scenario.name}-ppo-s${seed}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}` : checkRunId(options.runId);
    runDir = resolve(checkOutputDir(options.outDir ?? 'runs', '--out'), runId);
    if (existsSync(join(runDir, 'config.json'))) throw new InputError('run directory', runDir, 'a new directory (use --resume to continue a run)');
    const settings = { ...scenario.agent, ...options.agentSettings } as Record<string, unknown>;
    delete settings.id;
    const backend = await selectBackend('auto');
    config = {
      runId,
      agent: { id: 'ppo', settings },
      scenario,
      seed,
      episodes: integer(options.episodes ?? scenario.training.episodes, '--episodes', 1),
      evalEvery: integer(options.evalEvery ?? scenario.training.evalEvery, '--eval-every', 0),
      evalEpisodes: integer(options.evalEpisodes ?? scenario.training.evalEpisodes, 'evalEpisodes', 1),
      checkpointEvery: integer(options.checkpointEvery ?? 1, 'checkpointEvery', 1),
      predictor: splitSettings(settings).predictor,
      backend: { name: backend.name, requested: 'auto' },
      createdAt: new Date().toISOString(),
    };
    mkdirSync(runDir, { recursive: true });
    writeJsonAtomic(join(runDir, 'config.json'), config);
  }
  options.onRunDir?.(runDir);
  await selectBackend('auto');
  const scenario = config.scenario;
  const { ppo } = splitSettings(config.agent.settings);
  const forecaster = checkpoint ? restorePredictor(scenario, config.predictor, arraysWithPrefix(checkpoint.arrays, 'predictor')) : await buildForecaster(scenario, config.predictor, config.seed, announce);
  const env = new VnfEnv(scenario, { seed: config.seed, forecaster });
  const maxRows = Math.max(env.twin.vnfCount + 1, env.twin.nodeCount);
  const agent = new PpoAgent(maxRows, config.seed, ppo, config.episodes);
  if (checkpoint) agent.setState({ meta: checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(checkpoint.arrays, 'agent') });
  if (resumedFrom === null) writeJsonAtomic(join(runDir, 'config.json'), { ...config, agentSettingsResolved: { ...agent.settings, predictor: config.predictor } });
  const metricsPath = join(runDir, 'metrics.jsonl');
  if (existsSync(metricsPath)) {
    if (statSync(metricsPath).size !== trainer.metricsBytes) truncateSync(metricsPath, trainer.metricsBytes);
  } else writeFileSync(metricsPath, '');
  if (resumedFrom !== null) announce(`resuming at episode ${resumedFrom + 1}`);
  const append = (line: Record<string, unknown>): void => {
    const text = `${JSON.stringify(line)}\n`;
    appendFileSync(metricsPath, text);
    trainer.metricsBytes += Buffer.byteLength(text);
  };
  const save = (): void => {
    const state = agent.getState();
    const arrays: Record<string, StoredArray> = {};
    for (const [k, v] of Object.entries(state.arrays)) arrays[`agent/${k}`] = v;
    for (const [k, v] of Object.entries(predictorArrays(forecaster))) arrays[`predictor/${k}`] = v;
    // agentId: what `ns3ts eval --policy checkpoint:<run>` dispatches on, as for every agent's checkpoint.
    writeCheckpoint(runDir, { meta: { agentId: 'ppo', agent: state.meta, trainer: { ...trainer } }, arrays });
  };
  const bar = new ProgressBar({ total: config.episodes, label: 'train ppo', enabled: options.progress ?? true });
  const started = Date.now();
  let stepsThisProcess = 0;
  let lastTrain: Record<string, unknown> | null = null;
  let played = 0;
  while (trainer.episode < config.episodes) {
    if (options.signal?.aborted || (options.stopAfter !== undefined && played >= options.stopAfter)) break;
    const e = trainer.episode;
    await env.reset({ seed: deriveSeed(config.seed, 'train', e) });
    let ret = 0;
    let done = false;
    while (!done) {
      const moves = agent.act(env, true, true);
      const result = await env.step(movesToAction(scenario, moves));
      done = result.truncated || result.terminated;
      agent.observe(result.reward, done);
      ret += result.reward;
      stepsThisProcess++;
      trainer.totalSteps++;
    }
    const metrics = agent.update(0);
    const line: Record<string, unknown> = { type: 'train', episode: e + 1, return: ret, steps: env.records.length, ...episodeKpis(env.records), ...metrics };
    trainer.episode += 1;
    played += 1;
    append(line);
    lastTrain = line;
    options.onEpisode?.(line);
    bar.update(trainer.episode, `return ${ret.toFixed(2)}`);
    const last = trainer.episode === config.episodes;
    if (config.evalEvery > 0 && (trainer.episode % config.evalEvery === 0 || last)) {
      const evalEnv = new VnfEnv(scenario, { seed: scenario.seed, forecaster });
      const { records, meanReturn } = await evaluatePpo(agent, evalEnv, deriveSeed(config.seed, 'eval'), config.evalEpisodes);
      const kpis = episodeKpis(records.flat());
      // Sums over the evaluation episodes, per episode.
      for (const key of ['energyKWh', 'migrations', 'downtimeSeconds', 'overloadCpu', 'objective']) kpis[key] = kpis[key]! / records.length;
      const evaluation = { type: 'eval', episode: trainer.episode, return: meanReturn, ...kpis };
      append(evaluation);
      trainer.lastEval = evaluation;
    }
    if (trainer.episode % config.checkpointEvery === 0 || last || options.signal?.aborted) save();
  }
  if (process.stderr.isTTY) bar.done();
  const finished = trainer.episode >= config.episodes;
  const seconds = (Date.now() - started) / 1000;
  if (finished) {
    // The per-step record of one greedy evaluation episode (the run's log of what the policy did).
    const logEnv = new VnfEnv(scenario, { seed: scenario.seed, forecaster });
    const { records } = await evaluatePpo(agent, logEnv, deriveSeed(config.seed, 'eval'), 1);
    writeJsonAtomic(join(runDir, 'episode-log.json'), { scenario: scenario.name, policy: 'ppo', forecaster: forecaster.id, seed: deriveSeed(config.seed, 'eval'), steps: records[0] });
  }
  const summary: PpoRunSummary = {
    runId: config.runId,
    runDir,
    agent: 'ppo',
    scenario: scenario.name,
    seed: config.seed,
    episodes: config.episodes,
    completedEpisodes: trainer.episode,
    finished,
    totalSteps: trainer.totalSteps,
    updates: agent.updates,
    trainSeconds: seconds,
    stepsPerSecond: seconds > 0 ? stepsThisProcess / seconds : 0,
    backend: config.backend.name,
    replayBytesPerTransition: null,
    lastTrain,
    lastEval: trainer.lastEval,
    resumedFrom,
    warnings: [],
  };
  if (finished) writeJsonAtomic(join(runDir, 'summary.json'), summary);
  if (forecaster instanceof BiGruPredictor) forecaster.dispose();
  return summary;
}

/** The trained PPO of a run directory and the forecaster it planned with. */
export function loadPpoRun(runDir: string): { agent: PpoAgent; forecaster: DemandForecaster; scenario: VnfScenario } {
  const config = JSON.parse(readFileSync(join(resolve(runDir), 'config.json'), 'utf8')) as PpoRunConfig;
  const scenario = resolveFamilyScenario(config.scenario) as VnfScenario;
  const checkpoint = readCheckpoint(resolve(runDir));
  const forecaster = restorePredictor(scenario, config.predictor, arraysWithPrefix(checkpoint.arrays, 'predictor'));
  const probe = new VnfEnv(scenario, { forecaster });
  const agent = new PpoAgent(Math.max(probe.twin.vnfCount + 1, probe.twin.nodeCount), config.seed, splitSettings(config.agent.settings).ppo, config.episodes);
  agent.setState({ meta: checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(checkpoint.arrays, 'agent') });
  return { agent, forecaster, scenario };
}

export { FEDERATED_DEFAULTS, type FederatedSettings };

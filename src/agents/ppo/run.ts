// PPO's run on a vnf-migration scenario: the agent the family training loop drives
// (train/family-run.ts, the run directory of every family), its demand predictor and the files
// of its run. Before the first episode the run trains the twin's demand predictor (federated
// Bi-GRU by default; its weights are checkpointed as `predictor/…` beside the agent), then plays
// one episode per PPO update; a finished run also has episode-log.json, the per-step record of the
// greedy policy's evaluation episode. loadPpoRun reads a run back (`ns3ts eval -p checkpoint:`).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from '../../env/index.js';
import { VnfEnv, movesToAction, naiveForecaster, resolveFamilyScenario, type DemandForecaster, type FamilyPolicy, type VnfAction, type VnfObs, type VnfScenario, type VnfStepRecord } from '../../families/index.js';
import type { Transition as RolloutTransition } from '../../rollout/index.js';
import type { ScenarioBase } from '../../scenario/index.js';
import { InputError, Ns3tsError, deriveSeed, writeJsonAtomic } from '../../util/index.js';
import type { AgentCreateOptions, AgentMetrics, AgentState, FamilyTrainableAgent } from '../agent.js';
import { selectBackend } from '../backend.js';
import { arraysWithPrefix, readCheckpoint } from '../checkpoint.js';
import type { StoredArray } from '../checkpoint-format.js';
import { BiGruPredictor, buildPredictor, setWeights, trainCentralisedPredictor, trainFederatedPredictor, PREDICTOR_DEFAULTS, FEDERATED_DEFAULTS, getWeights, type FederatedSettings, type PredictorSettings } from '../predictor/index.js';
import { overridesFor } from '../core/settings.js';
import { PPO_DEFAULTS, PpoAgent, type PpoSettings } from './agent.js';

export const PREDICTORS = ['federated', 'centralised', 'last-value', 'seasonal'] as const;
export type PredictorChoice = (typeof PREDICTORS)[number];

/** The run's per-step log of one greedy evaluation episode. */
export const EPISODE_LOG_FILE = 'episode-log.json';

/** What loadPpoRun reads of a run's config.json. */
interface PpoRunConfig {
  agent: { settings: Record<string, unknown> };
  scenario: VnfScenario;
  seed: number;
  episodes: number;
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

/**
 * PPO as the family loop (train/family-run.ts) drives it: it acts on the env it is attached to (the
 * twin's masks), keeps each step's reward and makes one update per episode; before the first
 * episode it trains its demand predictor (restored from the checkpoint's `predictor/` arrays on
 * resume), and a finished run gets episode-log.json.
 */
class PpoFamilyAgent implements FamilyTrainableAgent<VnfObs, VnfAction> {
  readonly id = 'ppo';
  private env: VnfEnv | null = null;
  private forecaster: DemandForecaster | null = null;

  constructor(
    private readonly scenario: VnfScenario,
    private readonly seed: number,
    private readonly predictor: PredictorChoice,
    private readonly ppo: PpoAgent,
  ) {}

  async prepare(announce: (line: string) => void): Promise<void> {
    this.forecaster = await buildForecaster(this.scenario, this.predictor, this.seed, announce);
  }

  restoreParts(parts: Record<string, Record<string, StoredArray>>): void {
    this.forecaster = restorePredictor(this.scenario, this.predictor, parts.predictor ?? {});
  }

  checkpointParts(): Record<string, Record<string, StoredArray>> {
    return { predictor: predictorArrays(this.plannedWith()) };
  }

  attachEnv(env: Env<VnfObs, VnfAction>): void {
    this.env = this.plan(env);
  }

  actExplore(): VnfAction {
    if (!this.env) throw new Ns3tsError('ppo: no env attached (the family loop attaches its env before the first episode)');
    return movesToAction(this.scenario, this.ppo.act(this.env, true, true));
  }

  observe(transition: RolloutTransition<VnfObs, VnfAction>): null {
    this.ppo.observe(transition.reward, transition.terminated || transition.truncated);
    return null;
  }

  endEpisode(): AgentMetrics {
    return { ...this.ppo.update(0), updates: this.ppo.updates };
  }

  evaluationPolicy(): (env: Env) => FamilyPolicy<VnfObs, VnfAction> {
    return (env) => ppoPolicy(this.ppo, this.plan(env));
  }

  settings(): Record<string, unknown> {
    return { ...this.ppo.settings, predictor: this.predictor };
  }

  getState(): AgentState {
    return this.ppo.getState();
  }

  setState(state: AgentState): void {
    this.ppo.setState(state);
  }

  async writeArtifacts(runDir: string): Promise<void> {
    // The per-step record of one greedy evaluation episode (the run's log of what the policy did).
    const forecaster = this.plannedWith();
    const { records } = await evaluatePpo(this.ppo, new VnfEnv(this.scenario, { seed: this.scenario.seed, forecaster }), deriveSeed(this.seed, 'eval'), 1);
    writeJsonAtomic(join(runDir, EPISODE_LOG_FILE), { scenario: this.scenario.name, policy: 'ppo', forecaster: forecaster.id, seed: deriveSeed(this.seed, 'eval'), steps: records[0] });
  }

  dispose(): void {
    if (this.forecaster instanceof BiGruPredictor) this.forecaster.dispose();
  }

  private plannedWith(): DemandForecaster {
    if (!this.forecaster) throw new Ns3tsError('ppo: no demand predictor (the family loop prepares or restores it before the first episode)');
    return this.forecaster;
  }

  /** The env as PPO plays it: the VNF-migration twin, planning with the run's predictor. */
  private plan(env: Env): VnfEnv {
    if (!(env instanceof VnfEnv)) throw new InputError('env', env?.constructor?.name, 'the VNF-migration env');
    env.setForecaster(this.plannedWith());
    return env;
  }
}

/** A PPO agent sized for the scenario's twin (its widest scorer batch: the VNFs and "stop", or the nodes). */
function ppoAgentFor(scenario: VnfScenario, seed: number, settings: Partial<PpoSettings>, episodes: number): PpoAgent {
  const probe = new VnfEnv(scenario);
  return new PpoAgent(Math.max(probe.twin.vnfCount + 1, probe.twin.nodeCount), seed, settings, episodes);
}

/** AgentEntry.createForFamily of `ppo`: the agent the family loop trains on a vnf-migration scenario. */
export async function createPpoForFamily(scenario: ScenarioBase, options: AgentCreateOptions): Promise<FamilyTrainableAgent<VnfObs, VnfAction>> {
  const vnf = scenario as VnfScenario;
  // A resumed run keeps the settings it recorded (overridesFor), its predictor included.
  const { predictor, ppo } = splitSettings(overridesFor(PPO_DEFAULTS, options, { alsoKeys: ['predictor'] }));
  // The Bi-GRU predictor trains on TF.js: its backend is chosen before anything is built.
  await selectBackend('auto');
  // One update per episode: the learning-rate decay spans the run's episodes.
  const episodes = Math.max(1, Math.round((options.plannedSteps ?? vnf.episodeSteps) / vnf.episodeSteps));
  return new PpoFamilyAgent(vnf, options.seed, predictor, ppoAgentFor(vnf, options.seed, ppo, episodes));
}

/** The trained PPO of a run directory and the forecaster it planned with. */
export function loadPpoRun(runDir: string): { agent: PpoAgent; forecaster: DemandForecaster; scenario: VnfScenario } {
  const config = JSON.parse(readFileSync(join(resolve(runDir), 'config.json'), 'utf8')) as PpoRunConfig;
  const scenario = resolveFamilyScenario(config.scenario) as VnfScenario;
  const checkpoint = readCheckpoint(resolve(runDir));
  const { predictor, ppo } = splitSettings(config.agent.settings);
  const forecaster = restorePredictor(scenario, predictor, arraysWithPrefix(checkpoint.arrays, 'predictor'));
  const agent = ppoAgentFor(scenario, config.seed, ppo, config.episodes);
  agent.setState({ meta: checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(checkpoint.arrays, 'agent') });
  return { agent, forecaster, scenario };
}

export { FEDERATED_DEFAULTS, type FederatedSettings };

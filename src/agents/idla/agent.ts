/**
 * The `idla` agent: collect samples (phase H0: `collectSteps` env steps under the collection
 * policy), fit the QoS estimator once, then act with the Lagrangian search. Its state (samples,
 * estimator) goes into the training loop's checkpoints; with a run directory it also writes the
 * samples and the estimator (an MlpSpec JSON with its train/test MAE) there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NdArray } from '../../env/index.js';
import type { SlicingLayout } from '../../families/index.js';
import { InputError, Ns3tsError, deriveSeed } from '../../util/index.js';
import type { AgentCreateOptions, AgentEntry, AgentMetrics, AgentScenario, AgentState, TrainableAgent, Transition } from '../agent.js';
import { SLICING_SPACES } from '../agent.js';
import type { TrainingEngine } from '../backend.js';
import { overridesFor } from '../core/settings.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../checkpoint.js';
import type { PolicyContext, SlicingPolicy } from '../policy.js';
import { CollectionPolicy } from './collect.js';
import { type EstimatorFile, fitEstimator, loadEstimator, mlpSpecFromJson, mlpSpecToJson, saveEstimator } from './estimator.js';
import { IdlaPolicy } from './policy.js';
import { SampleCollector, SampleSet, type ShareInput, saveSamples } from './samples.js';
import type { SearchOptions } from './search.js';
import type { FeatureSet } from './features.js';

export const ESTIMATOR_FILE = 'idla-estimator.json';

export interface IdlaSettings {
  /** Env steps of sample collection before the estimator is fitted (phase H0). */
  collectSteps: number;
  /** Fraction of cell-steps with random shares while collecting (the rest: traffic-proportional). */
  randomFraction: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  trainFraction: number;
  /** Fraction of the epochs on the squared error before the MAE (see EstimatorOptions.mseWarmup). */
  mseWarmup: number;
  /** Relabelled copies per training sample (augment.ts; 0 = the paper's two augmentation rules only). */
  relabel: number;
  shareInput: ShareInput;
  /**
   * Estimator inputs: 'paper' (the paper's 13) or 'extended' (plus the slice's backlog and offered
   * load of the last step; see features.ts and the README's IDLA section for the measurements).
   */
  features: FeatureSet;
  /** Search: neighbours P, noise, i_max, eta, steps and decay. */
  neighbours: number;
  noise: number;
  maxIterations: number;
  eta: number;
  stepX: number;
  stepLambda: number;
  decay: number;
  /** Spread unused capacity over the active slices after the search (0 = the paper's plain result). */
  fillSlack: number;
  /** Grid start with this many points per slice (0 = the paper's starts only; see SearchOptions.gridPoints). */
  gridPoints: number;
  /** Stop starts trailing their cell's best from this iteration on (0 = never; see SearchOptions.pruneAfter). */
  pruneAfter: number;
  /** Objective gap beyond which a start is pruned (SearchOptions.pruneMargin). */
  pruneMargin: number;
  /** Stop a start that coincides with another of its cell (0 = never; SearchOptions.mergeTolerance). */
  mergeTolerance: number;
  /** Where samples and the estimator are written ('' = only into checkpoints). */
  runDir: string;
}

export const IDLA_DEFAULTS: IdlaSettings = {
  collectSteps: 1000,
  randomFraction: 1,
  epochs: 60,
  batchSize: 256,
  learningRate: 1e-3,
  trainFraction: 0.75,
  mseWarmup: 1,
  relabel: 2,
  shareInput: 'share',
  features: 'paper',
  neighbours: 5,
  noise: 0.05,
  maxIterations: 120,
  eta: 1e-2,
  stepX: 0.05,
  stepLambda: 0.5,
  decay: 0.05,
  fillSlack: 1,
  gridPoints: 11,
  pruneAfter: 0,
  pruneMargin: 0.05,
  mergeTolerance: 0,
  runDir: '',
};

/** Scenario `agent` keys that are not IDLA settings but scenario metadata. */
const IGNORED_KEYS = new Set(['id', 'optimizeFrom', 'history']);

export function resolveIdlaSettings(overrides: Record<string, unknown> = {}): IdlaSettings {
  const settings: IdlaSettings = { ...IDLA_DEFAULTS };
  for (const [key, value] of Object.entries(overrides)) {
    if (IGNORED_KEYS.has(key)) continue;
    if (!(key in IDLA_DEFAULTS)) throw new InputError(`agent.${key}`, value, `one of ${Object.keys(IDLA_DEFAULTS).join(', ')}`);
    const current = IDLA_DEFAULTS[key as keyof IdlaSettings];
    if (typeof current === 'number') {
      const v = typeof value === 'string' ? Number(value) : value;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError(`agent.${key}`, value, 'a finite number >= 0');
      (settings as unknown as Record<string, unknown>)[key] = v;
    } else if (key === 'shareInput') {
      if (value !== 'share' && value !== 'used') throw new InputError('agent.shareInput', value, "'share' or 'used'");
      settings.shareInput = value;
    } else if (key === 'features') {
      if (value !== 'paper' && value !== 'extended') throw new InputError('agent.features', value, "'paper' or 'extended'");
      settings.features = value;
    } else {
      if (typeof value !== 'string') throw new InputError(`agent.${key}`, value, 'a string');
      (settings as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const key of ['collectSteps', 'epochs', 'batchSize', 'neighbours', 'maxIterations', 'gridPoints', 'relabel', 'pruneAfter'] as const) {
    if (!Number.isInteger(settings[key])) throw new InputError(`agent.${key}`, settings[key], 'an integer');
  }
  if (settings.gridPoints === 1) throw new InputError('agent.gridPoints', 1, 'an integer >= 2, or 0 for no grid start');
  if (settings.epochs < 1 || settings.batchSize < 1) throw new InputError('agent.epochs/batchSize', [settings.epochs, settings.batchSize], 'integers >= 1');
  return settings;
}

export function searchOptionsOf(settings: IdlaSettings): SearchOptions {
  return {
    neighbours: settings.neighbours,
    noise: settings.noise,
    maxIterations: settings.maxIterations,
    eta: settings.eta,
    stepX: settings.stepX,
    stepLambda: settings.stepLambda,
    decay: settings.decay,
    fillSlack: settings.fillSlack > 0,
    gridPoints: settings.gridPoints,
    pruneAfter: settings.pruneAfter,
    pruneMargin: settings.pruneMargin,
    mergeTolerance: settings.mergeTolerance,
  };
}

export class IdlaAgent implements TrainableAgent {
  readonly id = 'idla';
  private readonly collection: CollectionPolicy;
  private collector: SampleCollector | null = null;
  private samples = new SampleSet(1024);
  private collected = 0;
  private estimator: EstimatorFile | null = null;
  private policy: IdlaPolicy | null = null;

  constructor(
    readonly layout: SlicingLayout,
    readonly config: IdlaSettings,
    private readonly seed: number,
    /** What trains the estimator (default: the selected backend's engine). */
    private readonly engine?: TrainingEngine,
  ) {
    this.collection = new CollectionPolicy(deriveSeed(seed, 'idla-collect'), config.randomFraction);
  }

  /** 'collect' until the estimator is fitted, then 'optimize'. */
  get phase(): 'collect' | 'optimize' {
    return this.policy ? 'optimize' : 'collect';
  }

  get sampleCount(): number {
    return this.samples.size;
  }

  get estimatorFile(): EstimatorFile | null {
    return this.estimator;
  }

  reset(): void {
    this.policy?.reset();
  }

  act(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array | Promise<Float32Array> {
    return this.policy ? this.policy.act(obs, context) : this.collection.act(obs);
  }

  actExplore(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array | Promise<Float32Array> {
    return this.act(obs, context);
  }

  async observe(transition: Transition): Promise<AgentMetrics | null> {
    if (this.policy) return null;
    const [cells, slices] = transition.obs.shape as [number, number, number];
    if (!this.collector || transition.step === 0) {
      this.collector = new SampleCollector(cells, slices, this.samples);
      this.collector.observe(transition.obs.data, true);
    }
    this.collector.observe(transition.nextObs.data);
    this.collected += 1;
    if (this.collected < this.config.collectSteps) return null;
    const report = await this.fit();
    return { estimatorTrainMae: report.trainMae, estimatorTestMae: report.testMae, samples: this.samples.size };
  }

  /** Fits the estimator on the samples collected so far and switches to the search. */
  async fit(progress = false): Promise<EstimatorFile['report']> {
    const fitted = await fitEstimator(this.samples, {
      epochs: this.config.epochs,
      batchSize: this.config.batchSize,
      learningRate: this.config.learningRate,
      trainFraction: this.config.trainFraction,
      mseWarmup: this.config.mseWarmup,
      relabel: this.config.relabel,
      shareInput: this.config.shareInput,
      features: this.config.features,
      seed: deriveSeed(this.seed, 'idla-estimator'),
      progress,
      ...(this.engine === undefined ? {} : { engine: this.engine }),
    });
    this.estimator = { kind: 'idla-estimator', version: 1, shareInput: fitted.shareInput, features: fitted.features, spec: mlpSpecToJson(fitted.spec), report: fitted.report };
    this.policy = new IdlaPolicy(fitted.spec, { search: searchOptionsOf(this.config), seed: deriveSeed(this.seed, 'idla-search') });
    if (this.config.runDir) {
      saveSamples(this.config.runDir, this.samples);
      saveEstimator(join(this.config.runDir, ESTIMATOR_FILE), this.estimator);
    }
    return fitted.report;
  }

  evaluationPolicy(): SlicingPolicy {
    return this.policy ?? { id: 'idla-collect', act: (obs) => this.collection.act(obs) };
  }

  settings(): Record<string, unknown> {
    return { ...this.config };
  }

  getState(): AgentState {
    return {
      meta: { collected: this.collected, estimator: this.estimator, collectRng: this.collection.rng.getState(), searchRng: this.policy?.rng.getState() ?? null },
      arrays: { samples: this.samples.data.slice() },
    };
  }

  setState(state: AgentState): void {
    const samples = state.arrays.samples;
    if (!(samples instanceof Float32Array)) throw new InputError('idla state samples', samples, 'a Float32Array');
    this.samples = SampleSet.fromData(samples);
    this.collector = null;
    this.collected = Number(state.meta.collected ?? 0);
    const estimator = (state.meta.estimator ?? null) as EstimatorFile | null;
    this.estimator = estimator;
    this.policy = estimator
      ? new IdlaPolicy(mlpSpecFromJson(estimator.spec), { search: searchOptionsOf(this.config), seed: deriveSeed(this.seed, 'idla-search') })
      : null;
    // Checkpoints written before the RNG states were kept resume with fresh draws, as they did.
    const { collectRng, searchRng } = state.meta as { collectRng?: number[]; searchRng?: number[] | null };
    if (collectRng) this.collection.rng.setState(collectRng);
    if (searchRng && this.policy) this.policy.rng.setState(searchRng);
  }

  dispose(): void {
    // Nothing held in TensorFlow.js: the estimator lives as an MlpSpec on the MLP runner.
  }
}

/**
 * The trained IDLA policy of a run directory: the estimator from `idla-estimator.json` when the
 * run wrote one, else from the agent state in the run's last checkpoint; search settings from the
 * run's config.
 */
export async function loadIdlaPolicy(runDir: string, overrides: Record<string, unknown> = {}): Promise<IdlaPolicy> {
  if (!existsSync(runDir)) throw new InputError('run directory', runDir, 'an existing directory');
  let spec;
  const direct = join(runDir, ESTIMATOR_FILE);
  if (existsSync(direct)) {
    spec = loadEstimator(direct).mlp;
  } else if (existsSync(join(runDir, CHECKPOINT_FILE))) {
    const agentMeta = (readCheckpoint(runDir).meta.agent ?? {}) as { estimator?: EstimatorFile | null; collected?: number };
    if (!agentMeta.estimator) {
      throw new Ns3tsError(
        `checkpoint:${runDir}: unusable: the IDLA run stopped during sample collection (${agentMeta.collected ?? 0} samples, ` +
          'fewer than its collectSteps), so its estimator was never fitted; train it for at least collectSteps env steps',
      );
    }
    spec = mlpSpecFromJson(agentMeta.estimator.spec, `${runDir} checkpoint estimator`);
  } else {
    throw new InputError('run directory', runDir, `an IDLA run (with ${ESTIMATOR_FILE} or ${CHECKPOINT_FILE})`);
  }
  let settings = resolveIdlaSettings(overrides);
  const configPath = join(runDir, 'config.json');
  if (existsSync(configPath)) {
    try {
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { agentSettingsResolved?: Record<string, unknown> };
      if (config.agentSettingsResolved) settings = resolveIdlaSettings({ ...pick(config.agentSettingsResolved), ...overrides });
    } catch {
      // An unreadable config only loses the search settings: the defaults apply.
    }
  }
  return new IdlaPolicy(spec, { search: searchOptionsOf(settings) });
}

function pick(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => key in IDLA_DEFAULTS));
}

/**
 * How the idla agent behaved before each of its later settings existed, for a resumed run that
 * predates them (resumedSettings): the estimator fit on the MAE alone without relabelled copies,
 * and the search from the paper's starts with its plain result (no grid start, no slack filling).
 */
export function idlaSettingsBefore(): Partial<IdlaSettings> {
  return { mseWarmup: 0, relabel: 0, gridPoints: 0, fillSlack: 0 };
}

export const idlaAgentEntry: AgentEntry = {
  description: 'IDLA: learned QoS estimator + Lagrangian multi-start search per cell (collect, fit, then optimize)',
  accepts: SLICING_SPACES,
  create(layout: SlicingLayout, scenario: AgentScenario, options: AgentCreateOptions): TrainableAgent {
    // The scenario's agent section configures IDLA only when it names IDLA.
    const fromScenario = scenario.agent?.id === 'idla' ? { ...scenario.agent } : {};
    const overrides = overridesFor(IDLA_DEFAULTS, options, { predates: idlaSettingsBefore }, { ...fromScenario, ...(options.settings ?? {}) });
    // A resumed run keeps its recorded settings, but not the directory it had then: samples follow the run.
    const settings = resolveIdlaSettings(options.recordedSettings ? { ...overrides, runDir: options.settings?.runDir ?? '' } : overrides);
    // Samples and the estimator go into the run directory unless a runDir setting says otherwise.
    if (!settings.runDir && options.runDir) settings.runDir = options.runDir;
    return new IdlaAgent(layout, settings, options.seed, options.engine);
  },
  load: (runDir: string) => loadIdlaPolicy(runDir),
};

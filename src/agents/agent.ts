/**
 * What the training loop needs from a learning agent, beyond acting (SlicingPolicy).
 * Every agent in the registry implements it: MADDPG+ADMM and its constrained variants, DDPG,
 * TD3, IDLA. The loop owns the env, episodes, metrics and checkpoint files; the agent owns its
 * networks, replay data and update schedule.
 */
import type { Env, Info, NdArray } from '../env/index.js';
import type { AcceptedSpaces, FamilyPolicy, SlicingLayout } from '../families/index.js';
import type { Transition as RolloutTransition } from '../rollout/index.js';
import type { AgentSpec, ConstraintSpec, Scenario, ScenarioBase, SliceSpec } from '../scenario/index.js';
import type { TrainingEngine } from './backend.js';
import type { PolicyContext, SlicingPolicy } from './policy.js';

/** One env step as the agent sees it (observations in the shared slicing layout). */
export interface Transition {
  obs: NdArray<Float32Array>;
  /** The action that was sent (feasible shares, [cells, slices]). */
  action: Float32Array;
  /** The env's reward (sum over active (cell, slice) of log(r + 1)). */
  reward: number;
  nextObs: NdArray<Float32Array>;
  terminated: boolean;
  truncated: boolean;
  info: Info;
  /** Step index within the episode of `action`. */
  step: number;
}

/** Per-episode figures the loop computes and hands to the agent (constraint multipliers etc.). */
export interface EpisodeStats {
  episode: number;
  steps: number;
  /** Sum of env rewards. */
  return: number;
  /**
   * Per constraint of the scenario (in its order): the episode's mean fraction of the slice's
   * active cells that violated it per step (src/eval constraintCosts).
   */
  constraintRates: number[];
}

/** Numbers an agent reports (losses, multipliers, noise level). Finite numbers only. */
export type AgentMetrics = Record<string, number>;

/**
 * The full training state of an agent for an exact resume: JSON-safe metadata plus named typed
 * arrays (weights, optimizer moments, replay buffer). The loop writes them into one checkpoint
 * file atomically.
 */
export interface AgentState {
  meta: Record<string, unknown>;
  arrays: Record<string, Float32Array | Float64Array | Int32Array | Uint8Array>;
}

export interface TrainableAgent extends SlicingPolicy {
  /** Registry id, e.g. 'maddpg-admm'. */
  readonly id: string;
  /** Training-time action: exploration included. Must be feasible like `act`. */
  actExplore(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array | Promise<Float32Array>;
  /** Stores a transition and runs the gradient updates that are due; returns losses when any ran. */
  observe(transition: Transition): AgentMetrics | null | Promise<AgentMetrics | null>;
  /** End of a training episode (multiplier updates, schedules). */
  endEpisode?(stats: EpisodeStats): AgentMetrics | void;
  /** The deterministic policy to evaluate (may share state with the agent; reset() before use). */
  evaluationPolicy(): SlicingPolicy;
  /** The resolved settings (recorded in the run's config.json). */
  settings(): Record<string, unknown>;
  /** Full state for an exact resume, and its inverse (on an agent created with the same settings). */
  getState(): AgentState | Promise<AgentState>;
  setState(state: AgentState): void | Promise<void>;
  /** Frees tensors. */
  dispose(): void;
}

/**
 * The fields of a resolved scenario (`Scenario` of src/scenario) that agents read, derived from it so
 * that the schema is written once. Training passes the scenario itself; a checkpoint records just
 * these fields (train/ writes them), which is what a loaded policy then receives. The fields a test
 * or a checkpoint may leave out are optional.
 */
export type AgentScenario = Readonly<Pick<Scenario, 'name'>> &
  Readonly<Partial<Pick<Scenario, 'episodeSteps' | 'stepSeconds'>>> & {
    readonly slices: ReadonlyArray<Readonly<Pick<SliceSpec, 'name'> & Partial<Pick<SliceSpec, 'minShare' | 'maxShare'>>>>;
    readonly constraints?: ReadonlyArray<Readonly<Pick<ConstraintSpec, 'slice' | 'kind' | 'limit'>>>;
    /** The scenario's `agent` section: `id` plus settings overrides. */
    readonly agent?: Readonly<Partial<AgentSpec>>;
  };

/** Options every agent factory receives. */
export interface AgentCreateOptions {
  seed: number;
  /** Overrides of the agent's settings (from the scenario's `agent` section and the CLI). */
  settings?: Record<string, unknown>;
  /**
   * A resumed run's resolved settings as it recorded them when it started (config.json's
   * `agentSettingsResolved`): the agent is built from these instead of `settings` and today's
   * defaults, so a default changed since then does not change the run halfway.
   */
  recordedSettings?: Record<string, unknown>;
  /** Total env steps the run will take (for schedules); optional. */
  plannedSteps?: number;
  /** The run directory, for agents that keep artifacts beside the checkpoint (IDLA's samples). */
  runDir?: string;
  /** What trains the networks (default: the selected backend's engine; see backend.ts trainingEngine). */
  engine?: TrainingEngine;
}

/**
 * What every agent shipped today accepts: Box observations and Box share actions in the slicing
 * layout (features by name, shares per (cell, slice)).
 */
export const SLICING_SPACES: AcceptedSpaces = { observation: ['Box'], action: ['Box'], families: ['slicing'] };

/**
 * A registry entry (src/agents/registry.ts): how to create the agent for training and how to load
 * a trained one from a run directory.
 */
export interface AgentEntry {
  /** One line, shown by `ns3ts train --help`. */
  description: string;
  /**
   * The spaces the agent works in (docs/families.md); train refuses a scenario whose family's
   * spaces are not among them before anything is built.
   */
  accepts: AcceptedSpaces;
  create(layout: SlicingLayout, scenario: AgentScenario, options: AgentCreateOptions): TrainableAgent | Promise<TrainableAgent>;
  /** The trained policy of a run directory (its last checkpoint). */
  load(runDir: string): Promise<SlicingPolicy>;
  /**
   * For an agent of a family other than slicing: builds it on the family's scenario (train/ runs
   * it with the family loop, train/family-run.ts). Absent: the agent trains on slicing only.
   */
  createForFamily?(scenario: ScenarioBase, options: AgentCreateOptions): FamilyTrainableAgent | Promise<FamilyTrainableAgent>;
  /** For an agent of a family other than slicing: the trained policy of a run directory on a scenario of that family. */
  loadForFamily?(runDir: string, scenario: ScenarioBase): Promise<FamilyPolicy>;
  /**
   * Instead of loadForFamily, for an agent that acts on the env itself rather than its observation
   * (PPO reads the twin's masks): the trained policy of a run, built for the env it will play.
   */
  loadFamilyPolicy?(runDir: string): Promise<(env: Env, scenario: ScenarioBase) => FamilyPolicy>;
}

/** End of a training episode of a family agent. */
export interface FamilyEpisodeStats {
  /** 0-based episode number of the run. */
  episode: number;
  steps: number;
  return: number;
}

/**
 * A learning agent of a family other than slicing, in the family's own observation and action
 * values (the family training loop of train/ drives it; the checkpoint format is the same).
 */
export interface FamilyTrainableAgent<O = unknown, A = unknown> {
  readonly id: string;
  /** Training-time action, exploration included. */
  actExplore(obs: O, context: { episode: number; envIndex: number; step: number }): A | Promise<A>;
  /** Stores a transition and runs the updates that are due; returns metrics when any ran. */
  observe(transition: RolloutTransition<O, A>): AgentMetrics | null | Promise<AgentMetrics | null>;
  endEpisode?(stats: FamilyEpisodeStats): AgentMetrics | void;
  /**
   * The deterministic policy to evaluate; an agent that acts on the env itself returns how to
   * build it for the evaluation's env (checking that it is the env it expects).
   */
  evaluationPolicy(): FamilyPolicy<O, A> | ((env: Env) => FamilyPolicy<O, A>);
  /**
   * Keep the best policy, not the last (Stable-Baselines3's EvalCallback with best_model_save_path):
   * every `every` episodes (and at the run's end) the family loop plays evaluationPolicy() on
   * `episodes` validation episodes — a seed stream of their own, never the evaluation seeds — and
   * writes `state()` to best.bin when their mean return beats the best so far. Absent or null: the
   * run keeps its last policy only.
   */
  bestPolicy?(): { every: number; episodes: number; state: () => AgentState } | null;
  settings(): Record<string, unknown>;
  getState(): AgentState | Promise<AgentState>;
  setState(state: AgentState): void | Promise<void>;
  dispose(): void;
  // Optional steps of the family loop (train/family-run.ts) for an agent that is more than its
  // networks: PPO plans with a demand predictor it trains before the first episode.
  /** Before the first episode of a run that starts from nothing; a resumed run restores what it built instead (restoreParts). */
  prepare?(announce: (line: string) => void): Promise<void>;
  /** Arrays the checkpoint keeps beside the agent's state, by part (stored as `<part>/<name>`; PPO: its predictor's weights). */
  checkpointParts?(): Record<string, AgentState['arrays']>;
  /** On resume, after setState: the parts checkpointParts stored. */
  restoreParts?(parts: Record<string, AgentState['arrays']>): void;
  /** The env the loop trains on, once built (before the first episode), for an agent that acts on the env itself. */
  attachEnv?(env: Env<O, A>): void;
  /** After the last episode of a finished run: files of its own in the run directory (PPO: episode-log.json). */
  writeArtifacts?(runDir: string): Promise<void>;
}


/** What a training run ends with (train()'s TrainSummary) in every family. */
export interface FamilyRunSummary {
  runId: string;
  runDir: string;
  agent: string;
  scenario: string;
  seed: number;
  episodes: number;
  completedEpisodes: number;
  finished: boolean;
  totalSteps: number;
  updates: number;
  trainSeconds: number;
  stepsPerSecond: number;
  backend: string;
  replayBytesPerTransition: number | null;
  lastTrain: Record<string, unknown> | null;
  lastEval: Record<string, unknown> | null;
  resumedFrom: number | null;
  /** Why this run may have learned nothing (train/warnings.ts); empty when nothing is wrong. */
  warnings: string[];
}

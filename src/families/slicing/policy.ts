import type { NdArray } from '../../env/index.js';
import type { SlicingLayout } from './slicing.js';

/** What a policy knows besides the observation. */
export interface PolicyContext {
  layout: SlicingLayout;
  /** Step index within the episode (0 = first action after reset). */
  step: number;
  /**
   * Seconds since midnight at the start of the step the action acts on, when the caller knows
   * the clock (a served request). Without it, policies that read the time of day derive it from
   * `step` and their scenario's stepSeconds: episodes start at midnight.
   */
  secondsOfDay?: number;
}

/**
 * Anything that allocates slice shares: baselines, trained agents, IDLA, fixed shares.
 * `act` maps an observation [cells, slices, FEATURES_PER_SLICE] to shares [cells, slices]
 * (row-major Float32Array). Every returned allocation is feasible: each cell's shares are >= 0,
 * finite, 0 for inactive slices, and sum to at most 1.
 */
export interface SlicingPolicy {
  /** e.g. "baseline:static", "shares:0.5,0.3,0.2", "maddpg-admm" */
  readonly id: string;
  /** Called at the start of every episode (drops warm starts and per-episode state). */
  reset?(): void;
  act(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array | Promise<Float32Array>;
}

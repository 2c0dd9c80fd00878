import type { Info, ResetOptions, Space } from './types.js';

/** PettingZoo's Parallel API: every live agent acts at every step, values keyed by agent name. */
export interface ParallelEnv<O = unknown, A = unknown> {
  readonly possibleAgents: readonly string[];
  /** Agents alive in the current episode. */
  readonly agents: readonly string[];
  observationSpace(agent: string): Space<O>;
  actionSpace(agent: string): Space<A>;
  reset(options?: ResetOptions): Promise<{ obs: Record<string, O>; infos: Record<string, Info> }>;
  step(actions: Record<string, A>): Promise<ParallelStepResult<O>>;
  close(): Promise<void>;
}

export interface ParallelStepResult<O> {
  obs: Record<string, O>;
  rewards: Record<string, number>;
  terminations: Record<string, boolean>;
  truncations: Record<string, boolean>;
  infos: Record<string, Info>;
}

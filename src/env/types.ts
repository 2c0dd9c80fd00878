import type { Rng } from '../util/index.js';

/** Element arrays a Box value can be stored in (one per wire dtype and bit width). */
export type BoxData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A Box value: flat row-major data plus its shape (observations always arrive reshaped). */
export interface NdArray<T extends BoxData = BoxData> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** What every space offers; the concrete classes live in spaces.ts. */
export interface Space<T = unknown> {
  /** 'Discrete' | 'Box' | 'MultiDiscrete' | 'MultiBinary' | 'Tuple' | 'Dict' */
  readonly kind: string;
  sample(rng: Rng): T;
  contains(value: unknown): value is T;
  /** A JSON description (printed by `ns3ts agent`, recorded in runs). */
  toJSON(): unknown;
}

/** Gymnasium's info dict. A non-JSON ns3-gym extra-info string is kept under `extraInfo`. */
export type Info = Record<string, unknown>;

export interface ResetOptions {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<O> {
  obs: O;
  info: Info;
}

/**
 * Gymnasium step semantics. `terminated`: the MDP reached a terminal state (ns3-gym GameOver).
 * `truncated`: the episode was cut (SimulationEnd, a time limit, or a simulator that died or went
 * silent — then `info.reason` says which).
 */
export interface StepResult<O> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface Env<O = unknown, A = unknown> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  reset(options?: ResetOptions): Promise<ResetResult<O>>;
  step(action: A): Promise<StepResult<O>>;
  close(): Promise<void>;
}

/** Gymnasium's autoreset modes for vector envs. NEXT_STEP is Gymnasium's default. */
export type AutoresetMode = 'next-step' | 'same-step' | 'disabled';

export interface VectorResetResult<O> {
  obs: O[];
  info: Info[];
}

export interface VectorStepResult<O> {
  obs: O[];
  reward: Float64Array;
  terminated: boolean[];
  truncated: boolean[];
  info: Info[];
}

export interface VectorEnv<O = unknown, A = unknown> {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<O>;
  readonly singleActionSpace: Space<A>;
  readonly autoresetMode: AutoresetMode;
  /** A single seed seeds env i with seed + i; a list gives each env its own. */
  reset(options?: { seed?: number | number[]; options?: Record<string, unknown> }): Promise<VectorResetResult<O>>;
  step(actions: A[]): Promise<VectorStepResult<O>>;
  close(): Promise<void>;
}

/**
 * Starts and stops simulator processes for remote envs (ns-3 programs, `ns3ts sim`, the C++
 * example peer). Reset of a remote env = stop + start (ns3-gym semantics) unless the simulator
 * advertises soft reset. Without a launcher (external simulators, `ns3ts agent`) a reset waits
 * for the next simulator to connect.
 */
export interface SimulatorLauncher {
  /**
   * Starts (or restarts) simulator `index` with `seed`, connecting to `endpoint`. Resolves with
   * its pid, which the simulator reports as SimInitMsg.simProcessId, so the server can match the
   * new session to env `index`.
   */
  start(index: number, seed: number, endpoint: string): Promise<{ pid: number }>;
  /** Stops simulator `index` (SIGTERM, then SIGKILL after a grace period) and reaps it. */
  stop(index: number): Promise<void>;
  /** How simulator `index` ended, if it has; null while it runs or before it started. */
  exitInfo(index: number): { code: number | null; signal: string | null } | null;
  /** Stops and reaps every simulator. Idempotent. */
  close(): Promise<void>;
}

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

/** How a simulator process ended. */
export interface SimulatorExitStatus {
  code: number | null;
  signal: string | null;
}

/**
 * What the fail-fast wrappers need to know about simulator processes (a launcher offers it; the
 * env core does not import the launcher). Simulators are numbered by their env index.
 */
export interface SimulatorExitSignal {
  /**
   * Calls `listener` whenever a simulator started after this call exits on its own (a stop on
   * purpose does not count). Returns the function that ends the subscription.
   */
  watchExits(listener: (index: number, exit: SimulatorExitStatus) => void): () => void;
  /** How simulator `index` ended, if it has; null while it runs or before it started. */
  exitInfo(index: number): SimulatorExitStatus | null;
  /** Where simulator `index` writes its output (named in error messages and info.log). */
  logPath(index: number): string;
  /** The last lines of simulator `index`'s output (why it exited), '' when there are none. */
  logTail(index: number): string;
}

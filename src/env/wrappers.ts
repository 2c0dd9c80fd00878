import { InputError, Ns3tsError } from '../util/index.js';
import type {
  AutoresetMode,
  Env,
  ResetOptions,
  ResetResult,
  SimulatorExitSignal,
  SimulatorExitStatus,
  Space,
  StepResult,
  VectorEnv,
  VectorResetResult,
  VectorStepResult,
} from './types.js';

/**
 * Gymnasium's Wrapper: an Env around another Env that delegates everything it does not change.
 * Subclasses override reset/step/close and call super. `unwrapped` is the innermost env (what a
 * caller that needs the concrete env, e.g. a model of it, asks for).
 */
export class Wrapper<O = unknown, A = unknown> implements Env<O, A> {
  constructor(readonly env: Env<O, A>) {}

  get observationSpace(): Space<O> {
    return this.env.observationSpace;
  }

  get actionSpace(): Space<A> {
    return this.env.actionSpace;
  }

  get unwrapped(): Env<O, A> {
    return unwrap(this.env);
  }

  reset(options?: ResetOptions): Promise<ResetResult<O>> {
    return this.env.reset(options);
  }

  step(action: A): Promise<StepResult<O>> {
    return this.env.step(action);
  }

  close(): Promise<void> {
    return this.env.close();
  }
}

/** The innermost env under any number of wrappers (the env itself when it is not wrapped). */
export function unwrap<O, A>(env: Env<O, A>): Env<O, A> {
  let inner = env;
  while (inner instanceof Wrapper) inner = (inner as Wrapper<O, A>).env;
  return inner;
}

/**
 * Gymnasium's TimeLimit: truncates the episode after `maxEpisodeSteps` steps (info.reason
 * 'time-limit' unless the env gave a reason). An episode the env ends earlier is left alone.
 */
export class TimeLimit<O = unknown, A = unknown> extends Wrapper<O, A> {
  private elapsed = 0;

  constructor(
    env: Env<O, A>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) throw new InputError('maxEpisodeSteps', maxEpisodeSteps, 'a positive integer');
  }

  override async reset(options?: ResetOptions): Promise<ResetResult<O>> {
    this.elapsed = 0;
    return super.reset(options);
  }

  override async step(action: A): Promise<StepResult<O>> {
    const result = await super.step(action);
    this.elapsed += 1;
    if (this.elapsed >= this.maxEpisodeSteps && !result.terminated && !result.truncated) {
      result.truncated = true;
      result.info.reason ??= 'time-limit';
    }
    return result;
  }
}

/** What RecordEpisodeStatistics puts in `info.episode` at the end of an episode (Gymnasium's keys). */
export interface EpisodeStatistics {
  /** The episode's return (sum of rewards). */
  r: number;
  /** Its length in steps. */
  l: number;
  /** Wall-clock seconds since its reset. */
  t: number;
}

/**
 * Gymnasium's RecordEpisodeStatistics: at the step that ends an episode (terminated or
 * truncated), `info.episode` holds its return, length and duration (`EpisodeStatistics`).
 */
export class RecordEpisodeStatistics<O = unknown, A = unknown> extends Wrapper<O, A> {
  private episodeReturn = 0;
  private episodeLength = 0;
  private startedAt = 0;

  override async reset(options?: ResetOptions): Promise<ResetResult<O>> {
    const result = await super.reset(options);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.startedAt = performance.now();
    return result;
  }

  override async step(action: A): Promise<StepResult<O>> {
    const result = await super.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength += 1;
    if (result.terminated || result.truncated) {
      const episode: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t: (performance.now() - this.startedAt) / 1000 };
      result.info.episode = episode;
    }
    return result;
  }
}

/** Options of the fail-fast wrappers. */
export interface FailFastOptions {
  /** Runs once the wrapped env has closed (e.g. removes the endpoint's temporary directory). */
  afterClose?: () => void;
}

function describeExit(index: number, exit: SimulatorExitStatus, exits: SimulatorExitSignal): string {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const tail = exits.logTail(index);
  return `simulator ${index} exited (${how}) before its first state; log ${exits.logPath(index)}${tail ? `:\n${tail}` : ''}`;
}

/**
 * Runs `reset` and fails as soon as one of the simulators `indices` started meanwhile exits
 * (instead of waiting for the connect timeout). Only simulators started after the subscription
 * count: the previous one may end on its own while the reset stops it.
 */
function resetOrFail<T>(exits: SimulatorExitSignal, indices: ReadonlySet<number>, reset: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = exits.watchExits((index, exit) => {
      if (indices.has(index)) reject(new Ns3tsError(describeExit(index, exit, exits)));
    });
    reset()
      .then(resolve, reject)
      .finally(unsubscribe);
  });
}

/** Adds the exit status of a simulator that died mid-episode to its truncated step's info. */
function addExitInfo(info: Record<string, unknown>, truncated: boolean, index: number, exits: SimulatorExitSignal): void {
  if (!truncated || info.reason !== 'simulator-exited') return;
  const exit = exits.exitInfo(index);
  if (exit) Object.assign(info, { exitCode: exit.code, exitSignal: exit.signal, log: exits.logPath(index) });
}

/**
 * Fail fast on a simulator's exit, for an env whose simulator process is started by a launcher:
 * a simulator that exits before its first state (bad arguments, a crash in set-up) fails reset()
 * at once with its exit status and the end of its log; one that dies mid-episode adds
 * info.exitCode, info.exitSignal and info.log to the truncated step (next to info.reason).
 */
export class FailFastOnExit<O = unknown, A = unknown> extends Wrapper<O, A> {
  private readonly indices: ReadonlySet<number>;

  constructor(
    env: Env<O, A>,
    private readonly exits: SimulatorExitSignal,
    /** The simulator index of this env (0 for a single env). */
    readonly index = 0,
    private readonly options: FailFastOptions = {},
  ) {
    super(env);
    this.indices = new Set([index]);
  }

  override reset(options?: ResetOptions): Promise<ResetResult<O>> {
    return resetOrFail(this.exits, this.indices, () => super.reset(options));
  }

  override async step(action: A): Promise<StepResult<O>> {
    const result = await super.step(action);
    addExitInfo(result.info, result.truncated, this.index, this.exits);
    return result;
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      this.options.afterClose?.();
    }
  }
}

/**
 * FailFastOnExit for a vector env (sub-env i runs simulator i): reset() fails at once when a
 * simulator it started exits before its first state; a sub-env whose simulator died mid-episode
 * gets the exit status in its info. Resets that the vector env's autoreset does inside step()
 * are not raced (a simulator may send its first state and exit while its neighbours still step).
 */
export class FailFastOnExitVector<O = unknown, A = unknown> implements VectorEnv<O, A> {
  private readonly indices: ReadonlySet<number>;

  constructor(
    readonly env: VectorEnv<O, A>,
    private readonly exits: SimulatorExitSignal,
    private readonly options: FailFastOptions = {},
  ) {
    this.indices = new Set(Array.from({ length: env.numEnvs }, (_, i) => i));
  }

  get numEnvs(): number {
    return this.env.numEnvs;
  }

  get singleObservationSpace(): Space<O> {
    return this.env.singleObservationSpace;
  }

  get singleActionSpace(): Space<A> {
    return this.env.singleActionSpace;
  }

  get autoresetMode(): AutoresetMode {
    return this.env.autoresetMode;
  }

  reset(options?: { seed?: number | number[]; options?: Record<string, unknown> }): Promise<VectorResetResult<O>> {
    return resetOrFail(this.exits, this.indices, () => this.env.reset(options));
  }

  async step(actions: A[]): Promise<VectorStepResult<O>> {
    const result = await this.env.step(actions);
    result.info.forEach((info, i) => addExitInfo(info, result.truncated[i]!, i, this.exits));
    return result;
  }

  async close(): Promise<void> {
    try {
      await this.env.close();
    } finally {
      this.options.afterClose?.();
    }
  }
}

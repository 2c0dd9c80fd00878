import { InputError, Ns3tsError } from '../util/index.js';
import type { AutoresetMode, Env, Info, Space, StepResult, VectorEnv, VectorResetResult, VectorStepResult } from './types.js';

export interface SyncVectorEnvOptions {
  /** Gymnasium's autoreset mode (default 'next-step', Gymnasium 1.x's default). */
  autoresetMode?: AutoresetMode;
}

const AUTORESET_MODES: readonly AutoresetMode[] = ['next-step', 'same-step', 'disabled'];

/**
 * Gymnasium's SyncVectorEnv: n envs of the same spaces stepped one after the other in this
 * process, served as one vector env (observations, rewards and flags batched by sub-env index).
 *
 * Autoreset (Gymnasium 1.x): 'next-step' (default): the step after a sub-env's episode ended
 * resets it and returns its first obs with reward 0, both flags false and the reset's info (its
 * action is ignored). 'same-step': the reset happens in the step that ended the episode; the
 * returned obs is the new episode's, the last one is in info.final_obs / info.final_info.
 * 'disabled': a finished sub-env must be reset with reset({ options: { resetMask } }).
 */
export class SyncVectorEnv<O = unknown, A = unknown> implements VectorEnv<O, A> {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly envs: readonly Env<O, A>[];
  private readonly needsReset: boolean[];
  private closed = false;

  constructor(envs: readonly Env<O, A>[], options: SyncVectorEnvOptions = {}) {
    if (!Array.isArray(envs) || envs.length < 1) throw new InputError('envs', envs, 'a non-empty array of envs');
    const mode = options.autoresetMode ?? 'next-step';
    if (!AUTORESET_MODES.includes(mode)) throw new InputError('autoresetMode', mode, "'next-step', 'same-step' or 'disabled'");
    this.envs = [...envs];
    this.numEnvs = envs.length;
    this.autoresetMode = mode;
    this.needsReset = new Array<boolean>(this.numEnvs).fill(false);
  }

  get singleObservationSpace(): Space<O> {
    return this.envs[0]!.observationSpace;
  }

  get singleActionSpace(): Space<A> {
    return this.envs[0]!.actionSpace;
  }

  /** A single seed seeds env i with seed + i; a list gives each env its own; resetMask picks the envs to reset. */
  async reset(options: { seed?: number | number[]; options?: Record<string, unknown> } = {}): Promise<VectorResetResult<O>> {
    if (this.closed) throw new Ns3tsError('reset() on a closed vector env');
    const plan = vectorResetPlan(this.numEnvs, options);
    const obs: O[] = [];
    const info: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const reset = plan[i];
      if (!reset) {
        obs.push(undefined as O);
        info.push({});
        continue;
      }
      this.needsReset[i] = false;
      const r = await this.envs[i]!.reset(reset);
      obs.push(r.obs);
      info.push(r.info);
    }
    return { obs, info };
  }

  async step(actions: A[]): Promise<VectorStepResult<O>> {
    if (this.closed) throw new Ns3tsError('step() on a closed vector env');
    if (!Array.isArray(actions) || actions.length !== this.numEnvs) {
      throw new InputError('actions', actions, `an array of ${this.numEnvs} actions`);
    }
    const obs: O[] = [];
    const reward = new Float64Array(this.numEnvs);
    const terminated: boolean[] = [];
    const truncated: boolean[] = [];
    const info: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const r = await this.stepOne(i, actions[i]!);
      obs.push(r.obs);
      reward[i] = r.reward;
      terminated.push(r.terminated);
      truncated.push(r.truncated);
      info.push(r.info);
    }
    return { obs, reward, terminated, truncated, info };
  }

  private stepOne(i: number, action: A): Promise<StepResult<O>> {
    return stepWithAutoreset(this.envs[i]!, i, action, this.autoresetMode, this.needsReset);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const env of this.envs) await env.close();
  }
}

/**
 * What a vector env's reset() does to each sub-env, shared by every vector env: a single seed
 * seeds env i with seed + i, a list gives each env its own, none leaves the envs to their own;
 * `options.resetMask` (one boolean per env) picks the envs to reset. Null: env i is not reset.
 */
export function vectorResetPlan(numEnvs: number, options: { seed?: number | number[]; options?: Record<string, unknown> }): Array<{ seed?: number } | null> {
  const seed = options.seed;
  let seeds: Array<number | undefined>;
  if (seed === undefined) seeds = new Array<undefined>(numEnvs).fill(undefined);
  else if (typeof seed === 'number') seeds = Array.from({ length: numEnvs }, (_, i) => seed + i);
  else if (Array.isArray(seed) && seed.length === numEnvs) seeds = [...seed];
  else throw new InputError('seed', seed, `a number or ${numEnvs} numbers`);
  const mask = options.options?.resetMask;
  if (mask !== undefined && (!Array.isArray(mask) || mask.length !== numEnvs)) {
    throw new InputError('options.resetMask', mask, `an array of ${numEnvs} booleans`);
  }
  return seeds.map((s, i) => (mask && !(mask as unknown[])[i] ? null : s === undefined ? {} : { seed: s }));
}

/**
 * One sub-env's step under a vector env's autoreset mode (Gymnasium 1.x semantics), shared by every
 * vector env: 'next-step' answers the step after an episode's end with the reset (reward 0);
 * 'same-step' resets at once and hands the ended episode's last observation and info over as
 * `info.final_obs` / `info.final_info`; 'disabled' refuses to step a finished env. `needsReset[i]`
 * carries the state between calls.
 */
export async function stepWithAutoreset<O, A>(
  env: Env<O, A>,
  i: number,
  action: A,
  mode: AutoresetMode,
  needsReset: boolean[],
): Promise<StepResult<O>> {
  if (needsReset[i]) {
    if (mode === 'disabled') {
      throw new Ns3tsError(`env ${i} finished its episode: reset it with reset({ options: { resetMask } }) (autoreset is disabled)`);
    }
    needsReset[i] = false;
    const r = await env.reset();
    return { obs: r.obs, reward: 0, terminated: false, truncated: false, info: r.info };
  }
  const result = await env.step(action);
  if (result.terminated || result.truncated) {
    if (mode === 'same-step') {
      const r = await env.reset();
      return { ...result, obs: r.obs, info: { ...r.info, final_obs: result.obs, final_info: result.info } };
    }
    needsReset[i] = true;
  }
  return result;
}

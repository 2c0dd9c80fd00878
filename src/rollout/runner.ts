import type { AutoresetMode, Env, Info, VectorEnv } from '../env/index.js';
import { InputError } from '../util/index.js';

/** Where a decision is taken: the episode (run-wide number), its sub-env and the 0-based step. */
export interface StepContext {
  episode: number;
  envIndex: number;
  step: number;
}

/** Chooses the action for an observation (may be async: agents on a backend, a remote peer). */
export type RolloutPolicy<O, A> = (obs: O, context: StepContext) => A | Promise<A>;

/** One step of one episode, as a hook sees it (what a replay buffer stores). */
export interface Transition<O, A> extends StepContext {
  obs: O;
  action: A;
  reward: number;
  /** The observation the step led to (the episode's last one even when the env autoreset). */
  nextObs: O;
  terminated: boolean;
  truncated: boolean;
  /** The step's info (the ended episode's final_info when the env autoreset in the same step). */
  info: Info;
}

/** An episode that ended (or was cut by `maxSteps`). */
export interface EpisodeResult {
  episode: number;
  envIndex: number;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** The info of its last step ({} when it took no step). */
  info: Info;
}

export interface RolloutOptions<O, A> {
  /** Number of the first episode (a resumed run goes on from where it stopped; default 0). */
  firstEpisode?: number;
  /** Episodes to run, counted from `firstEpisode`. */
  episodes: number;
  /** Seed of episode e's reset (default: none, the env's own sequence). */
  seed?: (episode: number) => number | undefined;
  /** Cap on steps per episode (default: until the env terminates or truncates it). */
  maxSteps?: number;
  /**
   * The action of a vector sub-env with nothing to play in this round (its episode already ended
   * or the round has fewer episodes than sub-envs); its result is ignored. Default: its last
   * action, else sub-env 0's action of the same step.
   */
  idleAction?: (obs: O, envIndex: number) => A;
  /** Checked before each round; true stops the run (the round in progress always finishes). */
  shouldStop?: () => boolean;
  /** Before the round of episodes first..first+count-1 is reset. */
  onRoundStart?: (first: number, count: number) => void | Promise<void>;
  /** After each step of each playing sub-env, in sub-env order. */
  onStep?: (transition: Transition<O, A>) => void | Promise<void>;
  /** After each batched step (every sub-env stepped), with the step index within the round. */
  onStepEnd?: (step: number) => void | Promise<void>;
  /** After each episode, once its whole round has ended, in episode order. */
  onEpisodeEnd?: (result: EpisodeResult) => void | Promise<void>;
  /** After the round's episodes were reported. */
  onRoundEnd?: (results: readonly EpisodeResult[]) => void | Promise<void>;
}

export interface RolloutSummary {
  /** Episodes run (less than asked when shouldStop stopped the run). */
  episodes: number;
  /** Steps of those episodes. */
  steps: number;
}

/** An Env or a VectorEnv as n sub-envs reset with a seed each and stepped together. */
interface Batch<O, A> {
  n: number;
  autoresetMode: AutoresetMode;
  reset(seeds: Array<number | undefined>): Promise<O[]>;
  step(actions: A[]): Promise<{ obs: O[]; reward: ArrayLike<number>; terminated: boolean[]; truncated: boolean[]; info: Info[] }>;
}

function isVectorEnv<O, A>(env: Env<O, A> | VectorEnv<O, A>): env is VectorEnv<O, A> {
  return 'numEnvs' in env;
}

function asBatch<O, A>(env: Env<O, A> | VectorEnv<O, A>): Batch<O, A> {
  if (isVectorEnv(env)) {
    return {
      n: env.numEnvs,
      autoresetMode: env.autoresetMode,
      reset: async (seeds) => {
        const given = seeds.every((s) => s !== undefined);
        return (await env.reset(given ? { seed: seeds as number[] } : {})).obs;
      },
      step: (actions) => env.step(actions),
    };
  }
  return {
    n: 1,
    autoresetMode: 'disabled',
    reset: async (seeds) => [(await env.reset(seeds[0] === undefined ? {} : { seed: seeds[0] })).obs],
    step: async (actions) => {
      const r = await env.step(actions[0]!);
      return { obs: [r.obs], reward: [r.reward], terminated: [r.terminated], truncated: [r.truncated], info: [r.info] };
    },
  };
}

interface Playing<A> {
  ret: number;
  length: number;
  done: boolean;
  terminated: boolean;
  truncated: boolean;
  info: Info;
  lastAction: A | undefined;
}

/**
 * Runs episodes of an Env or a VectorEnv with `policy`, reporting every step and episode to the
 * hooks: the one episode loop of training, evaluation and the CLI.
 *
 * A plain Env plays its episodes one after the other. A VectorEnv of n sub-envs plays them in
 * rounds: each round resets every sub-env (sub-env i gets episode first + i and its seed) and
 * steps them in lockstep until each of the round's episodes has ended; a sub-env whose episode
 * ended gets an idle action and its results (the env's autoreset, whatever its mode) are ignored
 * until the next round. With same-step autoreset the transition that ends an episode carries
 * info.final_obs / info.final_info as its nextObs / info.
 */
export async function runEpisodes<O, A>(
  env: Env<O, A> | VectorEnv<O, A>,
  policy: RolloutPolicy<O, A>,
  options: RolloutOptions<O, A>,
): Promise<RolloutSummary> {
  const firstEpisode = options.firstEpisode ?? 0;
  if (!Number.isInteger(firstEpisode) || firstEpisode < 0) throw new InputError('firstEpisode', firstEpisode, 'an integer >= 0');
  if (!Number.isInteger(options.episodes) || options.episodes < 0) throw new InputError('episodes', options.episodes, 'an integer >= 0');
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY;
  if (!(maxSteps >= 1)) throw new InputError('maxSteps', maxSteps, 'a number >= 1');
  const batch = asBatch(env);
  const end = firstEpisode + options.episodes;
  let episode = firstEpisode;
  let steps = 0;
  while (episode < end) {
    if (options.shouldStop?.()) break;
    const count = Math.min(batch.n, end - episode);
    steps += await runRound(batch, policy, options, episode, count, maxSteps);
    episode += count;
  }
  return { episodes: episode - firstEpisode, steps };
}

/**
 * Steps between two turns of the event loop. On an in-process env with a synchronous or
 * already-resolved policy, the loop runs on microtasks alone and never returns to the event loop,
 * and the native addon's finalizers run only there: whatever native object an agent drops stays
 * allocated until a turn. When every weight reload built a new native network, a 150-episode
 * training run grew by about 55 MB/s to 3 GB; reloads are in place now (MlpRunner.setWeights),
 * and a turn every 32 steps (a few microseconds each) bounds what else is dropped
 * (test/train/memory.test.ts).
 */
const EVENT_LOOP_TURN_STEPS = 32;

function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The step's action of every sub-env: the policy's for those playing, an idle one for the others. */
async function chooseActions<O, A>(
  playing: Playing<A>[],
  obs: O[],
  policy: RolloutPolicy<O, A>,
  options: RolloutOptions<O, A>,
  first: number,
  step: number,
): Promise<A[]> {
  const actions: A[] = [];
  for (let i = 0; i < playing.length; i++) {
    const p = playing[i]!;
    if (!p.done) {
      const chosen = policy(obs[i]!, { episode: first + i, envIndex: i, step });
      actions.push((p.lastAction = chosen instanceof Promise ? await chosen : chosen));
    } else actions.push(options.idleAction ? options.idleAction(obs[i]!, i) : (p.lastAction ?? actions[0]!));
  }
  return actions;
}

/** One round: episodes first..first+count-1 on sub-envs 0..count-1; returns the steps taken. */
async function runRound<O, A>(
  batch: Batch<O, A>,
  policy: RolloutPolicy<O, A>,
  options: RolloutOptions<O, A>,
  first: number,
  count: number,
  maxSteps: number,
): Promise<number> {
  await options.onRoundStart?.(first, count);
  let obs = await batch.reset(Array.from({ length: batch.n }, (_, i) => options.seed?.(first + i)));
  const playing: Playing<A>[] = Array.from({ length: batch.n }, (_, i) => ({
    ret: 0,
    length: 0,
    done: i >= count,
    terminated: false,
    truncated: false,
    info: {},
    lastAction: undefined,
  }));
  let steps = 0;
  for (let step = 0; playing.some((p) => !p.done); step++) {
    const actions = await chooseActions(playing, obs, policy, options, first, step);
    const result = await batch.step(actions);
    for (let i = 0; i < count; i++) {
      const p = playing[i]!;
      if (p.done) continue;
      const terminated = result.terminated[i]!;
      const truncated = result.truncated[i]!;
      const ended = terminated || truncated;
      let info = result.info[i]!;
      let nextObs: O = result.obs[i] as O;
      if (ended && batch.autoresetMode === 'same-step' && 'final_obs' in info) {
        nextObs = info.final_obs as O;
        info = (info.final_info ?? {}) as Info;
      }
      const reward = result.reward[i]!;
      // Per-step hooks and policies are awaited only when they return a promise (awaiting a plain
      // value still costs a microtask turn, which shows on a fast in-process env).
      const stepped = options.onStep?.({ episode: first + i, envIndex: i, step, obs: obs[i]!, action: actions[i]!, reward, nextObs, terminated, truncated, info });
      if (stepped instanceof Promise) await stepped;
      p.ret += reward;
      p.length += 1;
      p.info = info;
      steps += 1;
      if (ended || p.length >= maxSteps) Object.assign(p, { done: true, terminated, truncated });
    }
    obs = result.obs;
    const ended = options.onStepEnd?.(step);
    if (ended instanceof Promise) await ended;
    if ((step + 1) % EVENT_LOOP_TURN_STEPS === 0) await eventLoopTurn();
  }
  await eventLoopTurn();
  const results: EpisodeResult[] = playing.slice(0, count).map((p, i) => ({
    episode: first + i,
    envIndex: i,
    return: p.ret,
    length: p.length,
    terminated: p.terminated,
    truncated: p.truncated,
    info: p.info,
  }));
  for (const r of results) await options.onEpisodeEnd?.(r);
  await options.onRoundEnd?.(results);
  return steps;
}

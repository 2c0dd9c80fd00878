import { Rng } from '../util/index.js';
import type { ParamSpec, ParamValues } from './space.js';
import type { ObservedTrial, Sampler } from './samplers.js';

/**
 * Standard black-box test functions (all minimised) for checking samplers against each other:
 * `npm run bench:tune` and the tests. Definitions and optima from Surjanovic & Bingham, "Virtual
 * Library of Simulation Experiments" (sfu.ca/~ssurjano); bench/optuna_reference.py defines the
 * same functions for Optuna.
 */
export interface TestFunction {
  name: string;
  space: ParamSpec[];
  /** The value a sampler sees (noisy for the noisy function). */
  evaluate: (x: ParamValues, rng: Rng) => number;
  /** The noise-free value the benchmark reports for the best trial. */
  exact: (x: ParamValues) => number;
  /** The global minimum. */
  optimum: number;
}

const uniform = (name: string, low: number, high: number): ParamSpec => ({ name, type: 'float', low, high, log: false });

/** Branin-Hoo on [−5, 10] × [0, 15]; minimum 0.397887 at three points. */
export function branin(x1: number, x2: number): number {
  const a = 1;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const r = 6;
  const s = 10;
  const t = 1 / (8 * Math.PI);
  return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
}

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]⁶; minimum −3.32237. */
export function hartmann6(x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * (x[j]! - H6_P[i]![j]!) ** 2;
    sum += H6_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

/** Rosenbrock in d dimensions; minimum 0 at (1, ..., 1). */
export function rosenbrock(x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < x.length; i++) sum += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return sum;
}

const coords = (x: ParamValues, names: readonly string[]): number[] => names.map((n) => x[n] as number);
const H6_NAMES = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
const ROSEN_NAMES = ['x0', 'x1', 'x2', 'x3'];

/** Standard deviation of the noise added to noisy-rosenbrock4 observations. */
export const NOISE_SD = 10;

export const TEST_FUNCTIONS: readonly TestFunction[] = [
  {
    name: 'branin',
    space: [uniform('x1', -5, 10), uniform('x2', 0, 15)],
    evaluate: (x) => branin(x.x1 as number, x.x2 as number),
    exact: (x) => branin(x.x1 as number, x.x2 as number),
    optimum: 0.397887,
  },
  {
    name: 'hartmann6',
    space: H6_NAMES.map((n) => uniform(n, 0, 1)),
    evaluate: (x) => hartmann6(coords(x, H6_NAMES)),
    exact: (x) => hartmann6(coords(x, H6_NAMES)),
    optimum: -3.32237,
  },
  {
    // 4-D Rosenbrock on [−2, 2]⁴ observed with N(0, NOISE_SD²) noise; the best trial (by its
    // observed value) is scored by its noise-free value.
    name: 'noisy-rosenbrock4',
    space: ROSEN_NAMES.map((n) => uniform(n, -2, 2)),
    evaluate: (x, rng) => rosenbrock(coords(x, ROSEN_NAMES)) + rng.normal(0, NOISE_SD),
    exact: (x) => rosenbrock(coords(x, ROSEN_NAMES)),
    optimum: 0,
  },
];

/**
 * Runs `trials` sequential trials of a sampler on a test function and returns the noise-free
 * value of the best trial (by observed value). The noise stream is seeded by `seed`.
 */
export function bestOnTestFunction(fn: TestFunction, sampler: Sampler, trials: number, seed: number): number {
  const noise = new Rng(seed);
  const history: ObservedTrial[] = [];
  let best = { loss: Infinity, exact: Infinity };
  for (let number = 0; number < trials; number++) {
    const params = sampler.propose(number, history);
    const loss = fn.evaluate(params, noise);
    history.push({ number, state: 'complete', params, loss });
    if (loss < best.loss) best = { loss, exact: fn.exact(params) };
  }
  return best.exact;
}

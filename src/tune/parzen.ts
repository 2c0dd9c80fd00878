import type { Rng } from '../util/index.js';
import { logGaussMass, truncatedNormalDraw, truncatedNormalLogPdf } from './normal.js';

/**
 * The Parzen estimator of TPE (Bergstra et al. 2011, §4; docs/tune.md): a mixture with one kernel
 * per observation plus a prior kernel, over one or several parameters (product kernels when
 * several: the multivariate TPE of Falkner et al. 2018). Settings and formulas follow Optuna's
 * TPESampler documentation so that the two behave alike:
 *
 * - mixture weights: 1 per observation up to 25, older observations ramped down beyond
 *   (`defaultWeights`), plus the prior's weight (1.0), normalised;
 * - a numeric kernel sits at its observation with σ = the larger gap to its sorted neighbours
 *   (the domain ends counted), except that with `considerEndpoints` false the outermost kernels
 *   take their inner gap; σ is clipped to [range / min(100, 1 + kernels), range] ("magic clip");
 *   the prior kernel is N(centre, range²); multivariate kernels are products of these;
 * - a categorical kernel puts mass 1 on its observed choice plus priorWeight/(n+1) on every choice;
 * - densities are normals truncated to the domain; a stepped (int) domain is widened by half a step
 *   on each side and a value's mass is that of its cell [x − step/2, x + step/2].
 */

/** A numeric parameter in the sampler's internal space (log space for log parameters). */
export interface NumericDimension {
  kind: 'numeric';
  /** Domain bounds, already widened by half a step for stepped parameters. */
  low: number;
  high: number;
  /** Cell width of a stepped (non-log int) parameter; 0 when continuous. */
  step: number;
  /** Rounds a continuous draw to a value the parameter can take (internal space). */
  snap: (x: number) => number;
}

export interface CategoricalDimension {
  kind: 'categorical';
  choices: number;
}

export type Dimension = NumericDimension | CategoricalDimension;

export interface ParzenSettings {
  considerPrior: boolean;
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  multivariate: boolean;
}

export const PARZEN_DEFAULTS: ParzenSettings = {
  considerPrior: true,
  priorWeight: 1.0,
  considerMagicClip: true,
  considerEndpoints: false,
  multivariate: false,
};

/** Mixture weights of n observations in trial order: flat up to 25, then the oldest ramped down. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = linspace(1 / n, 1, n - 25);
  return [...ramp, ...new Array<number>(25).fill(1)];
}

function linspace(from: number, to: number, count: number): number[] {
  if (count <= 0) return [];
  if (count === 1) return [from];
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

interface NumericKernels {
  mus: number[];
  sigmas: number[];
}

/** A fitted mixture over the given dimensions. */
export class ParzenEstimator {
  /** Normalised component weights (observations in order, then the prior). */
  readonly weights: number[];
  readonly numeric = new Map<string, NumericKernels>();
  /** Per categorical dimension: one probability row per component. */
  readonly categorical = new Map<string, number[][]>();

  constructor(
    observations: Readonly<Record<string, readonly number[]>>,
    readonly dimensions: Readonly<Record<string, Dimension>>,
    readonly settings: ParzenSettings = PARZEN_DEFAULTS,
  ) {
    const names = Object.keys(dimensions);
    const n = names.length > 0 ? observations[names[0]!]!.length : 0;
    // With no observation the prior is the whole mixture.
    const considerPrior = settings.considerPrior || n === 0;
    const w = defaultWeights(n);
    const raw = considerPrior ? [...w, settings.priorWeight] : w;
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((x) => x / total);
    for (const name of names) {
      const dim = dimensions[name]!;
      const obs = observations[name]!;
      if (dim.kind === 'categorical') this.categorical.set(name, categoricalKernels(obs, dim.choices, considerPrior, settings.priorWeight));
      else this.numeric.set(name, numericKernels(obs, dim, considerPrior, settings));
    }
  }

  /** `size` joint draws: a component by weight, then each dimension from that component's kernel. */
  sample(rng: Rng, size: number): Record<string, number[]> {
    const active = Array.from({ length: size }, () => pickIndex(this.weights, rng.next()));
    const out: Record<string, number[]> = {};
    for (const [name, dim] of Object.entries(this.dimensions)) {
      if (dim.kind === 'categorical') {
        const rows = this.categorical.get(name)!;
        out[name] = active.map((k) => pickIndex(rows[k]!, rng.next()));
      } else {
        const { mus, sigmas } = this.numeric.get(name)!;
        out[name] = active.map((k) => {
          const mu = mus[k]!;
          const sigma = sigmas[k]!;
          const z = truncatedNormalDraw((dim.low - mu) / sigma, (dim.high - mu) / sigma, rng.next());
          return dim.snap(mu + sigma * z);
        });
      }
    }
    return out;
  }

  /** log density (log mass for stepped and categorical dimensions) of each joint sample. */
  logPdf(samples: Readonly<Record<string, readonly number[]>>): number[] {
    const names = Object.keys(this.dimensions);
    const count = names.length > 0 ? samples[names[0]!]!.length : 0;
    const out: number[] = [];
    const logW = this.weights.map(Math.log);
    for (let i = 0; i < count; i++) {
      const terms = logW.slice();
      for (const name of names) {
        const dim = this.dimensions[name]!;
        const x = samples[name]![i]!;
        if (dim.kind === 'categorical') {
          const rows = this.categorical.get(name)!;
          for (let k = 0; k < terms.length; k++) terms[k]! += Math.log(rows[k]![x]!);
        } else {
          const { mus, sigmas } = this.numeric.get(name)!;
          for (let k = 0; k < terms.length; k++) terms[k]! += numericLogPdf(x, mus[k]!, sigmas[k]!, dim);
        }
      }
      out.push(logSumExp(terms));
    }
    return out;
  }
}

function numericLogPdf(x: number, mu: number, sigma: number, dim: NumericDimension): number {
  if (dim.step === 0) return truncatedNormalLogPdf(x, mu, sigma, dim.low, dim.high);
  const upper = Math.min(x + dim.step / 2, dim.high);
  const lower = Math.max(x - dim.step / 2, dim.low);
  return logGaussMass((lower - mu) / sigma, (upper - mu) / sigma) - logGaussMass((dim.low - mu) / sigma, (dim.high - mu) / sigma);
}

function numericKernels(obs: readonly number[], dim: NumericDimension, considerPrior: boolean, settings: ParzenSettings): NumericKernels {
  const range = dim.high - dim.low;
  // Bandwidths from the observations' own spacing (the prior's centre is not a neighbour).
  const order = obs.map((_, i) => i).sort((a, b) => obs[a]! - obs[b]! || a - b);
  const sorted = [dim.low, ...order.map((i) => obs[i]!), dim.high];
  const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!));
  if (!settings.considerEndpoints && sorted.length >= 4) {
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
  }
  const kernels = obs.length + (considerPrior ? 1 : 0);
  const minSigma = settings.considerMagicClip ? range / Math.min(100, 1 + kernels) : 1e-12;
  const sigmas = new Array<number>(obs.length);
  order.forEach((i, j) => {
    sigmas[i] = Math.min(range, Math.max(minSigma, sortedSigmas[j]!));
  });
  if (!considerPrior) return { mus: obs.slice(), sigmas };
  return { mus: [...obs, 0.5 * (dim.low + dim.high)], sigmas: [...sigmas, range] };
}

function categoricalKernels(obs: readonly number[], choices: number, considerPrior: boolean, priorWeight: number): number[][] {
  const n = obs.length;
  const rows = considerPrior ? n + 1 : n;
  const fill = priorWeight / rows;
  const out: number[][] = [];
  for (let k = 0; k < rows; k++) {
    const row = new Array<number>(choices).fill(fill);
    if (k < n) row[obs[k]!]! += 1;
    const total = row.reduce((a, b) => a + b, 0);
    out.push(row.map((p) => p / total));
  }
  return out;
}

/** The index i with cumulative weight first reaching u (weights summing to 1). */
function pickIndex(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]!;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

function logSumExp(terms: readonly number[]): number {
  let max = -Infinity;
  for (const t of terms) if (t > max) max = t;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

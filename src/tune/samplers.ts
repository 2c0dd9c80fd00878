import { Rng, deriveSeed } from '../util/index.js';
import { ParzenEstimator, PARZEN_DEFAULTS, type Dimension, type ParzenSettings } from './parzen.js';
import { fromInternal, isActive, toInternal, type ParamSpec, type ParamValues } from './space.js';

/**
 * What a sampler sees of a trial. `loss` is the objective turned into a minimisation (negated for
 * `direction: maximize`); pruned trials carry their last intermediate value instead.
 */
export interface ObservedTrial {
  number: number;
  state: 'complete' | 'pruned' | 'running';
  params: ParamValues;
  /** Complete trials: the objective as a loss. */
  loss?: number;
  /** Pruned trials: the last reported step and its value as a loss. */
  lastStep?: number;
  lastLoss?: number;
}

/** Proposes the parameters of trial `number` from the trials so far. Deterministic given its inputs. */
export interface Sampler {
  readonly name: 'random' | 'grid' | 'tpe';
  propose(number: number, history: readonly ObservedTrial[]): ParamValues;
}

export interface TpeSettings extends ParzenSettings {
  /** Trials sampled at random before TPE starts (complete and pruned ones count). */
  nStartupTrials: number;
  /** Candidates drawn from l(x) per proposal; the one with the largest l(x)/g(x) wins. */
  nEiCandidates: number;
  /** Running trials count as the worst observations (so parallel proposals spread out). */
  constantLiar: boolean;
}

/**
 * Optuna's documented TPESampler defaults as of Optuna 5 (docs/tune.md): multivariate for a
 * single objective and constant liar on (Optuna 3 and 4 defaulted both to off; either can be set
 * in the study file).
 */
export const TPE_DEFAULTS: TpeSettings = {
  ...PARZEN_DEFAULTS,
  multivariate: true,
  nStartupTrials: 10,
  nEiCandidates: 24,
  constantLiar: true,
};

/** γ(n) = min(⌈0.1·n⌉, 25): how many of the n observations form the "good" group l(x). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Each trial's draws come from their own stream, so a proposal does not depend on earlier ones' draws. */
function trialRng(seed: number, number: number, label: string): Rng {
  return new Rng(deriveSeed(seed, 'tune', label, number));
}

/** The numeric dimension a sampler uses for a float or int parameter (Optuna's Parzen bounds). */
export function dimensionOf(param: ParamSpec): Dimension {
  if (param.type === 'categorical') return { kind: 'categorical', choices: param.choices.length };
  const snap = (x: number): number => toInternal(param, fromInternal(param, x));
  if (param.log) {
    if (param.type === 'int') return { kind: 'numeric', low: Math.log(param.low - 0.5), high: Math.log(param.high + 0.5), step: 0, snap };
    return { kind: 'numeric', low: Math.log(param.low), high: Math.log(param.high), step: 0, snap };
  }
  if (param.type === 'int') return { kind: 'numeric', low: param.low - param.step / 2, high: param.high + param.step / 2, step: param.step, snap };
  return { kind: 'numeric', low: param.low, high: param.high, step: 0, snap };
}

/** A value as the sampler sees it: the choice index, or the number in internal space. */
export function internalValue(param: ParamSpec, value: string | number | boolean): number {
  if (param.type === 'categorical') return param.choices.indexOf(value);
  return toInternal(param, value as number);
}

export function externalValue(param: ParamSpec, x: number): string | number | boolean {
  if (param.type === 'categorical') return param.choices[x]!;
  return fromInternal(param, x);
}

function randomValue(param: ParamSpec, rng: Rng): string | number | boolean {
  const dim = dimensionOf(param);
  if (dim.kind === 'categorical') return externalValue(param, rng.int(dim.choices));
  return externalValue(param, dim.snap(rng.uniform(dim.low, dim.high)));
}

/** Independent uniform draws (log-uniform for log parameters). */
export class RandomSampler implements Sampler {
  readonly name = 'random';
  constructor(private readonly space: readonly ParamSpec[], private readonly seed: number) {}

  propose(number: number): ParamValues {
    const rng = trialRng(this.seed, number, 'random');
    const values: ParamValues = {};
    for (const param of this.space) if (isActive(param, values)) values[param.name] = randomValue(param, rng);
    return values;
  }
}

/**
 * Every combination of the parameters' values (categorical choices, int ranges, float `grid`
 * lists), in an order shuffled by the study seed; trial k takes point k (mod the grid's size).
 */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  private readonly points: ParamValues[];

  constructor(space: readonly ParamSpec[], seed: number) {
    let points: ParamValues[] = [{}];
    for (const param of space) {
      const values = gridValues(param);
      const next: ParamValues[] = [];
      for (const p of points) {
        if (!isActive(param, p)) next.push(p);
        else for (const v of values) next.push({ ...p, [param.name]: v });
      }
      points = next;
    }
    const rng = new Rng(deriveSeed(seed, 'tune', 'grid'));
    for (let i = points.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [points[i], points[j]] = [points[j]!, points[i]!];
    }
    this.points = points;
  }

  get size(): number {
    return this.points.length;
  }

  propose(number: number): ParamValues {
    return { ...this.points[number % this.points.length]! };
  }
}

/** The values a grid takes for one parameter. */
export function gridValues(param: ParamSpec): Array<string | number | boolean> {
  if (param.type === 'categorical') return param.choices;
  if (param.type === 'float') {
    if (!param.grid) throw new Error(`space["${param.name}"].grid: a float needs its grid values for the grid sampler`);
    return param.grid;
  }
  const out: number[] = [];
  for (let v = param.low; v <= param.high; v += param.step) out.push(v);
  return out;
}

/** A trial's rank key: complete trials by loss first, then pruned ones by (−last step, last loss), running last. */
function scoreOf(t: ObservedTrial): [number, number] {
  if (t.state === 'complete') return [-Infinity, t.loss!];
  if (t.state === 'pruned') return t.lastStep === undefined ? [1, 0] : [-t.lastStep, Number.isNaN(t.lastLoss) ? Infinity : t.lastLoss!];
  return [Infinity, Infinity];
}

/**
 * Splits observations into the best `nBelow` and the rest (stable order by score), each returned
 * as indices in trial order (the order the mixture weights ramp over).
 */
export function splitObservations(trials: readonly ObservedTrial[], nBelow: number): { below: number[]; above: number[] } {
  const scores = trials.map(scoreOf);
  const order = trials.map((_, i) => i).sort((a, b) => scores[a]![0] - scores[b]![0] || scores[a]![1] - scores[b]![1] || a - b);
  const below = order.slice(0, nBelow).sort((a, b) => a - b);
  const above = order.slice(nBelow).sort((a, b) => a - b);
  return { below, above };
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011): after the startup trials, each
 * parameter (or, multivariate, the unconditional parameters jointly) is drawn from l(x), the
 * Parzen estimator of the best γ(n) trials, as the candidate with the largest l(x)/g(x) among
 * `nEiCandidates` draws, where g(x) is the estimator of the other trials; maximising l/g
 * maximises expected improvement (ibid., §4.1). A conditional parameter is modelled on the
 * trials in which it was active only.
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  readonly settings: TpeSettings;

  constructor(private readonly space: readonly ParamSpec[], private readonly seed: number, settings: Partial<TpeSettings> = {}) {
    this.settings = { ...TPE_DEFAULTS, ...settings };
  }

  propose(number: number, history: readonly ObservedTrial[]): ParamValues {
    const rng = trialRng(this.seed, number, 'tpe');
    const s = this.settings;
    const trials = history.filter((t) => t.state !== 'running' || s.constantLiar);
    const n = trials.filter((t) => t.state !== 'running').length;
    const values: ParamValues = {};
    if (n < s.nStartupTrials) {
      for (const param of this.space) if (isActive(param, values)) values[param.name] = randomValue(param, rng);
      return values;
    }
    const { below, above } = splitObservations(trials, defaultGamma(n));
    const joint = s.multivariate ? this.space.filter((p) => !p.when) : [];
    if (joint.length > 0) Object.assign(values, this.sampleGroup(joint, trials, below, above, rng));
    for (const param of this.space) {
      if (param.name in values || !isActive(param, values)) continue;
      Object.assign(values, this.sampleGroup([param], trials, below, above, rng));
    }
    return values;
  }

  /** Draws the parameters of `group` jointly from l(x), keeping the candidate with the best l/g. */
  private sampleGroup(group: readonly ParamSpec[], trials: readonly ObservedTrial[], below: number[], above: number[], rng: Rng): ParamValues {
    const dims: Record<string, Dimension> = {};
    for (const p of group) dims[p.name] = dimensionOf(p);
    const has = (i: number): boolean => group.every((p) => p.name in trials[i]!.params);
    const observe = (indices: number[]): Record<string, number[]> => {
      const out: Record<string, number[]> = {};
      const kept = indices.filter(has);
      for (const p of group) out[p.name] = kept.map((i) => internalValue(p, trials[i]!.params[p.name]!));
      return out;
    };
    const settings: ParzenSettings = { ...this.settings, multivariate: this.settings.multivariate && group.length > 1 };
    const l = new ParzenEstimator(observe(below), dims, settings);
    const g = new ParzenEstimator(observe(above), dims, settings);
    const candidates = l.sample(rng, this.settings.nEiCandidates);
    const ll = l.logPdf(candidates);
    const lg = g.logPdf(candidates);
    let best = 0;
    for (let i = 1; i < ll.length; i++) if (ll[i]! - lg[i]! > ll[best]! - lg[best]!) best = i;
    const out: ParamValues = {};
    for (const p of group) out[p.name] = externalValue(p, candidates[p.name]![best]!);
    return out;
  }
}

export type SamplerSettings =
  | { type: 'random' }
  | { type: 'grid' }
  | ({ type: 'tpe' } & Partial<TpeSettings>);

export function createSampler(space: readonly ParamSpec[], seed: number, settings: SamplerSettings): Sampler {
  switch (settings.type) {
    case 'random':
      return new RandomSampler(space, seed);
    case 'grid':
      return new GridSampler(space, seed);
    case 'tpe': {
      const { type: _type, ...rest } = settings;
      return new TpeSampler(space, seed, rest);
    }
  }
}

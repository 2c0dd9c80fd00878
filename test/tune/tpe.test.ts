import { describe, expect, it } from 'vitest';
import {
  GridSampler,
  ParzenEstimator,
  RandomSampler,
  TEST_FUNCTIONS,
  TpeSampler,
  bestOnTestFunction,
  createSampler,
  defaultGamma,
  defaultWeights,
  dimensionOf,
  normalCdf,
  parseSpace,
  splitObservations,
  type ObservedTrial,
  type ParamSpec,
} from '../../src/tune/index.js';

const float = (name: string, low: number, high: number, log = false): ParamSpec => ({ name, type: 'float', low, high, log });

/** ∫ exp(logPdf) over [low, high] by the trapezoid rule. */
function integral(pe: ParzenEstimator, name: string, low: number, high: number, n = 4000): number {
  const xs = Array.from({ length: n + 1 }, (_, i) => low + ((high - low) * i) / n);
  const ps = pe.logPdf({ [name]: xs }).map(Math.exp);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += ((ps[i]! + ps[i + 1]!) / 2) * ((high - low) / n);
  return sum;
}

describe('Parzen estimator (hand-made observations)', () => {
  const x = dimensionOf(float('x', -5, 10));
  const pe = new ParzenEstimator({ x: [1.0, 2.5, 2.7, 9.0, -3.0] }, { x });

  it('puts a kernel on each observation with the neighbour-gap bandwidth, clipped, plus the prior', () => {
    // Sorted with the domain ends: -5 | -3 1 2.5 2.7 9 | 10. Gaps to neighbours, the larger one:
    // -3: 4 (inner gap, endpoints not considered), 1: 4, 2.5: 1.5 -> clipped to 15/7, 2.7: 6.3,
    // 9: 6.3 (inner gap). Magic clip: σ >= range / min(100, 1 + 6 kernels) = 15/7.
    const { mus, sigmas } = pe.numeric.get('x')!;
    expect(mus).toEqual([1, 2.5, 2.7, 9, -3, 2.5]);
    const expected = [4, 15 / 7, 6.3, 6.3, 4, 15];
    sigmas.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 12));
    expect(pe.weights).toEqual(new Array(6).fill(1 / 6));
  });

  it('is a normalised mixture of truncated normals', () => {
    expect(integral(pe, 'x', -5, 10)).toBeCloseTo(1, 4);
    // At one point, by hand: Σ w_k φ((x−μ_k)/σ_k) / (σ_k (Φ(b_k) − Φ(a_k))).
    const { mus, sigmas } = pe.numeric.get('x')!;
    let p = 0;
    mus.forEach((mu, k) => {
      const s = sigmas[k]!;
      const z = (0.5 - mu) / s;
      p += (1 / 6) * (Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) / s / (normalCdf((10 - mu) / s) - normalCdf((-5 - mu) / s)));
    });
    expect(pe.logPdf({ x: [0.5] })[0]).toBeCloseTo(Math.log(p), 12);
    expect(pe.logPdf({ x: [11] })[0]).toBe(-Infinity);
  });

  it('gives an int its cell masses (summing to 1) and a categorical its smoothed counts', () => {
    const k = dimensionOf({ name: 'k', type: 'int', low: 1, high: 8, step: 1, log: false });
    const ik = new ParzenEstimator({ k: [2, 5, 5] }, { k });
    expect(ik.numeric.get('k')!.mus).toEqual([2, 5, 5, 4.5]);
    const masses = ik.logPdf({ k: [1, 2, 3, 4, 5, 6, 7, 8] }).map(Math.exp);
    expect(masses.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(masses.indexOf(Math.max(...masses))).toBe(4);

    const c = new ParzenEstimator({ c: [0, 2, 2] }, { c: { kind: 'categorical', choices: 3 } });
    // Each of the 4 kernels: prior 1/4 on every choice plus 1 on its observation, normalised.
    const p2 = (0.25 / 1.75 + 1.25 / 1.75 + 1.25 / 1.75 + 1 / 3) / 4;
    expect(Math.exp(c.logPdf({ c: [2] })[0]!)).toBeCloseTo(p2, 12);
    const all = c.logPdf({ c: [0, 1, 2] }).map(Math.exp);
    expect(all.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('weights: flat up to 25 observations, the oldest ramped down beyond; gamma = min(ceil(0.1 n), 25)', () => {
    expect(defaultWeights(0)).toEqual([]);
    expect(defaultWeights(24)).toEqual(new Array(24).fill(1));
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
    expect([1, 10, 11, 100, 250, 251, 1000].map(defaultGamma)).toEqual([1, 1, 2, 10, 25, 25, 25]);
  });
});

describe('TPE', () => {
  const space = [float('x', 0, 1)];
  // Good trials (low loss) near 0.2, bad ones near 0.8.
  const history: ObservedTrial[] = [0.18, 0.22, 0.81, 0.77, 0.85, 0.9, 0.7, 0.75, 0.8, 0.83, 0.2, 0.79].map((x, number) => ({
    number,
    state: 'complete',
    params: { x },
    loss: (x - 0.2) ** 2,
  }));

  it('splits the best gamma(n) complete trials from the rest, pruned and running ones after them', () => {
    const trials: ObservedTrial[] = [
      { number: 0, state: 'complete', params: {}, loss: 3 },
      { number: 1, state: 'pruned', params: {}, lastStep: 20, lastLoss: 0.1 },
      { number: 2, state: 'complete', params: {}, loss: 1 },
      { number: 3, state: 'running', params: {} },
      { number: 4, state: 'pruned', params: {}, lastStep: 40, lastLoss: 5 },
    ];
    expect(splitObservations(trials, 2)).toEqual({ below: [0, 2], above: [1, 3, 4] });
    // Pruned: the later step first, then the value.
    expect(splitObservations(trials, 3)).toEqual({ below: [0, 2, 4], above: [1, 3] });
  });

  it('proposes where l(x)/g(x) is large: near the good trials', () => {
    const tpe = new TpeSampler(space, 7);
    for (let number = 12; number < 22; number++) {
      const x = tpe.propose(number, history).x as number;
      expect(Math.abs(x - 0.2), `trial ${number}: x = ${x}`).toBeLessThan(0.2);
    }
  });

  it('samples at random for the startup trials, and the same seed proposes the same trials', () => {
    const a = new TpeSampler(space, 1);
    const b = new TpeSampler(space, 1);
    const c = new TpeSampler(space, 2);
    // Before nStartupTrials (10) trials have ended, the history does not matter.
    expect(a.propose(3, history.slice(0, 3))).toEqual(a.propose(3, []));
    expect(new RandomSampler(space, 1).propose(4)).toEqual(new RandomSampler(space, 1).propose(4));
    expect(a.propose(12, history)).toEqual(b.propose(12, history));
    expect(a.propose(12, history)).not.toEqual(c.propose(12, history));
  });

  it('with constant liar, treats running trials as the worst and moves away from them', () => {
    const running: ObservedTrial[] = [...history, ...[0.2, 0.2, 0.2, 0.2, 0.2].map((x, i) => ({ number: 12 + i, state: 'running' as const, params: { x } }))];
    const liar = new TpeSampler(space, 5, { constantLiar: true });
    const plain = new TpeSampler(space, 5, { constantLiar: false });
    expect(plain.propose(17, running)).toEqual(plain.propose(17, history));
    expect(liar.propose(17, running)).not.toEqual(plain.propose(17, history));
  });

  it('beats random search on Branin within 60 trials (3 study seeds)', () => {
    const branin = TEST_FUNCTIONS.find((f) => f.name === 'branin')!;
    const median = (xs: number[]): number => xs.sort((p, q) => p - q)[1]!;
    const tpe = median([1, 2, 3].map((s) => bestOnTestFunction(branin, createSampler(branin.space, s, { type: 'tpe' }), 60, s)));
    const random = median([1, 2, 3].map((s) => bestOnTestFunction(branin, createSampler(branin.space, s, { type: 'random' }), 60, s)));
    expect(tpe).toBeLessThan(random);
    expect(tpe).toBeLessThan(0.6);
  });
});

describe('conditional spaces', () => {
  const space = parseSpace({
    'agent.kind': ['a', 'b'],
    'agent.extra': { type: float('', 0, 1).type, low: 0, high: 1, when: { 'agent.kind': 'b' } },
    'agent.width': { type: 'int', low: 16, high: 256, log: true },
    'agent.depth': { type: 'int', low: 1, high: 3 },
  });

  it('samples a conditional parameter exactly when its condition holds (random, TPE, grid)', () => {
    const history: ObservedTrial[] = [];
    const tpe = new TpeSampler(space, 11, { nStartupTrials: 5 });
    for (let number = 0; number < 30; number++) {
      const params = tpe.propose(number, history);
      expect('agent.extra' in params).toBe(params['agent.kind'] === 'b');
      expect(Number.isInteger(params['agent.width'])).toBe(true);
      expect(params['agent.width']).toBeGreaterThanOrEqual(16);
      expect(params['agent.width']).toBeLessThanOrEqual(256);
      const loss = (params['agent.kind'] === 'b' ? 1 - (params['agent.extra'] as number) : 1.5) + (params['agent.depth'] as number) / 10;
      history.push({ number, state: 'complete', params, loss });
    }
    // After the startup trials TPE prefers kind b (at least 10 of the last 15, random: 7.5).
    const late = history.slice(15);
    expect(late.filter((t) => t.params['agent.kind'] === 'b').length).toBeGreaterThanOrEqual(10);

    const grid = parseSpace({ kind: ['a', 'b'], extra: { type: 'float', low: 0, high: 1, grid: [0, 0.5, 1], when: { kind: 'b' } }, depth: { type: 'int', low: 1, high: 2 } });
    const g = new GridSampler(grid, 1);
    // kind a: 2 points (depth); kind b: 3 × 2.
    expect(g.size).toBe(8);
    const seen = new Set(Array.from({ length: 8 }, (_, i) => JSON.stringify(g.propose(i))));
    expect(seen.size).toBe(8);
    for (const p of seen) expect('extra' in JSON.parse(p)).toBe(JSON.parse(p).kind === 'b');
  });

  it('refuses a condition on an unknown or later parameter, naming the field', () => {
    expect(() => parseSpace({ x: { type: 'float', low: 0, high: 1, when: { y: 1 } } })).toThrow('space["x"].when.y: got "y", expected a parameter of this space');
    expect(() => parseSpace({ k: ['a'], x: { type: 'float', low: 0, high: 1, when: { k: 'z' } } })).toThrow('space["x"].when.k: got "z", expected one of ["a"]');
    expect(() => parseSpace({ x: { type: 'float', low: 1, high: 0 } })).toThrow('space["x"].high: got 0, expected a number above low (1)');
  });
});

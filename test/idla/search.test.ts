import { describe, expect, it } from 'vitest';
import { IDLA_INPUTS, INPUT_X, lagrangianSearch, runnerEstimator, runnerPairEstimator, type ValueAndGradient } from '../../src/agents/idla/index.js';
import { createMlpRunner } from '../../src/native/index.js';
import { Rng } from '../../src/util/index.js';
import { randomMlp } from '../native/helpers.js';

/**
 * Closed-form concave stand-in behind the batched interface: f(x) = 1 - exp(-k x), with the rate k
 * read from input column 1 (so each (cell, slice) has its own curve, like the history features).
 */
const exponential: ValueAndGradient = (inputs, batch) => {
  const value = new Float32Array(batch);
  const gradient = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    const x = inputs[i * IDLA_INPUTS + INPUT_X]!;
    const k = inputs[i * IDLA_INPUTS + 1]!;
    value[i] = 1 - Math.exp(-k * x);
    gradient[i] = k * Math.exp(-k * x);
  }
  return { value, gradient };
};

/**
 * The optimum of sum_s log(2 - exp(-k_s x_s)) over sum x = 1: the KKT condition
 * k e^{-kx} / (2 - e^{-kx}) = lambda gives x_s(lambda) = max(0, ln((k + lambda) / (2 lambda)) / k);
 * bisection on lambda makes the shares sum to 1.
 */
function analyticOptimum(rates: number[]): number[] {
  const shares = (lambda: number) => rates.map((k) => Math.max(0, Math.log((k + lambda) / (2 * lambda)) / k));
  let lo = 1e-9;
  let hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (shares(mid).reduce((a, b) => a + b, 0) > 1) lo = mid;
    else hi = mid;
  }
  return shares((lo + hi) / 2);
}

function problemFor(rateRows: number[][], warm?: number[][]) {
  const cells = rateRows.length;
  const slices = rateRows[0]!.length;
  const templates = new Float32Array(cells * slices * IDLA_INPUTS);
  const active = new Float32Array(cells * slices);
  const warmStart = new Float32Array(cells * slices);
  rateRows.forEach((rates, c) =>
    rates.forEach((k, s) => {
      const i = c * slices + s;
      active[i] = k > 0 ? 1 : 0;
      templates[i * IDLA_INPUTS + 1] = k;
      warmStart[i] = warm ? warm[c]![s]! : k > 0 ? 1 / rates.filter((r) => r > 0).length : 0;
    }),
  );
  return { cells, slices, templates, active, warmStart };
}

describe('IDLA Lagrangian search', () => {
  it('finds the analytic optimum of a concave utility in every cell at once', async () => {
    const rates = [
      [2, 5, 10],
      [1, 1, 1],
      [3, 8, 0.5],
    ];
    const result = await lagrangianSearch(exponential, problemFor(rates), new Rng(1), { maxIterations: 400, eta: 1e-6 });
    rates.forEach((row, c) => {
      const expected = analyticOptimum(row);
      row.forEach((_, s) => expect(result.x[c * 3 + s]).toBeCloseTo(expected[s]!, 2));
    });
  });

  it('returns feasible allocations with 0 for inactive slices, even from infeasible warm starts', async () => {
    const rng = new Rng(7);
    const cells = 50;
    const slices = 4;
    const rates: number[][] = [];
    const warm: number[][] = [];
    for (let c = 0; c < cells; c++) {
      rates.push(Array.from({ length: slices }, () => (rng.next() < 0.25 ? 0 : rng.uniform(0.5, 20))));
      warm.push(Array.from({ length: slices }, () => rng.uniform(-1, 2)));
    }
    const result = await lagrangianSearch(exponential, problemFor(rates, warm), rng, { maxIterations: 15 });
    for (let c = 0; c < cells; c++) {
      let sum = 0;
      for (let s = 0; s < slices; s++) {
        const v = result.x[c * slices + s]!;
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        if (rates[c]![s] === 0) expect(v).toBe(0);
        sum += v;
      }
      expect(sum).toBeLessThanOrEqual(1);
    }
  });

  it('needs fewer iterations from a warm start at the previous solution', async () => {
    const rates = Array.from({ length: 20 }, (_, c) => [1 + (c % 5), 4, 9 - (c % 3)]);
    const options = { maxIterations: 300, eta: 1e-4 };
    const cold = await lagrangianSearch(exponential, problemFor(rates), new Rng(3), options);
    const warmRows = rates.map((_, c) => [0, 1, 2].map((s) => cold.x[c * 3 + s]!));
    const warm = await lagrangianSearch(
      exponential,
      { ...problemFor(rates, warmRows), warmLambda: cold.lambda },
      new Rng(3),
      options,
    );
    expect(warm.meanIterations).toBeLessThan(cold.meanIterations / 2);
    for (let i = 0; i < warm.x.length; i++) expect(warm.x[i]).toBeCloseTo(cold.x[i]!, 2);
  });

  it('the grid start leaves a plateau where the gradient steps are stuck', async () => {
    // r jumps from 0.2 to 1 at a per-slice threshold (column 1), flat on both sides: df/dx = 0.
    const steps: ValueAndGradient = (inputs, batch) => {
      const value = new Float32Array(batch);
      for (let i = 0; i < batch; i++) value[i] = inputs[i * IDLA_INPUTS + INPUT_X]! >= inputs[i * IDLA_INPUTS + 1]! - 1e-6 ? 1 : 0.2;
      return { value, gradient: new Float32Array(batch) };
    };
    const problem = problemFor([[0.5, 0.3, 0.15]]);
    const plain = await lagrangianSearch(steps, problem, new Rng(2), { neighbours: 5, fillSlack: false });
    expect(plain.objective[0]).toBeLessThan(3 * Math.log(2) - 0.1);
    const withGrid = await lagrangianSearch(steps, problem, new Rng(2), { neighbours: 5, fillSlack: false, gridPoints: 21 });
    expect(withGrid.objective[0]).toBeCloseTo(3 * Math.log(2), 6);
    expect(withGrid.x[0]).toBeGreaterThanOrEqual(0.5 - 1e-6);
    expect(withGrid.x[1]).toBeGreaterThanOrEqual(0.3 - 1e-6);
    expect(withGrid.x[2]).toBeGreaterThanOrEqual(0.15 - 1e-6);
    expect(withGrid.x[0]! + withGrid.x[1]! + withGrid.x[2]!).toBeLessThanOrEqual(1);
    await expect(lagrangianSearch(steps, problem, new Rng(2), { gridPoints: 1 })).rejects.toThrow(/gridPoints/);
    await expect(lagrangianSearch(steps, { ...problem, cold: [1, 0] }, new Rng(2), { gridPoints: 21 })).rejects.toThrow(/cold length/);
  });

  it('the grid start is the brute-force optimum over the 0.05 grid (1,771 points for 3 slices)', async () => {
    // Piecewise-constant pseudo-random curves per (cell, slice): only the grid point matters.
    const value = (key: number, x: number): number => {
      const v = Math.sin(key * 12.9898 + Math.round(x * 20) * 78.233) * 43758.5453;
      return v - Math.floor(v);
    };
    const rough: ValueAndGradient = (inputs, batch) => {
      const out = new Float32Array(batch);
      for (let i = 0; i < batch; i++) out[i] = value(inputs[i * IDLA_INPUTS + 1]!, inputs[i * IDLA_INPUTS + INPUT_X]!);
      return { value: out, gradient: new Float32Array(batch) };
    };
    const keys = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    const problem = problemFor(keys, keys.map(() => [0, 0, 0]));
    const result = await lagrangianSearch(rough, problem, new Rng(4), { neighbours: 0, fillSlack: false, gridPoints: 21 });
    keys.forEach((row, c) => {
      let best = -Infinity;
      let points = 0;
      for (let a = 0; a <= 20; a++) {
        for (let b = 0; a + b <= 20; b++) {
          for (let d = 0; a + b + d <= 20; d++) {
            points++;
            const objective = Math.log(value(row[0]!, a / 20) + 1) + Math.log(value(row[1]!, b / 20) + 1) + Math.log(value(row[2]!, d / 20) + 1);
            best = Math.max(best, objective);
          }
        }
      }
      expect(points).toBe(1771);
      expect(result.objective[c]).toBeCloseTo(best, 5);
    });
  });

  it('the pair-form MLP estimator (fixed inputs folded into the first layer) searches exactly like full input rows', async () => {
    const rng = new Rng(21);
    const spec = randomMlp(rng, [IDLA_INPUTS, 36, 24, 16, 16, 1], ['relu', 'relu', 'relu', 'relu', 'sigmoid']);
    const cells = 300;
    const slices = 4;
    const templates = new Float32Array(cells * slices * IDLA_INPUTS);
    for (let i = 0; i < templates.length; i++) templates[i] = rng.uniform(0, 3);
    const active = Float32Array.from({ length: cells * slices }, () => (rng.next() < 0.85 ? 1 : 0));
    const warmStart = Float32Array.from({ length: cells * slices }, () => rng.uniform(0, 0.5));
    const cold = Uint8Array.from({ length: cells }, (_, c) => c % 3 === 0 ? 1 : 0);
    const problem = { cells, slices, active, templates, warmStart, cold };
    const options = { maxIterations: 80, gridPoints: 21 };
    const runner = createMlpRunner(spec);
    const full = await lagrangianSearch(runnerEstimator(runner), problem, new Rng(5), options);
    const pair = await lagrangianSearch(runnerPairEstimator(runner), problem, new Rng(5), options);
    expect(pair.rowsEvaluated).toBeGreaterThan(cells * slices * 21);
    let differing = 0;
    for (let i = 0; i < full.x.length; i++) if (Math.abs(full.x[i]! - pair.x[i]!) > 1e-4) differing++;
    // float32 summation order can flip a relu at its kink in a rare row; the searches must agree elsewhere.
    expect(differing).toBeLessThanOrEqual(2);
    for (let c = 0; c < cells; c++) expect(pair.objective[c]).toBeCloseTo(full.objective[c]!, 3);
  });

  it('keeps the best of the starts by the objective', async () => {
    // A two-bump utility: only a start near x = 0.8 for slice 0 reaches the higher bump.
    const bumpy: ValueAndGradient = (inputs, batch) => {
      const value = new Float32Array(batch);
      const gradient = new Float32Array(batch);
      for (let i = 0; i < batch; i++) {
        const x = inputs[i * IDLA_INPUTS + INPUT_X]!;
        const a = 0.3 * Math.exp(-((x - 0.2) ** 2) / 0.005);
        const b = 0.9 * Math.exp(-((x - 0.8) ** 2) / 0.005);
        value[i] = a + b;
        gradient[i] = (a * -2 * (x - 0.2)) / 0.005 + (b * -2 * (x - 0.8)) / 0.005;
      }
      return { value, gradient };
    };
    const problem = {
      cells: 1,
      slices: 1,
      active: [1],
      templates: new Float32Array(IDLA_INPUTS),
      warmStart: [0.72],
    };
    const result = await lagrangianSearch(bumpy, problem, new Rng(11), { maxIterations: 200, neighbours: 5, noise: 0.05, stepX: 0.01, fillSlack: false });
    expect(result.x[0]).toBeCloseTo(0.8, 1);
    const single = await lagrangianSearch(bumpy, { ...problem, warmStart: [0.25] }, new Rng(11), { maxIterations: 200, neighbours: 0, stepX: 0.01, fillSlack: false });
    expect(single.x[0]).toBeCloseTo(0.2, 1);
  });
});

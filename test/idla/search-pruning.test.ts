import { describe, expect, it } from 'vitest';
import { IDLA_INPUTS, lagrangianSearch, runnerEstimator, runnerPairEstimator, type SearchProblem } from '../../src/agents/idla/index.js';
import { createMlpRunner } from '../../src/native/index.js';
import { Rng } from '../../src/util/index.js';
import { randomMlp } from '../native/helpers.js';

/** Cells of an MLP estimator with random inputs, some slices inactive, some warm starts infeasible, a third of the cells cold. */
function mlpProblem(seed: number, cells: number, slices: number) {
  const rng = new Rng(seed);
  const spec = randomMlp(rng, [IDLA_INPUTS, 36, 24, 16, 16, 1], ['relu', 'relu', 'relu', 'relu', 'sigmoid']);
  const templates = new Float32Array(cells * slices * IDLA_INPUTS);
  for (let i = 0; i < templates.length; i++) templates[i] = rng.uniform(0, 3);
  const active = Float32Array.from({ length: cells * slices }, () => (rng.next() < 0.85 ? 1 : 0));
  const warmStart = Float32Array.from({ length: cells * slices }, () => rng.uniform(-0.2, 0.7));
  const cold = Uint8Array.from({ length: cells }, (_, c) => (c % 3 === 0 ? 1 : 0));
  const problem: SearchProblem = { cells, slices, active, templates, warmStart, cold };
  return { spec, problem };
}

function expectFeasible(x: Float32Array, problem: SearchProblem): void {
  for (let c = 0; c < problem.cells; c++) {
    let sum = 0;
    for (let s = 0; s < problem.slices; s++) {
      const v = x[c * problem.slices + s]!;
      expect(v).toBeGreaterThanOrEqual(0);
      if (problem.active[c * problem.slices + s]! < 0.5) expect(v).toBe(0);
      sum += v;
    }
    expect(sum).toBeLessThanOrEqual(1);
  }
}

describe('IDLA search: pruning and merging of starts', () => {
  const { spec, problem } = mlpProblem(31, 400, 4);
  const base = { maxIterations: 120, eta: 5e-3, stepX: 0.05, gridPoints: 11, neighbours: 5 };

  it('never returns an infeasible allocation, evaluates fewer rows and loses little objective', async () => {
    const runner = runnerPairEstimator(createMlpRunner(spec));
    const plain = await lagrangianSearch(runner, problem, new Rng(5), base);
    expectFeasible(plain.x, problem);
    const settings = [
      { pruneAfter: 1, pruneMargin: 0 },
      { pruneAfter: 3, pruneMargin: 0.02 },
      { mergeTolerance: 0.05 },
      { pruneAfter: 2, pruneMargin: 0.01, mergeTolerance: 0.01 },
    ];
    for (const extra of settings) {
      const result = await lagrangianSearch(runner, problem, new Rng(5), { ...base, ...extra });
      expectFeasible(result.x, problem);
      expect(result.rowsEvaluated).toBeLessThan(plain.rowsEvaluated);
      let plainSum = 0;
      let sum = 0;
      for (let c = 0; c < problem.cells; c++) {
        plainSum += plain.objective[c]!;
        sum += result.objective[c]!;
      }
      // The starts that run on are the cell's leaders: the sum of the cells' objectives barely moves.
      expect(sum).toBeGreaterThan(plainSum * 0.98);
    }
  });

  it('prunes and merges the same starts on the pair-form (native when built) and full-row (TypeScript) estimators', async () => {
    const options = { ...base, pruneAfter: 3, pruneMargin: 0.02, mergeTolerance: 0.005 };
    const pair = await lagrangianSearch(runnerPairEstimator(createMlpRunner(spec)), problem, new Rng(5), options);
    const full = await lagrangianSearch(runnerEstimator(createMlpRunner(spec, { impl: 'ts' })), problem, new Rng(5), options);
    // float32 summation order can flip a relu at its kink in a rare row; the searches must agree elsewhere.
    expect(Math.abs(pair.rowsEvaluated - full.rowsEvaluated)).toBeLessThanOrEqual(0.01 * full.rowsEvaluated);
    let differing = 0;
    for (let i = 0; i < full.x.length; i++) if (Math.abs(full.x[i]! - pair.x[i]!) > 1e-5) differing++;
    expect(differing).toBeLessThanOrEqual(4);
  });

  it('rejects settings outside their ranges, naming the field', async () => {
    const runner = runnerPairEstimator(createMlpRunner(spec));
    await expect(lagrangianSearch(runner, problem, new Rng(1), { pruneAfter: 1.5 })).rejects.toThrow(/pruneAfter/);
    await expect(lagrangianSearch(runner, problem, new Rng(1), { pruneMargin: -1 })).rejects.toThrow(/pruneMargin/);
    await expect(lagrangianSearch(runner, problem, new Rng(1), { mergeTolerance: -0.1 })).rejects.toThrow(/mergeTolerance/);
  });
});

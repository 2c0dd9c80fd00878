import { describe, expect, it } from 'vitest';
import { admmSolve, createAdmmState, type AdmmXStep } from '../../src/constraints/index.js';

// Worked example of docs/algorithms.md#admm: U_s(x) = -(x - d_s)^2, closed-form x-step.
const d = [0.5, 0.4, 0.3];
function quadraticStep(cells: number, dd: number[] = d): AdmmXStep {
  return (v, rho, x) => {
    const S = dd.length;
    for (let c = 0; c < cells; c++) {
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        x[i] = Math.max(0, (2 * dd[s]! + rho[c]! * v[i]!) / (2 + rho[c]!));
      }
    }
  };
}
// |r|, |s| < 1e-6 in the Euclidean norm: sqrt(n) epsAbs = 1e-6, no relative term.
const strict = { epsAbs: 1e-6 / Math.sqrt(3), epsRel: 0, maxIterations: 1000, balance: false };

describe('ADMM worked example', () => {
  for (const [rho, expected] of [
    [0.5, 54],
    [1, 31],
    [2, 20],
  ] as const) {
    it(`converges from zero in ${expected} iterations with rho = ${rho}`, () => {
      const state = createAdmmState(1, 3, rho);
      const result = admmSolve(state, quadraticStep(1), { ...strict, rho });
      expect(result.converged[0]).toBe(1);
      expect(Math.abs(result.iterations[0]! - expected)).toBeLessThanOrEqual(1);
      expect(Array.from(result.z)).toEqual([0.4333, 0.3333, 0.2333].map((v) => expect.closeTo(v, 4)));
      for (const p of result.price) expect(p).toBeCloseTo(0.1333, 4);
    });
  }

  it('with residual balancing reaches the same optimum and price', () => {
    const state = createAdmmState(1, 3, 50);
    const result = admmSolve(state, quadraticStep(1), { ...strict, rho: 50, balance: true });
    expect(result.converged[0]).toBe(1);
    expect(state.rho[0]).toBeLessThan(50); // a too-large rho is balanced down
    expect(result.z[0]).toBeCloseTo(0.4333, 4);
    expect(result.price[0]).toBeCloseTo(0.1333, 4);
  });

  it('warm start from the previous solution needs only a few iterations', () => {
    const state = createAdmmState(1, 3, 1);
    admmSolve(state, quadraticStep(1), { ...strict, rho: 1 });
    // The demand drifts slightly between decision steps.
    const warm = admmSolve(state, quadraticStep(1, [0.51, 0.4, 0.3]), { epsAbs: 1e-4, epsRel: 1e-3, rho: 1, maxIterations: 100 });
    const cold = admmSolve(createAdmmState(1, 3, 1), quadraticStep(1, [0.51, 0.4, 0.3]), {
      epsAbs: 1e-4,
      epsRel: 1e-3,
      rho: 1,
      maxIterations: 100,
    });
    expect(warm.iterations[0]).toBeLessThanOrEqual(5);
    expect(warm.iterations[0]).toBeLessThan(cold.iterations[0]!);
  });

  it('batches cells, excludes inactive slices and keeps every iterate feasible', () => {
    const cells = 4;
    const state = createAdmmState(cells, 3, 1);
    const active = [1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0];
    for (let k = 1; k <= 6; k++) {
      const result = admmSolve(state, quadraticStep(cells, [0.9, 0.8, 0.7]), { rho: 1, maxIterations: k }, active);
      for (let c = 0; c < cells; c++) {
        let sum = 0;
        for (let s = 0; s < 3; s++) {
          const z = result.z[c * 3 + s]!;
          expect(z).toBeGreaterThanOrEqual(0);
          if (!active[c * 3 + s]) expect(z).toBe(0);
          sum += z;
        }
        expect(sum).toBeLessThanOrEqual(1 + 1e-12);
      }
    }
    // A single active slice gets min(its demand, budget); an empty cell stays empty.
    const result = admmSolve(createAdmmState(cells, 3, 1), quadraticStep(cells, [0.9, 0.8, 0.7]), strict, active);
    expect(result.z[4]).toBeCloseTo(0.8, 5);
    expect(result.z[6]! + result.z[7]! + result.z[8]!).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { admmSolve, admmSolveAsync, createAdmmState, type AdmmXStep } from '../../src/constraints/index.js';
import { Rng } from '../../src/util/index.js';

// admmSolveAsync is admmSolve with an awaited x-step: the same iterations, bit for bit, one x-step
// call per iteration (the loop the ONNX server runs around onnxruntime).

const cells = 5;
const slices = 3;

/** A closed-form x-step of U_s(x) = -w_s (x - d_s)^2 with per-(cell, slice) d and w. */
function quadratic(rng: Rng): AdmmXStep {
  const d = Float64Array.from({ length: cells * slices }, () => rng.uniform(0.1, 0.8));
  const w = Float64Array.from({ length: cells * slices }, () => rng.uniform(0.5, 3));
  return (v, rho, x) => {
    for (let i = 0; i < cells * slices; i++) {
      const r = rho[Math.floor(i / slices)]!;
      x[i] = Math.max(0, (2 * w[i]! * d[i]! + r * v[i]!) / (2 * w[i]! + r));
    }
  };
}

describe('admmSolveAsync', () => {
  it('matches admmSolve bit for bit (z, price, iterations, residuals, warm start) with one x-step call per iteration', async () => {
    const rng = new Rng(3);
    const active = Float64Array.from({ length: cells * slices }, (_, i) => (i % 7 === 3 || i >= 12 ? 0 : 1));
    const bounds = { lower: [0.05, 0.1, 0], upper: [0.9, 0.6, 1] };
    const settings = { rho: 0.7, maxIterations: 40, epsAbs: 1e-6, epsRel: 1e-4 };
    const sync = createAdmmState(cells, slices, settings.rho);
    const async_ = createAdmmState(cells, slices, settings.rho);
    for (let round = 0; round < 3; round++) {
      const step = quadratic(rng);
      let calls = 0;
      const expected = admmSolve(sync, step, settings, active, bounds);
      const got = await admmSolveAsync(
        async_,
        async (v, rho, x) => {
          calls++;
          await new Promise((r) => setImmediate(r));
          step(v, rho, x);
        },
        settings,
        active,
        bounds,
      );
      expect(Array.from(got.z)).toEqual(Array.from(expected.z));
      expect(Array.from(got.x)).toEqual(Array.from(expected.x));
      expect(Array.from(got.price)).toEqual(Array.from(expected.price));
      expect(Array.from(got.iterations)).toEqual(Array.from(expected.iterations));
      expect(Array.from(got.converged)).toEqual(Array.from(expected.converged));
      expect(Array.from(got.primalResidual)).toEqual(Array.from(expected.primalResidual));
      expect(Array.from(got.dualResidual)).toEqual(Array.from(expected.dualResidual));
      expect(Array.from(async_.rho)).toEqual(Array.from(sync.rho));
      expect(calls).toBe(Math.max(...got.iterations));
    }
  });

  it('runs no x-step when no slice is active, and stops at maxIterations', async () => {
    let calls = 0;
    const none = await admmSolveAsync(createAdmmState(2, slices), async () => void calls++, {}, new Float64Array(2 * slices));
    expect(calls).toBe(0);
    expect(Array.from(none.z)).toEqual(new Array(2 * slices).fill(0));
    const capped = await admmSolveAsync(
      createAdmmState(cells, slices),
      async (v, rho, x) => {
        calls++;
        quadratic(new Rng(1))(v, rho, x);
      },
      { maxIterations: 2, epsAbs: 0, epsRel: 0 },
    );
    expect(calls).toBe(2);
    expect(Math.max(...capped.iterations)).toBe(2);
  });
});

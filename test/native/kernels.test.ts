import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { projectBoxSimplex, projectSimplex } from '../../src/constraints/index.js';
import { admmZDualBatch, nativeStatus, projectBoxSimplexBatch, projectSimplexBatch } from '../../src/native/index.js';

const nativeActive = nativeStatus().active;
const impls = nativeActive ? (['ts', 'native'] as const) : (['ts'] as const);

/** Random rows mixing the interesting cases: slack, active budget, negatives, ties. */
function randomRows(rng: Rng, rows: number, cols: number): Float64Array {
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const kind = r % 4;
    for (let c = 0; c < cols; c++) {
      const v = kind === 0 ? rng.uniform(0, 0.2) : kind === 1 ? rng.uniform(-0.5, 1.5) : kind === 2 ? rng.normal(0, 1) : 0.5;
      values[r * cols + c] = v;
    }
  }
  return values;
}

describe.each(impls)('batch constraint kernels (%s)', (impl) => {
  it('reproduces the projection table of docs/algorithms.md', () => {
    const table: [number[], number[], number[]][] = [
      [[0.5, 0.4, 0.3], [0.4333, 0.3333, 0.2333], [0.4333, 0.3333, 0.2333]],
      [[1.2, -0.3, 0.4], [0.9, 0, 0.1], [0.9, 0, 0.1]],
      [[0.2, 0.3, -0.1], [0.2, 0.3, 0], [0.4, 0.5, 0.1]],
      [[0.9, 0.05, 0.02], [0.9, 0.05, 0.02], [0.91, 0.06, 0.03]],
    ];
    const values = Float64Array.from(table.flatMap(([v]) => v));
    const inequality = projectSimplexBatch(values, 4, 3, 1, undefined, false, { impl });
    const equality = projectSimplexBatch(values, 4, 3, 1, undefined, true, { impl });
    table.forEach(([, lessEqual, equal], r) => {
      for (let c = 0; c < 3; c++) {
        expect(inequality[r * 3 + c]).toBeCloseTo(lessEqual[c]!, 4);
        expect(equality[r * 3 + c]).toBeCloseTo(equal[c]!, 4);
      }
    });
    const four = projectSimplexBatch(Float64Array.of(2, 2, 2, 2), 1, 4, 1, undefined, false, { impl });
    expect(Array.from(four)).toEqual([0.25, 0.25, 0.25, 0.25]);
    const box = projectBoxSimplexBatch(Float64Array.of(0.6, 0.5, 0.1), Float64Array.of(0, 0, 0.2), Float64Array.of(0.5, 1, 1), 1, 3, 1, undefined, {
      impl,
    });
    [0.45, 0.35, 0.2].forEach((x, c) => expect(box[c]).toBeCloseTo(x, 12));
  });

  it('equals the constraints module row by row (float64 and float32, per-row budgets, odd sizes)', () => {
    const rng = new Rng(21);
    for (const [rows, cols] of [
      [1, 1],
      [1, 3],
      [7, 4],
      [33, 5],
      [2500, 4],
      [3, 17],
    ] as const) {
      const values = randomRows(rng, rows, cols);
      const budgets = Float64Array.from({ length: rows }, () => rng.uniform(0.2, 2));
      for (const equality of [false, true]) {
        const out = projectSimplexBatch(values, rows, cols, budgets, undefined, equality, { impl });
        const out32 = projectSimplexBatch(Float32Array.from(values), rows, cols, budgets, undefined, equality, { impl });
        expect(out32).toBeInstanceOf(Float32Array);
        let worst = 0;
        let worst32 = 0;
        for (let r = 0; r < rows; r++) {
          const expected = projectSimplex(values.subarray(r * cols, (r + 1) * cols), budgets[r]!, equality);
          const expected32 = projectSimplex(Float32Array.from(values.subarray(r * cols, (r + 1) * cols)), budgets[r]!, equality);
          for (let c = 0; c < cols; c++) {
            worst = Math.max(worst, Math.abs(out[r * cols + c]! - expected[c]!));
            worst32 = Math.max(worst32, Math.abs(out32[r * cols + c]! - expected32[c]!));
          }
        }
        expect(worst).toBeLessThan(1e-12);
        expect(worst32).toBeLessThan(1e-6);
      }
      const lower = Float64Array.from({ length: rows * cols }, () => rng.uniform(0, 0.15 / cols));
      const upper = Float64Array.from({ length: rows * cols }, (_, i) => (i % 3 === 0 ? Number.POSITIVE_INFINITY : lower[i]! + rng.uniform(0, 0.8)));
      const box = projectBoxSimplexBatch(values, lower, upper, rows, cols, budgets, undefined, { impl });
      const sharedLower = lower.subarray(0, cols);
      const sharedUpper = upper.subarray(0, cols);
      const boxShared = projectBoxSimplexBatch(values, sharedLower, sharedUpper, rows, cols, 1, undefined, { impl });
      let worst = 0;
      for (let r = 0; r < rows; r++) {
        const v = values.subarray(r * cols, (r + 1) * cols);
        const expected = projectBoxSimplex(v, lower.subarray(r * cols, (r + 1) * cols), upper.subarray(r * cols, (r + 1) * cols), budgets[r]!);
        const expectedShared = projectBoxSimplex(v, sharedLower, sharedUpper, 1);
        for (let c = 0; c < cols; c++) {
          worst = Math.max(worst, Math.abs(box[r * cols + c]! - expected[c]!), Math.abs(boxShared[r * cols + c]! - expectedShared[c]!));
        }
      }
      expect(worst).toBeLessThan(1e-9);
    }
  });

  it('projects in place and handles empty batches', () => {
    const values = Float64Array.of(1.2, -0.3, 0.4);
    expect(projectSimplexBatch(values, 1, 3, 1, values, false, { impl })).toBe(values);
    expect(values[0]).toBeCloseTo(0.9, 12);
    expect(projectSimplexBatch(new Float64Array(0), 0, 3, 1, undefined, false, { impl }).length).toBe(0);
    const step = admmZDualBatch(new Float64Array(0), new Float64Array(0), 0, 4, 1, { impl });
    expect(step.primalResidual.length).toBe(0);
  });

  it('ADMM on the worked example converges in the documented iterations with the documented price', () => {
    const d = [0.5, 0.4, 0.3];
    for (const [rho, iterations] of [
      [0.5, 54],
      [1, 31],
      [2, 20],
    ] as const) {
      // Two identical cells in one batch: both must follow the same trajectory.
      const rows = 2;
      const x = new Float64Array(rows * 3);
      const u = new Float64Array(rows * 3);
      const z = new Float64Array(rows * 3);
      let k = 0;
      for (; k < 1000; k++) {
        for (let i = 0; i < rows * 3; i++) x[i] = Math.max(0, (2 * d[i % 3]! + rho * (z[i]! - u[i]!)) / (2 + rho));
        const step = admmZDualBatch(x, u, rows, 3, 1, { z, rho, impl });
        expect(step.z).toBe(z);
        expect(step.u).toBe(u);
        if (Math.max(...step.primalResidual) < 1e-6 && Math.max(...step.dualResidual) < 1e-6) break;
      }
      expect(k + 1).toBe(iterations);
      [0.4333, 0.3333, 0.2333].forEach((value, c) => expect(z[3 + c]).toBeCloseTo(value, 4));
      expect(rho * u[0]!).toBeCloseTo(0.1333, 4);
    }
  });

  it('rejects bad inputs with errors naming the argument', () => {
    const v = new Float64Array(6);
    expect(() => projectSimplexBatch(new Float64Array(5), 2, 3, 1, undefined, false, { impl })).toThrow(/values\.length: got 5, expected 6/);
    expect(() => projectSimplexBatch(v, 2, 3, -1, undefined, false, { impl })).toThrow(/budget: got -1/);
    expect(() => projectSimplexBatch(v, 2, 3, new Float64Array(3), undefined, false, { impl })).toThrow(/budget: got Float64Array\(3\)/);
    expect(() => projectSimplexBatch(v, 2, 3, 1, new Float32Array(6), false, { impl })).toThrow(/^out: got Float32Array\(6\)/);
    expect(() => projectSimplexBatch(Float64Array.of(0, 0, Number.NaN, 0, 0, 0), 2, 3, 1, undefined, false, { impl })).toThrow(
      /values\[2\]: got NaN/,
    );
    expect(() => projectBoxSimplexBatch(v, new Float64Array(4), new Float64Array(3).fill(1), 2, 3, 1, undefined, { impl })).toThrow(/^lower: got/);
    expect(() => projectBoxSimplexBatch(v, Float64Array.of(0, 0.5, 0), Float64Array.of(1, 0.4, 1), 2, 3, 1, undefined, { impl })).toThrow(
      /upper\[1\]: got 0.4/,
    );
    expect(() => projectBoxSimplexBatch(v, Float64Array.of(0.5, 0.5, 0.5), Float64Array.of(1, 1, 1), 2, 3, 1, undefined, { impl })).toThrow(
      /lower \(row 0\): got 1.5/,
    );
    expect(() => admmZDualBatch(v, new Float32Array(6), 2, 3, 1, { impl })).toThrow(/^u: got Float32Array/);
    expect(() => admmZDualBatch(v, new Float64Array(6), 2, 3, 1, { impl, rho: 0 })).toThrow(/options\.rho: got 0/);
    expect(() => admmZDualBatch(v, new Float64Array(6), 2, 3, 1, { impl, z: new Float64Array(5) })).toThrow(/options\.z\.length: got 5/);
  });
});

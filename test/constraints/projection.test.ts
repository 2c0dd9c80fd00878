import { describe, expect, it } from 'vitest';
import {
  projectBoxSimplex,
  projectSimplex,
  projectSimplexJacobian,
  projectSimplexVjp,
  projectWithMinimum,
} from '../../src/constraints/index.js';
import { Rng } from '../../src/util/index.js';

// Vectors from docs/algorithms.md#feasibility-projection (onto {x >= 0, sum x <= a} and = a).
const vectors: Array<{ v: number[]; le: number[]; eq: number[] }> = [
  { v: [0.5, 0.4, 0.3], le: [0.4333, 0.3333, 0.2333], eq: [0.4333, 0.3333, 0.2333] },
  { v: [1.2, -0.3, 0.4], le: [0.9, 0, 0.1], eq: [0.9, 0, 0.1] },
  { v: [0.2, 0.3, -0.1], le: [0.2, 0.3, 0], eq: [0.4, 0.5, 0.1] },
  { v: [2, 2, 2, 2], le: [0.25, 0.25, 0.25, 0.25], eq: [0.25, 0.25, 0.25, 0.25] },
  { v: [0.9, 0.05, 0.02], le: [0.9, 0.05, 0.02], eq: [0.91, 0.06, 0.03] },
];

function expectClose(actual: ArrayLike<number>, expected: number[], digits: number): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe('exact projection', () => {
  it.each(vectors)('projects $v onto sum <= 1 and sum = 1', ({ v, le, eq }) => {
    expectClose(projectSimplex(v, 1), le, 4);
    expectClose(projectSimplex(v, 1, true), eq, 4);
  });

  it('matches the caps/floors worked example', () => {
    const x = projectBoxSimplex([0.6, 0.5, 0.1], [0, 0, 0.2], [0.5, 1, 1], 1);
    expectClose(x, [0.45, 0.35, 0.2], 10);
  });

  it('keeps minimum shares', () => {
    const x = projectWithMinimum([0.1, 0.9, 0.5], [0.2, 0, 0.1], 1);
    expect(x[0]).toBeGreaterThanOrEqual(0.2);
    expect(x[2]).toBeGreaterThanOrEqual(0.1);
    expect(x.reduce((s, y) => s + y, 0)).toBeCloseTo(1, 12);
  });

  it('is the nearest feasible point (no random feasible point is closer)', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(6);
      const v = Array.from({ length: n }, () => rng.uniform(-1, 2));
      const x = projectSimplex(v);
      const sum = Array.from(x).reduce((s, y) => s + y, 0);
      expect(sum).toBeLessThanOrEqual(1 + 1e-12);
      expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
      const dist = (y: ArrayLike<number>): number => v.reduce((s, vi, i) => s + (vi - y[i]!) ** 2, 0);
      for (let k = 0; k < 20; k++) {
        const raw = Array.from({ length: n }, () => rng.next());
        const scale = rng.next() / raw.reduce((s, y) => s + y, 0);
        const y = raw.map((r) => r * scale);
        expect(dist(x)).toBeLessThanOrEqual(dist(y) + 1e-12);
      }
    }
  });

  it('has a Jacobian and VJP that match finite differences', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 2 + rng.int(4);
      const v = Array.from({ length: n }, () => rng.uniform(-0.5, 1.5));
      const jac = projectSimplexJacobian(v);
      const h = 1e-7;
      for (let j = 0; j < n; j++) {
        const plus = v.slice();
        const minus = v.slice();
        plus[j]! += h;
        minus[j]! -= h;
        const xp = projectSimplex(plus);
        const xm = projectSimplex(minus);
        for (let i = 0; i < n; i++) {
          expect(jac[i * n + j]).toBeCloseTo((xp[i]! - xm[i]!) / (2 * h), 4);
        }
      }
      const g = Array.from({ length: n }, () => rng.normal());
      const vjp = projectSimplexVjp(v, g);
      for (let j = 0; j < n; j++) {
        let expected = 0;
        for (let i = 0; i < n; i++) expected += g[i]! * jac[i * n + j]!;
        expect(vjp[j]).toBeCloseTo(expected, 10);
      }
    }
  });

  it('rejects NaN with the offending index', () => {
    expect(() => projectSimplex([0.1, Number.NaN])).toThrow(/v\[1\]: got NaN/);
  });
});

// The feasibility projection against the shared vectors that the C++ side (bridge/ ctest
// bridge_projection) reads too: TypeScript and C++ agree with the same expected outputs to 1e-6.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectFeasible } from '../../src/constraints/index.js';

interface VectorCase {
  name: string;
  values: (number | string)[];
  lower: number[] | null;
  upper: number[] | null;
  budget: number;
  active: number[] | null;
  expected: number[];
}

const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'projection.json'), 'utf8')) as {
  tolerance: number;
  cases: VectorCase[];
};

const bounds = (c: VectorCase) =>
  c.lower || c.upper
    ? { lower: c.lower ?? c.values.map(() => 0), upper: c.upper ?? c.values.map(() => 1) }
    : null;

describe('feasibility projection: shared vectors (test/vectors/projection.json)', () => {
  it('holds the over-subscribed floors, non-finite, inactive and tie cases', () => {
    const names = file.cases.map((c) => c.name).join('\n');
    for (const topic of [/over-subscribed/, /NaN/, /inactive/, /ties/]) expect(names).toMatch(topic);
    expect(file.tolerance).toBe(1e-6);
  });

  it.each(file.cases)('$name', (c) => {
    const values = c.values.map(Number);
    const x = projectFeasible(values, bounds(c), c.budget, c.active);
    expect(x.length).toBe(c.expected.length);
    for (let s = 0; s < x.length; s++) expect(Math.abs(x[s]! - c.expected[s]!), `slice ${s}: ${x[s]} vs ${c.expected[s]}`).toBeLessThanOrEqual(file.tolerance);
    // The expected outputs are feasible themselves (against the scaled floors when over-subscribed).
    const sum = c.expected.reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(c.budget + 1e-9);
    c.expected.forEach((e, s) => {
      if (c.active && !c.active[s]) expect(e).toBe(0);
      else expect(e).toBeLessThanOrEqual((c.upper?.[s] ?? 1) + 1e-12);
    });
  });

  it('is idempotent: a projected allocation projects onto itself', () => {
    for (const c of file.cases) {
      const once = projectFeasible(c.values.map(Number), bounds(c), c.budget, c.active);
      const twice = projectFeasible(once, bounds(c), c.budget, c.active);
      for (let s = 0; s < once.length; s++) expect(Math.abs(twice[s]! - once[s]!)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('refuses bounds that are not 0 <= floor <= cap, naming the slice', () => {
    expect(() => projectFeasible([0.5, 0.5], { lower: [0, 0.6], upper: [1, 0.4] })).toThrow(
      /^bounds of slice 1: got floor 0.6 and cap 0.4, expected finite 0 <= floor <= cap$/,
    );
    expect(() => projectFeasible([0.5], null, Number.NaN)).toThrow(/^budget: got NaN/);
  });
});

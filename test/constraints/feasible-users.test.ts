// Every caller of the feasibility projection gives the same allocation for the same input,
// including floors that over-subscribe the budget (scaled to it; docs/algorithms-projection.md).
import { describe, expect, it } from 'vitest';
import { admmSolve, createAdmmState, projectFeasible } from '../../src/constraints/index.js';
import { DEPLOY_BUDGET, projectAllocation } from '../../src/agents/core/allocation.js';
import { projectRows } from '../../src/agents/core/projection-op.js';
import { FEATURE, FEATURES_PER_SLICE, FeasibleProjector } from '../../src/families/index.js';

// Floors summing to exactly 1: over-subscribed under the agents' deploy budget 1 - 1e-6.
const lower = Float64Array.of(0.5, 0.3, 0.2);
const upper = Float64Array.of(1, 1, 1);
const bounds = { lower, upper, trivial: false };
const values = Float64Array.of(0.9, 0.05, 0.05, 0.2, 0.7, 0.1);
const mask = Float32Array.of(1, 1, 1, 1, 0, 1);

describe('one projection for agents, baselines, training and ADMM', () => {
  it('agent allocations keep over-subscribed floors, scaled to the budget (no longer dropped)', () => {
    const x = projectAllocation(values, mask, 2, 3, bounds);
    const scale = DEPLOY_BUDGET / 1;
    for (let s = 0; s < 3; s++) expect(x[s]).toBeCloseTo(lower[s]! * scale, 6);
    // Cell 1: slice 1 inactive, floors 0.5 + 0.2 fit the budget.
    const expected = projectFeasible(values.subarray(3), { lower, upper }, DEPLOY_BUDGET, [1, 0, 1]);
    for (let s = 0; s < 3; s++) expect(x[3 + s]).toBeCloseTo(expected[s]!, 6);
    expect(x[4]).toBe(0);
  });

  it('the baseline projector and the training projection agree with the agents', () => {
    const obs = new Float32Array(6 * FEATURES_PER_SLICE);
    mask.forEach((m, i) => (obs[i * FEATURES_PER_SLICE + FEATURE.active] = m));
    const baseline = new FeasibleProjector(2, 3, bounds).project(values, obs);
    const training = projectRows(Float32Array.from(values), mask, 2, 3, bounds);
    const agent = projectAllocation(values, mask, 2, 3, bounds);
    for (let i = 0; i < 6; i++) {
      expect(baseline[i]).toBeCloseTo(agent[i]!, 5);
      expect(training[i]).toBeCloseTo(agent[i]!, 5);
    }
  });

  it('the ADMM z-step projects onto the same set (over-subscribed floors do not throw)', () => {
    const state = createAdmmState(1, 3, 1);
    const result = admmSolve(state, (v, _rho, x) => x.set(v.map(() => 0.9)), { maxIterations: 5, budget: DEPLOY_BUDGET }, null, { lower, upper });
    expect(result).toBeDefined();
    for (let s = 0; s < 3; s++) expect(state.z[s]).toBeCloseTo(lower[s]! * DEPLOY_BUDGET, 6);
  });
});

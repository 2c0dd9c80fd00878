import { describe, expect, it } from 'vitest';
import { actorInputs, AdmmPolicy } from '../../src/agents/index.js';
import { FEATURE, FEATURES_PER_SLICE, type SlicingLayout } from '../../src/families/index.js';
import type { MlpSpec } from '../../src/native/index.js';

// The deployed MADDPG+ADMM decision with a hand-written actor: x = 0.5 v + 0.3 (v = z - u is the
// input right after the features), i.e. the exact x-step of U(x) = -(x - 0.6)^2 at rho = 2.
function actor(): MlpSpec {
  const weights = new Float32Array(actorInputs(null));
  weights[actorInputs(null) - 2] = 0.5;
  return { layers: [{ inSize: actorInputs(null), outSize: 1, weights, bias: Float32Array.from([0.3]), activation: 'linear' }] };
}

const layout: SlicingLayout = {
  cells: 2,
  slices: [
    { name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 0 },
    { name: 'b', type: 'URLLC', phiTarget: 0, delayTarget: 10 },
    { name: 'c', type: 'mMTC', phiTarget: 0.1, delayTarget: 0 },
  ],
};

function observation(active: number[]): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(2 * 3 * FEATURES_PER_SLICE);
  active.forEach((a, i) => (data[i * FEATURES_PER_SLICE + FEATURE.active] = a));
  return { data, shape: [2, 3, FEATURES_PER_SLICE] };
}

describe('AdmmPolicy (deployed maddpg-admm decision)', () => {
  it('deploys a feasible z: each cell splits the budget among its active slices; warm start cuts iterations', () => {
    const spec = actor();
    const policy = new AdmmPolicy('maddpg-admm', layout, [spec, spec, spec], { admm: { rho: 2, maxIterations: 200, rhoMin: 2, rhoMax: 2, epsAbs: 1e-7, epsRel: 0 } }, null);
    const obs = observation([1, 1, 1, 1, 0, 1]);
    const x = policy.act(obs);
    const cold = Math.max(...policy.lastIterations);
    // Every slice wants 0.6: three share 1 equally, two share 1 equally; the inactive one gets 0.
    for (let s = 0; s < 3; s++) expect(x[s]).toBeCloseTo(1 / 3, 4);
    expect(x[3]).toBeCloseTo(0.5, 4);
    expect(x[4]).toBe(0);
    expect(x[5]).toBeCloseTo(0.5, 4);
    for (let c = 0; c < 2; c++) expect(x[c * 3]! + x[c * 3 + 1]! + x[c * 3 + 2]!).toBeLessThanOrEqual(1);
    // The shadow price of the full cell: rho u = 2 (0.6 - 1/3) = 0.5333.
    expect(policy.lastPrice[0]).toBeCloseTo(2 * (0.6 - 1 / 3), 3);
    policy.act(obs);
    expect(Math.max(...policy.lastIterations)).toBeLessThan(cold);
    // reset() drops the warm start.
    policy.reset();
    policy.act(obs);
    expect(Math.max(...policy.lastIterations)).toBe(cold);
  });
});

import { describe, expect, it } from 'vitest';
import { actorInputs, AdmmPolicy, CellActorPolicy, type ActorForward } from '../../src/agents/index.js';
import { NORM_FEATURES } from '../../src/agents/core/features.js';
import { FEATURE, FEATURES_PER_SLICE, type SlicingLayout } from '../../src/families/index.js';
import { createMlpRunner, type MlpSpec } from '../../src/native/index.js';
import { Rng } from '../../src/util/index.js';

// A policy built with given actor forward passes acts through exactly those (withActors and the
// constructor's forward-pass form), and leaves the policy it came from as it was.

const layout: SlicingLayout = {
  cells: 2,
  slices: [
    { name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 0 },
    { name: 'b', type: 'URLLC', phiTarget: 0, delayTarget: 10 },
  ],
};
const S = layout.slices.length;

function randomSpec(rng: Rng, inSize: number, outSize: number): MlpSpec {
  const hidden = 8;
  const weights = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.5);
  return {
    layers: [
      { inSize, outSize: hidden, weights: weights(inSize * hidden), bias: weights(hidden), activation: 'relu' },
      { inSize: hidden, outSize, weights: weights(hidden * outSize), bias: weights(outSize), activation: 'sigmoid' },
    ],
  };
}

function observation(rng: Rng): { data: Float32Array; shape: number[] } {
  const data = Float32Array.from({ length: layout.cells * S * FEATURES_PER_SLICE }, () => rng.uniform());
  for (let i = 0; i < layout.cells * S; i++) data[i * FEATURES_PER_SLICE + FEATURE.active] = 1;
  return { data, shape: [layout.cells, S, FEATURES_PER_SLICE] };
}

/** Counts the rows a forward pass is called on. */
function counting(forward: ActorForward, rows: number[], t: number): ActorForward {
  return {
    inputSize: forward.inputSize,
    outputSize: forward.outputSize,
    forward: (input, batch, out) => {
      rows[t] = (rows[t] ?? 0) + batch;
      return forward.forward(input, batch, out);
    },
    setWeights: (spec) => forward.setWeights(spec),
  };
}

const admm = { rho: 1, maxIterations: 50, rhoMin: 0.1, rhoMax: 10 };

describe('policies built with given actor forward passes', () => {
  it('AdmmPolicy.withActors acts through the wrapped forwards, same decisions, original untouched', () => {
    const rng = new Rng(7);
    const specs = [randomSpec(rng, actorInputs(null), 1), randomSpec(rng, actorInputs(null), 1)];
    const policy = new AdmmPolicy('maddpg-admm', layout, specs, { admm }, null);
    const rows: number[] = [];
    const wrapped = policy.withActors((forward, t) => counting(forward, rows, t));
    expect(wrapped).toBeInstanceOf(AdmmPolicy);
    expect(wrapped).not.toBe(policy);
    const obs = observation(rng);
    expect(Array.from(wrapped.act(obs))).toEqual(Array.from(policy.act(obs)));
    const iterations = Math.max(...wrapped.lastIterations);
    // Each ADMM iteration runs every slice type's actor once over its rows (one per cell).
    expect(rows).toEqual([iterations * layout.cells, iterations * layout.cells]);
    const before = rows.slice();
    policy.act(obs);
    expect(rows).toEqual(before);
  });

  it('AdmmPolicy takes forward passes in its constructor as they are', () => {
    const rng = new Rng(8);
    const specs = [randomSpec(rng, actorInputs(null), 1), randomSpec(rng, actorInputs(null), 1)];
    const fromSpecs = new AdmmPolicy('maddpg-admm', layout, specs, { admm }, null);
    const fromForwards = new AdmmPolicy('maddpg-admm', layout, specs.map((s) => createMlpRunner(s)), { admm }, null);
    const obs = observation(rng);
    expect(Array.from(fromForwards.act(obs))).toEqual(Array.from(fromSpecs.act(obs)));
  });

  it('CellActorPolicy.withActors acts through the wrapped forward, same shares, original untouched', () => {
    const rng = new Rng(9);
    const policy = new CellActorPolicy('td3', layout, randomSpec(rng, S * NORM_FEATURES, S), null);
    const rows: number[] = [];
    const wrapped = policy.withActors((forward, t) => counting(forward, rows, t));
    expect(wrapped).toBeInstanceOf(CellActorPolicy);
    const obs = observation(rng);
    expect(Array.from(wrapped.act(obs))).toEqual(Array.from(policy.act(obs)));
    expect(rows).toEqual([layout.cells]);
  });
});

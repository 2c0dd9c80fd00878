import * as tf from '../../src/agents/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectionOp, projectRows, selectBackend } from '../../src/agents/index.js';
import { Rng } from '../../src/util/index.js';

// The TD3/DDPG actors end with projectionOp; its gradient must be the true derivative of the
// projection (finite differences of projectRows) wherever the projection is differentiable.
beforeAll(async () => {
  await selectBackend('cpu');
});

function finiteDifference(v: Float32Array, w: Float32Array, mask: Float32Array, batch: number, slices: number, bounds: Parameters<typeof projectRows>[4]): Float64Array {
  const h = 1e-3;
  const g = new Float64Array(v.length);
  const f = (x: Float32Array): number => {
    const p = projectRows(x, mask, batch, slices, bounds);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += w[i]! * p[i]!;
    return s;
  };
  for (let i = 0; i < v.length; i++) {
    const plus = Float32Array.from(v);
    const minus = Float32Array.from(v);
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    g[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return g;
}

function autodiff(v: Float32Array, w: Float32Array, mask: Float32Array, batch: number, slices: number, bounds: Parameters<typeof projectRows>[4]): Float32Array {
  return tf.tidy(() => {
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(projectionOp(x as tf.Tensor2D, mask, bounds), tf.tensor2d(w, [batch, slices]))));
    return grad(tf.tensor2d(v, [batch, slices])).dataSync() as Float32Array;
  });
}

describe('gradient through the projection (as used by the TD3/DDPG actor)', () => {
  it('matches finite differences: budget active, budget slack, inactive slices', () => {
    const rng = new Rng(11);
    const batch = 40;
    const slices = 4;
    const v = new Float32Array(batch * slices);
    const w = new Float32Array(batch * slices);
    const mask = new Float32Array(batch * slices);
    for (let i = 0; i < v.length; i++) {
      // Half the rows over budget, half under; values kept away from the kinks.
      const row = Math.floor(i / slices);
      v[i] = row % 2 === 0 ? rng.uniform(0.3, 0.9) : rng.uniform(0.02, 0.2);
      w[i] = rng.uniform(-1, 1);
      mask[i] = rng.next() < 0.8 ? 1 : 0;
    }
    const fd = finiteDifference(v, w, mask, batch, slices, null);
    const ad = autodiff(v, w, mask, batch, slices, null);
    let budgetRows = 0;
    for (let b = 0; b < batch; b++) {
      const x = projectRows(v, mask, batch, slices, null);
      let sum = 0;
      for (let s = 0; s < slices; s++) sum += x[b * slices + s]!;
      if (sum > 0.999) budgetRows++;
    }
    expect(budgetRows).toBeGreaterThan(5); // the coupled (I - 11^T/|A|) case is exercised
    for (let i = 0; i < v.length; i++) {
      expect(ad[i]).toBeCloseTo(fd[i]!, 3);
      if (!mask[i]) expect(ad[i]).toBe(0);
    }
  });

  it('matches finite differences with floors and caps', () => {
    const rng = new Rng(5);
    const batch = 20;
    const slices = 3;
    const bounds = { lower: Float64Array.from([0.1, 0, 0]), upper: Float64Array.from([0.6, 1, 0.5]), trivial: false };
    const v = new Float32Array(batch * slices);
    const w = new Float32Array(batch * slices);
    const mask = new Float32Array(batch * slices).fill(1);
    for (let i = 0; i < v.length; i++) {
      v[i] = rng.uniform(0.15, 0.7);
      w[i] = rng.uniform(-1, 1);
    }
    const fd = finiteDifference(v, w, mask, batch, slices, bounds);
    const ad = autodiff(v, w, mask, batch, slices, bounds);
    for (let i = 0; i < v.length; i++) expect(ad[i]).toBeCloseTo(fd[i]!, 2);
  });
});

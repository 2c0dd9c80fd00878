/**
 * The exact per-cell projection as a TensorFlow.js op with its gradient: forward = the projection
 * of src/constraints on each row (active slices only; floors/caps when given), backward = the
 * vector-Jacobian product (docs/algorithms.md#feasibility-projection: with A the free set, if the budget is active
 * dx_A/dv_A = I - (1/|A|) 1 1^T, zero elsewhere; if slack, the identity on A).
 * Actors of the single-agent baselines (DDPG, TD3) end with it, so they learn through it.
 */
import * as tf from '../tf.js';
import { projectFeasible, projectSimplexVjp } from '../../constraints/index.js';
import type { ShareBounds } from './allocation.js';

/**
 * Projection of each row of v [batch, slices] restricted to mask (1 = active), as host arrays:
 * the one feasibility projection (constraints/ projectFeasible), so training sees the allocation
 * the deployed policy would send.
 */
export function projectRows(v: Float32Array, mask: Float32Array, batch: number, slices: number, bounds: ShareBounds | null, budget = 1): Float32Array {
  const out = new Float32Array(batch * slices);
  const row = new Float64Array(slices);
  const active = new Uint8Array(slices);
  const x = new Float64Array(slices);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < slices; s++) {
      row[s] = v[b * slices + s]!;
      active[s] = mask[b * slices + s]! >= 0.5 ? 1 : 0;
    }
    projectFeasible(row, bounds, budget, active, x);
    for (let s = 0; s < slices; s++) out[b * slices + s] = x[s]!;
  }
  return out;
}

/** g^T dx/dv for each row (same masking and bounds as projectRows). */
export function projectRowsVjp(
  v: Float32Array,
  grad: Float32Array,
  mask: Float32Array,
  batch: number,
  slices: number,
  bounds: ShareBounds | null,
  budget = 1,
): Float32Array {
  const out = new Float32Array(batch * slices);
  const row = new Float64Array(slices);
  const g = new Float64Array(slices);
  const idx: number[] = [];
  const x = projectRows(v, mask, batch, slices, bounds, budget);
  for (let b = 0; b < batch; b++) {
    idx.length = 0;
    for (let s = 0; s < slices; s++) {
      if (mask[b * slices + s]! >= 0.5) {
        row[idx.length] = v[b * slices + s]!;
        g[idx.length] = grad[b * slices + s]!;
        idx.push(s);
      }
    }
    const m = idx.length;
    if (m === 0) continue;
    if (!bounds || bounds.trivial) {
      const d = projectSimplexVjp(row.subarray(0, m), g.subarray(0, m), budget);
      for (let j = 0; j < m; j++) out[b * slices + idx[j]!] = d[j]!;
    } else {
      // Box-simplex: free coordinates are strictly inside their [floor, cap]; the budget couples them.
      let sumX = 0;
      const free: number[] = [];
      for (let j = 0; j < m; j++) {
        const s = idx[j]!;
        const xs = x[b * slices + s]!;
        sumX += xs;
        if (xs > bounds.lower[s]! + 1e-7 && xs < bounds.upper[s]! - 1e-7) free.push(j);
      }
      const budgetActive = sumX >= budget - 1e-6 && row.subarray(0, m).some((value, j) => value > x[b * slices + idx[j]!]! + 1e-9);
      let mean = 0;
      if (budgetActive && free.length > 0) {
        for (const j of free) mean += g[j]!;
        mean /= free.length;
      }
      for (const j of free) out[b * slices + idx[j]!] = g[j]! - mean;
    }
  }
  return out;
}

/** The projection op: rows of v [batch, slices] -> feasible shares, differentiable. */
export function projectionOp(v: tf.Tensor2D, mask: Float32Array, bounds: ShareBounds | null, budget = 1): tf.Tensor2D {
  const [batch, slices] = v.shape;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([input]);
    const values = input.dataSync() as Float32Array;
    const value = tf.tensor2d(projectRows(values, mask, batch, slices, bounds, budget), [batch, slices]);
    return {
      value,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const vIn = saved[0]!.dataSync() as Float32Array;
        return tf.tensor2d(projectRowsVjp(vIn, dy.dataSync() as Float32Array, mask, batch, slices, bounds, budget), [batch, slices]);
      },
    };
  });
  return op(v) as tf.Tensor2D;
}

/**
 * Feasible allocations: every action an agent returns goes through here. Each cell's active
 * shares are projected onto {lower <= x <= upper, sum x <= 1}; inactive slices get 0. The result
 * is float32, so the budget is taken a hair below 1: the float32 rounding of the shares can then
 * never push a cell's sum above 1.
 */
import { projectBoxSimplex, projectSimplex } from '../../constraints/index.js';
import type { ShareBounds } from '../../families/index.js';

export { shareBounds, type ShareBounds } from '../../families/index.js';

export const DEPLOY_BUDGET = 1 - 1e-6;

/** Projects [cells, slices] values onto the feasible set per cell (in `out`, float32). */
export function projectAllocation(
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  cells: number,
  slices: number,
  bounds: ShareBounds | null,
  out: Float32Array = new Float32Array(cells * slices),
): Float32Array {
  const v = new Float64Array(slices);
  const lo = new Float64Array(slices);
  const hi = new Float64Array(slices);
  const x = new Float64Array(slices);
  const idx: number[] = [];
  for (let c = 0; c < cells; c++) {
    idx.length = 0;
    let floorSum = 0;
    for (let s = 0; s < slices; s++) {
      const i = c * slices + s;
      out[i] = 0;
      if (mask[i]! >= 0.5) {
        const value = values[i]!;
        v[idx.length] = Number.isFinite(value) ? value : 0;
        lo[idx.length] = bounds ? bounds.lower[s]! : 0;
        hi[idx.length] = bounds ? bounds.upper[s]! : 1;
        floorSum += lo[idx.length]!;
        idx.push(i);
      }
    }
    const m = idx.length;
    if (m === 0) continue;
    if (!bounds || bounds.trivial || floorSum > DEPLOY_BUDGET) {
      projectSimplex(v.subarray(0, m), DEPLOY_BUDGET, false, x);
      for (let j = 0; j < m; j++) x[j] = Math.min(x[j]!, 1);
    } else {
      projectBoxSimplex(v.subarray(0, m), lo.subarray(0, m), hi.subarray(0, m), DEPLOY_BUDGET, x);
    }
    let sum = 0;
    for (let j = 0; j < m; j++) {
      out[idx[j]!] = Math.max(0, x[j]!);
      sum += out[idx[j]!]!;
    }
    // float32 rounding guard: scale down until the float32 shares fit.
    while (sum > 1) {
      sum = 0;
      for (let j = 0; j < m; j++) {
        out[idx[j]!] = out[idx[j]!]! * (1 - 1e-6);
        sum += out[idx[j]!]!;
      }
    }
  }
  return out;
}

/** A uniformly random feasible allocation (warm-up exploration). */
export function randomAllocation(
  mask: ArrayLike<number>,
  cells: number,
  slices: number,
  bounds: ShareBounds | null,
  uniform: () => number,
): Float32Array {
  const v = new Float64Array(cells * slices);
  for (let i = 0; i < v.length; i++) v[i] = uniform() * (2 / Math.max(1, slices));
  return projectAllocation(v, mask, cells, slices, bounds);
}

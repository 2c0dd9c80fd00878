/**
 * Feasible allocations: every action an agent returns goes through here. Each cell's active
 * shares go through the one feasibility projection (constraints/ projectFeasible, with its rule
 * for over-subscribed floors) onto {lower <= x <= upper, sum x <= 1}; inactive slices get 0. The
 * result is float32, so the budget is taken a hair below 1: the float32 rounding of the shares can
 * then never push a cell's sum above 1.
 */
import { projectFeasible } from '../../constraints/index.js';
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
  const active = new Uint8Array(slices);
  const x = new Float64Array(slices);
  for (let c = 0; c < cells; c++) {
    const row = c * slices;
    for (let s = 0; s < slices; s++) {
      v[s] = values[row + s]!;
      active[s] = mask[row + s]! >= 0.5 ? 1 : 0;
    }
    projectFeasible(v, bounds, DEPLOY_BUDGET, active, x);
    let sum = 0;
    for (let s = 0; s < slices; s++) {
      out[row + s] = x[s]!;
      sum += out[row + s]!;
    }
    // float32 rounding guard: scale down until the float32 shares fit.
    while (sum > 1) {
      sum = 0;
      for (let s = 0; s < slices; s++) {
        out[row + s] = out[row + s]! * (1 - 1e-6);
        sum += out[row + s]!;
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

/**
 * The serving guard: how a served model's raw actor outputs become allocations. Every allocation
 * leaves the server through here, whatever the model, so it is feasible by construction:
 *
 *  1. ADMM decision (constraints/ admmSolve, docs/algorithms.md#admm) with, per active slice, the
 *     utility U_s(x) = -(1/2)(x - a_s)^2 around the raw output a_s. Its x-step has the closed form
 *         x_s = (a_s + rho (z_s - u_s)) / (1 + rho)
 *     and its z-step is the exact projection with the scenario's floors and caps, so z is feasible
 *     at every iteration; iterations are capped (settings.maxIterations), which costs optimality only.
 *     For this utility the fixed point is known: z* = Proj(a) and scaled dual u* = (a - z*) / rho
 *     (the x-step then returns z*, and the z-step Proj(z* + u*) = z*, as a - z* lies in the normal
 *     cone of the feasible set at z*, and so does any positive multiple of it). ADMM is
 *     warm-started there, as the agents warm-start from their last decision, so a healthy cell stops
 *     after one iteration with zero residuals: what a served request pays is one check of the
 *     stopping rule, and more iterations (or `converged: false`) flag a cell where it failed. Cold,
 *     the same cells take 5-10 iterations to reach the same point.
 *  2. Exact projection of z (constraints/ projectFeasible) onto {floor <= x <= cap, sum x <= budget}
 *     over the active slices, inactive slices 0: the final shares, whatever ADMM returned.
 *
 * The budget is SERVE_BUDGET, a hair below 1: the shares go out as JSON (float64), and the
 * projection's float64 sum may exceed its budget by rounding; 1e-9 of headroom keeps every served
 * cell's sum <= 1 exactly. The guard's correction of a cell is max_s |share_s - a_s| over its active
 * slices (a non-finite raw output counts as 0, the projection's own rule).
 */
import { admmSolve, createAdmmState, projectFeasible, type AdmmSettings } from '../constraints/index.js';
import { FEATURE, FEATURES_PER_SLICE } from '../families/index.js';

export const SERVE_BUDGET = 1 - 1e-9;

/** Corrections at or below this count as "the guard left the output as it was" in the metrics. */
export const GUARD_TOLERANCE = 1e-6;

export interface ServeBounds {
  lower: Float64Array;
  upper: Float64Array;
}

export interface AllocationResult {
  /** Final shares [cells, slices]. */
  shares: Float64Array;
  /** ADMM iterations per cell, and whether the cell met the stopping rule. */
  iterations: Int32Array;
  converged: Uint8Array;
  /** max |share - raw| per cell over its active slices. */
  correction: Float64Array;
}

/** Active flags [cells, slices] of observations [cells, slices, features] (feature `active` >= 0.5). */
export function activeFlags(observations: Float32Array, cells: number, slices: number): Uint8Array {
  const active = new Uint8Array(cells * slices);
  for (let i = 0; i < cells * slices; i++) active[i] = observations[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0;
  return active;
}

export function allocate(
  observations: Float32Array,
  raw: ArrayLike<number>,
  cells: number,
  slices: number,
  bounds: ServeBounds,
  admm: AdmmSettings,
): AllocationResult {
  const n = cells * slices;
  const active = activeFlags(observations, cells, slices);
  const proposal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = raw[i]!;
    proposal[i] = Number.isFinite(a) ? a : 0;
  }
  const state = createAdmmState(cells, slices, admm.rho);
  for (let c = 0; c < cells; c++) {
    const row = c * slices;
    const z = state.z.subarray(row, row + slices);
    projectFeasible(proposal.subarray(row, row + slices), bounds, admm.budget, active.subarray(row, row + slices), z);
    for (let s = 0; s < slices; s++) state.u[row + s] = active[row + s] ? (proposal[row + s]! - z[s]!) / admm.rho : 0;
  }
  const result = admmSolve(
    state,
    (target, rho, x) => {
      for (let i = 0; i < n; i++) {
        const r = rho[(i / slices) | 0]!;
        x[i] = (proposal[i]! + r * target[i]!) / (1 + r);
      }
    },
    admm,
    active,
    bounds,
  );
  const shares = new Float64Array(n);
  const correction = new Float64Array(cells);
  for (let c = 0; c < cells; c++) {
    const row = c * slices;
    projectFeasible(result.z.subarray(row, row + slices), bounds, admm.budget, active.subarray(row, row + slices), shares.subarray(row, row + slices));
    let worst = 0;
    for (let s = 0; s < slices; s++) if (active[row + s]) worst = Math.max(worst, Math.abs(shares[row + s]! - proposal[row + s]!));
    correction[c] = worst;
  }
  return { shares, iterations: result.iterations, converged: result.converged, correction };
}

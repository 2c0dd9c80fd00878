/**
 * The slicing layout every slicing environment shares — the synthetic env, the NS-3 `slicing-lte`
 * and null scenarios — so that agents, baselines, evaluation and IDLA move between them unchanged.
 *
 * Observation: Box FLOAT, shape [cells, slices, FEATURES_PER_SLICE], row-major, one row of features
 *   per (cell, slice) in the order of SLICE_FEATURES. Inactive (not yet joined / left) slices have
 *   `active` = 0 and all other features 0 except their targets.
 * Action: Box FLOAT, shape [cells, slices], each value a share of the cell's resource blocks in
 *   [0, 1]; a feasible action has each cell's active shares summing to at most 1 (inactive = 0).
 * Reward: sum over active (cell, slice) of log(r + 1), r = qosLevel(...).
 * Info (JSON): at least { slices: string[], sliceTypes: SliceType[], cells: number, step: number },
 *   plus raw KPIs where the env has them.
 *
 * Units: throughput and offered load in Mbit/s, delays in ms, backlog in kbit. Throughput and the
 * throughput target phi* are per active user; offered load is the slice total in the cell.
 */
import { FEATURE, FEATURES_PER_SLICE } from '../../scenario/index.js';

// The names (features, slice types, layout) are plain data in scenario/slicing.ts, where the
// scenario schema reads them too; the rules over them follow.
export {
  SLICE_FEATURES,
  FEATURES_PER_SLICE,
  FEATURE,
  SLICE_TYPES,
  type SliceFeature,
  type SliceType,
  type SlicingLayout,
} from '../../scenario/index.js';

/**
 * Slice QoS level (IDLA eq. 3): r = min(phi / phiTarget, delayTarget / delay, 1). A target of 0
 * means "no requirement";
 * a slice with no active users is satisfied (r = 1).
 */
export function qosLevel(throughput: number, phiTarget: number, delay: number, delayTarget: number, activeUsers = 1): number {
  if (activeUsers <= 0) return 1;
  let r = 1;
  if (phiTarget > 0) r = Math.min(r, Math.max(0, throughput) / phiTarget);
  if (delayTarget > 0 && delay > 0) r = Math.min(r, delayTarget / delay);
  return Number.isFinite(r) ? Math.max(0, r) : 0;
}

/** The default utility of one (cell, slice): log(r + 1). */
export function sliceUtility(r: number): number {
  return Math.log(r + 1);
}

/** r of row `i` (cell * slices + slice) of an observation; NaN when the slice is inactive there. */
export function rowQos(obs: ArrayLike<number>, i: number): number {
  const row = i * FEATURES_PER_SLICE;
  if (obs[row + FEATURE.active]! < 0.5) return Number.NaN;
  return qosLevel(
    obs[row + FEATURE.throughput]!,
    obs[row + FEATURE.phiTarget]!,
    obs[row + FEATURE.meanDelay]!,
    obs[row + FEATURE.delayTarget]!,
    obs[row + FEATURE.activeUsers]!,
  );
}

/** r for every (cell, slice) of an observation; inactive slices get NaN. Layout [cells, slices]. */
export function qosFromObservation(obs: Float32Array | Float64Array, cells: number, slices: number): Float64Array {
  const out = new Float64Array(cells * slices);
  for (let i = 0; i < cells * slices; i++) out[i] = rowQos(obs, i);
  return out;
}

/** Reward of an observation: sum over active (cell, slice) of log(r + 1). */
export function rewardFromObservation(obs: Float32Array | Float64Array, cells: number, slices: number): number {
  const r = qosFromObservation(obs, cells, slices);
  let total = 0;
  for (const v of r) if (!Number.isNaN(v)) total += sliceUtility(v);
  return total;
}

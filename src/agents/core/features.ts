/**
 * Fixed (stateless) normalization of one (cell, slice) row of the shared slicing observation into
 * the inputs of the actors and critics. Stateless on purpose: a trained policy needs no running
 * statistics to act, and checkpoints stay small. Ratios to the targets carry most of the signal.
 */
import { FEATURE, FEATURES_PER_SLICE, qosLevel } from '../../families/index.js';

export const NORM_FEATURES = 15;

function ratio(value: number, target: number): number {
  return target > 0 ? Math.min(Math.max(value, 0) / target, 4) : 0;
}

/** Writes the NORM_FEATURES inputs of the row starting at obs[row] into out[at..]. */
export function normalizeSliceRow(obs: ArrayLike<number>, row: number, out: Float32Array, at: number): void {
  const f = (k: number): number => {
    const v = obs[row + k]!;
    return Number.isFinite(v) ? v : 0;
  };
  const throughput = f(FEATURE.throughput);
  const meanDelay = f(FEATURE.meanDelay);
  const p95 = f(FEATURE.p95Delay);
  const users = f(FEATURE.activeUsers);
  const phi = f(FEATURE.phiTarget);
  const dStar = f(FEATURE.delayTarget);
  const active = f(FEATURE.active) >= 0.5 ? 1 : 0;
  out[at] = f(FEATURE.share);
  out[at + 1] = ratio(throughput, phi);
  out[at + 2] = Math.log1p(Math.max(throughput, 0)) / 3;
  out[at + 3] = ratio(meanDelay, dStar);
  out[at + 4] = Math.log1p(Math.max(meanDelay, 0)) / 6;
  out[at + 5] = ratio(p95, dStar);
  out[at + 6] = f(FEATURE.prbUtilization);
  out[at + 7] = Math.log1p(Math.max(users, 0)) / 5;
  out[at + 8] = f(FEATURE.meanCqi) / 15;
  out[at + 9] = Math.log1p(Math.max(f(FEATURE.offeredLoad), 0)) / 4;
  out[at + 10] = Math.log1p(Math.max(f(FEATURE.backlog), 0)) / 10;
  out[at + 11] = Math.log1p(phi) / 2;
  out[at + 12] = Math.log1p(dStar) / 6;
  out[at + 13] = active;
  out[at + 14] = active ? qosLevel(throughput, phi, meanDelay, dStar, users) : 0;
}

/** All rows of an observation [cells, slices, FEATURES_PER_SLICE] -> [cells, slices, NORM_FEATURES]. */
export function normalizeObservation(obs: ArrayLike<number>, cells: number, slices: number, out?: Float32Array): Float32Array {
  const result = out ?? new Float32Array(cells * slices * NORM_FEATURES);
  for (let i = 0; i < cells * slices; i++) normalizeSliceRow(obs, i * FEATURES_PER_SLICE, result, i * NORM_FEATURES);
  return result;
}

/** Active flags [cells, slices] of an observation. */
export function activeMask(obs: ArrayLike<number>, cells: number, slices: number, out?: Float32Array): Float32Array {
  const mask = out ?? new Float32Array(cells * slices);
  for (let i = 0; i < cells * slices; i++) mask[i] = obs[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0;
  return mask;
}

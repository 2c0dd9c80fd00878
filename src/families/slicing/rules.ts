// The rules over a slicing step that agents, train and eval share: which QoS levels a step had,
// and when a (cell, slice) row violates a statistical QoS constraint.
import { FEATURE, FEATURES_PER_SLICE } from '../../scenario/index.js';
import { qosFromObservation, qosLevel } from './slicing.js';

/**
 * The QoS levels of a step, [cells, slices]: the env's exact levels when its info carries one per
 * (cell, slice) (`info.qos`, null or a non-number = inactive), else recomputed from the observation.
 */
export function stepQos(infoQos: unknown, obs: Float32Array | Float64Array, cells: number, slices: number): Float64Array {
  if (Array.isArray(infoQos) && infoQos.length === cells * slices) {
    return Float64Array.from(infoQos as unknown[], (v) => (typeof v === 'number' ? v : Number.NaN));
  }
  return qosFromObservation(obs, cells, slices);
}

/**
 * The condition of a statistical QoS constraint (`constraints:` kinds) on row `i` of an
 * observation. Only an active slice with users can violate: delay-violation-rate when the mean
 * delay exceeds d*, throughput-violation-rate when the throughput is below phi*, anything else
 * (qos-violation-rate) when r < 1. A target of 0 is no requirement.
 */
export function rowViolates(obs: ArrayLike<number>, i: number, kind: string): boolean {
  const row = i * FEATURES_PER_SLICE;
  if (obs[row + FEATURE.active]! < 0.5) return false;
  const users = obs[row + FEATURE.activeUsers]!;
  if (users <= 0) return false;
  const thr = obs[row + FEATURE.throughput]!;
  const phi = obs[row + FEATURE.phiTarget]!;
  const delay = obs[row + FEATURE.meanDelay]!;
  const dStar = obs[row + FEATURE.delayTarget]!;
  switch (kind) {
    case 'delay-violation-rate':
      return dStar > 0 && delay > dStar;
    case 'throughput-violation-rate':
      return phi > 0 && thr < phi;
    default:
      return qosLevel(thr, phi, delay, dStar, users) < 1;
  }
}

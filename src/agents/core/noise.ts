/** Gaussian exploration noise whose standard deviation decays linearly with env steps. */
import type { Rng } from '../../util/index.js';

export interface NoiseSchedule {
  /** Standard deviation at step 0. */
  start: number;
  /** Standard deviation after `decaySteps` steps and from then on. */
  end: number;
  decaySteps: number;
}

export function noiseStd(schedule: NoiseSchedule, step: number): number {
  if (schedule.decaySteps <= 0) return schedule.end;
  const f = Math.min(1, Math.max(0, step / schedule.decaySteps));
  return schedule.start + (schedule.end - schedule.start) * f;
}

/** Adds N(0, std) to each entry of `values` in place. */
export function addGaussian(values: Float64Array | Float32Array, std: number, rng: Rng): void {
  if (std <= 0) return;
  for (let i = 0; i < values.length; i++) values[i] = values[i]! + rng.normal(0, std);
}

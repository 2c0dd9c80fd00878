/**
 * Fixed (stateless) normalization of one (cell, slice) row of the shared slicing observation into
 * the inputs of the actors and critics. Stateless on purpose: a trained policy needs no running
 * statistics to act, and checkpoints stay small. Ratios to the targets carry most of the signal.
 */
import { FEATURE, FEATURES_PER_SLICE, qosLevel } from '../../families/index.js';
import { InputError } from '../../util/index.js';

export const NORM_FEATURES = 15;
/** Inputs appended to every row by a policy that reads the clock: sin and cos of the time of day. */
export const CLOCK_FEATURES = 2;
/** Seconds of a day: the period of the clock pair. */
export const SECONDS_PER_DAY = 86_400;

/**
 * The clock of a policy that reads the time of day (agent setting `timeOfDay`): the scenario's
 * seconds per env step. Traffic follows the time of day, and the observation (the last step's
 * figures) does not say where in the day the coming step lies.
 */
export interface StepClock {
  stepSeconds: number;
}

/** When an action is taken: its step in the episode, and the time of day when the caller knows it. */
export interface ActionTime {
  step: number;
  secondsOfDay?: number;
}

/** Inputs per (cell, slice) row: the normalized features, then the clock's pair when there is one. */
export function featuresPerRow(clock: StepClock | null): number {
  return clock ? NORM_FEATURES + CLOCK_FEATURES : NORM_FEATURES;
}

/**
 * Seconds since midnight at the start of the step the action of `at` acts on: the caller's time
 * when given, else step x stepSeconds (episodes start at midnight, as the synthetic env's do).
 */
export function secondsOfDay(clock: StepClock, at: ActionTime): number {
  const seconds = at.secondsOfDay ?? at.step * clock.stepSeconds;
  return ((seconds % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
}

/** The clock pair of a time of day: sin and cos of its phase in the day. */
export function clockPair(seconds: number): [number, number] {
  const phase = (2 * Math.PI * seconds) / SECONDS_PER_DAY;
  return [Math.sin(phase), Math.cos(phase)];
}

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

/**
 * A policy's inputs of an observation, [cells, slices, featuresPerRow(clock)]: each row's normalized
 * features, then (with a clock) the time of day of the step the action acts on as sin and cos.
 */
export function encodeObservation(obs: ArrayLike<number>, cells: number, slices: number, clock: StepClock | null, at: ActionTime, out?: Float32Array): Float32Array {
  const width = featuresPerRow(clock);
  const result = out ?? new Float32Array(cells * slices * width);
  if (!clock) return normalizeObservation(obs, cells, slices, result);
  const [sin, cos] = clockPair(secondsOfDay(clock, at));
  for (let i = 0; i < cells * slices; i++) {
    normalizeSliceRow(obs, i * FEATURES_PER_SLICE, result, i * width);
    result[i * width + NORM_FEATURES] = sin;
    result[i * width + NORM_FEATURES + 1] = cos;
  }
  return result;
}

/**
 * The clock of an agent whose settings say `timeOfDay` (null otherwise, and for checkpoints written
 * before the setting existed): the scenario's stepSeconds, which the checkpoint records.
 */
export function clockOf(settings: { timeOfDay?: unknown }, scenario: { stepSeconds?: number }): StepClock | null {
  if (settings.timeOfDay !== true) return null;
  const stepSeconds = scenario.stepSeconds;
  if (stepSeconds === undefined || !(stepSeconds > 0)) {
    throw new InputError('scenario.stepSeconds', stepSeconds, 'seconds per step > 0 (agent.timeOfDay reads the clock from it)');
  }
  return { stepSeconds };
}

/** Active flags [cells, slices] of an observation. */
export function activeMask(obs: ArrayLike<number>, cells: number, slices: number, out?: Float32Array): Float32Array {
  const mask = out ?? new Float32Array(cells * slices);
  for (let i = 0; i < cells * slices; i++) mask[i] = obs[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0;
  return mask;
}

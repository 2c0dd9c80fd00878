import type { TrafficSpec } from '../../../scenario/index.js';

/** Slots of a day in the traffic mask (15 minutes each). */
export const SLOTS_PER_DAY = 96;
/** Seconds per slot. */
export const SLOT_SECONDS = 900;

/** Days 5 and 6 of each week (counting from day 0 = Monday) are the weekend. */
export function isWeekend(day: number): boolean {
  const d = ((Math.floor(day) % 7) + 7) % 7;
  return d >= 5;
}

/**
 * The deterministic part of a slice's traffic level at an absolute slot position (slot 0 = Monday
 * 00:00; fractions allowed): level + amplitude sin(2 pi (t - p1)/96) + harmonic sin(4 pi (t - p2)/96),
 * times `weekendScale` on weekends, not yet clipped (noise is added before clipping).
 */
export function trafficBase(traffic: TrafficSpec, slot: number): number {
  if (traffic.profile === 'constant') return traffic.level;
  const t = slot % SLOTS_PER_DAY;
  const value =
    traffic.level +
    traffic.amplitude * Math.sin((2 * Math.PI * (t - traffic.phase)) / SLOTS_PER_DAY) +
    traffic.harmonic * Math.sin((4 * Math.PI * (t - traffic.phase2)) / SLOTS_PER_DAY);
  return isWeekend(slot / SLOTS_PER_DAY) ? value * traffic.weekendScale : value;
}

/** The noise-free daily mask of one day: 96 values clipped to [0, 1]. */
export function dailyMask(traffic: TrafficSpec, day: number): Float64Array {
  const out = new Float64Array(SLOTS_PER_DAY);
  for (let t = 0; t < SLOTS_PER_DAY; t++) out[t] = Math.min(1, Math.max(0, trafficBase(traffic, day * SLOTS_PER_DAY + t)));
  return out;
}

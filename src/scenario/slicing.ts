/**
 * The slicing vocabulary as plain data: the slice types a scenario names, the static layout of a
 * scenario, and the names and order of the features in an observation row. Scenarios, the ns-3
 * programs' arguments and the slicing family all speak it; the rules over it (QoS, reward, share
 * bounds, violations) live in src/families/slicing/.
 */
export const SLICE_FEATURES = [
  'share', // share of the cell's RBs in force during the last step, [0, 1]
  'throughput', // mean throughput per active user, Mbit/s
  'meanDelay', // mean packet delay, ms
  'p95Delay', // 95th-percentile packet delay, ms
  'prbUtilization', // used RBs / RBs allocated to the slice, [0, 1]
  'activeUsers', // users with traffic during the step
  'meanCqi', // mean wideband CQI of the slice's users, 0..15
  'offeredLoad', // offered traffic of the slice in the cell, Mbit/s
  'backlog', // data queued at the end of the step, kbit
  'phiTarget', // throughput target phi* per user, Mbit/s (0 = none)
  'delayTarget', // delay target d*, ms (0 = none)
  'active', // 1 if the slice is active in this cell, else 0
] as const;

export type SliceFeature = (typeof SLICE_FEATURES)[number];
export const FEATURES_PER_SLICE = SLICE_FEATURES.length;

/** Index of each feature within a (cell, slice) row. */
export const FEATURE: { readonly [K in SliceFeature]: number } = Object.fromEntries(
  SLICE_FEATURES.map((name, i) => [name, i]),
) as { [K in SliceFeature]: number };

export type SliceType = 'eMBB' | 'URLLC' | 'mMTC';
export const SLICE_TYPES: readonly SliceType[] = ['eMBB', 'URLLC', 'mMTC'];

/**
 * Static description of a slicing env's layout (from the scenario, or the simulator's info). A
 * separate shape from Scenario because it is computed, not written: an ns-3 env reports it from the
 * simulator, observations and actions are indexed by it, and checkpoints record it so that a policy
 * loads without its scenario.
 */
export interface SlicingLayout {
  cells: number;
  slices: ReadonlyArray<{ name: string; type: SliceType; phiTarget: number; delayTarget: number }>;
}

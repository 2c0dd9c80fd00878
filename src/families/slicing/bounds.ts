import type { SlicingLayout } from '../../scenario/index.js';

/**
 * Per-slice share floors and caps (index = slice of the layout, shared by all cells): every
 * feasible allocation of a cell has lower <= x <= upper on its active slices and sums to at most 1.
 */
export interface ShareBounds {
  lower: Float64Array;
  upper: Float64Array;
  /** True when all floors are 0 and all caps 1 (plain simplex projection). */
  trivial: boolean;
}

/** The slices of a scenario as far as bounds go (a Scenario or an agent's view of one). */
export interface ShareBoundsSource {
  slices: ReadonlyArray<{ name: string; minShare?: number; maxShare?: number }>;
}

/** The share bounds of a layout's slices: a slice's minShare/maxShare from the scenario, else [0, 1]. */
export function shareBounds(layout: SlicingLayout, scenario?: ShareBoundsSource | null): ShareBounds {
  const S = layout.slices.length;
  const lower = new Float64Array(S);
  const upper = new Float64Array(S).fill(1);
  layout.slices.forEach((slice, s) => {
    const spec = scenario?.slices.find((x) => x.name === slice.name);
    if (spec?.minShare !== undefined) lower[s] = spec.minShare;
    if (spec?.maxShare !== undefined) upper[s] = spec.maxShare;
  });
  const trivial = lower.every((v) => v === 0) && upper.every((v) => v >= 1);
  return { lower, upper, trivial };
}

/**
 * The feasibility projection: the one way every allocation of a cell becomes feasible, in the
 * agents, the baselines, eval and (as bridge/ projection.cc, checked against the same vectors in
 * test/vectors/projection.json) the ns-3 side. Equations and rules: docs/algorithms-projection.md.
 *
 *   x = argmin ||x - v||^2  over  {l <= x <= u, sum x <= budget}  on the active entries,  0 elsewhere
 *
 * Rules, each written only here:
 *  - Floors that over-subscribe the budget (sum of the active floors > budget, e.g. a cell whose
 *    floors sum to exactly 1 under a budget a hair below 1) are scaled down proportionally to sum
 *    to the budget. The set stays non-empty (it is then the single point of the scaled floors), and
 *    every active slice keeps a guarantee in proportion to the one it was promised; dropping the
 *    floors instead would let one slice take the whole cell.
 *  - A non-finite value (NaN, +-Infinity) counts as 0: a broken actor output asks for nothing, so
 *    the slice ends at its floor unless there is room above it.
 *  - Bounds must be finite with 0 <= l <= u; anything else is a caller bug and throws.
 */
import { projectBoxSimplex } from './projection.js';

/** Per-slice share floors and caps of one cell (l <= x <= u). */
export interface FeasibleBounds {
  readonly lower: ArrayLike<number>;
  readonly upper: ArrayLike<number>;
}

// Scratch space for the compacted active entries, grown on demand, with one set of views per
// active count (the projection runs per cell per step; this keeps it allocation-free).
interface Scratch {
  v: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  x: Float64Array;
}
const views: Scratch[] = [];
let scratch: Scratch = createScratch(8);

function createScratch(size: number): Scratch {
  views.length = 0;
  return { v: new Float64Array(size), lo: new Float64Array(size), hi: new Float64Array(size), x: new Float64Array(size) };
}

function viewsOf(m: number): Scratch {
  let view = views[m];
  if (!view) {
    const { v, lo, hi, x } = scratch;
    view = { v: v.subarray(0, m), lo: lo.subarray(0, m), hi: hi.subarray(0, m), x: x.subarray(0, m) };
    views[m] = view;
  }
  return view;
}

/**
 * Projects one cell's `values` onto {lower <= x <= upper, sum x <= budget} over the slices with
 * `active[s]` true (all when `active` is omitted); inactive slices get exactly 0. `bounds` null
 * means floors 0 and caps 1. Writes into `out` and returns it.
 */
export function projectFeasible(
  values: ArrayLike<number>,
  bounds: FeasibleBounds | null,
  budget = 1,
  active?: ArrayLike<boolean | number> | null,
  out: Float64Array = new Float64Array(values.length),
): Float64Array {
  const n = values.length;
  if (!(budget >= 0) || !Number.isFinite(budget)) throw new RangeError(`budget: got ${budget}, expected a finite number >= 0`);
  if (scratch.v.length < n) scratch = createScratch(Math.max(n, 2 * scratch.v.length));
  const { v, lo, hi, x } = scratch;
  let m = 0;
  let floorSum = 0;
  for (let s = 0; s < n; s++) {
    const l = bounds ? bounds.lower[s]! : 0;
    const u = bounds ? bounds.upper[s]! : 1;
    if (!(Number.isFinite(l) && Number.isFinite(u) && l >= 0 && l <= u)) {
      throw new RangeError(`bounds of slice ${s}: got floor ${l} and cap ${u}, expected finite 0 <= floor <= cap`);
    }
    if (active && !active[s]) continue;
    const value = values[s]!;
    v[m] = Number.isFinite(value) ? value : 0;
    lo[m] = l;
    hi[m] = u;
    floorSum += l;
    m++;
  }
  if (floorSum > budget) {
    const scale = budget / floorSum;
    for (let j = 0; j < m; j++) lo[j] = lo[j]! * scale;
  }
  if (m > 0) {
    const view = viewsOf(m);
    projectBoxSimplex(view.v, view.lo, view.hi, budget, view.x);
  }
  let j = 0;
  for (let s = 0; s < n; s++) out[s] = active && !active[s] ? 0 : x[j++]!;
  return out;
}

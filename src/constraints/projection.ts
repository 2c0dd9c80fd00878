/**
 * Exact Euclidean projections onto the per-cell allocation sets (docs/algorithms.md#feasibility-projection):
 *   {x >= 0, sum x <= a}, {x >= 0, sum x = a}, and the box-constrained {l <= x <= u, sum x <= a}.
 * Every allocation leaves an agent through one of these, so capacity is never violated.
 */

/** Projection of v onto {x >= 0, sum x <= a} (or = a with `equality`). Writes into `out`. */
export function projectSimplex(
  v: ArrayLike<number>,
  a = 1,
  equality = false,
  out: Float64Array | Float32Array = new Float64Array(v.length),
): Float64Array | Float32Array {
  const n = v.length;
  if (n === 0) return out;
  if (!(a >= 0) || !Number.isFinite(a)) throw new RangeError(`budget a: got ${a}, expected a finite number >= 0`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(v[i]!)) throw new RangeError(`v[${i}]: got ${v[i]}, expected a finite number`);
  }
  let theta = simplexThreshold(v, a);
  if (!equality) {
    // Inequality set: no shift when the positive part already fits the budget.
    let positiveSum = 0;
    for (let i = 0; i < n; i++) positiveSum += Math.max(v[i]!, 0);
    if (positiveSum <= a) theta = 0;
  }
  for (let i = 0; i < n; i++) out[i] = Math.max(v[i]! - theta, 0);
  return out;
}

/** theta_eq = max_j (S_j - a) / j over the descending sort of v (the equality-set threshold). */
export function simplexThreshold(v: ArrayLike<number>, a: number): number {
  const n = v.length;
  const sorted = Float64Array.from(v as ArrayLike<number>).sort().reverse();
  let prefix = 0;
  let theta = -Infinity;
  for (let j = 0; j < n; j++) {
    prefix += sorted[j]!;
    const candidate = (prefix - a) / (j + 1);
    // The threshold is the candidate at the last j whose element stays positive after shifting;
    // taking the max over all j is equivalent and needs no early exit.
    if (candidate > theta) theta = candidate;
  }
  return theta;
}

/**
 * Projection with minimum shares m (sum m <= a): x = m + Proj_{y >= 0, sum y <= a - sum m}(v - m).
 */
export function projectWithMinimum(v: ArrayLike<number>, minimum: ArrayLike<number>, a = 1): Float64Array {
  const n = v.length;
  let minSum = 0;
  const shifted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    minSum += minimum[i]!;
    shifted[i] = v[i]! - minimum[i]!;
  }
  if (minSum > a + 1e-12) throw new RangeError(`minimum shares: sum ${minSum} exceeds the budget ${a}`);
  const y = projectSimplex(shifted, Math.max(a - minSum, 0));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = minimum[i]! + y[i]!;
  return out;
}

/**
 * Projection onto {l <= x <= u, sum x <= a}: x_s = clip(v_s - theta, l_s, u_s) with theta = 0 when
 * that fits, else the root of the monotone piecewise-linear g(theta) = sum clip(v - theta, l, u) = a,
 * found exactly by scanning g's breakpoints.
 */
export function projectBoxSimplex(
  v: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  a = 1,
  out: Float64Array = new Float64Array(v.length),
): Float64Array {
  const n = v.length;
  let lowerSum = 0;
  for (let i = 0; i < n; i++) {
    if (lower[i]! > upper[i]!) throw new RangeError(`floor ${i}: ${lower[i]} is above its cap ${upper[i]}`);
    lowerSum += lower[i]!;
  }
  if (lowerSum > a + 1e-12) throw new RangeError(`floors: sum ${lowerSum} exceeds the budget ${a}`);
  // g(theta) = sumClipped(v, lower, upper, theta), called directly: this runs per cell per step,
  // and a closure per call costs more than the scan for a handful of slices.
  let theta = 0;
  if (sumClipped(v, lower, upper, 0) > a) {
    // Breakpoints of g: theta = v_i - u_i (leaves the cap) and theta = v_i - l_i (hits the floor).
    const points = breakpointScratch(2 * n);
    for (let i = 0; i < n; i++) {
      points[2 * i] = v[i]! - upper[i]!;
      points[2 * i + 1] = v[i]! - lower[i]!;
    }
    points.sort();
    // g is non-increasing; find the segment [lo, hi] with g(lo) >= a >= g(hi), then interpolate.
    let lo = 0;
    let gLo = sumClipped(v, lower, upper, 0);
    theta = points[points.length - 1]!;
    for (const p of points) {
      if (p <= lo) continue;
      const gP = sumClipped(v, lower, upper, p);
      if (gP <= a) {
        theta = gLo === gP ? p : lo + ((gLo - a) * (p - lo)) / (gLo - gP);
        break;
      }
      lo = p;
      gLo = gP;
    }
  }
  for (let i = 0; i < n; i++) out[i] = clip(v[i]! - theta, lower[i]!, upper[i]!);
  return out;
}

/**
 * Jacobian of projectSimplex (sum <= a) at v, as a dense row-major n x n matrix: with
 * A = {s : x_s > 0}, if the budget is active dx_A/dv_A = I - (1/|A|) 1 1^T (zero elsewhere);
 * if slack, diag(1[v > 0]).
 */
export function projectSimplexJacobian(v: ArrayLike<number>, a = 1): Float64Array {
  const n = v.length;
  const x = projectSimplex(v, a);
  const jac = new Float64Array(n * n);
  let sum = 0;
  let active = 0;
  for (let i = 0; i < n; i++) {
    sum += x[i]!;
    if (x[i]! > 0) active++;
  }
  let positiveSum = 0;
  for (let i = 0; i < n; i++) positiveSum += Math.max(v[i]!, 0);
  const budgetActive = positiveSum > a && active > 0 && Math.abs(sum - a) < 1e-9;
  for (let i = 0; i < n; i++) {
    if (!(x[i]! > 0)) continue;
    for (let j = 0; j < n; j++) {
      if (!(x[j]! > 0)) continue;
      jac[i * n + j] = budgetActive ? (i === j ? 1 : 0) - 1 / active : i === j ? 1 : 0;
    }
  }
  return jac;
}

/** Vector-Jacobian product through projectSimplex: returns g^T dx/dv without forming the matrix. */
export function projectSimplexVjp(v: ArrayLike<number>, grad: ArrayLike<number>, a = 1): Float64Array {
  const n = v.length;
  const x = projectSimplex(v, a);
  let positiveSum = 0;
  for (let i = 0; i < n; i++) positiveSum += Math.max(v[i]!, 0);
  const budgetActive = positiveSum > a;
  let active = 0;
  let gradSum = 0;
  for (let i = 0; i < n; i++) {
    if (x[i]! > 0) {
      active++;
      gradSum += grad[i]!;
    }
  }
  const out = new Float64Array(n);
  const mean = budgetActive && active > 0 ? gradSum / active : 0;
  for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? grad[i]! - mean : 0;
  return out;
}

// The breakpoints' scratch space, one view per length (the projection runs per cell per step).
const breakpointViews: Float64Array[] = [];
function breakpointScratch(length: number): Float64Array {
  let view = breakpointViews[length];
  if (!view) {
    view = new Float64Array(length);
    breakpointViews[length] = view;
  }
  return view;
}

function sumClipped(v: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, theta: number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += clip(v[i]! - theta, lower[i]!, upper[i]!);
  return s;
}

function clip(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

import { type NdArray } from '../../env/index.js';
import { scenarioLayout, type ConstraintSpec, type Scenario } from '../../scenario/index.js';
import { InputError } from '../../util/index.js';
import { FeasibleProjector, OraclePolicy } from './baselines.js';
import { shareBounds, type ShareBounds } from './bounds.js';
import type { PolicyContext, SlicingPolicy } from './policy.js';
import { rowViolates } from './rules.js';
import { FEATURE, FEATURES_PER_SLICE, type SlicingLayout } from './slicing.js';
import type { SlicingModel } from './synthetic/index.js';

/**
 * Penalty per violated (cell, constraint) in the grid score. Any violation outweighs every utility
 * difference (a cell's utility is a sum of log(r + 1) <= log 2 per slice), so the search is
 * lexicographic: fewest violations first, then the highest utility among those.
 */
const VIOLATION_PENALTY = 1e3;

/**
 * Every allocation of at most `steps` grid steps to `parts` slices, k_0..k_{parts-1} >= 0 with
 * sum <= steps, flat row-major [points, parts], in the order of the oracle's depth-first search
 * (k_0 ascending, then k_1, ...), so equal scores break ties the same way.
 */
export function shareGrid(parts: number, steps: number): Uint8Array {
  const points: number[] = [];
  const choice = new Array<number>(parts).fill(0);
  const walk = (j: number, left: number): void => {
    for (let k = 0; k <= left; k++) {
      choice[j] = k;
      if (j === parts - 1) points.push(...choice);
      else walk(j + 1, left - k);
    }
  };
  if (parts > 0) walk(0, steps);
  return Uint8Array.from(points);
}

/**
 * The constrained oracle: the oracle's per-cell search over the 0.05 grid (same true model, same
 * tie-breaking, same spread of the unused remainder and projection), restricted to the
 * allocations that meet the scenario's QoS constraints in the coming step.
 *
 * A constraint bounds a rate over an episode (e.g. the URLLC delay-violation rate <= 0.01); per
 * step it becomes: no (cell, slice) row violates the constraint's condition (`rowViolates`, the
 * rule the KPIs count) whenever some grid allocation of that cell achieves it. Where none does,
 * the cell takes the best utility among the allocations with the fewest violations. The measured
 * rate of this policy is therefore the lowest a per-step planner on the grid can reach: a limit
 * below it is infeasible, a limit at or above it is met. (Stricter than the limit needs; a policy
 * that spends the allowed violations on utility may score higher while still meeting it.)
 *
 * Vectorised per cell: each active slice's utility and violation count are tabulated once per
 * grid share (the model is separable per slice), then the precomputed grid of allocations is
 * scanned with additions only. Synthetic env only (it needs the model's would-be observation).
 */
export class ConstrainedOraclePolicy implements SlicingPolicy {
  readonly id = 'baseline:oracle-constrained';
  private readonly G = OraclePolicy.GRID;
  private readonly projector: FeasibleProjector;
  private readonly raw: Float64Array;
  /** Utility and violation count per (slice, grid share k) of the current cell. */
  private readonly utility: Float64Array;
  private readonly violations: Float64Array;
  /** Constraint kinds per slice (index = slice of the layout). */
  private readonly kinds: string[][];
  /** The allocation grid per number of active slices (built on first use). */
  private readonly grids = new Map<number, Uint8Array>();
  private readonly activeSlices: Int32Array;
  private readonly row = new Float32Array(FEATURES_PER_SLICE);
  private readonly announced: Float32Array;
  /** Violated (cell, constraint) pairs the chosen allocations are expected to have, over the policy's life. */
  expectedViolations = 0;

  constructor(
    private readonly env: SlicingModel,
    layout: SlicingLayout,
    constraints: readonly ConstraintSpec[],
    private readonly bounds?: ShareBounds,
  ) {
    const S = env.sliceCount;
    this.projector = new FeasibleProjector(env.cells, S, bounds);
    this.raw = new Float64Array(env.cells * S);
    this.utility = new Float64Array(S * (this.G + 1));
    this.violations = new Float64Array(S * (this.G + 1));
    this.kinds = layout.slices.map((slice) => constraints.filter((c) => c.slice === slice.name).map((c) => c.kind));
    this.activeSlices = new Int32Array(S);
    this.announced = new Float32Array(env.cells * S * FEATURES_PER_SLICE);
  }

  private grid(parts: number): Uint8Array {
    let grid = this.grids.get(parts);
    if (!grid) {
      grid = shareGrid(parts, this.G);
      this.grids.set(parts, grid);
    }
    return grid;
  }

  act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const env = this.env;
    const S = env.sliceCount;
    const G = this.G;
    const W = G + 1;
    const mask = env.activeMask;
    for (let c = 0; c < env.cells; c++) {
      let count = 0;
      for (let s = 0; s < S; s++) {
        this.raw[c * S + s] = 0;
        if (!mask[c * S + s]) continue;
        this.activeSlices[count++] = s;
        const lo = this.bounds?.lower[s] ?? 0;
        const hi = this.bounds?.upper[s] ?? 1;
        const kinds = this.kinds[s]!;
        for (let k = 0; k <= G; k++) {
          const x = Math.min(hi, Math.max(lo, k / G));
          this.utility[s * W + k] = env.evaluateSliceUtility(c, s, x);
          let violated = 0;
          if (kinds.length > 0 && env.evaluateSliceRow(c, s, x, this.row)) {
            for (const kind of kinds) if (rowViolates(this.row, 0, kind)) violated++;
          }
          this.violations[s * W + k] = violated;
        }
      }
      if (count === 0) continue;
      const grid = this.grid(count);
      let best = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      let bestViolations = 0;
      for (let p = 0, at = 0; at < grid.length; p++, at += count) {
        let value = 0;
        let violated = 0;
        for (let j = 0; j < count; j++) {
          const cell = this.activeSlices[j]! * W + grid[at + j]!;
          value += this.utility[cell]!;
          violated += this.violations[cell]!;
        }
        const score = value - VIOLATION_PENALTY * violated;
        if (score > bestScore + 1e-12) {
          bestScore = score;
          best = at;
          bestViolations = violated;
        }
      }
      this.expectedViolations += bestViolations;
      let used = 0;
      for (let j = 0; j < count; j++) used += grid[best + j]!;
      // The unused remainder goes to every active slice, as in the oracle: more share never
      // lowers r nor raises a delay or lowers a throughput in the model, so no constraint breaks.
      const spare = (G - used) / G / count;
      for (let j = 0; j < count; j++) this.raw[c * S + this.activeSlices[j]!] = grid[best + j]! / G + spare;
    }
    return this.projector.project(this.raw, this.withMask(obs.data, mask));
  }

  /** The observation with `active` set from the env's mask (the projector reads `active` from it). */
  private withMask(obs: Float32Array, mask: Uint8Array): Float32Array {
    let agree = true;
    for (let i = 0; i < mask.length && agree; i++) agree = (obs[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0) === mask[i];
    if (agree) return obs;
    this.announced.set(obs.subarray(0, this.announced.length));
    for (let i = 0; i < mask.length; i++) this.announced[i * FEATURES_PER_SLICE + FEATURE.active] = mask[i]!;
    return this.announced;
  }
}

/**
 * The constrained oracle's baseline name (`--policy baseline:oracle-constrained`). Selectable by
 * name only: `all-baselines` stays the four baselines every scenario has.
 */
export const CONSTRAINED_ORACLE_NAME = 'oracle-constrained';

/** The constrained oracle for a scenario, playing against the env whose model it is (slicingModelOf). */
export function createConstrainedOracle(scenario: Scenario, env?: SlicingModel | null): ConstrainedOraclePolicy {
  if (!env) {
    throw new InputError('policy', `baseline:${CONSTRAINED_ORACLE_NAME}`, 'a synthetic scenario (the constrained oracle uses the synthetic env model)');
  }
  const layout = scenarioLayout(scenario);
  return new ConstrainedOraclePolicy(env, layout, scenario.constraints, shareBounds(layout, scenario));
}

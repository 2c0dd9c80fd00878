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
export const VIOLATION_PENALTY = 1e3;

/**
 * Tabulates one (cell, slice) of the model on the share grid k / steps, k = 0..steps (clamped to
 * the slice's floor and cap): the slice's utility and how many of its constraint kinds its row
 * violates, into utility[offset + k] and violations[offset + k]. `row` is scratch.
 */
export function tabulateSliceOnGrid(
  env: SlicingModel,
  c: number,
  s: number,
  steps: number,
  bounds: ShareBounds | undefined,
  kinds: readonly string[],
  row: Float32Array,
  utility: Float64Array,
  violations: Float64Array,
  offset: number,
): void {
  const lo = bounds?.lower[s] ?? 0;
  const hi = bounds?.upper[s] ?? 1;
  for (let k = 0; k <= steps; k++) {
    const x = Math.min(hi, Math.max(lo, k / steps));
    utility[offset + k] = env.evaluateSliceUtility(c, s, x);
    let violated = 0;
    if (kinds.length > 0 && env.evaluateSliceRow(c, s, x, row)) {
      for (const kind of kinds) if (rowViolates(row, 0, kind)) violated++;
    }
    violations[offset + k] = violated;
  }
}

/**
 * The best point of `grid` (shareGrid(count, G)) for one cell's `count` active slices, scored
 * from per-(slice, k) tables [slices * W]: utility − violationWeight · violations (by default
 * VIOLATION_PENALTY: fewest violations first), the first point winning ties. Returns its offset in
 * the grid and its violation count.
 */
export function bestGridPoint(
  grid: Uint8Array,
  count: number,
  activeSlices: Int32Array,
  W: number,
  utility: Float64Array,
  violations: Float64Array,
  violationWeight: number = VIOLATION_PENALTY,
): { at: number; violations: number } {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  let bestViolations = 0;
  for (let at = 0; at < grid.length; at += count) {
    let value = 0;
    let violated = 0;
    for (let j = 0; j < count; j++) {
      const cell = activeSlices[j]! * W + grid[at + j]!;
      value += utility[cell]!;
      violated += violations[cell]!;
    }
    const score = value - violationWeight * violated;
    if (score > bestScore + 1e-12) {
      bestScore = score;
      best = at;
      bestViolations = violated;
    }
  }
  return { at: best, violations: bestViolations };
}

/**
 * Writes the shares of grid point `at` for cell c into raw [cells * S]. The unused remainder goes
 * to every active slice, as in the oracle: more share never lowers r nor raises a delay or lowers
 * a throughput in the model, so no constraint breaks.
 */
export function writeGridShares(grid: Uint8Array, at: number, count: number, activeSlices: Int32Array, G: number, raw: Float64Array, c: number, S: number): void {
  let used = 0;
  for (let j = 0; j < count; j++) used += grid[at + j]!;
  const spare = (G - used) / G / count;
  for (let j = 0; j < count; j++) raw[c * S + activeSlices[j]!] = grid[at + j]! / G + spare;
}

/**
 * The observation with `active` set from the env's mask (the projector reads `active` from it):
 * `obs` itself when they agree, else the slice features copied into `scratch` with the mask's flags.
 */
export function withActiveMask(obs: Float32Array, mask: Uint8Array, scratch: Float32Array): Float32Array {
  let agree = true;
  for (let i = 0; i < mask.length && agree; i++) agree = (obs[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0) === mask[i];
  if (agree) return obs;
  scratch.set(obs.subarray(0, scratch.length));
  for (let i = 0; i < mask.length; i++) scratch[i * FEATURES_PER_SLICE + FEATURE.active] = mask[i]!;
  return scratch;
}

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

/** shareGrid(parts, steps) per number of active slices, built on first use. */
export class ShareGrids {
  private readonly grids = new Map<number, Uint8Array>();

  constructor(private readonly steps: number) {}

  of(parts: number): Uint8Array {
    let grid = this.grids.get(parts);
    if (!grid) {
      grid = shareGrid(parts, this.steps);
      this.grids.set(parts, grid);
    }
    return grid;
  }
}

/**
 * What the grid oracles (constrained, myopic, expected-model) share: per cell, the active slices;
 * the best point of the cell's allocation grid, scored from per-(slice, grid share) tables; the
 * shares it gives; then the oracle's spread of the unused remainder and projection of all cells.
 */
export class GridAllocator {
  readonly G = OraclePolicy.GRID;
  /** The active slices of the cell being scored (its first `count` entries). */
  readonly activeSlices: Int32Array;
  /** Violated (cell, constraint) pairs of the points the last allocate() chose. */
  lastViolations = 0;
  private readonly projector: FeasibleProjector;
  private readonly raw: Float64Array;
  private readonly grids = new ShareGrids(OraclePolicy.GRID);
  private readonly announced: Float32Array;

  constructor(
    private readonly cells: number,
    private readonly S: number,
    bounds?: ShareBounds,
    /** Utility a violated (cell, constraint) costs in the grid score (bestGridPoint). */
    private readonly violationWeight: number = VIOLATION_PENALTY,
  ) {
    this.projector = new FeasibleProjector(cells, S, bounds);
    this.raw = new Float64Array(cells * S);
    this.activeSlices = new Int32Array(S);
    this.announced = new Float32Array(cells * S * FEATURES_PER_SLICE);
  }

  /**
   * The shares of every cell. `scoreCell(c, count)` writes cell c's tables into `utility` and
   * `violations` ([slices * (G + 1)], rows of the slices in activeSlices[0..count)); it returns
   * false when it has nothing to score them by, and the cell's active slices then share equally.
   */
  allocate(
    obs: NdArray<Float32Array>,
    mask: Uint8Array,
    utility: Float64Array,
    violations: Float64Array,
    scoreCell: (c: number, count: number) => boolean,
  ): Float32Array {
    const { S, G } = this;
    this.lastViolations = 0;
    for (let c = 0; c < this.cells; c++) {
      let count = 0;
      for (let s = 0; s < S; s++) {
        this.raw[c * S + s] = 0;
        if (mask[c * S + s]) this.activeSlices[count++] = s;
      }
      if (count === 0) continue;
      if (!scoreCell(c, count)) {
        for (let j = 0; j < count; j++) this.raw[c * S + this.activeSlices[j]!] = 1 / count;
        continue;
      }
      const grid = this.grids.of(count);
      const best = bestGridPoint(grid, count, this.activeSlices, G + 1, utility, violations, this.violationWeight);
      this.lastViolations += best.violations;
      writeGridShares(grid, best.at, count, this.activeSlices, G, this.raw, c, S);
    }
    return this.projector.project(this.raw, withActiveMask(obs.data, mask, this.announced));
  }
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
  private readonly allocator: GridAllocator;
  /** Utility and violation count per (slice, grid share k) of the current cell. */
  private readonly utility: Float64Array;
  private readonly violations: Float64Array;
  /** Constraint kinds per slice (index = slice of the layout). */
  private readonly kinds: string[][];
  private readonly row = new Float32Array(FEATURES_PER_SLICE);
  /** Violated (cell, constraint) pairs the chosen allocations are expected to have, over the policy's life. */
  expectedViolations = 0;

  constructor(
    private readonly env: SlicingModel,
    layout: SlicingLayout,
    constraints: readonly ConstraintSpec[],
    private readonly bounds?: ShareBounds,
  ) {
    const S = env.sliceCount;
    this.allocator = new GridAllocator(env.cells, S, bounds);
    this.utility = new Float64Array(S * (this.allocator.G + 1));
    this.violations = new Float64Array(S * (this.allocator.G + 1));
    this.kinds = constraintKinds(layout, constraints);
  }

  act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const { env, allocator } = this;
    const G = allocator.G;
    const shares = allocator.allocate(obs, env.activeMask, this.utility, this.violations, (c, count) => {
      for (let j = 0; j < count; j++) {
        const s = allocator.activeSlices[j]!;
        tabulateSliceOnGrid(env, c, s, G, this.bounds, this.kinds[s]!, this.row, this.utility, this.violations, s * (G + 1));
      }
      return true;
    });
    this.expectedViolations += allocator.lastViolations;
    return shares;
  }
}

/**
 * The constrained oracle's baseline name (`--policy baseline:oracle-constrained`). Selectable by
 * name only: `all-baselines` stays the four baselines every scenario has.
 */
export const CONSTRAINED_ORACLE_NAME = 'oracle-constrained';

/** The constraint kinds of each slice of the layout (index = slice), for the grid tables. */
export function constraintKinds(layout: SlicingLayout, constraints: readonly ConstraintSpec[]): string[][] {
  return layout.slices.map((slice) => constraints.filter((c) => c.slice === slice.name).map((c) => c.kind));
}

/** What an oracle variant plays with: the env's model, the layout, the constraints it honours, the share bounds. */
export interface OracleSetup {
  env: SlicingModel;
  layout: SlicingLayout;
  constraints: readonly ConstraintSpec[];
  bounds: ShareBounds;
}

/**
 * The setup of oracle variant `name` on a scenario (its constraints when `constrained`); an input
 * error naming the policy when there is no env model (an ns-3 env: the oracles need the synthetic one).
 */
export function oracleSetup(name: string, what: string, scenario: Scenario, env: SlicingModel | null | undefined, constrained: boolean): OracleSetup {
  if (!env) throw new InputError('policy', `baseline:${name}`, `a synthetic scenario (the ${what} uses the synthetic env model)`);
  const layout = scenarioLayout(scenario);
  return { env, layout, constraints: constrained ? scenario.constraints : [], bounds: shareBounds(layout, scenario) };
}

/** The constrained oracle for a scenario, playing against the env whose model it is (slicingModelOf). */
export function createConstrainedOracle(scenario: Scenario, env?: SlicingModel | null): ConstrainedOraclePolicy {
  const o = oracleSetup(CONSTRAINED_ORACLE_NAME, 'constrained oracle', scenario, env, true);
  return new ConstrainedOraclePolicy(o.env, o.layout, o.constraints, o.bounds);
}

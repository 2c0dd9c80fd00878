import { projectFeasible } from '../../constraints/index.js';
import { type NdArray } from '../../env/index.js';
import { scenarioLayout, type Scenario } from '../../scenario/index.js';
import { InputError } from '../../util/index.js';
import { shareBounds, type ShareBounds } from './bounds.js';
import type { PolicyContext, SlicingPolicy } from './policy.js';
import { FEATURE, FEATURES_PER_SLICE } from './slicing.js';
import { cqiToSpectralEfficiency, type SlicingModel } from './synthetic/index.js';

/**
 * The baseline policies. Each computes raw per-cell weights from the observation and leaves through
 * the exact projection onto {minShare <= x <= maxShare, sum x <= 1} (inactive slices pinned to 0),
 * so every allocation is feasible by construction.
 */

export const BASELINE_NAMES = ['static', 'proportional', 'demand', 'oracle'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

/** Share floors and caps of a scenario's slices (0 and 1 when it has none). */
export { shareBounds, type ShareBounds } from './bounds.js';

/**
 * Projects per-cell raw shares (row-major [cells, slices]) onto the feasible set in place: inactive
 * slices (obs feature `active` = 0) get exactly 0, active ones land in [floor, cap] with the cell's
 * sum at most 1, through the one feasibility projection (constraints/ projectFeasible: floors of a
 * cell's active slices that exceed 1 together are scaled down to sum 1).
 */
export class FeasibleProjector {
  private readonly bounds: { lower: Float64Array; upper: Float64Array } | null;
  private readonly v: Float64Array;
  private readonly active: Uint8Array;
  private readonly out: Float64Array;

  constructor(
    readonly cells: number,
    readonly slices: number,
    bounds?: ShareBounds,
  ) {
    this.bounds = bounds ?? null;
    this.v = new Float64Array(slices);
    this.active = new Uint8Array(slices);
    this.out = new Float64Array(slices);
  }

  project(raw: Float64Array | Float32Array, obs: Float32Array, result: Float32Array = new Float32Array(raw.length)): Float32Array {
    const S = this.slices;
    for (let c = 0; c < this.cells; c++) {
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        this.v[s] = raw[i]!;
        this.active[s] = obs[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0;
      }
      projectFeasible(this.v, this.bounds, 1, this.active, this.out);
      for (let s = 0; s < S; s++) {
        // float32 rounding could lift the sum a hair above 1: round each share down instead.
        result[c * S + s] = Math.fround(this.out[s]!) > this.out[s]! ? nextDown32(this.out[s]!) : this.out[s]!;
      }
    }
    return result;
  }
}

/** The largest float32 below x (x > 0). */
function nextDown32(x: number): number {
  const buf = new Float32Array([x]);
  const bits = new Uint32Array(buf.buffer);
  if (buf[0]! > x) bits[0] = bits[0]! - 1;
  return buf[0]!;
}

abstract class WeightPolicy implements SlicingPolicy {
  abstract readonly id: string;
  protected readonly projector: FeasibleProjector;
  protected readonly raw: Float64Array;

  constructor(
    protected readonly cells: number,
    protected readonly slices: number,
    bounds?: ShareBounds,
  ) {
    this.projector = new FeasibleProjector(cells, slices, bounds);
    this.raw = new Float64Array(cells * slices);
  }

  /** Weight of (cell, slice) row `row` of the observation (active rows only). */
  protected abstract weight(obs: Float32Array, row: number, slice: number): number;

  act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const S = this.slices;
    const data = obs.data;
    for (let c = 0; c < this.cells; c++) {
      let total = 0;
      let active = 0;
      for (let s = 0; s < S; s++) {
        const row = (c * S + s) * FEATURES_PER_SLICE;
        if (data[row + FEATURE.active]! < 0.5) {
          this.raw[c * S + s] = 0;
          continue;
        }
        const w = Math.max(0, this.weight(data, row, s));
        this.raw[c * S + s] = Number.isFinite(w) ? w : 0;
        total += this.raw[c * S + s]!;
        active++;
      }
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        if (data[i * FEATURES_PER_SLICE + FEATURE.active]! < 0.5) continue;
        // Normalize to a full allocation; with no signal at all, split equally.
        this.raw[i] = total > 0 ? this.raw[i]! / total : 1 / active;
      }
    }
    return this.projector.project(this.raw, data);
  }
}

/** Equal shares over the active slices of each cell. */
export class StaticPolicy extends WeightPolicy {
  readonly id = 'baseline:static';
  protected weight(): number {
    return 1;
  }
}

/**
 * Shares proportional to each slice's offered traffic in the last step (IDLA's traffic-proportional
 * baseline). A slice without traffic keeps a small weight so a joining slice is not starved.
 */
export class ProportionalPolicy extends WeightPolicy {
  readonly id = 'baseline:proportional';
  protected weight(obs: Float32Array, row: number): number {
    return obs[row + FEATURE.offeredLoad]! + 0.05;
  }
}

/**
 * Resource demand against targets: each slice needs `users × phi* × headroom / C_s` of the cell,
 * where C_s (the slice's capacity at share 1) is estimated from the last step (served traffic /
 * (share × PRB utilization)), or from its CQI's spectral efficiency relative to a slice that has
 * an estimate; headroom = 1 + 10 ms / d* gives delay-bound slices spare capacity for their queues.
 * When the needs fit, every slice gets its need and the rest is split equally; otherwise shares
 * are proportional to the needs. A dynamic heuristic that uses targets and radio quality.
 */
export class DemandPolicy implements SlicingPolicy {
  readonly id = 'baseline:demand';
  private readonly projector: FeasibleProjector;
  private readonly raw: Float64Array;
  private readonly need: Float64Array;

  constructor(
    private readonly cells: number,
    private readonly slices: number,
    bounds?: ShareBounds,
  ) {
    this.projector = new FeasibleProjector(cells, slices, bounds);
    this.raw = new Float64Array(cells * slices);
    this.need = new Float64Array(slices);
  }

  act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const S = this.slices;
    const F = FEATURES_PER_SLICE;
    const d = obs.data;
    for (let c = 0; c < this.cells; c++) {
      // Capacity per unit spectral efficiency, from the slices whose last step tells it.
      let perEfficiency = 0;
      let estimates = 0;
      for (let s = 0; s < S; s++) {
        const row = (c * S + s) * F;
        const share = d[row + FEATURE.share]!;
        const util = d[row + FEATURE.prbUtilization]!;
        const served = d[row + FEATURE.throughput]! * d[row + FEATURE.activeUsers]!;
        const eff = cqiToSpectralEfficiency(d[row + FEATURE.meanCqi]!);
        if (d[row + FEATURE.active]! >= 0.5 && share > 0.01 && util > 0.05 && served > 0 && eff > 0) {
          perEfficiency += served / (share * util) / eff;
          estimates++;
        }
      }
      // Without any estimate assume 15 MHz of effective bandwidth.
      perEfficiency = estimates > 0 ? perEfficiency / estimates : 15;
      let total = 0;
      let active = 0;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        const row = i * F;
        this.need[s] = 0;
        if (d[row + FEATURE.active]! < 0.5) continue;
        active++;
        const phi = d[row + FEATURE.phiTarget]!;
        const delayTarget = d[row + FEATURE.delayTarget]!;
        const traffic = phi > 0 ? d[row + FEATURE.activeUsers]! * phi : d[row + FEATURE.offeredLoad]!;
        const capacity = perEfficiency * Math.max(cqiToSpectralEfficiency(d[row + FEATURE.meanCqi]!), 0.15);
        const headroom = delayTarget > 0 ? 1 + 10 / delayTarget : 1;
        this.need[s] = (traffic * headroom) / capacity + 0.01;
        total += this.need[s]!;
      }
      const spare = total < 1 && active > 0 ? (1 - total) / active : 0;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        if (d[i * F + FEATURE.active]! < 0.5) this.raw[i] = 0;
        else this.raw[i] = total < 1 ? this.need[s]! + spare : this.need[s]! / total;
      }
    }
    return this.projector.project(this.raw, d);
  }
}

/**
 * Fixed shares per slice (`shares:<a,b,c>`): each cell gives every active slice its share (a
 * leaving slice's share is not redistributed).
 */
export class FixedSharesPolicy extends WeightPolicy {
  readonly id: string;
  constructor(
    cells: number,
    private readonly fixed: readonly number[],
    bounds?: ShareBounds,
  ) {
    super(cells, fixed.length, bounds);
    this.id = `shares:${fixed.join(',')}`;
  }

  protected weight(_obs: Float32Array, _row: number, slice: number): number {
    return this.fixed[slice]!;
  }

  override act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const S = this.slices;
    for (let c = 0; c < this.cells; c++) for (let s = 0; s < S; s++) this.raw[c * S + s] = this.fixed[s]!;
    return this.projector.project(this.raw, obs.data);
  }
}

/** Parses `a,b,c` (one share per slice, each in [0, 1], sum at most 1). */
export function parseShares(text: string, scenario: Scenario): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const names = scenario.slices.map((s) => s.name);
  if (parts.length !== names.length) {
    throw new InputError('policy shares', text, `${names.length} comma-separated shares, one per slice (${names.join(', ')})`);
  }
  const values = parts.map((p, i) => {
    const v = p === '' ? Number.NaN : Number(p);
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new InputError(`policy shares: ${names[i]}`, p, 'a number in [0, 1]');
    return v;
  });
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum > 1 + 1e-9) throw new InputError('policy shares', text, 'shares summing to at most 1');
  return values;
}

/**
 * The oracle (IDLA's): per cell, brute force over the 0.05 grid of the feasible set (1,771 points
 * for 3 slices, 10,626 for 4) scored with the synthetic env's true model for the coming step,
 * then the unused remainder spread over the active slices (more share never lowers r in the
 * model, so this can only help), then the exact projection. Synthetic env only.
 */
export class OraclePolicy implements SlicingPolicy {
  readonly id = 'baseline:oracle';
  /** Grid steps per unit share (0.05 grid). */
  static readonly GRID = 20;
  private readonly projector: FeasibleProjector;
  private readonly raw: Float64Array;
  /** utility[s * (GRID + 1) + k] of share k / GRID for the current cell. */
  private readonly table: Float64Array;
  private readonly activeSlices: Int32Array;
  private readonly choice: Int32Array;
  private readonly best: Int32Array;
  private bestValue = 0;
  private activeCount = 0;

  constructor(
    private readonly env: SlicingModel,
    private readonly bounds?: ShareBounds,
  ) {
    const S = env.sliceCount;
    this.projector = new FeasibleProjector(env.cells, S, bounds);
    this.raw = new Float64Array(env.cells * S);
    this.table = new Float64Array(S * (OraclePolicy.GRID + 1));
    this.activeSlices = new Int32Array(S);
    this.choice = new Int32Array(S);
    this.best = new Int32Array(S);
  }

  act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const env = this.env;
    const S = env.sliceCount;
    const G = OraclePolicy.GRID;
    const mask = env.activeMask;
    for (let c = 0; c < env.cells; c++) {
      this.activeCount = 0;
      for (let s = 0; s < S; s++) {
        this.raw[c * S + s] = 0;
        if (!mask[c * S + s]) continue;
        this.activeSlices[this.activeCount++] = s;
        const lo = this.bounds?.lower[s] ?? 0;
        const hi = this.bounds?.upper[s] ?? 1;
        // The model is separable per slice: tabulate each slice's utility on the grid once.
        for (let k = 0; k <= G; k++) {
          const x = Math.min(hi, Math.max(lo, k / G));
          this.table[s * (G + 1) + k] = env.evaluateSliceUtility(c, s, x);
        }
      }
      if (this.activeCount === 0) continue;
      this.bestValue = Number.NEGATIVE_INFINITY;
      this.search(0, G, 0);
      let used = 0;
      for (let j = 0; j < this.activeCount; j++) used += this.best[j]!;
      const spare = (G - used) / G / this.activeCount;
      for (let j = 0; j < this.activeCount; j++) {
        const s = this.activeSlices[j]!;
        this.raw[c * S + s] = this.best[j]! / G + spare;
      }
    }
    return this.projector.project(this.raw, announce(obs.data, mask));
  }

  /** Enumerates every grid allocation of the remaining `left` steps to active slices j.. */
  private search(j: number, left: number, value: number): void {
    const G = OraclePolicy.GRID;
    const s = this.activeSlices[j]!;
    const last = j === this.activeCount - 1;
    for (let k = 0; k <= left; k++) {
      const v = value + this.table[s * (G + 1) + k]!;
      this.choice[j] = k;
      if (last) {
        if (v > this.bestValue + 1e-12) {
          this.bestValue = v;
          for (let q = 0; q < this.activeCount; q++) this.best[q] = this.choice[q]!;
        }
      } else {
        this.search(j + 1, left - k, v);
      }
    }
  }
}

/** The projector reads `active` from the observation; the oracle trusts the env's mask instead. */
function announce(obs: Float32Array, mask: Uint8Array): Float32Array {
  // The env already announces the coming step's mask in `obs`; use it as is when they agree.
  for (let i = 0; i < mask.length; i++) {
    if ((obs[i * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5 ? 1 : 0) !== mask[i]) {
      const copy = obs.slice();
      for (let k = 0; k < mask.length; k++) copy[k * FEATURES_PER_SLICE + FEATURE.active] = mask[k]!;
      return copy;
    }
  }
  return obs;
}

/** A baseline by name. `oracle` needs the model of the env it plays against (slicingModelOf). */
export function createBaseline(name: BaselineName, scenario: Scenario, env?: SlicingModel | null): SlicingPolicy {
  const bounds = shareBounds(scenarioLayout(scenario), scenario);
  const S = scenario.slices.length;
  switch (name) {
    case 'static':
      return new StaticPolicy(scenario.cells, S, bounds);
    case 'proportional':
      return new ProportionalPolicy(scenario.cells, S, bounds);
    case 'demand':
      return new DemandPolicy(scenario.cells, S, bounds);
    case 'oracle':
      if (!env) throw new InputError('policy', 'baseline:oracle', 'a synthetic scenario (the oracle uses the synthetic env model)');
      return new OraclePolicy(env, bounds);
  }
}

/**
 * IDLA's estimator inputs (docs/algorithms.md#qos-estimator): for one (cell, slice) the share x, the last H = 5
 * active-user counts, the last H mean CQIs, and the targets phi* and d* — 13 inputs in that order.
 *
 * The history is what the allocator knows when it decides: for the outcome of step k it holds the
 * observations of steps k-5 .. k-1, never step k itself, so training samples and decisions see the
 * same information.
 */
import { FEATURE, FEATURES_PER_SLICE } from '../../families/index.js';

/** History length H of the paper. */
export const HISTORY = 5;
/** Estimator input width: x, H users, H CQIs, phi*, d*. */
export const IDLA_INPUTS = 3 + 2 * HISTORY;
/**
 * Which inputs the estimator sees. 'paper': the paper's 13. 'extended': those 13 plus the slice's
 * backlog and offered load of the last step (log(1 + kbit), log(1 + Mbit/s)) — the queue carried
 * over into the coming step, which drives much of the delay on the synthetic env and is not in the
 * paper's inputs.
 */
export type FeatureSet = 'paper' | 'extended';
export const FEATURE_SETS: readonly FeatureSet[] = ['paper', 'extended'];
/** Extended mode's input width. */
export const IDLA_INPUTS_EXTENDED = IDLA_INPUTS + 2;
export const INPUT_BACKLOG = IDLA_INPUTS;
export const INPUT_LOAD = IDLA_INPUTS + 1;

/** Estimator input width of a feature set. */
export function inputWidth(features: FeatureSet): number {
  return features === 'extended' ? IDLA_INPUTS_EXTENDED : IDLA_INPUTS;
}

/** The feature set of an estimator by its input width (undefined when it is neither). */
export function featureSetOfWidth(width: number): FeatureSet | undefined {
  return width === IDLA_INPUTS ? 'paper' : width === IDLA_INPUTS_EXTENDED ? 'extended' : undefined;
}

/** Column of x (the share) in an input row: the column the search differentiates. */
export const INPUT_X = 0;
export const INPUT_USERS = 1;
export const INPUT_CQI = 1 + HISTORY;
export const INPUT_PHI_TARGET = 1 + 2 * HISTORY;
export const INPUT_DELAY_TARGET = 2 + 2 * HISTORY;

/**
 * Per (cell, slice) ring of the last H active-user counts and CQIs, oldest first when read.
 * Before H observations exist the oldest known value is repeated (a new slice starts from its
 * first observation, so joining slices need no special case).
 */
export class SliceHistory {
  readonly users: Float32Array;
  readonly cqi: Float32Array;
  /** Last step's backlog and offered load per (cell, slice), as log(1 + value). */
  readonly backlog: Float32Array;
  readonly load: Float32Array;
  /** Observations seen per (cell, slice); 0 = never active. */
  readonly seen: Int32Array;

  constructor(
    readonly cells: number,
    readonly slices: number,
  ) {
    this.users = new Float32Array(cells * slices * HISTORY);
    this.cqi = new Float32Array(cells * slices * HISTORY);
    this.backlog = new Float32Array(cells * slices);
    this.load = new Float32Array(cells * slices);
    this.seen = new Int32Array(cells * slices);
  }

  /** Appends one observation [cells, slices, FEATURES_PER_SLICE]; inactive slices are forgotten. */
  push(obs: ArrayLike<number>): void {
    const n = this.cells * this.slices;
    for (let i = 0; i < n; i++) {
      const row = i * FEATURES_PER_SLICE;
      if (obs[row + FEATURE.active]! < 0.5) {
        this.seen[i] = 0;
        continue;
      }
      this.backlog[i] = Math.log1p(Math.max(0, obs[row + FEATURE.backlog]!));
      this.load[i] = Math.log1p(Math.max(0, obs[row + FEATURE.offeredLoad]!));
      const users = obs[row + FEATURE.activeUsers]!;
      const cqi = obs[row + FEATURE.meanCqi]!;
      // No users and no CQI: nothing was measured (e.g. a slice announced for the coming step
      // before its first step); keep what is known rather than recording zeros.
      if (users === 0 && cqi === 0) continue;
      const base = i * HISTORY;
      if (this.seen[i] === 0) {
        this.users.fill(users, base, base + HISTORY);
        this.cqi.fill(cqi, base, base + HISTORY);
      } else {
        this.users.copyWithin(base, base + 1, base + HISTORY);
        this.cqi.copyWithin(base, base + 1, base + HISTORY);
        this.users[base + HISTORY - 1] = users;
        this.cqi[base + HISTORY - 1] = cqi;
      }
      this.seen[i]! += 1;
    }
  }

  /** True once (cell, slice) `index` has at least one observation. */
  known(index: number): boolean {
    return this.seen[index]! > 0;
  }

  /**
   * Writes the inputs of (cell, slice) `index` into `out` at `offset`, with share `x` and the
   * targets read from the observation row: the paper's 13, plus backlog and load when `width` is
   * the extended width.
   */
  writeInputs(index: number, x: number, phiTarget: number, delayTarget: number, out: Float32Array, offset: number, width = IDLA_INPUTS): void {
    if (width > IDLA_INPUTS) {
      out[offset + INPUT_BACKLOG] = this.backlog[index]!;
      out[offset + INPUT_LOAD] = this.load[index]!;
    }
    out[offset + INPUT_X] = x;
    const base = index * HISTORY;
    for (let h = 0; h < HISTORY; h++) {
      out[offset + INPUT_USERS + h] = this.users[base + h]!;
      out[offset + INPUT_CQI + h] = this.cqi[base + h]!;
    }
    out[offset + INPUT_PHI_TARGET] = phiTarget;
    out[offset + INPUT_DELAY_TARGET] = delayTarget;
  }

  /**
   * Inputs for a slice with no measurement yet (it just joined): the mean history of the cell's
   * measured slices — a new slice is assumed to look like an average slice of its cell until its
   * own counts arrive. Zeros when the cell has no measured slice. In extended mode its backlog is 0
   * (nothing queued yet) and its load the mean of the cell's measured slices.
   */
  writeCellPrior(cell: number, x: number, phiTarget: number, delayTarget: number, out: Float32Array, offset: number, width = IDLA_INPUTS): void {
    let known = 0;
    let load = 0;
    for (let h = 0; h < HISTORY; h++) {
      out[offset + INPUT_USERS + h] = 0;
      out[offset + INPUT_CQI + h] = 0;
    }
    for (let s = 0; s < this.slices; s++) {
      const i = cell * this.slices + s;
      if (this.seen[i] === 0) continue;
      known += 1;
      load += this.load[i]!;
      for (let h = 0; h < HISTORY; h++) {
        out[offset + INPUT_USERS + h]! += this.users[i * HISTORY + h]!;
        out[offset + INPUT_CQI + h]! += this.cqi[i * HISTORY + h]!;
      }
    }
    if (known > 0) {
      for (let h = 0; h < HISTORY; h++) {
        out[offset + INPUT_USERS + h]! /= known;
        out[offset + INPUT_CQI + h]! /= known;
      }
    }
    out[offset + INPUT_X] = x;
    out[offset + INPUT_PHI_TARGET] = phiTarget;
    out[offset + INPUT_DELAY_TARGET] = delayTarget;
    if (width > IDLA_INPUTS) {
      out[offset + INPUT_BACKLOG] = 0;
      out[offset + INPUT_LOAD] = known > 0 ? load / known : 0;
    }
  }

  clear(): void {
    this.seen.fill(0);
  }
}

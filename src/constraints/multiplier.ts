/**
 * The Lagrange multipliers of the constrained agents (docs/algorithms.md#constrained-rl), one per
 * constrained slice, by projected dual ascent on the constraint's measured cost rate:
 *
 *   lambda_s <- clip(lambda_s + lambdaLr (J_s - (1 - constraintMargin) limit_s), 0, lambdaMax)
 *
 * J_s is the mean cost (1 = the step violated the slice's constraint) over the active (cell, slice)
 * entries of one window of env steps. A window closes after `lambdaEvery` env steps, and at the end
 * of an episode (a shorter window). RCPO (Tessler et al., 2019) updates lambda on a slower
 * timescale than the policy from running cost estimates; a window of env steps keeps that — a
 * window spans many policy updates — while the number of multiplier steps no longer depends on
 * the episode length: a week-long episode gets seven daily steps, not one. A margin steers the rate
 * below the limit (constraint tightening): a trained policy's rate spreads from seed to seed around
 * what the multiplier aimed at, and the margin keeps more of that spread under the limit.
 */

/** Sums of costs and of counted entries per slice, and the rates they give. */
export class CostRates {
  readonly sum: Float64Array;
  readonly count: Float64Array;

  constructor(readonly slices: number) {
    this.sum = new Float64Array(slices);
    this.count = new Float64Array(slices);
  }

  /** Adds one env step's costs [cells, slices] of the entries where `mask` is set. */
  add(cost: ArrayLike<number>, mask: ArrayLike<number>, cells: number): void {
    const S = this.slices;
    for (let c = 0; c < cells; c++) {
      for (let s = 0; s < S; s++) {
        if (mask[c * S + s]) {
          this.sum[s] = this.sum[s]! + cost[c * S + s]!;
          this.count[s] = this.count[s]! + 1;
        }
      }
    }
  }

  /** Slice s's mean cost (0 when nothing was counted). */
  rate(s: number): number {
    return this.count[s]! > 0 ? this.sum[s]! / this.count[s]! : 0;
  }

  reset(): void {
    this.sum.fill(0);
    this.count.fill(0);
  }
}

export interface MultiplierSettings {
  /** Step size of the dual ascent, per window. */
  lambdaLr: number;
  /** Upper bound of every multiplier. */
  lambdaMax: number;
  /** Env steps per window (a window also closes at an episode's end). */
  lambdaEvery: number;
  /** Fraction of each limit kept free: the ascent aims at (1 - margin) x limit (default 0). */
  constraintMargin?: number;
}

/** The multipliers' part of a checkpoint. */
export interface MultiplierState {
  lambda: Float64Array;
  windowSum: Float64Array;
  windowCount: Float64Array;
  windowSteps: number;
}

export class LagrangeMultipliers {
  /** Per slice; stays 0 for slices without a limit. */
  readonly lambda: Float64Array;
  private readonly window: CostRates;
  private windowSteps = 0;

  /** `limit` per slice, NaN where the slice has no constraint. */
  constructor(
    readonly limit: Float64Array,
    private readonly settings: MultiplierSettings,
  ) {
    this.lambda = new Float64Array(limit.length);
    this.window = new CostRates(limit.length);
  }

  /** Counts one env step's costs [cells, slices] (entries where `mask` is set); true when its window is full. */
  addStep(cost: ArrayLike<number>, mask: ArrayLike<number>, cells: number): boolean {
    this.window.add(cost, mask, cells);
    this.windowSteps += 1;
    return this.windowSteps >= this.settings.lambdaEvery;
  }

  /** Closes the window: one ascent step per constrained slice from the window's rate. An empty window changes nothing. */
  closeWindow(): void {
    if (this.windowSteps === 0) return;
    const { lambdaLr, lambdaMax } = this.settings;
    const aimed = 1 - (this.settings.constraintMargin ?? 0);
    for (let s = 0; s < this.limit.length; s++) {
      const limit = this.limit[s]!;
      if (Number.isNaN(limit)) continue;
      this.lambda[s] = Math.min(lambdaMax, Math.max(0, this.lambda[s]! + lambdaLr * (this.window.rate(s) - aimed * limit)));
    }
    this.window.reset();
    this.windowSteps = 0;
  }

  getState(): MultiplierState {
    return { lambda: Float64Array.from(this.lambda), windowSum: Float64Array.from(this.window.sum), windowCount: Float64Array.from(this.window.count), windowSteps: this.windowSteps };
  }

  /** Restores `getState`'s values; a state without a window (saved before windows existed) starts an empty one. */
  setState(state: Partial<MultiplierState> & { lambda: Float64Array }): void {
    this.lambda.set(state.lambda);
    this.window.reset();
    if (state.windowSum) this.window.sum.set(state.windowSum);
    if (state.windowCount) this.window.count.set(state.windowCount);
    this.windowSteps = state.windowSteps ?? 0;
  }
}

import { type NdArray } from '../../env/index.js';
import type { ConstraintSpec, Scenario } from '../../scenario/index.js';
import { InputError } from '../../util/index.js';
import { OraclePolicy } from './baselines.js';
import type { ShareBounds } from './bounds.js';
import { constraintKinds, GridAllocator, oracleSetup, tabulateSliceOnGrid } from './constrained-oracle.js';
import type { PolicyContext, SlicingPolicy } from './policy.js';
import { FEATURES_PER_SLICE, type SlicingLayout } from './slicing.js';
import type { SlicingModel } from './synthetic/index.js';

/**
 * The myopic oracle: the oracle's search, run on what an agent can know when it chooses step t's
 * shares — the steps it has observed — instead of step t itself. Each step the env's true model
 * of that step is tabulated per (cell, slice) on the 0.05 grid (utility and, for the constrained
 * variant, whether a constraint's condition is violated); the last step's table is exactly what
 * the agent's observation of it determines (users, offered load, CQI, backlog). At step t the
 * policy maximizes the mean utility over the tables of the last `window` observed steps (t-window
 * .. t-1): a persistence forecast with the recent spread as its uncertainty, so the allocation
 * keeps headroom for the coming step's draw instead of fitting the last one exactly (window 1,
 * the oracle one step late, fits exactly and loses more: docs/benchmarks.md). It separates what
 * the observation lacks (the coming step's traffic and CQI draws) from what a learner fails to
 * learn; a learner that also forecasts the daily trend can do somewhat better, so it is a
 * reference, not a bound.
 *
 * The constrained variant (`oracle-constrained-myopic`) scores as the constrained oracle does:
 * fewest expected violations first, then the highest mean utility. The unused remainder is
 * spread over the active slices and the result projected, as in the oracle. The first step of an
 * episode (nothing observed yet) gets equal shares over each cell's active slices. Synthetic env
 * only (it reads the model of each step once that step is the last one observed).
 */
export class MyopicOraclePolicy implements SlicingPolicy {
  readonly id: string;
  private readonly G = OraclePolicy.GRID;
  private readonly allocator: GridAllocator;
  /** Ring of the last `window` steps' tables, each [cells * slices * (G + 1)]. */
  private readonly utility: Float64Array[];
  private readonly violations: Float64Array[];
  /** Active flags each stored table was made with. */
  private readonly activeAt: Uint8Array[];
  private stored = 0;
  private next = 0;
  /** Mean tables of the current cell, [slices * (G + 1)]. */
  private readonly meanUtility: Float64Array;
  private readonly meanViolations: Float64Array;
  private readonly kinds: string[][];
  private readonly row = new Float32Array(FEATURES_PER_SLICE);

  constructor(
    name: string,
    private readonly env: SlicingModel,
    layout: SlicingLayout,
    constraints: readonly ConstraintSpec[],
    readonly window: number,
    private readonly bounds?: ShareBounds,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new InputError('myopic oracle window', window, 'an integer >= 1');
    this.id = `baseline:${name}`;
    const S = env.sliceCount;
    const n = env.cells * S;
    const W = this.G + 1;
    this.allocator = new GridAllocator(env.cells, S, bounds);
    this.utility = Array.from({ length: window }, () => new Float64Array(n * W));
    this.violations = Array.from({ length: window }, () => new Float64Array(n * W));
    this.activeAt = Array.from({ length: window }, () => new Uint8Array(n));
    this.meanUtility = new Float64Array(S * W);
    this.meanViolations = new Float64Array(S * W);
    this.kinds = constraintKinds(layout, constraints);
  }

  reset(): void {
    this.stored = 0;
    this.next = 0;
  }

  act(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array {
    if (context.step === 0) this.reset();
    const S = this.env.sliceCount;
    const W = this.G + 1;
    const mask = this.env.activeMask;
    const active = this.allocator.activeSlices;
    const shares = this.allocator.allocate(obs, mask, this.meanUtility, this.meanViolations, (c, count) => {
      // The observed steps in which this cell had the same active slices; none: equal shares.
      this.meanUtility.fill(0);
      this.meanViolations.fill(0);
      let used = 0;
      for (let h = 0; h < this.stored; h++) {
        const activeAt = this.activeAt[h]!;
        let same = true;
        for (let s = 0; s < S && same; s++) same = activeAt[c * S + s] === mask[c * S + s];
        if (!same) continue;
        used++;
        for (let j = 0; j < count; j++) {
          const s = active[j]!;
          const from = (c * S + s) * W;
          for (let k = 0; k < W; k++) {
            this.meanUtility[s * W + k]! += this.utility[h]![from + k]!;
            this.meanViolations[s * W + k]! += this.violations[h]![from + k]!;
          }
        }
      }
      return used > 0;
    });
    this.record();
    return shares;
  }

  /** Tabulates the coming step's model; it is read only once that step has been observed. */
  private record(): void {
    const env = this.env;
    const S = env.sliceCount;
    const W = this.G + 1;
    const utility = this.utility[this.next]!;
    const violations = this.violations[this.next]!;
    this.activeAt[this.next]!.set(env.activeMask);
    for (let c = 0; c < env.cells; c++) {
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        if (!env.activeMask[i]) continue;
        tabulateSliceOnGrid(env, c, s, this.G, this.bounds, this.kinds[s]!, this.row, utility, violations, i * W);
      }
    }
    this.next = (this.next + 1) % this.window;
    this.stored = Math.min(this.stored + 1, this.window);
  }
}

/** The myopic oracles' baseline names (selectable by name only, like `oracle-constrained`). */
export const MYOPIC_ORACLE_NAMES = ['oracle-myopic', 'oracle-constrained-myopic'] as const;
export type MyopicOracleName = (typeof MYOPIC_ORACLE_NAMES)[number];

/** Observed steps the myopic oracles average over (chosen by measurement: docs/benchmarks.md). */
export const MYOPIC_ORACLE_WINDOW = 8;

/** A myopic oracle for a scenario, playing against the env whose model it is (slicingModelOf). */
export function createMyopicOracle(
  name: MyopicOracleName,
  scenario: Scenario,
  env?: SlicingModel | null,
  window: number = MYOPIC_ORACLE_WINDOW,
): MyopicOraclePolicy {
  const o = oracleSetup(name, 'myopic oracle', scenario, env, name === 'oracle-constrained-myopic');
  return new MyopicOraclePolicy(name, o.env, o.layout, o.constraints, window, o.bounds);
}

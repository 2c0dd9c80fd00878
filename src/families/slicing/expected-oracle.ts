import { type NdArray } from '../../env/index.js';
import type { Scenario } from '../../scenario/index.js';
import { InputError, Rng, deriveSeed } from '../../util/index.js';
import { OraclePolicy } from './baselines.js';
import type { ShareBounds } from './bounds.js';
import { constraintKinds, GridAllocator, oracleSetup, tabulateSliceOnGrid, type OracleSetup } from './constrained-oracle.js';
import type { PolicyContext, SlicingPolicy } from './policy.js';
import { FEATURES_PER_SLICE } from './slicing.js';
import type { SlicingModel } from './synthetic/index.js';

/**
 * The expected-model oracle: the oracle's search on the expected utility of the coming step, not
 * on its actual draw. Each step it draws the coming step `samples` times afresh from the env's
 * model in the state before that step's draw (SlicingModel.resampleComingStep: the time of day,
 * the hidden surge and outage state, the last step's load), tabulates every (cell, slice) on the
 * 0.05 grid for each draw, and picks per cell the grid point with the best mean over the draws
 * (the constrained variant: fewest mean violations first, as the constrained oracle scores; the
 * Lagrangian variant: the best mean of utility − violationWeight · violations).
 *
 * It knows everything an agent could learn about the coming step — more, since it reads the hidden
 * state and the exact model — but not the dice: no policy that chooses before the draw, step by
 * step, does better in expectation on the same grid. The gap between it and the oracle is what
 * knowing the draw is worth, so it bounds what any agent can reach relative to the oracle.
 * Synthetic env only.
 */
export class ExpectedOraclePolicy implements SlicingPolicy {
  readonly id: string;
  private readonly G = OraclePolicy.GRID;
  private readonly allocator: GridAllocator;
  /** Sums over the draws, [cells * slices * (G + 1)]. */
  private readonly utility: Float64Array;
  private readonly violations: Float64Array;
  private readonly drawUtility: Float64Array;
  private readonly drawViolations: Float64Array;
  /** Tables of the current cell, [slices * (G + 1)]. */
  private readonly cellUtility: Float64Array;
  private readonly cellViolations: Float64Array;
  private readonly kinds: string[][];
  private readonly row = new Float32Array(FEATURES_PER_SLICE);
  private readonly rng: Rng;

  private readonly env: SlicingModel;
  private readonly bounds: ShareBounds;
  readonly samples: number;

  /**
   * `setup`: the model, layout, constraints and share bounds it plays with (oracleSetup);
   * `violationWeight`: the Lagrangian score's price of a violation (default: fewest violations first).
   */
  constructor(name: string, setup: OracleSetup, options: { samples: number; seed: number; violationWeight?: number }) {
    const { env, layout, constraints, bounds } = setup;
    const { samples, seed, violationWeight } = options;
    if (!Number.isInteger(samples) || samples < 1) throw new InputError('expected oracle samples', samples, 'an integer >= 1');
    this.id = `baseline:${name}`;
    this.env = env;
    this.bounds = bounds;
    this.samples = samples;
    const S = env.sliceCount;
    const n = env.cells * S;
    const W = this.G + 1;
    this.allocator = new GridAllocator(env.cells, S, bounds, violationWeight);
    this.utility = new Float64Array(n * W);
    this.violations = new Float64Array(n * W);
    this.drawUtility = new Float64Array(n * W);
    this.drawViolations = new Float64Array(n * W);
    this.cellUtility = new Float64Array(S * W);
    this.cellViolations = new Float64Array(S * W);
    this.kinds = constraintKinds(layout, constraints);
    this.rng = new Rng(deriveSeed(seed, `${name}-draws`));
  }

  act(obs: NdArray<Float32Array>, _context: PolicyContext): Float32Array {
    const env = this.env;
    const S = env.sliceCount;
    const G = this.G;
    const W = G + 1;
    const mask = env.activeMask;
    this.utility.fill(0);
    this.violations.fill(0);
    for (let k = 0; k < this.samples; k++) {
      env.resampleComingStep(this.rng, () => {
        for (let i = 0; i < env.cells * S; i++) {
          if (!mask[i]) continue;
          const c = Math.floor(i / S);
          const s = i - c * S;
          tabulateSliceOnGrid(env, c, s, G, this.bounds, this.kinds[s]!, this.row, this.drawUtility, this.drawViolations, i * W);
        }
      });
      for (let i = 0; i < env.cells * S; i++) {
        if (!mask[i]) continue;
        for (let j = i * W; j < (i + 1) * W; j++) {
          this.utility[j]! += this.drawUtility[j]!;
          this.violations[j]! += this.drawViolations[j]!;
        }
      }
    }
    const active = this.allocator.activeSlices;
    return this.allocator.allocate(obs, mask, this.cellUtility, this.cellViolations, (c, count) => {
      for (let j = 0; j < count; j++) {
        const s = active[j]!;
        const from = (c * S + s) * W;
        for (let k = 0; k < W; k++) {
          this.cellUtility[s * W + k] = this.utility[from + k]! / this.samples;
          this.cellViolations[s * W + k] = this.violations[from + k]! / this.samples;
        }
      }
      return true;
    });
  }
}

/** The expected-model oracles' baseline names (selectable by name only, like `oracle-constrained`). */
export const EXPECTED_ORACLE_NAMES = ['oracle-expected', 'oracle-constrained-expected'] as const;
export type ExpectedOracleName = (typeof EXPECTED_ORACLE_NAMES)[number];

/** Draws of the coming step the expected-model oracles average over. */
export const EXPECTED_ORACLE_SAMPLES = 512;

/** An expected-model oracle for a scenario, playing against the env whose model it is (slicingModelOf). */
export function createExpectedOracle(
  name: ExpectedOracleName,
  scenario: Scenario,
  env?: SlicingModel | null,
  samples: number = EXPECTED_ORACLE_SAMPLES,
): ExpectedOraclePolicy {
  return new ExpectedOraclePolicy(name, oracleSetup(name, 'expected-model oracle', scenario, env, name === 'oracle-constrained-expected'), { samples, seed: scenario.seed });
}

/** The Lagrangian expected-model oracle's baseline name (built with its weight: createLagrangianExpectedOracle). */
export const LAGRANGIAN_EXPECTED_ORACLE_NAME = 'oracle-lagrangian-expected';

/** Whether `weight` is a violation weight the Lagrangian expected-model oracle takes: finite and >= 0. */
export function isViolationWeight(weight: number): boolean {
  return weight >= 0 && Number.isFinite(weight);
}

/**
 * The Lagrangian expected-model oracle: the expected-model oracle scoring each grid point by its
 * mean over the draws of utility − violationWeight · violated (cell, constraint) pairs. Weight 0 is
 * the unconstrained search (oracle-expected), a large one the fewest violations first
 * (oracle-constrained-expected); in between it trades expected violations for utility at the
 * price violationWeight. The weight at which its measured rates meet the scenario's limits gives
 * the best utility a policy choosing before the draw reaches within them (bench:robustness finds
 * it; docs/algorithms.md#constrained-rl).
 */
export function createLagrangianExpectedOracle(
  scenario: Scenario,
  env: SlicingModel | null | undefined,
  violationWeight: number,
  samples: number = EXPECTED_ORACLE_SAMPLES,
): ExpectedOraclePolicy {
  if (!isViolationWeight(violationWeight)) throw new InputError('violationWeight', violationWeight, 'a finite number >= 0');
  const name = LAGRANGIAN_EXPECTED_ORACLE_NAME;
  return new ExpectedOraclePolicy(name, oracleSetup(name, 'expected-model oracle', scenario, env, true), { samples, seed: scenario.seed, violationWeight });
}

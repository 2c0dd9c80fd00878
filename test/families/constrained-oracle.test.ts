import { describe, expect, it } from 'vitest';
import {
  ConstrainedOraclePolicy,
  FEATURE,
  FEATURES_PER_SLICE,
  OraclePolicy,
  SyntheticSlicingEnv,
  createConstrainedOracle,
  recoveryAfter,
  rowViolates,
  shareGrid,
  type SlicingModel,
} from '../../src/families/index.js';
import { resolvePolicies } from '../../src/eval/index.js';
import { loadScenario, parseScenario, scenarioLayout, type ConstraintSpec } from '../../src/scenario/index.js';

/**
 * A hand-made model of one coming step: per slice a utility curve and a mean delay of
 * `delayScale / x` ms (every slice has users), so the delay-violation condition is x < delayScale / d*.
 */
function handMadeModel(cells: number, curves: Array<(x: number) => number>, delayScale: number[], delayTarget: number[]): SlicingModel {
  const S = curves.length;
  const activeMask = new Uint8Array(cells * S).fill(1);
  return {
    cells,
    sliceCount: S,
    activeMask,
    evaluateSliceUtility: (_c, s, x) => curves[s]!(x),
    // A deterministic step: every draw is the one there is.
    resampleComingStep: (_rng, visit) => visit(),
    evaluateSliceRow: (_c, s, x, out, offset = 0) => {
      out.fill(0, offset, offset + FEATURES_PER_SLICE);
      out[offset + FEATURE.share] = x;
      out[offset + FEATURE.activeUsers] = 5;
      out[offset + FEATURE.throughput] = 10;
      out[offset + FEATURE.phiTarget] = 1;
      out[offset + FEATURE.meanDelay] = x > 0 ? delayScale[s]! / x : 1e4;
      out[offset + FEATURE.delayTarget] = delayTarget[s]!;
      out[offset + FEATURE.active] = 1;
      return true;
    },
  };
}

const layout = {
  cells: 2,
  slices: [
    { name: 'embb', type: 'eMBB' as const, phiTarget: 1, delayTarget: 100 },
    { name: 'urllc', type: 'URLLC' as const, phiTarget: 1, delayTarget: 10 },
    { name: 'mmtc', type: 'mMTC' as const, phiTarget: 1, delayTarget: 200 },
  ],
};
// Concave utilities whose unconstrained optimum is about (0.625, 0.375, 0) on the simplex.
const curves = [(x: number) => Math.log(1 + 4 * x), (x: number) => Math.log(1 + 2 * x), (x: number) => Math.log(1 + x)];
const urllcDelay: ConstraintSpec = { slice: 'urllc', kind: 'delay-violation-rate', limit: 0.05 };

function observation(model: SlicingModel): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(model.cells * model.sliceCount * FEATURES_PER_SLICE);
  for (let i = 0; i < model.cells * model.sliceCount; i++) data[i * FEATURES_PER_SLICE + FEATURE.active] = 1;
  return { data, shape: [model.cells, model.sliceCount, FEATURES_PER_SLICE] };
}

const context = { layout, step: 0 };

describe('constrained oracle', () => {
  it('enumerates the 0.05 grid in the order of the oracle search', () => {
    const grid = shareGrid(3, 20);
    expect(grid.length / 3).toBe(1771); // C(23, 3)
    expect(Array.from(grid.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(grid.subarray(grid.length - 3))).toEqual([20, 0, 0]);
    expect(shareGrid(4, 20).length / 4).toBe(10626);
  });

  it('picks the unconstrained optimum when it meets the constraints', () => {
    // URLLC delay 0.01 / x ms against 10 ms: every share but 0 meets it, and the optimum gives URLLC some share.
    const model = handMadeModel(2, curves, [1e-3, 0.01, 1], [100, 10, 200]);
    const oracle = new OraclePolicy(model).act(observation(model), context);
    const constrained = new ConstrainedOraclePolicy(model, layout, [urllcDelay]);
    const chosen = constrained.act(observation(model), context);
    expect(oracle[1]).toBeGreaterThan(0);
    expect(Array.from(chosen)).toEqual(Array.from(oracle));
    expect(constrained.expectedViolations).toBe(0);
  });

  it('never violates a per-step constraint when a feasible grid point exists, and is the best such point', () => {
    // URLLC delay 4.9 / x ms against 10 ms: feasible from x = 0.49 on; the unconstrained optimum gives it less.
    const model = handMadeModel(2, curves, [1e-3, 4.9, 1], [100, 10, 200]);
    const oracle = new OraclePolicy(model).act(observation(model), context);
    expect(oracle[1]).toBeLessThan(0.49); // the plain oracle violates
    const constrained = new ConstrainedOraclePolicy(model, layout, [urllcDelay]);
    const chosen = constrained.act(observation(model), context);
    const row = new Float32Array(FEATURES_PER_SLICE);
    let bestFeasible = Number.NEGATIVE_INFINITY;
    const grid = shareGrid(3, 20);
    for (let at = 0; at < grid.length; at += 3) {
      if (grid[at + 1]! / 20 < 0.49) continue;
      bestFeasible = Math.max(bestFeasible, curves[0]!(grid[at]! / 20) + curves[1]!(grid[at + 1]! / 20) + curves[2]!(grid[at + 2]! / 20));
    }
    for (let c = 0; c < 2; c++) {
      model.evaluateSliceRow(c, 1, chosen[c * 3 + 1]!, row);
      expect(rowViolates(row, 0, 'delay-violation-rate')).toBe(false);
      let sum = 0;
      let utility = 0;
      for (let s = 0; s < 3; s++) {
        sum += chosen[c * 3 + s]!;
        utility += curves[s]!(chosen[c * 3 + s]!);
      }
      expect(sum).toBeLessThanOrEqual(1);
      expect(utility).toBeGreaterThanOrEqual(bestFeasible - 1e-6);
    }
    expect(constrained.expectedViolations).toBe(0);
  });

  it('where no grid point is feasible, takes the fewest violations and reports them', () => {
    // URLLC delay 20 / x ms: above 10 ms at every share.
    const model = handMadeModel(2, curves, [1e-3, 20, 1], [100, 10, 200]);
    const constrained = new ConstrainedOraclePolicy(model, layout, [urllcDelay]);
    const chosen = constrained.act(observation(model), context);
    expect(constrained.expectedViolations).toBe(2); // one per cell
    for (let c = 0; c < 2; c++) expect(chosen[c * 3]! + chosen[c * 3 + 1]! + chosen[c * 3 + 2]!).toBeLessThanOrEqual(1);
  });

  it('in the synthetic env, every cell that could meet the URLLC delay does after the step', async () => {
    const scenario = loadScenario('robustness-burst');
    const env = new SyntheticSlicingEnv(scenario);
    const policy = createConstrainedOracle(scenario, env);
    const S = scenario.slices.length;
    const urllc = scenario.slices.findIndex((s) => s.name === 'urllc');
    const row = new Float32Array(FEATURES_PER_SLICE);
    let feasibleCells = 0;
    let infeasibleCells = 0;
    const obs = { data: env.resetSync(900_000), shape: [scenario.cells, S, FEATURES_PER_SLICE] };
    for (let t = 0; !env.episodeDone; t++) {
      // Feasible at some grid point = at share 1 (the delay falls as the share grows).
      const feasible = Array.from({ length: scenario.cells }, (_, c) => env.evaluateSliceRow(c, urllc, 1, row) && !rowViolates(row, 0, 'delay-violation-rate'));
      const x = await policy.act(obs, { layout: scenarioLayout(scenario), step: t });
      env.stepSync(x);
      obs.data = env.obs;
      for (let c = 0; c < scenario.cells; c++) {
        if (!feasible[c]) {
          infeasibleCells++;
          continue;
        }
        feasibleCells++;
        expect(rowViolates(env.obs, c * S + urllc, 'delay-violation-rate')).toBe(false);
      }
    }
    expect(feasibleCells).toBeGreaterThan(250);
    expect(infeasibleCells).toBeGreaterThan(0); // the flash crowd: some cells cannot meet 10 ms
  });

  it('is selectable as baseline:oracle-constrained on synthetic scenarios only', () => {
    const synthetic = loadScenario('robustness-outage');
    expect(resolvePolicies('baseline:oracle-constrained', synthetic).map((p) => p.id)).toEqual(['baseline:oracle-constrained']);
    expect(resolvePolicies('all-baselines', synthetic).map((p) => p.id)).not.toContain('baseline:oracle-constrained');
    const ns3 = parseScenario({ name: 'n', env: { kind: 'ns3', program: 'p' }, slices: [{ name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 10 }] });
    expect(() => resolvePolicies('baseline:oracle-constrained', ns3)).toThrow(
      'policy: got "baseline:oracle-constrained", expected a synthetic scenario (the constrained oracle uses the synthetic env model)',
    );
  });
});

describe('recovery after an event', () => {
  // Steps 1..20 (index 0 unused); the event covers steps 10..12, so recovery counts from step 13.
  const series = (values: Record<number, number>): Float64Array => {
    const s = new Float64Array(21).fill(1);
    s[0] = Number.NaN;
    for (const [t, v] of Object.entries(values)) s[Number(t)] = v;
    return s;
  };
  const event = { step: 10, duration: 3 };

  it('counts the steps from the event end until the series is back within 5% of its pre-event mean', () => {
    expect(recoveryAfter(series({ 10: 0.5, 11: 0.4, 12: 0.5, 13: 0.8, 14: 0.94, 15: 0.96 }), event)).toEqual({ covered: true, steps: 2 });
    expect(recoveryAfter(series({ 10: 0.5, 11: 0.4, 12: 0.5 }), event)).toEqual({ covered: true, steps: 0 });
    // Exactly 95% of the reference counts as back.
    expect(recoveryAfter(series({ 10: 0.5, 13: 0.9, 14: 0.95 }), event)).toEqual({ covered: true, steps: 1 });
  });

  it('takes the reference over the 8 steps before the event, skipping unmeasured ones', () => {
    // Steps 2..9 are the window: mean (0.5 * 4 + 1 * 3) / 7 with step 5 unmeasured; step 1 (0) is outside it.
    const s = series({ 1: 0, 2: 0.5, 3: 0.5, 4: 0.5, 5: Number.NaN, 6: 0.5, 10: 0.2, 13: 0.65, 14: 0.7 });
    const reference = (0.5 * 4 + 3) / 7;
    expect(0.65).toBeLessThan(reference * 0.95);
    expect(0.7).toBeGreaterThanOrEqual(reference * 0.95);
    expect(recoveryAfter(s, event)).toEqual({ covered: true, steps: 1 });
  });

  it('is null when the series never comes back, and not covered when the episode misses the event', () => {
    const low: Record<number, number> = {};
    for (let t = 10; t <= 20; t++) low[t] = 0.5;
    expect(recoveryAfter(series(low), event)).toEqual({ covered: true, steps: null });
    expect(recoveryAfter(series({}), { step: 18, duration: 3 })).toEqual({ covered: false, steps: null });
    expect(recoveryAfter(series({}).fill(Number.NaN), event)).toEqual({ covered: false, steps: null });
  });
});

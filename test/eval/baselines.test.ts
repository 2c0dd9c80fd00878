import { describe, expect, it } from 'vitest';
import { type Env, type NdArray } from '../../src/env/index.js';
import { BASELINE_NAMES, FEATURE, FEATURES_PER_SLICE, SyntheticSlicingEnv, createBaseline, parseShares } from '../../src/families/index.js';
import { KpiAccumulator, constraintCosts, convergenceIndex, evaluatePolicy, evaluatePolicySpec, resolvePolicies } from '../../src/eval/index.js';
import type { SlicingPolicy } from '../../src/agents/index.js';
import { loadScenario, parseScenario, scenarioLayout, setByPath, type Scenario } from '../../src/scenario/index.js';

const synthetic = loadScenario('slicing-synthetic');

/** A scenario with join/leave, floors and caps: the hardest case for feasibility. */
const bounded = parseScenario({
  name: 'bounded',
  cells: 4,
  episodeSteps: 30,
  slices: [
    { name: 'a', type: 'eMBB', phiTarget: 2, delayTarget: 100, users: 20, maxShare: 0.6 },
    { name: 'b', type: 'URLLC', phiTarget: 0.5, delayTarget: 10, minShare: 0.1, joinStep: 5, leaveStep: 20 },
    { name: 'c', type: 'mMTC', phiTarget: 0.1, delayTarget: 200, minShare: 0.05 },
    { name: 'd', type: 'eMBB', phiTarget: 1, delayTarget: 100, joinStep: 10 },
  ],
});

/** Plays `policy` and checks every allocation it returns against the feasible set. */
async function checkFeasible(scenario: Scenario, make: (env: SyntheticSlicingEnv) => SlicingPolicy, episodes = 2): Promise<number> {
  const env = new SyntheticSlicingEnv(scenario);
  const policy = make(env);
  const S = scenario.slices.length;
  let checked = 0;
  for (let e = 0; e < episodes; e++) {
    const obs = { data: env.resetSync(e), shape: [scenario.cells, S, FEATURES_PER_SLICE] };
    for (let t = 0; !env.episodeDone; t++) {
      const x = await policy.act(obs, { layout: scenarioLayout(scenario), step: t });
      expect(x).toBeInstanceOf(Float32Array);
      for (let c = 0; c < scenario.cells; c++) {
        let sum = 0;
        for (let s = 0; s < S; s++) {
          const v = x[c * S + s]!;
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
          if (!env.activeMask[c * S + s]) expect(v).toBe(0);
          else {
            expect(v).toBeGreaterThanOrEqual(scenario.slices[s]!.minShare - 1e-6);
            expect(v).toBeLessThanOrEqual(scenario.slices[s]!.maxShare + 1e-6);
          }
          sum += v;
        }
        expect(sum).toBeLessThanOrEqual(1); // exactly: no tolerance
        checked++;
      }
      env.stepSync(x);
    }
  }
  return checked;
}

describe('baselines', () => {
  it.each(BASELINE_NAMES)('%s allocations are always feasible (floors, caps, join/leave)', async (name) => {
    for (const scenario of [synthetic, bounded]) {
      const checked = await checkFeasible(scenario, (env) => createBaseline(name, scenario, env));
      expect(checked).toBeGreaterThan(100);
    }
  });

  it('fixed shares are feasible and validated', async () => {
    const [named] = resolvePolicies('shares:0.5,0.3,0.2', synthetic);
    expect(named!.id).toBe('shares:0.5,0.3,0.2');
    await checkFeasible(synthetic, (env) => named!.create(env, synthetic) as SlicingPolicy);
    expect(() => parseShares('0.5,0.3', synthetic)).toThrow(/3 comma-separated shares, one per slice \(embb, urllc, mmtc\)/);
    expect(() => parseShares('0.5,0.3,0.3', synthetic)).toThrow(/summing to at most 1/);
    expect(() => parseShares('0.5,x,0.3', synthetic)).toThrow(/policy shares: urllc: got "x"/);
    expect(() => parseShares('0.5,-0.1,0.3', synthetic)).toThrow(/\[0, 1\]/);
  });

  it('the oracle is at least as good as every other baseline in mean utility', async () => {
    for (const name of ['slicing-synthetic', 'robustness-burst', 'robustness-outage']) {
      const scenario = loadScenario(name);
      const results = await evaluatePolicySpec(scenario, 'all-baselines', { episodes: 2, seed: 3 });
      const oracle = results.find((r) => r.policy === 'baseline:oracle')!;
      for (const r of results) {
        expect(r.kpis.capacityViolation).toBe(0);
        expect(oracle.kpis.meanUtility).toBeGreaterThanOrEqual(r.kpis.meanUtility);
      }
      // And it is a real improvement over equal shares, not a tie.
      expect(oracle.kpis.meanUtility).toBeGreaterThan(results.find((r) => r.policy === 'baseline:static')!.kpis.meanUtility);
    }
  });

  it('the oracle matches brute force over the full grid for 3 slices', () => {
    const env = new SyntheticSlicingEnv(synthetic);
    env.resetSync(4);
    for (let t = 0; t < 40; t++) env.stepSync(new Float32Array(9).fill(0.3));
    const oracle = createBaseline('oracle', synthetic, env);
    const x = oracle.act({ data: env.obs, shape: [3, 3, FEATURES_PER_SLICE] }, { layout: scenarioLayout(synthetic), step: 0 }) as Float32Array;
    for (let c = 0; c < 3; c++) {
      let best = -Infinity;
      let points = 0;
      for (let a = 0; a <= 20; a++) {
        for (let b = 0; a + b <= 20; b++) {
          for (let d = 0; a + b + d <= 20; d++) {
            points++;
            best = Math.max(best, env.evaluateShares(c, [a / 20, b / 20, d / 20]));
          }
        }
      }
      expect(points).toBe(1771);
      expect(env.evaluateShares(c, Array.from(x.subarray(c * 3, c * 3 + 3)))).toBeGreaterThanOrEqual(best - 1e-6);
    }
  });

  it('the oracle needs the synthetic env', () => {
    const ns3 = parseScenario({ ...structuredClone(synthetic), env: { kind: 'ns3', program: 'slicing-lte' } });
    expect(() => resolvePolicies('baseline:oracle', ns3)).toThrow(/synthetic scenario/);
    expect(resolvePolicies('all-baselines', ns3).map((p) => p.id)).toEqual(['baseline:static', 'baseline:proportional', 'baseline:demand']);
  });

  it('rejects unknown policy specs and explains checkpoint availability', async () => {
    expect(() => resolvePolicies('baseline:magic', synthetic)).toThrow(/baseline:<static\|proportional\|demand\|oracle>/);
    expect(() => resolvePolicies('random', synthetic)).toThrow(/shares:<a,b,...>/);
    expect(() => resolvePolicies('checkpoint:', synthetic)).toThrow(/checkpoint:<run-dir>/);
    const [ckpt] = resolvePolicies('checkpoint:/nonexistent/run', synthetic);
    await expect(evaluatePolicy(synthetic, ckpt!.create, { episodes: 1 })).rejects.toThrow();
  });
});

describe('KPIs', () => {
  it('computes the docs/algorithms.md formulas on a hand-made step', () => {
    const layout = { cells: 2, slices: [
      { name: 'a', type: 'eMBB' as const, phiTarget: 2, delayTarget: 100 },
      { name: 'b', type: 'URLLC' as const, phiTarget: 0, delayTarget: 10 },
    ] };
    const F = FEATURES_PER_SLICE;
    const obs = new Float32Array(2 * 2 * F);
    const setRow = (i: number, values: Partial<Record<keyof typeof FEATURE, number>>): void => {
      for (const [k, v] of Object.entries(values)) obs[i * F + FEATURE[k as keyof typeof FEATURE]] = v!;
    };
    // cell 0: a at r = 1 (thr 2), b at r = 0.5 (delay 20 vs 10); cell 1: a r = 0.5 (thr 1), b inactive.
    setRow(0, { active: 1, throughput: 2, phiTarget: 2, meanDelay: 10, delayTarget: 100, activeUsers: 3, prbUtilization: 1 });
    setRow(1, { active: 1, throughput: 1, meanDelay: 20, delayTarget: 10, activeUsers: 2, prbUtilization: 0.5 });
    setRow(2, { active: 1, throughput: 1, phiTarget: 2, meanDelay: 10, delayTarget: 100, activeUsers: 3, prbUtilization: 1 });
    const acc = new KpiAccumulator(layout, 10, { convergedFrom: 0 });
    acc.beginEpisode();
    const reward = 3 * 0 + Math.log(2) + Math.log(1.5) + Math.log(1.5);
    acc.addStep([0.5, 0.5, 0.4, 0], obs, reward, 1);
    const { kpis, perSlice, perCell } = acc.result();
    expect(perCell[0]).toMatchObject({ allocatedShare: 1, qosSatisfaction: 0.5 });
    expect(perCell[0]!.utilization).toBeCloseTo(0.75);
    expect(perCell[1]!.allocatedShare).toBeCloseTo(0.4);
    expect(perCell[1]!.meanR).toBeCloseTo(0.5);
    expect(kpis.qosSatisfaction).toBeCloseTo(1 / 3);
    expect(kpis.meanR).toBeCloseTo((1 + 0.5 + 0.5) / 3);
    // (step, slice) pairs: a violates (cell 1), b violates (cell 0).
    expect(kpis.slaViolationRate).toBe(1);
    expect(kpis.allocatedShare).toBeCloseTo((1 + 0.4) / 2);
    expect(kpis.utilization).toBeCloseTo((0.5 + 0.25 + 0.4) / 1.4);
    expect(kpis.capacityViolation).toBe(0);
    // Jain: cell 0 (1 + 0.5)^2 / (2 (1 + 0.25)) = 0.9, cell 1 one slice = 1.
    expect(kpis.jainFairness).toBeCloseTo((0.9 + 1) / 2);
    expect(kpis.meanUtility).toBeCloseTo(reward);
    expect(kpis.rCdf[5]).toBeCloseTo(2 / 3);
    expect(kpis.rCdf[10]).toBe(1);
    expect(perSlice.a!.qosSatisfaction).toBeCloseTo(0.5);
    expect(perSlice.b!.delayViolationRate).toBe(1);
    expect(perSlice.a!.throughputViolationRate).toBeCloseTo(0.5);
    // An over-budget allocation is measured, not hidden.
    acc.addStep([0.8, 0.5, 0.4, 0], obs, reward, 2);
    expect(acc.result().kpis.capacityViolation).toBeCloseTo(0.3 / 4);
    expect(acc.result().kpis.maxCapacityViolation).toBeCloseTo(0.3);
  });

  it('measures the recovery after a scheduled event', () => {
    const layout = { cells: 1, slices: [{ name: 'a', type: 'eMBB' as const, phiTarget: 1, delayTarget: 0 }] };
    const F = FEATURES_PER_SLICE;
    const obs = new Float32Array(F);
    obs[FEATURE.active] = 1;
    obs[FEATURE.activeUsers] = 1;
    obs[FEATURE.phiTarget] = 1;
    const acc = new KpiAccumulator(layout, 20, { events: [{ step: 10, duration: 2 }] });
    const play = (badUntil: number): void => {
      acc.beginEpisode();
      for (let t = 1; t <= 20; t++) {
        obs[FEATURE.throughput] = t >= 10 && t < badUntil ? 0.5 : 1;
        acc.addStep([1], obs, 0, t);
      }
    };
    play(14); // event steps 10-11, still bad at 12-13, back at 14: 2 steps after the event ended
    expect(acc.result().kpis).toMatchObject({ recoverySteps: 2, unrecoveredEvents: 0 });
    play(21); // never back
    expect(acc.result().kpis).toMatchObject({ recoverySteps: 2, unrecoveredEvents: 1 });
    play(12); // back right after the event
    expect(acc.result().kpis).toMatchObject({ recoverySteps: 1, unrecoveredEvents: 1 });
  });

  it('finds the convergence point of an evaluation-return series', () => {
    expect(convergenceIndex([])).toBeNull();
    const ramp = Array.from({ length: 100 }, (_, i) => (i < 40 ? i : 40));
    // The window-20 average first reaches 95% of 40 (38) at index 51: (32 + ... + 39 + 12 x 40) / 20 = 38.2.
    expect(convergenceIndex(ramp)).toBe(51);
    expect(convergenceIndex([5, 5, 5])).toBe(0);
    expect(convergenceIndex([1, 2, 3, 4], 1, 0)).toBe(3);
  });

  it('constraint costs count violating cells of the slice', () => {
    const s = setByPath(synthetic, 'cells', 2);
    const F = FEATURES_PER_SLICE;
    const obs = new Float32Array(2 * 3 * F);
    for (let c = 0; c < 2; c++) {
      const row = (c * 3 + 1) * F;
      obs[row + FEATURE.active] = 1;
      obs[row + FEATURE.activeUsers] = 4;
      obs[row + FEATURE.delayTarget] = 10;
      obs[row + FEATURE.meanDelay] = c === 0 ? 12 : 8;
    }
    expect(Array.from(constraintCosts(s.constraints, scenarioLayout(s), obs))).toEqual([0.5]);
  });

  it('evaluates through the generic Env interface exactly like the fast path', async () => {
    const fast = await evaluatePolicy(synthetic, (env) => createBaseline('demand', synthetic, env as SyntheticSlicingEnv), { episodes: 2, seed: 5 });
    // Hide the class so evaluatePolicy takes the async Env path (as for ns-3).
    const inner = new SyntheticSlicingEnv(synthetic);
    const generic: Env<NdArray<Float32Array>, NdArray<Float32Array>> = {
      observationSpace: inner.observationSpace,
      actionSpace: inner.actionSpace,
      reset: (o) => inner.reset(o),
      step: (a) => inner.step(a),
      close: () => inner.close(),
    };
    const slow = await evaluatePolicy(synthetic, createBaseline('demand', synthetic), { episodes: 2, seed: 5, env: generic });
    expect(slow.kpis).toEqual(fast.kpis);
    expect(slow.perSlice).toEqual(fast.perSlice);
    expect(slow.episodeReturns).toEqual(fast.episodeReturns);
    expect(fast.constraints[0]).toMatchObject({ slice: 'urllc', kind: 'delay-violation-rate', limit: 0.01 });
  });
});

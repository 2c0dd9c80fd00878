import { describe, expect, it } from 'vitest';
import { evaluatePolicy, resolvePolicies } from '../../src/eval/index.js';
import { SyntheticSlicingEnv, createLagrangianExpectedOracle, slicingModelOf } from '../../src/families/slicing/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { Rng } from '../../src/util/index.js';

describe('the expected-model oracle (baseline:oracle-expected)', () => {
  it('resampling the coming step shows other draws and leaves the episode exactly as it was', async () => {
    const scenario = { ...loadScenario('slicing-synthetic'), episodeSteps: 12 };
    const play = async (resample: boolean): Promise<number[]> => {
      const env = new SyntheticSlicingEnv(scenario);
      await env.reset({ seed: 5 });
      const rng = new Rng(9);
      const rewards: number[] = [];
      let differed = 0;
      for (let t = 0; t < 12; t++) {
        const before = env.evaluateSliceUtility(0, 0, 0.3);
        if (resample) {
          for (let k = 0; k < 4; k++) env.resampleComingStep(rng, () => (differed += env.evaluateSliceUtility(0, 0, 0.3) !== before ? 1 : 0));
          expect(env.evaluateSliceUtility(0, 0, 0.3)).toBe(before);
        }
        rewards.push(env.stepSync(new Float64Array(env.cells * env.sliceCount).fill(1 / env.sliceCount)));
      }
      if (resample) expect(differed).toBeGreaterThan(0);
      return rewards;
    };
    expect(await play(true)).toEqual(await play(false));
  });

  it('sits between the myopic oracle and the oracle on held-out episodes', async () => {
    const scenario = { ...loadScenario('slicing-synthetic'), episodeSteps: 48 };
    const utility = async (name: string): Promise<number> => {
      const [named] = resolvePolicies(`baseline:${name}`, scenario);
      return (await evaluatePolicy(scenario, named!.create, { episodes: 2, seed: 900_000 })).kpis.meanUtility;
    };
    const [oracle, expected, myopic] = [await utility('oracle'), await utility('oracle-expected'), await utility('oracle-myopic')];
    expect(expected).toBeLessThan(oracle);
    expect(expected).toBeGreaterThan(myopic);
    expect(() => resolvePolicies('baseline:oracle-expected', { ...scenario, env: { kind: 'ns3', program: 'slicing-lte' } as never })).toThrow(/a synthetic scenario/);
  }, 60_000);

  it('the Lagrangian variant trades expected violations for utility at the price of its weight', async () => {
    const scenario = { ...loadScenario('robustness-burst'), episodeSteps: 48 };
    const play = async (weight: number): Promise<{ utility: number; rate: number }> => {
      const result = await evaluatePolicy(scenario, (env, s) => createLagrangianExpectedOracle(s, slicingModelOf(env), weight, 64), { episodes: 2, seed: 900_000 });
      return { utility: result.kpis.meanUtility, rate: result.constraints[0]!.value };
    };
    const [free, priced, strict] = [await play(0), await play(1), await play(1000)];
    // Weight 0 ignores the limit, 1000 puts the fewest violations first; 1 lies between them.
    expect(free.rate).toBeGreaterThan(priced.rate);
    expect(priced.rate).toBeGreaterThan(strict.rate);
    expect(free.utility).toBeGreaterThan(priced.utility);
    expect(priced.utility).toBeGreaterThan(strict.utility);
    // The same oracle by its --policy name, the weight after a colon.
    const [named] = resolvePolicies('baseline:oracle-lagrangian-expected:1', scenario);
    const byName = await evaluatePolicy(scenario, named!.create, { episodes: 1, seed: 900_000 });
    const direct = await evaluatePolicy(scenario, (env, s) => createLagrangianExpectedOracle(s, slicingModelOf(env), 1), { episodes: 1, seed: 900_000 });
    expect(byName.kpis.meanUtility).toBe(direct.kpis.meanUtility);
    for (const spec of ['baseline:oracle-lagrangian-expected', 'baseline:oracle-lagrangian-expected:', 'baseline:oracle-lagrangian-expected:-1', 'baseline:oracle-lagrangian-expected:x']) {
      expect(() => resolvePolicies(spec, scenario)).toThrow(`policy: got "${spec}", expected baseline:oracle-lagrangian-expected:<weight>, a weight >= 0`);
    }
    expect(() => createLagrangianExpectedOracle(scenario, null, 1)).toThrow(/a synthetic scenario/);
    expect(() => createLagrangianExpectedOracle(scenario, new SyntheticSlicingEnv(scenario), -1)).toThrow(/violationWeight: got -1, expected a finite number >= 0/);
  }, 60_000);
});

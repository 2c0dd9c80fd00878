import { describe, expect, it } from 'vitest';
import {
  FEATURE,
  FEATURES_PER_SLICE,
  MyopicOraclePolicy,
  OraclePolicy,
  SyntheticSlicingEnv,
  createMyopicOracle,
  type SlicingModel,
} from '../../src/families/index.js';
import { resolvePolicies } from '../../src/eval/index.js';
import { loadScenario, parseScenario, scenarioLayout } from '../../src/scenario/index.js';

const layout = {
  cells: 1,
  slices: [
    { name: 'embb', type: 'eMBB' as const, phiTarget: 1, delayTarget: 100 },
    { name: 'urllc', type: 'URLLC' as const, phiTarget: 1, delayTarget: 10 },
    { name: 'mmtc', type: 'mMTC' as const, phiTarget: 1, delayTarget: 200 },
  ],
};

/** A one-cell model whose coming step's utility curves are `weights[step]` (log(1 + w x) per slice). */
function steppedModel(weights: number[][]): SlicingModel & { step: number } {
  const model = {
    step: 0,
    cells: 1,
    sliceCount: 3,
    activeMask: new Uint8Array(3).fill(1),
    evaluateSliceUtility: (_c: number, s: number, x: number) => Math.log(1 + weights[model.step]![s]! * x),
    evaluateSliceRow: () => false,
    resampleComingStep: (_rng: unknown, visit: () => void) => visit(),
  };
  return model;
}

function observation(): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(3 * FEATURES_PER_SLICE);
  for (let i = 0; i < 3; i++) data[i * FEATURES_PER_SLICE + FEATURE.active] = 1;
  return { data, shape: [1, 3, FEATURES_PER_SLICE] };
}

describe('myopic oracle', () => {
  const weights = [
    [8, 1, 1],
    [1, 8, 1],
    [1, 1, 8],
  ];

  it('with window 1 plays the oracle allocation of the last step, and equal shares first', () => {
    const model = steppedModel(weights);
    const myopic = new MyopicOraclePolicy('oracle-myopic', model, layout, [], 1);
    const oracle = new OraclePolicy(model);
    const played: Float32Array[] = [];
    const best: Float32Array[] = [];
    for (let t = 0; t < 3; t++) {
      model.step = t;
      best.push(oracle.act(observation(), { layout, step: t }));
      played.push(myopic.act(observation(), { layout, step: t }));
    }
    for (const x of played[0]!) expect(x).toBeCloseTo(1 / 3, 6);
    expect(Array.from(played[1]!)).toEqual(Array.from(best[0]!));
    expect(Array.from(played[2]!)).toEqual(Array.from(best[1]!));
    // A new episode forgets the last one.
    model.step = 0;
    for (const x of myopic.act(observation(), { layout, step: 0 })) expect(x).toBeCloseTo(1 / 3, 6);
  });

  it('with a longer window maximizes the mean utility of the observed steps', () => {
    const model = steppedModel(weights);
    const myopic = new MyopicOraclePolicy('oracle-myopic', model, layout, [], 2);
    for (let t = 0; t < 2; t++) {
      model.step = t;
      myopic.act(observation(), { layout, step: t });
    }
    model.step = 2;
    // Steps 0 and 1 weigh embb and urllc alike and mmtc little: the first two get the same, most of the cell.
    const x = myopic.act(observation(), { layout, step: 2 });
    expect(x[0]).toBeCloseTo(x[1]!, 6);
    expect(x[0]!).toBeGreaterThan(x[2]!);
    expect(x[0]! + x[1]! + x[2]!).toBeLessThanOrEqual(1);
  });

  it('plays feasible allocations in the synthetic env', async () => {
    const scenario = loadScenario('robustness-burst');
    const env = new SyntheticSlicingEnv(scenario);
    const policy = createMyopicOracle('oracle-constrained-myopic', scenario, env);
    const S = scenario.slices.length;
    const obs = { data: env.resetSync(900_000), shape: [scenario.cells, S, FEATURES_PER_SLICE] };
    for (let t = 0; t < 40; t++) {
      const x = await policy.act(obs, { layout: scenarioLayout(scenario), step: t });
      for (let c = 0; c < scenario.cells; c++) expect(x[c * S]! + x[c * S + 1]! + x[c * S + 2]!).toBeLessThanOrEqual(1);
      env.stepSync(x);
      obs.data = env.obs;
    }
  });

  it('is selectable as baseline:oracle-myopic and baseline:oracle-constrained-myopic on synthetic scenarios only', () => {
    const synthetic = loadScenario('slicing-synthetic');
    expect(resolvePolicies('baseline:oracle-myopic', synthetic).map((p) => p.id)).toEqual(['baseline:oracle-myopic']);
    expect(resolvePolicies('baseline:oracle-constrained-myopic', synthetic).map((p) => p.id)).toEqual(['baseline:oracle-constrained-myopic']);
    expect(resolvePolicies('all-baselines', synthetic).map((p) => p.id)).not.toContain('baseline:oracle-myopic');
    const ns3 = parseScenario({ name: 'n', env: { kind: 'ns3', program: 'p' }, slices: [{ name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 10 }] });
    expect(() => resolvePolicies('baseline:oracle-myopic', ns3)).toThrow(
      'policy: got "baseline:oracle-myopic", expected a synthetic scenario (the myopic oracle uses the synthetic env model)',
    );
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CollectionPolicy,
  IDLA_INPUTS,
  IDLA_INPUTS_EXTENDED,
  INPUT_BACKLOG,
  INPUT_LOAD,
  IdlaPolicy,
  SampleCollector,
  SliceHistory,
  augment,
  fitEstimator,
  loadEstimator,
  mlpSpecToJson,
  resolveIdlaSettings,
  sampleColumns,
  samplesToInputs,
  saveEstimator,
  SAMPLE_WIDTH,
} from '../../src/agents/idla/index.js';
import { FEATURE, FEATURES_PER_SLICE, SyntheticSlicingEnv } from '../../src/families/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { Rng } from '../../src/util/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('IDLA extended inputs (backlog and offered load of the last step)', () => {
  it('the history writes them only in the extended width; a joining slice gets no backlog and its cell’s mean load', () => {
    const history = new SliceHistory(1, 2);
    const obs = new Float32Array(2 * FEATURES_PER_SLICE);
    obs[FEATURE.active] = 1;
    obs[FEATURE.activeUsers] = 3;
    obs[FEATURE.meanCqi] = 9;
    obs[FEATURE.backlog] = 120;
    obs[FEATURE.offeredLoad] = 7;
    history.push(obs);
    const paper = new Float32Array(IDLA_INPUTS + 2).fill(-1);
    history.writeInputs(0, 0.3, 2, 10, paper, 0);
    expect(paper[IDLA_INPUTS]).toBe(-1);
    expect(paper[IDLA_INPUTS + 1]).toBe(-1);
    const extended = new Float32Array(IDLA_INPUTS_EXTENDED);
    history.writeInputs(0, 0.3, 2, 10, extended, 0, IDLA_INPUTS_EXTENDED);
    expect(extended[INPUT_BACKLOG]).toBeCloseTo(Math.log1p(120), 5);
    expect(extended[INPUT_LOAD]).toBeCloseTo(Math.log1p(7), 5);
    const prior = new Float32Array(IDLA_INPUTS_EXTENDED).fill(-1);
    history.writeCellPrior(0, 0.2, 1, 5, prior, 0, IDLA_INPUTS_EXTENDED);
    expect(prior[INPUT_BACKLOG]).toBe(0);
    expect(prior[INPUT_LOAD]).toBeCloseTo(Math.log1p(7), 5);
  });

  it('samples carry the previous step’s backlog and load; extended rows are the 13 paper inputs plus those two', () => {
    const scenario = { ...loadScenario('idla-12cell'), episodeSteps: 20 };
    const env = new SyntheticSlicingEnv(scenario, { seed: 5 });
    const C = env.cells;
    const S = env.sliceCount;
    const collector = new SampleCollector(C, S);
    const policy = new CollectionPolicy(2, 1);
    let obs = env.resetSync(5);
    collector.observe(obs, true);
    let previous = obs.slice();
    let checked = 0;
    for (let t = 0; t < 6; t++) {
      env.stepSync(policy.act({ data: obs, shape: [C, S, FEATURES_PER_SLICE] }));
      obs = env.obs;
      const before = collector.samples.size;
      collector.observe(obs);
      // Rows added by this step hold the backlog/load of the observation before it.
      const data = collector.samples.data;
      let row = before;
      for (let i = 0; i < C * S && t > 0; i++) {
        const base = i * FEATURES_PER_SLICE;
        if (obs[base + FEATURE.active]! < 0.5 || previous[base + FEATURE.active]! < 0.5) continue;
        expect(data[row * SAMPLE_WIDTH + sampleColumns.lastBacklog]).toBeCloseTo(Math.log1p(previous[base + FEATURE.backlog]!), 4);
        expect(data[row * SAMPLE_WIDTH + sampleColumns.lastOfferedLoad]).toBeCloseTo(Math.log1p(previous[base + FEATURE.offeredLoad]!), 4);
        row += 1;
        checked += 1;
      }
      previous = obs.slice();
    }
    expect(checked).toBeGreaterThan(0);
    const paper = samplesToInputs(collector.samples, 'share', 'paper');
    const extended = samplesToInputs(collector.samples, 'share', 'extended');
    const n = collector.samples.size;
    expect(paper.inputs.length).toBe(n * IDLA_INPUTS);
    expect(extended.inputs.length).toBe(n * IDLA_INPUTS_EXTENDED);
    expect(Array.from(extended.labels)).toEqual(Array.from(paper.labels));
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < IDLA_INPUTS; k++) expect(extended.inputs[i * IDLA_INPUTS_EXTENDED + k]).toBe(paper.inputs[i * IDLA_INPUTS + k]);
    }
    // Augmentation keeps the extra columns of each copy.
    const aug = augment(extended, new Float32Array(n).fill(1), new Float32Array(n).fill(5), new Rng(1));
    for (let m = n; m < aug.labels.length; m++) {
      expect(Number.isFinite(aug.inputs[m * IDLA_INPUTS_EXTENDED + INPUT_BACKLOG]!)).toBe(true);
    }
    expect(aug.inputs.length).toBe(aug.labels.length * IDLA_INPUTS_EXTENDED);
  });

  it('an extended estimator fits, saves and loads with its feature set, and the policy allocates feasibly with it', { timeout: 60_000 }, async () => {
    expect(resolveIdlaSettings({ features: 'extended' }).features).toBe('extended');
    expect(resolveIdlaSettings({ features: 'paper' }).features).toBe('paper');
    expect(() => resolveIdlaSettings({ features: 'all' })).toThrow(/agent\.features/);
    const scenario = loadScenario('idla-12cell');
    const env = new SyntheticSlicingEnv(scenario, { seed: 7 });
    const C = env.cells;
    const S = env.sliceCount;
    const collector = new SampleCollector(C, S);
    const collection = new CollectionPolicy(3, 1);
    let obs = env.resetSync(7);
    collector.observe(obs, true);
    for (let t = 0; t < 30; t++) {
      env.stepSync(collection.act({ data: obs, shape: [C, S, FEATURES_PER_SLICE] }));
      obs = env.obs;
      collector.observe(obs);
    }
    const fitted = await fitEstimator(collector.samples, { epochs: 3, seed: 1, features: 'extended' });
    expect(fitted.features).toBe('extended');
    expect(fitted.spec.layers[0]!.inSize).toBe(IDLA_INPUTS_EXTENDED);
    const dir = mkdtempSync(join(tmpdir(), 'idla-features-'));
    dirs.push(dir);
    const path = join(dir, 'estimator.json');
    saveEstimator(path, { kind: 'idla-estimator', version: 1, shareInput: 'share', features: 'extended', spec: mlpSpecToJson(fitted.spec), report: fitted.report });
    expect(loadEstimator(path).mlp.layers[0]!.inSize).toBe(IDLA_INPUTS_EXTENDED);
    // A file claiming the paper's inputs with a 15-input network is refused.
    saveEstimator(path, { kind: 'idla-estimator', version: 1, shareInput: 'share', features: 'paper', spec: mlpSpecToJson(fitted.spec), report: fitted.report });
    expect(() => loadEstimator(path)).toThrow(/input size/);

    const policy = new IdlaPolicy(fitted.spec, { seed: 2 });
    expect(policy.inputWidth).toBe(IDLA_INPUTS_EXTENDED);
    for (let t = 0; t < 5; t++) {
      const x = await policy.act({ data: obs, shape: [C, S, FEATURES_PER_SLICE] });
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let s = 0; s < S; s++) {
          const v = x[c * S + s]!;
          expect(v).toBeGreaterThanOrEqual(0);
          if (obs[(c * S + s) * FEATURES_PER_SLICE + FEATURE.active]! < 0.5) expect(v).toBe(0);
          sum += v;
        }
        expect(sum).toBeLessThanOrEqual(1 + 1e-6);
      }
      env.stepSync(x);
      obs = env.obs;
    }
  });
});

import { describe, expect, it } from 'vitest';
import {
  IDLA_INPUTS,
  fitEstimator,
  forwardSpec,
  lagrangianSearch,
  maeOf,
  mlpSpecFromJson,
  mlpSpecToJson,
  runnerEstimator,
  samplesToInputs,
} from '../../src/agents/idla/index.js';
import { createMlpRunner } from '../../src/native/index.js';
import { Rng } from '../../src/util/index.js';
import { collectIdlaSamples } from './fixtures.js';

const collect = (steps: number) => collectIdlaSamples(steps, 3, 1);

describe('IDLA QoS estimator', () => {
  it('trains to a test MAE below 0.08 on idla-12cell samples, far below the best constant', { timeout: 180_000 }, async () => {
    // 200 of the scenario's 1000 collection steps and 40 epochs keep the test short; the full
    // H0 with the agent's 60 epochs reaches about 0.05 (npm run bench:idla).
    const samples = collect(200);
    const fitted = await fitEstimator(samples, { epochs: 40, seed: 1, mseWarmup: 1 });
    const report = fitted.report;
    expect(report.samples).toBe(samples.size);
    expect(report.testSamples).toBe(samples.size - Math.round(samples.size * 0.75));
    expect(report.augmented.rule1 + report.augmented.rule2).toBeGreaterThan(0);
    expect(report.testMae).toBeLessThan(0.08);
    // The best constant prediction under MAE is the labels' median.
    const { labels } = samplesToInputs(samples);
    const sorted = Float32Array.from(labels).sort();
    const median = sorted[Math.floor(sorted.length / 2)]!;
    let constantMae = 0;
    for (const r of labels) constantMae += Math.abs(r - median) / labels.length;
    expect(report.testMae).toBeLessThan(0.6 * constantMae);

    // The exported spec: raw inputs in, r in [0, 1] out; JSON round trip; the MLP runner agrees.
    const { inputs } = samplesToInputs(samples);
    const n = 256;
    const ts = forwardSpec(fitted.spec, inputs.subarray(0, n * IDLA_INPUTS), n);
    const roundTrip = mlpSpecFromJson(JSON.parse(JSON.stringify(mlpSpecToJson(fitted.spec))));
    const runner = createMlpRunner(roundTrip);
    const out = runner.forward(inputs.slice(0, n * IDLA_INPUTS), n);
    for (let i = 0; i < n; i++) {
      expect(ts[i]).toBeGreaterThanOrEqual(0);
      expect(ts[i]).toBeLessThanOrEqual(1);
      expect(out[i]).toBeCloseTo(ts[i]!, 4);
    }
    expect(maeOf(roundTrip, inputs.subarray(0, n * IDLA_INPUTS), labels.subarray(0, n))).toBeCloseTo(maeOf(fitted.spec, inputs.subarray(0, n * IDLA_INPUTS), labels.subarray(0, n)), 5);

    // The search on the trained estimator through the runner's input gradient: always feasible.
    const cells = 40;
    const slices = 4;
    const templates = new Float32Array(cells * slices * IDLA_INPUTS);
    for (let i = 0; i < cells * slices; i++) templates.set(inputs.subarray(i * IDLA_INPUTS, (i + 1) * IDLA_INPUTS), i * IDLA_INPUTS);
    const rng = new Rng(2);
    const active = Float32Array.from({ length: cells * slices }, () => (rng.next() < 0.8 ? 1 : 0));
    const result = await lagrangianSearch(
      runnerEstimator(runner),
      { cells, slices, active, templates, warmStart: Float32Array.from({ length: cells * slices }, () => rng.uniform(0, 0.6)) },
      rng,
    );
    for (let c = 0; c < cells; c++) {
      let sum = 0;
      for (let s = 0; s < slices; s++) {
        const v = result.x[c * slices + s]!;
        expect(v).toBeGreaterThanOrEqual(0);
        if (!active[c * slices + s]) expect(v).toBe(0);
        sum += v;
      }
      expect(sum).toBeLessThanOrEqual(1);
    }
  });
});

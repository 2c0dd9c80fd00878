/**
 * The IDLA estimator's training on the training engine against TF.js (cpu backend): the same
 * seeded initial weights, the same batches and Adam; the exported weights and the reported MAEs
 * agree to 1e-4.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/agents/index.js';
import { fitEstimator } from '../../src/agents/idla/index.js';
import { impls, relativeError } from '../native/trainer-helpers.js';
import { collectIdlaSamples } from './fixtures.js';

const collect = (steps: number) => collectIdlaSamples(steps, 5, 2);

beforeAll(async () => {
  await selectBackend('cpu');
});

describe.each(impls)('the IDLA estimator on the training engine (%s)', (engine) => {
  // MAE's gradient is a sign: a row whose error is within rounding of 0 may step either way, so
  // the MAE case is one epoch (later epochs amplify such flips through Adam's normalization).
  it.each([
    ['two MSE epochs', { epochs: 2, mseWarmup: 1 }],
    ['one MAE epoch', { epochs: 1, mseWarmup: 0 }],
  ])('matches its TF.js training to 1e-4 (%s)', { timeout: 60_000 }, async (_name, schedule) => {
    const samples = collect(20);
    const options = { ...schedule, seed: 2, batchSize: 64 };
    const reference = await fitEstimator(samples, { ...options, engine: 'tfjs' });
    const candidate = await fitEstimator(samples, { ...options, engine });
    expect(candidate.report.backend).toBe(engine);
    expect(reference.report.backend).toBe('cpu');
    reference.spec.layers.forEach((l, i) => {
      expect(relativeError(candidate.spec.layers[i]!.weights, l.weights), `layer ${i} weights`).toBeLessThan(1e-4);
      expect(relativeError(candidate.spec.layers[i]!.bias, l.bias), `layer ${i} bias`).toBeLessThan(1e-4);
    });
    expect(Math.abs(candidate.report.testMae - reference.report.testMae)).toBeLessThan(1e-4);
  });
});

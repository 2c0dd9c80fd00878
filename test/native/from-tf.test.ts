import * as tf from '../../src/agents/tf.js';
import { describe, expect, it } from 'vitest';
import { createMlpRunner, mlpSpecFromTfModel } from '../../src/native/index.js';
import { maxRelativeError } from './helpers.js';

describe('mlpSpecFromTfModel', () => {
  it('copies a TF.js Dense model so that the runner reproduces model.predict', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 16, inputShape: [5], activation: 'relu' }));
    model.add(tf.layers.dense({ units: 8, activation: 'tanh', useBias: false }));
    model.add(tf.layers.dense({ units: 2, activation: 'sigmoid' }));
    const spec = mlpSpecFromTfModel(model);
    expect(spec.layers.map((l) => [l.inSize, l.outSize, l.activation])).toEqual([
      [5, 16, 'relu'],
      [16, 8, 'tanh'],
      [8, 2, 'sigmoid'],
    ]);
    expect(Array.from(spec.layers[1]!.bias)).toEqual(new Array(8).fill(0));
    const input = Float32Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i));
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(input, [7, 5])) as tf.Tensor).dataSync() as Float32Array);
    for (const impl of ['ts', 'auto'] as const) {
      expect(maxRelativeError(createMlpRunner(spec, { impl }).forward(input, 7), expected)).toBeLessThan(1e-5);
    }
    // The spec is a copy: training the model afterwards does not change it.
    const before = spec.layers[0]!.weights[0];
    model.layers[0]!.setWeights([tf.zeros([5, 16]), tf.zeros([16])]);
    expect(spec.layers[0]!.weights[0]).toBe(before);
    model.dispose();
  });

  it('rejects layers it cannot run', () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 4, inputShape: [3], activation: 'softmax' }));
    expect(() => mlpSpecFromTfModel(model)).toThrow(/model\.layers\[0\]\.activation: got "softmax"/);
    const conv = tf.sequential();
    conv.add(tf.layers.dense({ units: 4, inputShape: [3] }));
    conv.add(tf.layers.dropout({ rate: 0.5 }));
    conv.add(tf.layers.batchNormalization());
    expect(() => mlpSpecFromTfModel(conv)).toThrow(/model\.layers\[2\]: got "BatchNormalization", expected a Dense layer/);
    model.dispose();
    conv.dispose();
  });
});

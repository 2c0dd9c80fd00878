import * as tf from '../../src/agents/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpTrainer, type Activation, type LossKind } from '../../src/native/index.js';
import { randomInput, randomMlp } from './helpers.js';
import { impls, lossF64, relativeError, tfGradients } from './trainer-helpers.js';

const ACTIVATIONS: Activation[] = ['relu', 'tanh', 'sigmoid', 'linear'];
const LOSSES: Array<[LossKind, number]> = [['mse', 1], ['huber', 1], ['huber', 0.05]];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(impls)('MlpTrainer gradients (%s)', (impl) => {
  for (const activation of ACTIVATIONS) {
    for (const [kind, huberDelta] of LOSSES) {
      it(`${activation} hidden and output, ${kind}${kind === 'huber' ? ` (delta ${huberDelta})` : ''}: weights, biases and input match TF.js and finite differences to 1e-4`, () => {
        const rng = new Rng(17);
        // The activation under test in both hidden layers and at the output.
        const spec = randomMlp(rng, [6, 12, 10, 3], [activation]);
        const batch = 11;
        const input = randomInput(rng, batch * 6, 1.5);
        const target = randomInput(rng, batch * 3);
        const trainer = createMlpTrainer(spec, { impl, maxBatch: 16 });
        trainer.forward(input, batch);
        const loss = trainer.loss(kind, target, { huberDelta });
        const inputGradient = trainer.backward(undefined, { input: true })!;
        const grads = trainer.grads.slice();

        const reference = tfGradients(spec, input, batch, target, kind, huberDelta);
        expect(Math.abs(loss - reference.loss) / (Math.abs(reference.loss) + 1e-6)).toBeLessThan(1e-4);
        expect(relativeError(grads, reference.params)).toBeLessThan(1e-4);
        expect(relativeError(inputGradient, reference.input)).toBeLessThan(1e-4);

        // Central differences of the float64 loss at the trainer's float32 parameters.
        const params = Array.from(trainer.params);
        const h = 1e-6;
        const numeric = params.map((p, i) => {
          params[i] = p + h;
          const up = lossF64(trainer, params, input, batch, target, kind, huberDelta);
          params[i] = p - h;
          const down = lossF64(trainer, params, input, batch, target, kind, huberDelta);
          params[i] = p;
          return (up - down) / (2 * h);
        });
        expect(relativeError(grads, numeric)).toBeLessThan(1e-4);
        const x = Array.from(input);
        const numericInput = x.slice(0, batch * 6).map((v, i) => {
          x[i] = v + h;
          const up = lossF64(trainer, params, x, batch, target, kind, huberDelta);
          x[i] = v - h;
          const down = lossF64(trainer, params, x, batch, target, kind, huberDelta);
          x[i] = v;
          return (up - down) / (2 * h);
        });
        expect(relativeError(inputGradient, numericInput)).toBeLessThan(1e-4);
      });
    }
  }

  it('a multi-head output (identity, width 2) back-propagates each head separately', () => {
    const rng = new Rng(5);
    const spec = randomMlp(rng, [4, 8, 2], ['relu', 'linear']);
    const trainer = createMlpTrainer(spec, { impl, maxBatch: 8 });
    const input = randomInput(rng, 8 * 4);
    trainer.forward(input, 8);
    // Only head 1 carries a gradient: the same as a one-head net made of that column.
    const gradOutput = new Float32Array(16);
    for (let r = 0; r < 8; r++) gradOutput[r * 2 + 1] = 1 / 8;
    const both = trainer.backward(gradOutput, { input: true })!.slice();
    const head = { layers: [spec.layers[0]!, { ...spec.layers[1]!, outSize: 1, weights: spec.layers[1]!.weights.filter((_, i) => i % 2 === 1), bias: spec.layers[1]!.bias.subarray(1) }] };
    const single = createMlpTrainer(head, { impl, maxBatch: 8 });
    single.forward(input, 8);
    const alone = single.backward(new Float32Array(8).fill(1 / 8), { input: true })!;
    expect(relativeError(both, alone)).toBeLessThan(1e-6);
  });

  it('at a training batch (48 rows: the library fuses bias and ReLU into its products), gradients match TF.js; inputColumns gives those columns compact', () => {
    const rng = new Rng(23);
    const spec = randomMlp(rng, [20, 24, 16, 3], ['relu', 'relu', 'linear']);
    const batch = 48;
    const input = randomInput(rng, batch * 20, 1.5);
    const target = randomInput(rng, batch * 3);
    const trainer = createMlpTrainer(spec, { impl, maxBatch: batch });
    trainer.forward(input, batch);
    const loss = trainer.loss('mse', target);
    const full = trainer.backward(undefined, { input: true })!.slice();
    const reference = tfGradients(spec, input, batch, target, 'mse', 1);
    expect(Math.abs(loss - reference.loss) / (Math.abs(reference.loss) + 1e-6)).toBeLessThan(1e-4);
    expect(relativeError(trainer.grads, reference.params)).toBeLessThan(1e-4);
    expect(relativeError(full, reference.input)).toBeLessThan(1e-4);
    for (const count of [3, 9]) {
      const columns = trainer.backward(undefined, { weights: false, inputColumns: { from: 20 - count, count } })!;
      expect(columns.length).toBe(batch * count);
      const expected = new Float32Array(batch * count);
      for (let r = 0; r < batch; r++) for (let j = 0; j < count; j++) expected[r * count + j] = full[r * 20 + 20 - count + j]!;
      expect(relativeError(columns, expected)).toBeLessThan(1e-6);
    }
    expect(() => trainer.backward(undefined, { inputColumns: { from: 18, count: 3 } })).toThrow(/options\.inputColumns\.count.*an integer in \[1, 2\]/);
    expect(() => trainer.backward(undefined, { inputColumns: { from: -1, count: 1 } })).toThrow(/options\.inputColumns\.from/);
  });

  it('accumulate adds to grads, weights: false leaves them alone', () => {
    const rng = new Rng(9);
    const trainer = createMlpTrainer(randomMlp(rng, [3, 5, 1], ['tanh', 'linear']), { impl, maxBatch: 4 });
    const input = randomInput(rng, 12);
    trainer.forward(input, 4);
    trainer.loss('mse', randomInput(rng, 4));
    trainer.backward();
    const once = trainer.grads.slice();
    trainer.backward(undefined, { accumulate: true });
    expect(relativeError(trainer.grads, once.map((g) => 2 * g))).toBeLessThan(1e-6);
    const before = trainer.grads.slice();
    trainer.backward(undefined, { weights: false, input: true });
    expect(trainer.grads).toEqual(before);
    trainer.zeroGradients();
    expect(trainer.grads.every((g) => g === 0)).toBe(true);
  });
});

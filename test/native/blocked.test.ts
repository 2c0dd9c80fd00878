import { createRequire } from 'node:module';
import * as tf from '../../src/agents/tf.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpRunner, nativeStatus, type Activation, type MlpSpec } from '../../src/native/index.js';
import { checkRequirement } from '../helpers/requirements.js';
import { maxRelativeError, randomInput, randomMlp } from './helpers.js';

// The blocked kernels (native/src/mlp.cc): register tiles of 8 rows x 16 columns (AVX-512VL) or
// 4 x 16 (AVX2), smaller shapes for the rows and columns left over, ReLU fused into the store,
// activations on the real columns only, and small batches cut into one block per thread. None of
// that may change a row's arithmetic: every row must come out bit for bit as in a one-row call,
// at 1 and 2 threads alike, and agree with the TypeScript kernels and TF.js within 1e-5.
const status = nativeStatus();
const hasAddon = checkRequirement({
  name: 'native addon',
  available: status.active,
  install: `npm run build:native (needs cmake and g++); status: ${status.reason}`,
});

/** Keeps every batch on the blocked kernels for the test (the addon's threshold is restored after). */
function blockedKernelsOnly(): void {
  const addon = createRequire(import.meta.url)(status.path!) as {
    mlpLibraryThreshold(rows?: number, width?: number): { rows: number; width: number };
  };
  const saved = addon.mlpLibraryThreshold();
  addon.mlpLibraryThreshold(0);
  onTestFinished(() => void addon.mlpLibraryThreshold(saved.rows, saved.width));
}

function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} bit for bit`);
    }
  }
}

describe.skipIf(!hasAddon)('native blocked kernels: tile shapes and the split of small batches', () => {
  // Odd widths leave columns past the 16-wide tiles (37 -> 40 = 16 + 16 + 8) and padding that
  // sigmoid / tanh must not be applied to; batches 1 to 41 end in every possible leftover of rows.
  const nets: { sizes: number[]; activations: Activation[] }[] = [
    { sizes: [12, 256, 256, 3], activations: ['relu', 'relu', 'tanh'] },
    { sizes: [12, 64, 64, 3], activations: ['relu', 'relu', 'tanh'] },
    { sizes: [7, 37, 19, 5], activations: ['sigmoid', 'tanh', 'linear'] },
    { sizes: [13, 36, 24, 16, 16, 1], activations: ['relu', 'relu', 'relu', 'relu', 'sigmoid'] },
  ];
  const batches = [...Array.from({ length: 41 }, (_, i) => i + 1), 63, 64, 100, 127, 128, 200, 256, 300];

  it('every row equals its one-row call bit for bit, at 1 and 2 threads, and agrees with TypeScript (1e-5)', () => {
    blockedKernelsOnly();
    const rng = new Rng(51);
    for (const { sizes, activations } of nets) {
      const spec = randomMlp(rng, sizes, activations);
      const inSize = sizes[0]!;
      const outSize = sizes[sizes.length - 1]!;
      const ts = createMlpRunner(spec, { impl: 'ts' });
      const one = createMlpRunner(spec, { impl: 'native', threads: 1 });
      const two = createMlpRunner(spec, { impl: 'native', threads: 2 });
      const longest = Math.max(...batches);
      const input = randomInput(rng, longest * inSize, 1.5);
      // Reference rows: one-row calls on one thread.
      const rowOutputs: Float32Array[] = [];
      const rowGradients: Float32Array[] = [];
      const rowColumnGradients: number[] = [];
      for (let r = 0; r < longest; r++) {
        const x = input.subarray(r * inSize, (r + 1) * inSize);
        const full = one.forwardWithInputGradient(x, 1, { outputIndex: outSize - 1 });
        rowOutputs.push(full.output);
        rowGradients.push(full.gradient);
        rowColumnGradients.push(one.forwardWithInputGradient(x, 1, { inputIndex: 1, outputIndex: outSize - 1 }).gradient[0]!);
      }
      for (const batch of batches) {
        const x = input.subarray(0, batch * inSize);
        const expectedOutput = new Float32Array(batch * outSize);
        const expectedGradient = new Float32Array(batch * inSize);
        for (let r = 0; r < batch; r++) {
          expectedOutput.set(rowOutputs[r]!, r * outSize);
          expectedGradient.set(rowGradients[r]!, r * inSize);
        }
        const expectedColumn = Float32Array.from(rowColumnGradients.slice(0, batch));
        const reference = ts.forwardWithInputGradient(x, batch, { outputIndex: outSize - 1 });
        expect(maxRelativeError(expectedOutput, reference.output)).toBeLessThan(1e-5);
        expect(maxRelativeError(expectedGradient, reference.gradient)).toBeLessThan(1e-5);
        for (const [threads, runner] of [[1, one], [2, two]] as const) {
          const what = `${sizes.join('-')} batch ${batch} threads ${threads}`;
          expectSameBits(runner.forward(x, batch), expectedOutput, `${what} forward`);
          const full = runner.forwardWithInputGradient(x, batch, { outputIndex: outSize - 1 });
          expectSameBits(full.output, expectedOutput, `${what} output`);
          expectSameBits(full.gradient, expectedGradient, `${what} gradient`);
          const column = runner.forwardWithInputGradient(x, batch, { inputIndex: 1, outputIndex: outSize - 1 });
          expectSameBits(column.gradient, expectedColumn, `${what} column gradient`);
        }
      }
    }
  });

  it('agrees with TF.js (1e-5 relative) at batches 64 and 1000 through 12 -> 256 -> 256 -> 3 on 2 threads', async () => {
    blockedKernelsOnly();
    await tf.setBackend('cpu');
    const rng = new Rng(52);
    const spec: MlpSpec = randomMlp(rng, [12, 256, 256, 3], ['relu', 'relu', 'tanh']);
    const model = tf.sequential();
    spec.layers.forEach((layer, l) => {
      model.add(tf.layers.dense({ units: layer.outSize, activation: layer.activation, ...(l === 0 ? { inputShape: [layer.inSize] } : {}) }));
    });
    model.layers.forEach((layer, l) => {
      const { inSize, outSize, weights, bias } = spec.layers[l]!;
      layer.setWeights([tf.tensor2d(weights, [inSize, outSize]), tf.tensor1d(bias)]);
    });
    const native = createMlpRunner(spec, { impl: 'native', threads: 2 });
    for (const batch of [64, 1000]) {
      const input = randomInput(rng, batch * 12, 1.5);
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(input, [batch, 12])) as tf.Tensor).dataSync() as Float32Array);
      expect(maxRelativeError(native.forward(input, batch), expected)).toBeLessThan(1e-5);
    }
    model.dispose();
  });

  it('repeats bit for bit at a fixed thread count on a long batch', () => {
    blockedKernelsOnly();
    const rng = new Rng(53);
    const spec = randomMlp(rng, [12, 64, 64, 3], ['relu', 'relu', 'tanh']);
    const batch = 5_003;
    const input = randomInput(rng, batch * 12, 1.5);
    for (const threads of [1, 2]) {
      const runner = createMlpRunner(spec, { impl: 'native', threads });
      const first = runner.forwardWithInputGradient(input, batch, { outputIndex: 2 });
      const again = runner.forwardWithInputGradient(input, batch, { outputIndex: 2 });
      expectSameBits(again.output, first.output, `threads ${threads} output`);
      expectSameBits(again.gradient, first.gradient, `threads ${threads} gradient`);
    }
  });
});

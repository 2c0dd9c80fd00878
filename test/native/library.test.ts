import { createRequire } from 'node:module';
import * as tf from '../../src/agents/tf.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpRunner, nativeStatus, type MlpSpec } from '../../src/native/index.js';
import { checkRequirement } from '../helpers/requirements.js';
import { maxRelativeError, randomInput, randomMlp } from './helpers.js';

// Large batches take their matrix products from oneDNN / OpenBLAS (native/src/gemm.h); these tests
// compare that path with the blocked kernels (threshold 0 = never the library) and with TF.js.
const status = nativeStatus();
const hasLibrary = checkRequirement({
  name: 'native addon with a library for the matrix products',
  available: status.active && status.trainingProducts !== 'built-in' && status.trainingProducts !== 'typescript',
  install: `apt-get install libdnnl-dev, then npm run build:native; status: ${status.reason}`,
});

interface Addon {
  mlpLibraryRows(rows: number): void;
}

/** rows 1 = every batch on the library (any width), 0 = none; the addon's threshold is restored after the test. */
function withLibraryRows(rows: number): Addon {
  const raw = createRequire(import.meta.url)(status.path!) as {
    mlpLibraryThreshold(rows?: number, width?: number): { rows: number; width: number };
  };
  const saved = raw.mlpLibraryThreshold();
  onTestFinished(() => void raw.mlpLibraryThreshold(saved.rows, saved.width));
  const addon = { mlpLibraryRows: (n: number) => void raw.mlpLibraryThreshold(n, 1) };
  addon.mlpLibraryRows(rows);
  return addon;
}

function run(spec: MlpSpec, threads: number, input: Float32Array, batch: number, inputIndex: number | undefined) {
  const runner = createMlpRunner(spec, { impl: 'native', threads });
  return {
    forward: runner.forward(input, batch),
    ...runner.forwardWithInputGradient(input, batch, inputIndex === undefined ? { outputIndex: 1 } : { inputIndex, outputIndex: 1 }),
  };
}

describe.skipIf(!hasLibrary)('native MLP on the library products', () => {
  it('agrees with the blocked kernels (1e-5 relative) and repeats bit for bit at a fixed thread count', () => {
    const addon = withLibraryRows(1);
    const rng = new Rng(41);
    for (const sizes of [[12, 64, 64, 3], [12, 256, 256, 3], [9, 33, 17, 4]]) {
      const spec = randomMlp(rng, sizes, ['relu', 'tanh', 'sigmoid']);
      for (const batch of [1, 5, 300, 2048, 4099]) {
        const input = randomInput(rng, batch * sizes[0]!, 1.5);
        for (const inputIndex of [undefined, 2]) {
          for (const threads of [1, 2]) {
            addon.mlpLibraryRows(1);
            const library = run(spec, threads, input, batch, inputIndex);
            const again = run(spec, threads, input, batch, inputIndex);
            addon.mlpLibraryRows(0);
            const kernels = run(spec, threads, input, batch, inputIndex);
            for (const key of ['forward', 'output', 'gradient'] as const) {
              expect(maxRelativeError(library[key], kernels[key])).toBeLessThan(1e-5);
              expect(again[key]).toEqual(library[key]);
            }
          }
        }
      }
    }
  });

  it('first-layer offsets and the rows built from them agree with the blocked kernels', () => {
    const addon = withLibraryRows(1);
    const rng = new Rng(42);
    const spec = randomMlp(rng, [12, 64, 64, 3], ['relu', 'relu', 'linear']);
    const pairs = 700;
    const batch = 3000;
    const templates = randomInput(rng, pairs * 12);
    const pairOf = Int32Array.from({ length: batch }, () => Math.floor(rng.next() * pairs));
    const x = randomInput(rng, batch);
    const results = [1, 0].map((rows) => {
      addon.mlpLibraryRows(rows);
      const runner = createMlpRunner(spec, { impl: 'native', threads: 2 });
      const offsets = runner.firstLayerOffsets(templates, pairs, 4);
      return { offsets, ...runner.forwardWithInputGradientFromOffsets(offsets, pairOf, x, batch, { inputIndex: 4, outputIndex: 0 }) };
    });
    for (const key of ['offsets', 'output', 'gradient'] as const) {
      expect(maxRelativeError(results[0]![key], results[1]![key])).toBeLessThan(1e-5);
    }
  });

  it('names the same first non-finite input as the blocked kernels', () => {
    const addon = withLibraryRows(1);
    const rng = new Rng(43);
    const spec = randomMlp(rng, [12, 64, 3], ['relu', 'linear']);
    const batch = 5000;
    const input = randomInput(rng, batch * 12);
    input[4321 * 12 + 7] = Number.NaN;
    input[4500 * 12] = Number.POSITIVE_INFINITY;
    const errors = [1, 0].map((rows) => {
      addon.mlpLibraryRows(rows);
      const runner = createMlpRunner(spec, { impl: 'native', threads: 2 });
      try {
        runner.forward(input, batch);
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(errors[0]).toContain(String(4321 * 12 + 7));
    expect(errors[0]).toBe(errors[1]);
  });

  it('agrees with TF.js at batch 1024 through 12 -> 256 -> 256 -> 3 (1e-5 relative)', async () => {
    withLibraryRows(1);
    await tf.setBackend('cpu');
    const rng = new Rng(44);
    const spec = randomMlp(rng, [12, 256, 256, 3], ['relu', 'relu', 'linear']);
    const batch = 1024;
    const input = randomInput(rng, batch * 12);
    const expected = tf.tidy(() => {
      let h: tf.Tensor2D = tf.tensor2d(input, [batch, 12]);
      for (const layer of spec.layers) {
        h = tf.add(tf.matMul(h, tf.tensor2d(layer.weights, [layer.inSize, layer.outSize])), tf.tensor1d(layer.bias));
        if (layer.activation === 'relu') h = tf.relu(h);
      }
      return h.dataSync() as Float32Array;
    });
    const native = createMlpRunner(spec, { impl: 'native', threads: 2 }).forward(input, batch);
    expect(maxRelativeError(native, expected)).toBeLessThan(1e-5);
  });
});

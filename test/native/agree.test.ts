import { createRequire } from 'node:module';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpRunner, nativeStatus, type Activation } from '../../src/native/index.js';
import { checkRequirement } from '../helpers/requirements.js';
import { maxRelativeError, randomInput, randomMlp } from './helpers.js';

const status = nativeStatus();
const hasAddon = checkRequirement({
  name: 'native addon',
  available: status.active,
  install: `npm run build:native (needs cmake and g++); status: ${status.reason}`,
});

describe.skipIf(!hasAddon)('native addon agrees with the TypeScript fallback', () => {
  it('forward and input gradients on random networks, batch sizes and thread counts', () => {
    const rng = new Rng(31);
    const cases: { sizes: number[]; activations: Activation[] }[] = [
      { sizes: [12, 64, 64, 3], activations: ['relu', 'relu', 'tanh'] },
      { sizes: [13, 36, 24, 16, 16, 1], activations: ['relu', 'relu', 'relu', 'relu', 'sigmoid'] },
      { sizes: [5, 7], activations: ['linear'] },
      { sizes: [9, 33, 17, 4], activations: ['tanh', 'sigmoid', 'linear'] },
      { sizes: [3, 256, 2], activations: ['relu', 'linear'] },
    ];
    for (const { sizes, activations } of cases) {
      const spec = randomMlp(rng, sizes, activations);
      const ts = createMlpRunner(spec, { impl: 'ts' });
      const inSize = sizes[0]!;
      for (const threads of [1, 2]) {
        const native = createMlpRunner(spec, { impl: 'native', threads });
        // 2049 rows spans many 64-row tasks plus a ragged last one (the threaded path).
        for (const batch of [1, 2, 7, 8, 9, 63, 64, 65, 2049]) {
          const input = randomInput(rng, batch * inSize, 1.5);
          const expected = ts.forward(input, batch);
          expect(maxRelativeError(native.forward(input, batch), expected)).toBeLessThan(1e-5);
          const outputIndex = batch % sizes[sizes.length - 1]!;
          const full = native.forwardWithInputGradient(input, batch, { outputIndex });
          const fullTs = ts.forwardWithInputGradient(input, batch, { outputIndex });
          expect(maxRelativeError(full.output, fullTs.output)).toBeLessThan(1e-5);
          expect(maxRelativeError(full.gradient, fullTs.gradient)).toBeLessThan(1e-5);
          const inputIndex = batch % inSize;
          const column = native.forwardWithInputGradient(input, batch, { inputIndex, outputIndex });
          const columnTs = ts.forwardWithInputGradient(input, batch, { inputIndex, outputIndex });
          expect(maxRelativeError(column.gradient, columnTs.gradient)).toBeLessThan(1e-5);
          expect(maxRelativeError(column.output, expected)).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('a large batch on the thread pool equals the same batch in single-row calls (blocked kernels)', () => {
    // Bit-equality across batch sizes holds within one kernel family: large batches on the library
    // products are compared to the kernels within 1e-5 in library.test.ts.
    type Threshold = { rows: number; width: number };
    const addon = createRequire(import.meta.url)(status.path!) as { mlpLibraryThreshold(rows?: number, width?: number): Threshold };
    const saved = addon.mlpLibraryThreshold();
    addon.mlpLibraryThreshold(0);
    onTestFinished(() => void addon.mlpLibraryThreshold(saved.rows, saved.width));
    const rng = new Rng(32);
    const spec = randomMlp(rng, [13, 36, 24, 1], ['relu', 'tanh', 'sigmoid']);
    const runner = createMlpRunner(spec, { impl: 'native' });
    const batch = 20_000;
    const input = randomInput(rng, batch * 13);
    const { output, gradient } = runner.forwardWithInputGradient(input, batch, { inputIndex: 0 });
    for (const r of [0, 1, 63, 64, 9_999, 19_999]) {
      const one = runner.forwardWithInputGradient(input.subarray(r * 13, r * 13 + 13), 1, { inputIndex: 0 });
      expect(one.output[0]).toBe(output[r]);
      expect(one.gradient[0]).toBe(gradient[r]);
    }
  });

  it('the raw addon checks every length itself and names the argument', () => {
    const addon = createRequire(import.meta.url)(status.path!) as Record<string, unknown>;
    type Fn = (...args: unknown[]) => void;
    const Mlp = addon.Mlp as new (layers: unknown) => { forward: Fn; forwardWithInputGradient: Fn };
    const layer = { inSize: 3, outSize: 2, weights: new Float32Array(6), bias: new Float32Array(2), activation: 'relu' };
    expect(() => new Mlp([{ ...layer, weights: new Float32Array(5) }])).toThrow(/layers\[0\]\.weights: expected a Float32Array of length 6/);
    expect(() => new Mlp([layer, { ...layer, inSize: 3, weights: new Float32Array(6) }])).toThrow(/layers\[1\]\.inSize: got 3, expected 2/);
    expect(() => new Mlp([{ ...layer, activation: 'swish' }])).toThrow(/layers\[0\]\.activation/);
    expect(() => new Mlp([{ ...layer, weights: Float32Array.of(0, 0, Number.NaN, 0, 0, 0) }])).toThrow(/layers\[0\]\.weights\[2\]: not finite/);
    const mlp = new Mlp([layer]);
    expect(() => mlp.forward(new Float32Array(5), 2, new Float32Array(4), 0)).toThrow(/input\.length: got 5, expected 6/);
    expect(() => mlp.forward(new Float32Array(6), 2, new Float32Array(3), 0)).toThrow(/out\.length: got 3, expected 4/);
    expect(() => mlp.forward(new Float64Array(6), 2, new Float32Array(4), 0)).toThrow(/input: expected a Float32Array/);
    expect(() => mlp.forward(new Float32Array(6), -1, new Float32Array(4), 0)).toThrow(/batch: got -1/);
    expect(() => mlp.forwardWithInputGradient(new Float32Array(6), 2, new Float32Array(4), new Float32Array(2), 3, 0, 0)).toThrow(/inputIndex/);
    expect(() => mlp.forwardWithInputGradient(new Float32Array(6), 2, new Float32Array(4), new Float32Array(5), -1, 0, 0)).toThrow(
      /gradient\.length: got 5, expected 6/,
    );
  });
});

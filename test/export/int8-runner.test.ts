import { describe, expect, it } from 'vitest';
import { createMlpRunner, createQuantizedMlpRunner, nativeStatus, quantizeMlpSpec, type Int8KernelName } from '../../src/native/index.js';
import { nativeAddon } from '../../src/native/addon.js';
import { Rng } from '../../src/util/index.js';
import { randomMlp } from '../native/helpers.js';

/** Rows whose columns have very different ranges (like the actors' features next to the ADMM target). */
function rows(count: number, width: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * width }, (_, k) => rng.uniform(-1, 1) * (k % width === width - 2 ? 150 : 1 + (k % 5)));
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('int8 MLP runner', () => {
  const spec = randomMlp(new Rng(1), [17, 64, 64, 1], ['relu', 'relu', 'sigmoid']);
  const calibration = rows(4000, 17, 2);
  const quantized = quantizeMlpSpec(spec, calibration);
  const input = rows(1500, 17, 3);

  it('quantizes weights per output channel and first-layer inputs per channel, close to the float outputs', () => {
    quantized.layers.forEach((layer, l) => {
      expect(layer.weightScales).toHaveLength(layer.outSize);
      expect(layer.inputScales).toHaveLength(layer.inSize);
      // One range per channel on the first layer, one range for all on the hidden ones.
      expect(new Set(layer.inputScales).size > 1).toBe(l === 0);
      expect(Math.max(...Array.from(layer.weights, Math.abs))).toBe(127);
    });
    const float = createMlpRunner(spec, { impl: 'ts' }).forward(input, 1500);
    const int8 = createQuantizedMlpRunner(quantized, { impl: 'ts' }).forward(input, 1500);
    // A random network with a 150-wide input column: pre-activations in the tens, so the error is
    // larger than on the trained actors (docs/export.md has their measured error).
    const mean = int8.reduce((sum, v, i) => sum + Math.abs(v - float[i]!), 0) / int8.length;
    expect(mean).toBeLessThan(0.01);
    expect(maxAbsDiff(int8, float)).toBeLessThan(0.1);
  });

  const kernels: Int8KernelName[] = ['portable', 'avx2', 'avx512-vnni'];
  it.skipIf(nativeAddon()?.QuantizedMlp === undefined)(`runs the same integers on every native kernel this CPU has (${nativeStatus().reason})`, () => {
    const best = nativeAddon()!.int8Kernel!() as Int8KernelName;
    const available = kernels.slice(0, kernels.indexOf(best) + 1);
    const ts = createQuantizedMlpRunner(quantized, { impl: 'ts' }).forward(input, 1500);
    const outputs = available.map((kernel) => {
      const runner = createQuantizedMlpRunner(quantized, { impl: 'native', int8Kernel: kernel, threads: 2 });
      expect(runner.kernel).toBe(kernel);
      return runner.forward(input, 1500);
    });
    for (const out of outputs) expect(out).toEqual(outputs[0]);
    const last = quantized.layers[quantized.layers.length - 1]!;
    expect(maxAbsDiff(outputs[0]!, ts)).toBeLessThanOrEqual(127 * Math.max(...last.weightScales));
    expect(createQuantizedMlpRunner(quantized).kernel).toBe(best);
  });

  it('refuses non-finite inputs and inconsistent specs with one line naming the field', () => {
    for (const impl of ['ts', 'auto'] as const) {
      const runner = createQuantizedMlpRunner(quantized, { impl });
      const bad = input.slice(0, 17 * 2);
      bad[20] = Number.NaN;
      expect(() => runner.forward(bad, 2)).toThrow(/input\[20\]: got NaN, expected a finite number/);
    }
    const layer0 = quantized.layers[0]!;
    const broken = { layers: [{ ...layer0, inputScales: new Float32Array(3) }, ...quantized.layers.slice(1)] };
    expect(() => createQuantizedMlpRunner(broken)).toThrow(/spec\.layers\[0\]\.inputScales: got .*expected a Float32Array of length 17/);
    expect(() => quantizeMlpSpec(spec, new Float32Array(5))).toThrow(/calibration: got .*rows × 17 inputs/);
  });
});

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpRunner, nativeStatus, type MlpSpec } from '../../src/native/index.js';
import { maxRelativeError, randomInput, randomMlp } from './helpers.js';

const nativeActive = nativeStatus().active;
const impls = nativeActive ? (['ts', 'native'] as const) : (['ts'] as const);

/** Plain float64 reference of y = f(x) for one row, written independently of both implementations. */
function referenceForward(spec: MlpSpec, x: ArrayLike<number>): number[] {
  let a = Array.from(x);
  for (const layer of spec.layers) {
    const y: number[] = [];
    for (let j = 0; j < layer.outSize; j++) {
      let z = layer.bias[j]!;
      for (let i = 0; i < layer.inSize; i++) z += a[i]! * layer.weights[i * layer.outSize + j]!;
      y.push(
        layer.activation === 'relu' ? Math.max(z, 0) : layer.activation === 'tanh' ? Math.tanh(z) : layer.activation === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : z,
      );
    }
    a = y;
  }
  return a;
}

describe.each(impls)('MLP runner (%s)', (impl) => {
  it('matches a plain float64 reference for every activation and odd sizes', () => {
    const rng = new Rng(11);
    for (const activations of [['relu'], ['tanh'], ['sigmoid'], ['linear'], ['relu', 'tanh', 'sigmoid']] as const) {
      const spec = randomMlp(rng, [7, 13, 5, 3], [...activations]);
      const runner = createMlpRunner(spec, { impl });
      expect(runner.impl).toBe(impl);
      for (const batch of [1, 2, 3, 17, 65]) {
        const input = randomInput(rng, batch * 7, 2);
        const out = runner.forward(input, batch);
        expect(out.length).toBe(batch * 3);
        const expected: number[] = [];
        for (let r = 0; r < batch; r++) expected.push(...referenceForward(spec, input.subarray(r * 7, r * 7 + 7)));
        expect(maxRelativeError(out, expected)).toBeLessThan(1e-5);
      }
    }
  });

  it('handles an empty batch and writes into a given buffer', () => {
    const rng = new Rng(12);
    const runner = createMlpRunner(randomMlp(rng, [4, 8, 2], ['relu', 'linear']), { impl });
    expect(runner.forward(new Float32Array(0), 0).length).toBe(0);
    const grad = runner.forwardWithInputGradient(new Float32Array(0), 0, { inputIndex: 1 });
    expect(grad.output.length).toBe(0);
    expect(grad.gradient.length).toBe(0);
    const out = new Float32Array(6);
    const input = randomInput(rng, 12);
    expect(runner.forward(input, 3, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(runner.forward(input, 3)));
  });

  it('input gradients match central finite differences (all columns and one column)', () => {
    const rng = new Rng(13);
    const spec = randomMlp(rng, [6, 16, 9, 2], ['tanh', 'sigmoid', 'linear']);
    const runner = createMlpRunner(spec, { impl });
    const batch = 5;
    const input = randomInput(rng, batch * 6);
    for (const outputIndex of [0, 1]) {
      const full = runner.forwardWithInputGradient(input, batch, { outputIndex });
      expect(Array.from(full.output)).toEqual(Array.from(runner.forward(input, batch)));
      expect(full.gradient.length).toBe(batch * 6);
      for (let r = 0; r < batch; r++) {
        for (let i = 0; i < 6; i++) {
          const plus = Array.from(input.subarray(r * 6, r * 6 + 6), Number);
          const minus = [...plus];
          const h = 1e-4;
          plus[i]! += h;
          minus[i]! -= h;
          const fd = (referenceForward(spec, plus)[outputIndex]! - referenceForward(spec, minus)[outputIndex]!) / (2 * h);
          expect(Math.abs(full.gradient[r * 6 + i]! - fd)).toBeLessThan(1e-4 * (1 + Math.abs(fd)));
        }
      }
      for (let i = 0; i < 6; i++) {
        const column = runner.forwardWithInputGradient(input, batch, { inputIndex: i, outputIndex });
        expect(column.gradient.length).toBe(batch);
        for (let r = 0; r < batch; r++) expect(column.gradient[r]).toBeCloseTo(full.gradient[r * 6 + i]!, 6);
      }
    }
  });

  it('relu gradients are exact on each linear piece', () => {
    const rng = new Rng(14);
    const spec = randomMlp(rng, [3, 8, 8, 1], ['relu', 'relu', 'linear']);
    const runner = createMlpRunner(spec, { impl });
    const input = randomInput(rng, 3 * 9);
    const { gradient } = runner.forwardWithInputGradient(input, 9);
    for (let r = 0; r < 9; r++) {
      for (let i = 0; i < 3; i++) {
        const plus = Array.from(input.subarray(r * 3, r * 3 + 3), Number);
        const minus = [...plus];
        plus[i]! += 1e-6;
        minus[i]! -= 1e-6;
        const fd = (referenceForward(spec, plus)[0]! - referenceForward(spec, minus)[0]!) / 2e-6;
        expect(Math.abs(gradient[r * 3 + i]! - fd)).toBeLessThan(1e-4 * (1 + Math.abs(fd)));
      }
    }
  });

  it('setWeights swaps the network, sizes included', () => {
    const rng = new Rng(15);
    const a = randomMlp(rng, [4, 8, 2], ['relu', 'linear']);
    const b = randomMlp(rng, [5, 3, 3], ['tanh', 'sigmoid']);
    const runner = createMlpRunner(a, { impl });
    runner.setWeights(b);
    expect(runner.inputSize).toBe(5);
    expect(runner.outputSize).toBe(3);
    const input = randomInput(rng, 10);
    expect(maxRelativeError(runner.forward(input, 2), createMlpRunner(b, { impl: 'ts' }).forward(input, 2))).toBeLessThan(1e-6);
  });

  it('setWeights of the same shape gives what a new runner gives, bit for bit', () => {
    const rng = new Rng(17);
    const a = randomMlp(rng, [9, 32, 32, 1], ['relu', 'relu', 'sigmoid']);
    const b = randomMlp(rng, [9, 32, 32, 1], ['relu', 'relu', 'sigmoid']);
    const runner = createMlpRunner(a, { impl });
    const input = randomInput(rng, 9 * 40);
    const before = runner.forward(input, 40);
    runner.setWeights(b);
    expect(runner.forward(input, 40)).toEqual(createMlpRunner(b, { impl }).forward(input, 40));
    runner.setWeights(a);
    expect(runner.forward(input, 40)).toEqual(before);
  });

  it('rejects bad inputs with errors naming the argument', () => {
    const rng = new Rng(16);
    const spec = randomMlp(rng, [4, 8, 2], ['relu', 'linear']);
    const runner = createMlpRunner(spec, { impl });
    expect(() => runner.forward(new Float32Array(7), 2)).toThrow(/input\.length: got 7, expected 8/);
    expect(() => runner.forward(new Float64Array(8) as unknown as Float32Array, 2)).toThrow(/^input: got Float64Array/);
    expect(() => runner.forward(new Float32Array(8), 2, new Float32Array(3))).toThrow(/out\.length: got 3, expected 4/);
    expect(() => runner.forward(new Float32Array(8), -1)).toThrow(/batch: got -1/);
    expect(() => runner.forward(new Float32Array(8), 1.5)).toThrow(/batch: got 1.5/);
    const nan = new Float32Array(8);
    nan[5] = Number.NaN;
    expect(() => runner.forward(nan, 2)).toThrow(/input\[5\]: got NaN, expected a finite number/);
    expect(() => runner.forwardWithInputGradient(nan, 2, { inputIndex: 0 })).toThrow(/input\[5\]: got NaN/);
    expect(() => runner.forwardWithInputGradient(new Float32Array(8), 2, { inputIndex: 4 })).toThrow(/options\.inputIndex: got 4/);
    expect(() => runner.forwardWithInputGradient(new Float32Array(8), 2, { outputIndex: 2 })).toThrow(/options\.outputIndex: got 2/);
    expect(() => runner.forwardWithInputGradient(new Float32Array(8), 2, { inputIndex: 1, gradient: new Float32Array(8) })).toThrow(
      /options\.gradient\.length: got 8, expected 2/,
    );
    const badShape: MlpSpec = { layers: [spec.layers[0]!, { ...spec.layers[1]!, inSize: 7, weights: new Float32Array(14) }] };
    expect(() => createMlpRunner(badShape, { impl })).toThrow(/spec\.layers\[1\]\.inSize: got 7, expected 8/);
    const badWeights: MlpSpec = { layers: [{ ...spec.layers[0]!, weights: new Float32Array(31) }] };
    expect(() => createMlpRunner(badWeights, { impl })).toThrow(/spec\.layers\[0\]\.weights: got Float32Array\(31\)/);
    const nanWeights = Float32Array.from(spec.layers[0]!.weights);
    nanWeights[3] = Number.POSITIVE_INFINITY;
    expect(() => runner.setWeights({ layers: [{ ...spec.layers[0]!, weights: nanWeights }] })).toThrow(
      /spec\.layers\[0\]\.weights\[3\]: got Infinity/,
    );
    expect(() => createMlpRunner({ layers: [{ ...spec.layers[0]!, activation: 'gelu' as 'relu' }] }, { impl })).toThrow(/activation: got "gelu"/);
    // The runner is still usable after rejected calls.
    expect(runner.forward(new Float32Array(8), 2).length).toBe(4);
  });
});

describe.skipIf(!nativeActive)('MLP runner (native): reloading weights', () => {
  it('keeps one native network: 1000 reloads in a loop that never yields do not grow the memory', () => {
    // The agents reload their actors after every update. A new native network per reload is
    // freed only by finalizers, which run when the event loop turns: 1000 reloads of this
    // network (about 1 MB in its native layouts) held about 1 GB until then.
    const rng = new Rng(18);
    const specs = [0, 1].map(() => randomMlp(rng, [64, 256, 256, 1], ['relu', 'relu', 'sigmoid']));
    const runner = createMlpRunner(specs[0]!, { impl: 'native' });
    const input = randomInput(rng, 64);
    const start = process.memoryUsage().rss;
    for (let i = 0; i < 1000; i++) {
      runner.setWeights(specs[i % 2]!);
      runner.forward(input, 1);
    }
    expect((process.memoryUsage().rss - start) / 2 ** 20).toBeLessThan(100);
  });
});

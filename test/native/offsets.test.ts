import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpRunner, nativeStatus, type MlpRunner, type MlpSpec } from '../../src/native/index.js';
import { maxRelativeError, randomInput, randomMlp } from './helpers.js';

const nativeActive = nativeStatus().active;
const impls = nativeActive ? (['ts', 'native'] as const) : (['ts'] as const);

const SIZES = [13, 36, 24, 16, 16, 1];
const ACTS = ['relu', 'relu', 'relu', 'relu', 'sigmoid'] as const;

interface Case {
  templates: Float32Array;
  pairOf: Int32Array;
  x: Float32Array;
  /** The same rows written out in full: template pairOf[r] with column inputIndex = x[r]. */
  full: Float32Array;
}

function makeCase(rng: Rng, inSize: number, pairs: number, batch: number, inputIndex: number): Case {
  const templates = randomInput(rng, pairs * inSize, 2);
  // The ignored column may hold anything, NaN included.
  for (let p = 0; p < pairs; p++) templates[p * inSize + inputIndex] = p % 2 === 0 ? Number.NaN : 123;
  const pairOf = new Int32Array(batch);
  for (let r = 0; r < batch; r++) pairOf[r] = Math.floor(rng.next() * pairs);
  const x = randomInput(rng, batch, 1.5);
  const full = new Float32Array(batch * inSize);
  for (let r = 0; r < batch; r++) {
    full.set(templates.subarray(pairOf[r]! * inSize, (pairOf[r]! + 1) * inSize), r * inSize);
    full[r * inSize + inputIndex] = x[r]!;
  }
  return { templates, pairOf, x, full };
}

function compare(runner: MlpRunner, c: Case, batch: number, inputIndex: number, outputIndex = 0): void {
  const pairs = c.templates.length / runner.inputSize;
  const offsets = runner.firstLayerOffsets(c.templates, pairs, inputIndex);
  expect(offsets.length).toBe(pairs * runner.firstLayerSize);
  const got = runner.forwardWithInputGradientFromOffsets(offsets, c.pairOf, c.x, batch, { inputIndex, outputIndex });
  const want = runner.forwardWithInputGradient(c.full, batch, { inputIndex, outputIndex });
  expect(got.output.length).toBe(batch * runner.outputSize);
  expect(got.gradient.length).toBe(batch);
  expect(maxRelativeError(got.output, want.output, 1e-3)).toBeLessThan(1e-5);
  expect(maxRelativeError(got.gradient, want.gradient, 1e-3)).toBeLessThan(1e-5);
}

describe.each(impls)('MLP from first-layer offsets (%s)', (impl) => {
  it('matches forwardWithInputGradient on the full rows (batches 0, 1, odd, ~40k; repeats, any order)', () => {
    const rng = new Rng(21);
    const spec = randomMlp(rng, SIZES, [...ACTS]);
    const runner = createMlpRunner(spec, { impl });
    expect(runner.firstLayerSize).toBe(36);
    for (const [pairs, batch] of [
      [3, 0],
      [1, 1],
      [5, 1],
      [7, 3],
      [11, 65],
      [13, 129],
      [100, 1001],
      [5700, 40_001],
    ] as const) {
      if (impl === 'ts' && batch > 5000) continue; // the TS side is covered below against native
      const inputIndex = (pairs + batch) % 13;
      compare(runner, makeCase(rng, 13, pairs, batch, inputIndex), batch, inputIndex);
    }
  });

  it('works for other shapes, activations and output columns', () => {
    const rng = new Rng(22);
    const spec = randomMlp(rng, [5, 11, 7, 3], ['tanh', 'sigmoid', 'linear']);
    const runner = createMlpRunner(spec, { impl });
    for (const inputIndex of [0, 2, 4]) {
      for (const outputIndex of [0, 2]) compare(runner, makeCase(rng, 5, 9, 77, inputIndex), 77, inputIndex, outputIndex);
    }
    const linearFirst = createMlpRunner(randomMlp(rng, [3, 9, 2], ['linear', 'tanh']), { impl });
    compare(linearFirst, makeCase(rng, 3, 4, 10, 1), 10, 1, 1);
  });

  it('gradient matches central finite differences in x', () => {
    const rng = new Rng(23);
    const spec = randomMlp(rng, [6, 16, 9, 1], ['tanh', 'tanh', 'sigmoid']);
    const runner = createMlpRunner(spec, { impl });
    const c = makeCase(rng, 6, 4, 12, 3);
    const offsets = runner.firstLayerOffsets(c.templates, 4, 3);
    const { gradient } = runner.forwardWithInputGradientFromOffsets(offsets, c.pairOf, c.x, 12, { inputIndex: 3 });
    const h = 1e-2;
    const plus = Float32Array.from(c.x, (v) => v + h);
    const minus = Float32Array.from(c.x, (v) => v - h);
    const up = runner.forwardWithInputGradientFromOffsets(offsets, c.pairOf, plus, 12, { inputIndex: 3 }).output;
    const down = runner.forwardWithInputGradientFromOffsets(offsets, c.pairOf, minus, 12, { inputIndex: 3 }).output;
    for (let r = 0; r < 12; r++) {
      const fd = (up[r]! - down[r]!) / (plus[r]! - minus[r]!);
      expect(Math.abs(gradient[r]! - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
    }
  });

  it('reuses given buffers and offsets `out`', () => {
    const rng = new Rng(24);
    const runner = createMlpRunner(randomMlp(rng, SIZES, [...ACTS]), { impl });
    const c = makeCase(rng, 13, 6, 20, 7);
    const out = new Float32Array(6 * 36);
    expect(runner.firstLayerOffsets(c.templates, 6, 7, out)).toBe(out);
    const output = new Float32Array(20);
    const gradient = new Float32Array(20);
    const result = runner.forwardWithInputGradientFromOffsets(out, c.pairOf, c.x, 20, { inputIndex: 7, output, gradient });
    expect(result.output).toBe(output);
    expect(result.gradient).toBe(gradient);
    const again = runner.forwardWithInputGradientFromOffsets(out, c.pairOf, c.x, 20, { inputIndex: 7 });
    expect(Array.from(again.output)).toEqual(Array.from(output));
  });

  it('rejects bad arguments with errors naming them', () => {
    const rng = new Rng(25);
    const runner = createMlpRunner(randomMlp(rng, [4, 8, 2], ['relu', 'sigmoid']), { impl });
    const c = makeCase(rng, 4, 3, 5, 1);
    const offsets = runner.firstLayerOffsets(c.templates, 3, 1);
    const call = (o: Float32Array, p: Int32Array, x: Float32Array, batch: number, inputIndex = 1, outputIndex?: number) =>
      runner.forwardWithInputGradientFromOffsets(o, p, x, batch, { inputIndex, outputIndex });
    expect(() => runner.firstLayerOffsets(c.templates, 3, 4)).toThrow(/inputIndex: got 4, expected an integer in \[0, 4\)/);
    expect(() => runner.firstLayerOffsets(c.templates, 2, 1)).toThrow(/templates\.length: got 12, expected 8/);
    expect(() => runner.firstLayerOffsets(c.templates, 3, 1, new Float32Array(5))).toThrow(/out\.length: got 5, expected 24/);
    const nanTemplates = Float32Array.from(c.templates);
    nanTemplates[6] = Number.NaN;
    expect(() => runner.firstLayerOffsets(nanTemplates, 3, 1)).toThrow(/templates\[6\]: got NaN, expected a finite number/);

    const badPair = Int32Array.from(c.pairOf);
    badPair[3] = 3;
    expect(() => call(offsets, badPair, c.x, 5)).toThrow(/pairOf\[3\]: got 3, expected an integer in \[0, 3\)/);
    badPair[3] = -1;
    expect(() => call(offsets, badPair, c.x, 5)).toThrow(/pairOf\[3\]: got -1/);
    const nanX = Float32Array.from(c.x);
    nanX[4] = Number.NaN;
    expect(() => call(offsets, c.pairOf, nanX, 5)).toThrow(/x\[4\]: got NaN, expected a finite number/);
    nanX[4] = Number.POSITIVE_INFINITY;
    expect(() => call(offsets, c.pairOf, nanX, 5)).toThrow(/x\[4\]: got Infinity/);
    const badOffsets = Float32Array.from(offsets);
    const usedPair = c.pairOf[2]!;
    badOffsets[usedPair * 8 + 5] = Number.NaN;
    expect(() => call(badOffsets, c.pairOf, c.x, 5)).toThrow(new RegExp(`offsets\\[${usedPair * 8 + 5}\\]: got NaN`));
    // A bad pair index or x wins over a bad offsets row, wherever they are (same rule on both paths).
    const laterBadPair = Int32Array.from(c.pairOf);
    laterBadPair[4] = 99;
    expect(() => call(badOffsets, laterBadPair, c.x, 5)).toThrow(/pairOf\[4\]: got 99/);
    // Offsets rows no row uses are not read.
    const unused = [0, 1, 2].find((p) => !Array.from(c.pairOf).includes(p));
    if (unused !== undefined) {
      const spare = Float32Array.from(offsets);
      spare[unused * 8] = Number.NaN;
      expect(call(spare, c.pairOf, c.x, 5).output.length).toBe(10);
    }
    expect(() => call(offsets.subarray(0, 20), c.pairOf, c.x, 5)).toThrow(/offsets\.length: got 20, expected a multiple of 8/);
    expect(() => call(offsets, c.pairOf.subarray(0, 4), c.x, 5)).toThrow(/pairOf\.length: got 4, expected 5/);
    expect(() => call(offsets, Float32Array.from(c.pairOf) as unknown as Int32Array, c.x, 5)).toThrow(/^pairOf: got Float32Array/);
    expect(() => call(offsets, c.pairOf, c.x.subarray(0, 4), 5)).toThrow(/x\.length: got 4, expected 5/);
    expect(() => call(offsets, c.pairOf, c.x, 5, 4)).toThrow(/options\.inputIndex: got 4/);
    expect(() => call(offsets, c.pairOf, c.x, 5, -1)).toThrow(/options\.inputIndex: got -1/);
    expect(() => call(offsets, c.pairOf, c.x, 5, 1, 2)).toThrow(/options\.outputIndex: got 2/);
    expect(() => call(offsets, c.pairOf, c.x, -2)).toThrow(/batch: got -2/);
    expect(() =>
      runner.forwardWithInputGradientFromOffsets(offsets, c.pairOf, c.x, 5, { inputIndex: 1, gradient: new Float32Array(10) }),
    ).toThrow(/options\.gradient\.length: got 10, expected 5/);
    // An empty offsets table is fine for an empty batch; the runner stays usable after errors.
    expect(call(new Float32Array(0), new Int32Array(0), new Float32Array(0), 0).output.length).toBe(0);
    expect(call(offsets, c.pairOf, c.x, 5).output.length).toBe(10);
  });
});

describe.skipIf(!nativeActive)('native and TS from-offsets paths agree', () => {
  it('on a large batch with threads', () => {
    const rng = new Rng(26);
    const spec: MlpSpec = randomMlp(rng, SIZES, [...ACTS]);
    const native = createMlpRunner(spec, { impl: 'native', threads: 2 });
    const ts = createMlpRunner(spec, { impl: 'ts' });
    const batch = 40_000;
    const c = makeCase(rng, 13, 5000, batch, 12);
    const a = native.firstLayerOffsets(c.templates, 5000, 12);
    const b = ts.firstLayerOffsets(c.templates, 5000, 12);
    expect(maxRelativeError(a, b)).toBeLessThan(1e-5);
    const n = native.forwardWithInputGradientFromOffsets(a, c.pairOf, c.x, batch, { inputIndex: 12 });
    const t = ts.forwardWithInputGradientFromOffsets(b, c.pairOf, c.x, batch, { inputIndex: 12 });
    expect(maxRelativeError(n.output, t.output, 1e-3)).toBeLessThan(1e-5);
    expect(maxRelativeError(n.gradient, t.gradient, 1e-3)).toBeLessThan(1e-5);
  });
});

/**
 * Int8 inference of an MLP: post-training quantization (symmetric, per-output-channel weight
 * scales, calibrated input scales folded into the weights) and a runner on the native addon's int8
 * kernels (AVX-512 VNNI, AVX2 or portable, picked at run time) or, without the addon, on the
 * TypeScript kernels below. Both accumulate the same integers, so they agree up to the float
 * epilogue (scale, bias, activation: an ulp apart, and so at most one quantum apart after a
 * requantization).
 *
 *   inputs       x[i] ~ sx[i] qx[i],   qx[i] = clamp(roundHalfEven(x[i] / sx[i]), -128, 127)
 *                first layer: sx[i] = max |x[i]| / 127 per input channel; hidden layers: one
 *                sx = max |x| / 127 for all channels (over the calibration rows)
 *   weights      W'[i, j] = sx[i] W[i, j] ~ sw[j] qW[i, j],   sw[j] = max_i |W'[i, j]| / 127
 *   layer        y[j] = act(fl(fl(acc[j] * sw[j]) + b[j])),   acc[j] = sum_i qx[i] qW[i, j]  (int32)
 *
 * Folding sx into the weights keeps one scale per output in the epilogue. The first layer needs a
 * range per channel: the actors' inputs mix features in [0, 4] with an ADMM target that can reach
 * the hundreds, and one scale for all would round the features away. Hidden layers do not: folding
 * gives every channel the error of the widest one, so a per-channel range there costs accuracy
 * (measured: -4% utility on slicing-synthetic with per-channel hidden ranges, +0.06% without). The
 * rounding and saturation are ONNX QuantizeLinear's (x / scale in float32, half to even).
 */
import { InputError } from '../util/index.js';
import { loadState, type NativeQuantizedMlp } from './addon.js';
import type { Activation, MlpSpec } from './mlp-spec.js';
import { checkArray, checkBatch, checkFinite, resolveImpl, resolveThreads, validateMlpSpec, type MlpImplChoice } from './runner.js';
import { TsMlp } from './fallback.js';

export interface QuantizedLayerSpec {
  inSize: number;
  outSize: number;
  /** Row-major [inSize, outSize], values in [-127, 127]: the folded weights sx[i] W[i, j], quantized. */
  weights: Int8Array;
  /** [outSize]: sx[i] W[i, j] ~ weightScales[j] * weights[i, j]. */
  weightScales: Float32Array;
  bias: Float32Array;
  activation: Activation;
  /** [inSize]: the input channels' scales sx. */
  inputScales: Float32Array;
}

export interface QuantizedMlpSpec {
  layers: QuantizedLayerSpec[];
}

export interface QuantizedMlpRunnerOptions {
  /** Default 'auto': the addon's int8 kernels when the addon is active and has them, else TypeScript. */
  impl?: MlpImplChoice;
  /** Most threads one native call may use (see MlpRunnerOptions.threads). */
  threads?: number;
  /**
   * The native int8 kernel (default: the best the CPU runs). Tests and benchmarks pick the others
   * to compare them; asking for one the CPU lacks throws.
   */
  int8Kernel?: Int8KernelName;
}

export type Int8KernelName = 'avx512-vnni' | 'avx2' | 'portable';

export interface QuantizedMlpRunner {
  readonly impl: 'native' | 'ts';
  /** Which int8 kernel runs: "avx512-vnni", "avx2", "portable" or "typescript". */
  readonly kernel: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** y = f(input) for `batch` rows, [batch, inSize] -> [batch, outSize] row-major. */
  forward(input: Float32Array, batch: number, out?: Float32Array): Float32Array;
}

const f32 = Math.fround;

/** Round half to even (what QuantizeLinear and C's nearbyint in the default mode do). */
export function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** qx of x at scale s: clamp(roundHalfEven(fl(x / s)), -128, 127). */
export function quantizeValue(x: number, scale: number): number {
  const q = roundHalfEven(f32(x / scale));
  return q < -128 ? -128 : q > 127 ? 127 : q;
}

/** A scale mapping [-maxAbs, maxAbs] onto [-127, 127] (1 when the range is empty). */
function symmetricScale(maxAbs: number): number {
  return maxAbs > 0 && Number.isFinite(maxAbs) ? f32(maxAbs / 127) : 1;
}

/**
 * Quantizes `spec` with activation ranges calibrated on `calibration` ([rows, inSize] row-major,
 * the inputs the network sees when it acts: observations from evaluation episodes).
 */
export interface QuantizeOptions {
  /**
   * Percentile of |x| over the calibration rows that sets each input channel's range (default
   * 100: the maximum). Below 100, rarer larger values saturate and the common ones get finer steps.
   */
  percentile?: number;
}

/** The `percentile` of |values| (100: the maximum). */
function absPercentile(values: Float32Array, percentile: number): number {
  if (percentile >= 100) return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const sorted = Float32Array.from(values, Math.abs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((percentile / 100) * sorted.length))]!;
}

export function quantizeMlpSpec(spec: MlpSpec, calibration: Float32Array, options: QuantizeOptions = {}): QuantizedMlpSpec {
  const percentile = options.percentile ?? 100;
  if (!(percentile > 0 && percentile <= 100)) throw new InputError('options.percentile', percentile, 'a number in (0, 100]');
  validateMlpSpec(spec);
  const inSize = spec.layers[0]!.inSize;
  if (!(calibration instanceof Float32Array) || calibration.length === 0 || calibration.length % inSize !== 0) {
    throw new InputError('calibration', calibration, `a non-empty Float32Array of rows × ${inSize} inputs`);
  }
  checkFinite(calibration, 'calibration');
  const rows = calibration.length / inSize;
  // Each layer's input range from the float network, layer by layer (one-layer MLPs in turn).
  let current = calibration;
  const layers: QuantizedLayerSpec[] = [];
  for (const layer of spec.layers) {
    const n = layer.inSize;
    const m = layer.outSize;
    const column = new Float32Array(rows);
    const inputScales = new Float32Array(n);
    if (layers.length === 0) {
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < rows; r++) column[r] = current[r * n + i]!;
        inputScales[i] = symmetricScale(absPercentile(column, percentile));
      }
    } else {
      inputScales.fill(symmetricScale(absPercentile(current, percentile)));
    }
    const weightScales = new Float32Array(m);
    const weights = new Int8Array(n * m);
    const folded = new Float32Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) folded[i * m + j] = f32(inputScales[i]! * layer.weights[i * m + j]!);
    for (let j = 0; j < m; j++) {
      let w = 0;
      for (let i = 0; i < n; i++) w = Math.max(w, Math.abs(folded[i * m + j]!));
      const s = symmetricScale(w);
      weightScales[j] = s;
      for (let i = 0; i < n; i++) weights[i * m + j] = Math.max(-127, Math.min(127, roundHalfEven(f32(folded[i * m + j]! / s))));
    }
    layers.push({ inSize: n, outSize: m, weights, weightScales, bias: Float32Array.from(layer.bias), activation: layer.activation, inputScales });
    const next = new Float32Array(rows * m);
    new TsMlp({ layers: [layer] }).forward(current, rows, next);
    current = next;
  }
  return { layers };
}

/** Throws an InputError naming the first inconsistent field of a quantized spec. */
export function validateQuantizedMlpSpec(spec: QuantizedMlpSpec, name = 'spec'): void {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.layers) || spec.layers.length === 0 || spec.layers.length > 64) {
    throw new InputError(`${name}.layers`, spec?.layers, 'an array of 1 to 64 quantized dense layers');
  }
  // The float checks cover sizes, bias and activation; the int8 fields are checked here.
  validateMlpSpec({ layers: spec.layers.map((l) => ({ ...l, weights: new Float32Array(l.weights?.length ?? 0) })) }, name);
  spec.layers.forEach((layer, l) => {
    const field = `${name}.layers[${l}]`;
    if (!(layer.weights instanceof Int8Array) || layer.weights.length !== layer.inSize * layer.outSize) {
      throw new InputError(`${field}.weights`, layer.weights, `an Int8Array of length ${layer.inSize * layer.outSize} (inSize × outSize)`);
    }
    for (let k = 0; k < layer.weights.length; k++) {
      if (layer.weights[k] === -128) throw new InputError(`${field}.weights[${k}]`, -128, 'a value in [-127, 127] (symmetric quantization)');
    }
    if (!(layer.weightScales instanceof Float32Array) || layer.weightScales.length !== layer.outSize) {
      throw new InputError(`${field}.weightScales`, layer.weightScales, `a Float32Array of length ${layer.outSize} (outSize)`);
    }
    layer.weightScales.forEach((s, j) => {
      if (!(s > 0 && Number.isFinite(s))) throw new InputError(`${field}.weightScales[${j}]`, s, 'a finite number > 0');
    });
    if (!(layer.inputScales instanceof Float32Array) || layer.inputScales.length !== layer.inSize) {
      throw new InputError(`${field}.inputScales`, layer.inputScales, `a Float32Array of length ${layer.inSize} (inSize)`);
    }
    layer.inputScales.forEach((s, i) => {
      if (!(s > 0 && Number.isFinite(s))) throw new InputError(`${field}.inputScales[${i}]`, s, 'a finite number > 0');
    });
  });
}

function activate(kind: Activation, z: number): number {
  switch (kind) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return f32(Math.tanh(z));
    case 'sigmoid':
      return f32(1 / (1 + Math.exp(-z)));
    default:
      return z;
  }
}

/** The TypeScript int8 kernels: the reference of the native ones (same integers, same epilogue). */
export class TsQuantizedMlp {
  private readonly q: Int32Array;
  private readonly acc: Int32Array;
  private readonly y: Float32Array;

  constructor(readonly spec: QuantizedMlpSpec) {
    const widest = Math.max(...spec.layers.map((l) => Math.max(l.inSize, l.outSize)));
    this.q = new Int32Array(widest);
    this.acc = new Int32Array(widest);
    this.y = new Float32Array(widest);
  }

  forward(input: Float32Array, batch: number, out: Float32Array): void {
    const { q, acc, y } = this;
    const layers = this.spec.layers;
    const inSize = layers[0]!.inSize;
    for (let r = 0; r < batch; r++) {
      for (let i = 0; i < inSize; i++) y[i] = input[r * inSize + i]!;
      layers.forEach((layer) => {
        const { inSize: n, outSize: m, weights, bias } = layer;
        for (let i = 0; i < n; i++) q[i] = quantizeValue(y[i]!, layer.inputScales[i]!);
        acc.fill(0, 0, m);
        for (let i = 0; i < n; i++) {
          const qi = q[i]!;
          if (qi === 0) continue;
          for (let j = 0; j < m; j++) acc[j]! += qi * weights[i * m + j]!;
        }
        const scale = layer.weightScales;
        for (let j = 0; j < m; j++) y[j] = activate(layer.activation, f32(f32(acc[j]! * scale[j]!) + bias[j]!));
      });
      const m = layers[layers.length - 1]!.outSize;
      for (let j = 0; j < m; j++) out[r * m + j] = y[j]!;
    }
  }
}

/** A runner for a quantized MLP: native int8 kernels when available, else TypeScript. */
export function createQuantizedMlpRunner(spec: QuantizedMlpSpec, options: QuantizedMlpRunnerOptions = {}): QuantizedMlpRunner {
  validateQuantizedMlpSpec(spec);
  const addon = loadState().addon;
  let impl = resolveImpl(options.impl);
  if (impl === 'native' && addon?.QuantizedMlp === undefined) {
    if (options.impl === 'native') throw new InputError('options.impl', 'native', 'an addon built with the int8 kernels (rebuild it with `npm run build:native`)');
    impl = 'ts';
  }
  const threads = resolveThreads(options.threads);
  const inSize = spec.layers[0]!.inSize;
  const outSize = spec.layers[spec.layers.length - 1]!.outSize;
  let native: NativeQuantizedMlp | undefined;
  let ts: TsQuantizedMlp | undefined;
  if (impl === 'native') {
    try {
      native = new addon!.QuantizedMlp!(spec.layers, options.int8Kernel);
    } catch (err) {
      throw new InputError('options.int8Kernel', options.int8Kernel, `a kernel this CPU runs (${(err as Error).message})`);
    }
  }
  else ts = new TsQuantizedMlp(spec);
  return {
    impl,
    kernel: native ? native.kernel : 'typescript',
    inputSize: inSize,
    outputSize: outSize,
    forward(input, batch, out) {
      checkBatch(batch);
      checkArray(input, 'input', batch * inSize);
      const result = out ?? new Float32Array(batch * outSize);
      checkArray(result, 'out', batch * outSize);
      if (batch === 0) return result;
      if (native) {
        const bad = native.forward(input, batch, result, threads);
        if (bad >= 0) throw new InputError(`input[${bad}]`, input[bad], 'a finite number');
      } else {
        checkFinite(input, 'input');
        ts!.forward(input, batch, result);
      }
      return result;
    },
  };
}

/**
 * Batched MLP inference and input gradients: the native addon when active, else TypeScript.
 */
import { InputError } from '../util/index.js';
import { loadState, type NativeMlp } from './addon.js';
import { TsMlp } from './fallback.js';
import type { MlpSpec } from './mlp-spec.js';

/** Which implementation to run: 'auto' = native when active (see nativeStatus()), else TS. */
export type MlpImplChoice = 'auto' | 'native' | 'ts';

export interface MlpRunnerOptions {
  /** Default 'auto'. 'native' throws when the addon is not active (the error says why). */
  impl?: MlpImplChoice;
  /**
   * Most threads one native call may use (the calling thread included). Default: the
   * NS3TS_NATIVE_THREADS environment variable, else every hardware thread. Batches too small to
   * be worth splitting always run on the calling thread. Ignored by the TS implementation.
   */
  threads?: number;
}

export interface InputGradientOptions {
  /**
   * The input column to differentiate with respect to. Given: `gradient` is [batch] with
   * d output[r, outputIndex] / d input[r, inputIndex]. Omitted: `gradient` is [batch, inSize]
   * (row-major) with the full input gradient of output[r, outputIndex]. One column is cheaper
   * (one dot product instead of inSize at the first layer).
   */
  inputIndex?: number;
  /** Which output to differentiate (default 0). */
  outputIndex?: number;
  /** Preallocated [batch, outSize] buffer for the forward values (reuse it across calls). */
  output?: Float32Array;
  /** Preallocated gradient buffer: [batch] with inputIndex, [batch, inSize] without. */
  gradient?: Float32Array;
}

export interface ForwardWithGradient {
  /** [batch, outSize] row-major: the same values `forward` returns. */
  output: Float32Array;
  /** [batch] when inputIndex was given, else [batch, inSize] row-major. */
  gradient: Float32Array;
}

export interface OffsetGradientOptions {
  /**
   * The varying input column x. Must be the inputIndex the offsets were built with by
   * `firstLayerOffsets` (that cannot be checked here).
   */
  inputIndex: number;
  /** Which output to differentiate (default 0). */
  outputIndex?: number;
  /** Preallocated [batch, outSize] buffer for the forward values (reuse it across calls). */
  output?: Float32Array;
  /** Preallocated [batch] buffer for d output[r, outputIndex] / d x[r]. */
  gradient?: Float32Array;
}

/**
 * A loaded MLP. All arrays are row-major Float32Array used in place (no copies on the native
 * path): input [batch, inSize], output [batch, outSize]. Lengths must match exactly (pass a
 * `subarray` view to use part of a larger buffer). Non-finite inputs throw an InputError.
 *
 * Performance notes for big searches (e.g. IDLA's Lagrangian ascent over cells × slices × starts,
 * millions of rows per call): keep one runner, one input buffer and preallocated `output` /
 * `gradient` buffers; each iteration write the varying column in place (input[r * inSize + k])
 * and call `forwardWithInputGradient(input, batch, { inputIndex: k, output, gradient })`.
 * The native path splits big batches across threads (a persistent pool) and runs the forward
 * pass and the backward pass for one output in one sweep over the rows, so it never holds
 * per-layer activations for more than a small block of rows.
 * When every row is one of a fixed set of input rows with only column k changed, build
 * `firstLayerOffsets(templates, pairs, k)` once and call `forwardWithInputGradientFromOffsets`
 * with a pair index and x per row instead: no input rows to write, and the first layer shrinks
 * to one multiply-add per unit.
 */
export interface MlpRunner {
  readonly impl: 'native' | 'ts';
  readonly inputSize: number;
  readonly outputSize: number;
  /**
   * y = f(input) for `batch` rows; writes into `out` (allocated when omitted; must not overlap
   * `input`) and returns it.
   */
  forward(input: Float32Array, batch: number, out?: Float32Array): Float32Array;
  /** Forward values and the gradient of one output with respect to the input, in one call. */
  forwardWithInputGradient(input: Float32Array, batch: number, options?: InputGradientOptions): ForwardWithGradient;
  /** Output width H1 of the first layer: the row length of `firstLayerOffsets`' result. */
  readonly firstLayerSize: number;
  /**
   * For batches where every row is one of `pairs` fixed input rows ("templates") with only column
   * `inputIndex` changed: the first layer's pre-activation without that column,
   * offsets[p * H1 + j] = b1[j] + sum_{i != inputIndex} templates[p * inSize + i] W1[i, j],
   * row-major [pairs, H1] with H1 = `firstLayerSize` (no padding). templates is [pairs, inSize];
   * its column inputIndex is never read (any value, NaN included, is fine there); every other
   * element must be finite. Writes into `out` when given. The result is tied to the current
   * weights: rebuild it after `setWeights`.
   */
  firstLayerOffsets(templates: Float32Array, pairs: number, inputIndex: number, out?: Float32Array): Float32Array;
  /**
   * `forwardWithInputGradient` with `inputIndex` for rows given as (pair, x): row r's input is
   * template pairOf[r] with column inputIndex set to x[r], and its first-layer pre-activation is
   * offsets[pairOf[r], :] + x[r] W1[inputIndex, :], so the first layer costs H1 multiply-adds per
   * row instead of inSize × H1 and no input rows are built. offsets is `firstLayerOffsets(templates,
   * pairs, inputIndex)` (pairs = offsets.length / H1), pairOf [batch] holds rows of it (any order,
   * repeats allowed), x is [batch]. Returns output [batch, outSize] and gradient [batch] =
   * d output[r, outputIndex] / d x[r].
   */
  forwardWithInputGradientFromOffsets(
    offsets: Float32Array,
    pairOf: Int32Array,
    x: Float32Array,
    batch: number,
    options: OffsetGradientOptions,
  ): ForwardWithGradient;
  /** Replaces the weights (e.g. after a training update): in place for the same layer sizes and activations, else the sizes may change. */
  setWeights(spec: MlpSpec): void;
}

const ACTIVATIONS = new Set(['linear', 'relu', 'tanh', 'sigmoid']);

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Throws an InputError naming the first inconsistent field of the spec. */
export function validateMlpSpec(spec: MlpSpec, name = 'spec'): void {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.layers) || spec.layers.length === 0 || spec.layers.length > 64) {
    throw new InputError(`${name}.layers`, spec?.layers, 'an array of 1 to 64 dense layers');
  }
  let previousOut: number | undefined;
  spec.layers.forEach((layer, l) => {
    const field = `${name}.layers[${l}]`;
    if (!isPositiveInteger(layer.inSize)) throw new InputError(`${field}.inSize`, layer.inSize, 'a positive integer');
    if (!isPositiveInteger(layer.outSize)) throw new InputError(`${field}.outSize`, layer.outSize, 'a positive integer');
    if (previousOut !== undefined && layer.inSize !== previousOut) {
      throw new InputError(`${field}.inSize`, layer.inSize, `${previousOut} (the previous layer's outSize)`);
    }
    if (!(layer.weights instanceof Float32Array) || layer.weights.length !== layer.inSize * layer.outSize) {
      throw new InputError(`${field}.weights`, layer.weights, `a Float32Array of length ${layer.inSize * layer.outSize} (inSize × outSize)`);
    }
    if (!(layer.bias instanceof Float32Array) || layer.bias.length !== layer.outSize) {
      throw new InputError(`${field}.bias`, layer.bias, `a Float32Array of length ${layer.outSize} (outSize)`);
    }
    if (!ACTIVATIONS.has(layer.activation)) {
      throw new InputError(`${field}.activation`, layer.activation, 'one of linear, relu, tanh, sigmoid');
    }
    checkFinite(layer.weights, `${field}.weights`);
    checkFinite(layer.bias, `${field}.bias`);
    previousOut = layer.outSize;
  });
}

/** Throws an InputError naming the first non-finite element. */
export function checkFinite(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is NaN exactly for NaN and ±Infinity; one comparison per element keeps this cheap.
    if (v - v !== 0) throw new InputError(`${field}[${i}]`, v, 'a finite number');
  }
}

function rejectNonFinite(input: Float32Array, badIndex: number): void {
  if (badIndex >= 0) throw new InputError(`input[${badIndex}]`, input[badIndex], 'a finite number');
}

export function checkBatch(batch: number, field = 'batch'): void {
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 0) {
    throw new InputError(field, batch, 'an integer >= 0');
  }
}

export function checkArray(value: unknown, field: string, length: number, what = 'Float32Array'): void {
  if (!(value instanceof Float32Array)) throw new InputError(field, value, `a ${what} of length ${length}`);
  if (value.length !== length) throw new InputError(`${field}.length`, value.length, `${length}`);
}

function checkInt32Array(value: unknown, field: string, length: number): void {
  if (!(value instanceof Int32Array)) throw new InputError(field, value, `an Int32Array of length ${length}`);
  if (value.length !== length) throw new InputError(`${field}.length`, value.length, `${length}`);
}

/**
 * The row of a from-offsets batch that cannot be evaluated, or -1, by the addon's rule: the first
 * row whose pairOf is outside [0, pairs) or whose x is not finite, else the first row whose
 * offsets row is not finite.
 */
function firstBadOffsetRow(offsets: Float32Array, width: number, pairs: number, pairOf: Int32Array, x: Float32Array, batch: number): number {
  for (let r = 0; r < batch; r++) {
    const pair = pairOf[r]!;
    const v = x[r]!;
    if (!(pair >= 0 && pair < pairs) || v - v !== 0) return r;
  }
  // One pass over the table instead of one per row: pairs usually repeat across rows.
  const finiteRow = new Uint8Array(pairs);
  for (let p = 0; p < pairs; p++) {
    let sum = 0;
    for (let j = p * width; j < (p + 1) * width; j++) sum += offsets[j]! - offsets[j]!;
    finiteRow[p] = sum === 0 ? 1 : 0;
  }
  for (let r = 0; r < batch; r++) if (finiteRow[pairOf[r]!] === 0) return r;
  return -1;
}

/** Throws the InputError for a row reported by firstBadOffsetRow or the addon (row >= 0). */
function rejectOffsetRow(offsets: Float32Array, width: number, pairs: number, pairOf: Int32Array, x: Float32Array, row: number): void {
  if (row < 0) return;
  const pair = pairOf[row]!;
  if (!(pair >= 0 && pair < pairs)) {
    throw new InputError(`pairOf[${row}]`, pair, `an integer in [0, ${pairs}) (a row of offsets)`);
  }
  if (x[row]! - x[row]! !== 0) throw new InputError(`x[${row}]`, x[row], 'a finite number');
  for (let j = 0; j < width; j++) {
    const at = pair * width + j;
    if (offsets[at]! - offsets[at]! !== 0) {
      throw new InputError(`offsets[${at}]`, offsets[at], `a finite number (row ${pair} is used by pairOf[${row}])`);
    }
  }
  throw new InputError(`x[${row}]`, x[row], 'a value whose first-layer pre-activation (offsets row + x × W1 row) is finite in float32');
}

export function resolveThreads(threads: number | undefined): number {
  if (threads !== undefined) {
    if (!isPositiveInteger(threads)) throw new InputError('options.threads', threads, 'a positive integer');
    return threads;
  }
  const fromEnv = Number(process.env.NS3TS_NATIVE_THREADS ?? '');
  return isPositiveInteger(fromEnv) ? fromEnv : 0; // 0: the addon uses every hardware thread
}

export function resolveImpl(choice: MlpImplChoice | undefined): 'native' | 'ts' {
  const state = loadState();
  if (choice === undefined || choice === 'auto') return state.addon ? 'native' : 'ts';
  if (choice === 'ts') return 'ts';
  if (choice === 'native') {
    if (!state.addon) throw new InputError('options.impl', 'native', `the TypeScript implementation or an active addon (${state.reason})`);
    return 'native';
  }
  throw new InputError('options.impl', choice, "'auto', 'native' or 'ts'");
}

function toNativeLayers(spec: MlpSpec) {
  return spec.layers.map((layer) => ({
    inSize: layer.inSize,
    outSize: layer.outSize,
    weights: layer.weights,
    bias: layer.bias,
    activation: layer.activation,
  }));
}

/**
 * Builds a runner for `spec` (validated: sizes chain, weight and bias lengths match, values are
 * finite, activations known). Results of the native and TS implementations agree to ~1e-6
 * relative (float32 accumulation order differs).
 */
export function createMlpRunner(spec: MlpSpec, options: MlpRunnerOptions = {}): MlpRunner {
  validateMlpSpec(spec);
  const impl = resolveImpl(options.impl);
  const loaded: LoadedMlp = { spec, threads: resolveThreads(options.threads) };
  loadWeights(loaded, impl, spec);
  // Arrow functions, not methods: a runner's functions may be passed around detached.
  return {
    impl,
    get inputSize() {
      return loaded.spec.layers[0]!.inSize;
    },
    get outputSize() {
      return outputSizeOf(loaded.spec);
    },
    get firstLayerSize() {
      return loaded.spec.layers[0]!.outSize;
    },
    forward: (input, batch, out) => runForward(loaded, input, batch, out),
    forwardWithInputGradient: (input, batch, gradientOptions = {}) => runForwardWithInputGradient(loaded, input, batch, gradientOptions),
    firstLayerOffsets: (templates, pairs, inputIndex, out) => runFirstLayerOffsets(loaded, templates, pairs, inputIndex, out),
    forwardWithInputGradientFromOffsets: (offsets, pairOf, x, batch, offsetOptions) =>
      runForwardWithInputGradientFromOffsets(loaded, offsets, pairOf, x, batch, offsetOptions),
    setWeights(next) {
      validateMlpSpec(next);
      loadWeights(loaded, impl, next);
    },
  };
}

/** A runner's state: the current (validated) spec, the thread limit and the loaded implementation. */
interface LoadedMlp {
  spec: MlpSpec;
  threads: number;
  native?: NativeMlp;
  ts?: TsMlp;
}

function outputSizeOf(spec: MlpSpec): number {
  return spec.layers[spec.layers.length - 1]!.outSize;
}

/** Whether two specs have the same layer sizes and activations (their weights may differ). */
function sameShape(a: MlpSpec, b: MlpSpec): boolean {
  return a.layers.length === b.layers.length && a.layers.every((l, i) => {
    const m = b.layers[i]!;
    return l.inSize === m.inSize && l.outSize === m.outSize && l.activation === m.activation;
  });
}

/**
 * Loads `spec`'s weights into the implementation; the spec becomes current only once loaded. The
 * native network takes new weights of the same shape in place: the agents reload their actors
 * after every update, and a new network per reload would leave the old one's native memory to the
 * garbage collector's finalizers.
 */
function loadWeights(loaded: LoadedMlp, impl: 'native' | 'ts', spec: MlpSpec): void {
  if (impl === 'native') {
    if (loaded.native && sameShape(loaded.spec, spec)) loaded.native.setWeights(toNativeLayers(spec));
    else loaded.native = new (loadState().addon!.Mlp)(toNativeLayers(spec));
  } else if (loaded.ts) loaded.ts.setWeights(spec);
  else loaded.ts = new TsMlp(spec);
  loaded.spec = spec;
}

/** Throws unless `value` is an integer in [0, size). */
function checkIndex(field: string, value: number, size: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value < size)) throw new InputError(field, value, `an integer in [0, ${size})`);
}

function runForward(loaded: LoadedMlp, input: Float32Array, batch: number, out: Float32Array | undefined): Float32Array {
  checkBatch(batch);
  const inSize = loaded.spec.layers[0]!.inSize;
  const outSize = outputSizeOf(loaded.spec);
  checkArray(input, 'input', batch * inSize);
  const result = out ?? new Float32Array(batch * outSize);
  checkArray(result, 'out', batch * outSize);
  if (batch === 0) return result;
  if (loaded.native) {
    // The addon checks the input while it runs and reports the first non-finite element.
    rejectNonFinite(input, loaded.native.forward(input, batch, result, loaded.threads));
  } else {
    checkFinite(input, 'input');
    loaded.ts!.forward(input, batch, result);
  }
  return result;
}

function runForwardWithInputGradient(loaded: LoadedMlp, input: Float32Array, batch: number, options: InputGradientOptions): ForwardWithGradient {
  checkBatch(batch);
  const inSize = loaded.spec.layers[0]!.inSize;
  const outSize = outputSizeOf(loaded.spec);
  checkArray(input, 'input', batch * inSize);
  // -1 tells both implementations to return the full input gradient.
  const inputIndex = options.inputIndex ?? -1;
  const outputIndex = options.outputIndex ?? 0;
  if (options.inputIndex !== undefined) checkIndex('options.inputIndex', options.inputIndex, inSize);
  checkIndex('options.outputIndex', outputIndex, outSize);
  const gradientLength = inputIndex >= 0 ? batch : batch * inSize;
  const output = options.output ?? new Float32Array(batch * outSize);
  const gradient = options.gradient ?? new Float32Array(gradientLength);
  checkArray(output, 'options.output', batch * outSize);
  checkArray(gradient, 'options.gradient', gradientLength);
  if (batch > 0) {
    if (loaded.native) {
      const bad = loaded.native.forwardWithInputGradient(input, batch, output, gradient, inputIndex, outputIndex, loaded.threads);
      rejectNonFinite(input, bad);
    } else {
      checkFinite(input, 'input');
      loaded.ts!.forwardWithInputGradient(input, batch, output, gradient, inputIndex, outputIndex);
    }
  }
  return { output, gradient };
}

function runFirstLayerOffsets(loaded: LoadedMlp, templates: Float32Array, pairs: number, inputIndex: number, out: Float32Array | undefined): Float32Array {
  checkBatch(pairs, 'pairs');
  const inSize = loaded.spec.layers[0]!.inSize;
  const width = loaded.spec.layers[0]!.outSize;
  checkIndex('inputIndex', inputIndex, inSize);
  checkArray(templates, 'templates', pairs * inSize);
  const result = out ?? new Float32Array(pairs * width);
  checkArray(result, 'out', pairs * width);
  if (pairs === 0) return result;
  if (loaded.native) {
    const bad = loaded.native.firstLayerOffsets(templates, pairs, inputIndex, result, loaded.threads);
    if (bad >= 0) throw new InputError(`templates[${bad}]`, templates[bad], 'a finite number');
  } else {
    // Column inputIndex is never read, so it may hold anything.
    for (let k = 0; k < templates.length; k++) {
      const v = templates[k]!;
      if (v - v !== 0 && k % inSize !== inputIndex) throw new InputError(`templates[${k}]`, v, 'a finite number');
    }
    loaded.ts!.firstLayerOffsets(templates, pairs, inputIndex, result);
  }
  return result;
}

/** The number of template rows in `offsets` ([pairs, width]), after checking its type and length. */
function offsetPairs(offsets: Float32Array, width: number): number {
  if (!(offsets instanceof Float32Array)) throw new InputError('offsets', offsets, `a Float32Array of length pairs × ${width}`);
  if (offsets.length % width !== 0) {
    throw new InputError('offsets.length', offsets.length, `a multiple of ${width} (pairs × the first layer's width)`);
  }
  return offsets.length / width;
}

function runForwardWithInputGradientFromOffsets(
  loaded: LoadedMlp,
  offsets: Float32Array,
  pairOf: Int32Array,
  x: Float32Array,
  batch: number,
  options: OffsetGradientOptions,
): ForwardWithGradient {
  checkBatch(batch);
  const inSize = loaded.spec.layers[0]!.inSize;
  const outSize = outputSizeOf(loaded.spec);
  const width = loaded.spec.layers[0]!.outSize;
  if (typeof options !== 'object' || options === null) throw new InputError('options', options, 'an object with inputIndex');
  const { inputIndex } = options;
  const outputIndex = options.outputIndex ?? 0;
  checkIndex('options.inputIndex', inputIndex, inSize);
  checkIndex('options.outputIndex', outputIndex, outSize);
  const pairs = offsetPairs(offsets, width);
  checkInt32Array(pairOf, 'pairOf', batch);
  checkArray(x, 'x', batch);
  const output = options.output ?? new Float32Array(batch * outSize);
  const gradient = options.gradient ?? new Float32Array(batch);
  checkArray(output, 'options.output', batch * outSize);
  checkArray(gradient, 'options.gradient', batch);
  if (batch === 0) return { output, gradient };
  if (loaded.native) {
    // The addon checks each row (pair index in range, finite x and offsets) before using it.
    const bad = loaded.native.forwardWithInputGradientFromOffsets(offsets, pairs, pairOf, x, batch, output, gradient, inputIndex, outputIndex, loaded.threads);
    rejectOffsetRow(offsets, width, pairs, pairOf, x, bad);
  } else {
    rejectOffsetRow(offsets, width, pairs, pairOf, x, firstBadOffsetRow(offsets, width, pairs, pairOf, x, batch));
    loaded.ts!.forwardWithInputGradientFromOffsets(offsets, pairOf, x, batch, output, gradient, inputIndex, outputIndex);
  }
  return { output, gradient };
}

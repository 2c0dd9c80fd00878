/**
 * The pure-TypeScript kernels: the reference the native addon is tested against and what runs
 * when the addon is not built (or NS3TS_NATIVE=off). Inputs are validated by the callers in
 * runner.ts / kernels.ts; these functions assume consistent shapes.
 */
import { projectBoxSimplex, projectSimplex } from '../constraints/index.js';
import type { Activation, MlpSpec } from './mlp-spec.js';

/** Scratch buffers reused across calls (sized for the widest layer). */
interface Scratch {
  /** Per-layer activations of one row (index 0 = input, l + 1 = output of layer l). */
  activations: Float64Array[];
  /** Back-propagated deltas of one row, per layer. */
  deltas: Float64Array[];
}

function makeScratch(spec: MlpSpec): Scratch {
  const activations = [new Float64Array(spec.layers[0]!.inSize)];
  const deltas: Float64Array[] = [];
  for (const layer of spec.layers) {
    activations.push(new Float64Array(layer.outSize));
    deltas.push(new Float64Array(layer.outSize));
  }
  return { activations, deltas };
}

function activate(kind: Activation, z: number): number {
  switch (kind) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    default:
      return z;
  }
}

/** d act / d z expressed through the activation value a = act(z) (what back-propagation keeps). */
function activationSlope(kind: Activation, a: number): number {
  switch (kind) {
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'tanh':
      return 1 - a * a;
    case 'sigmoid':
      return a * (1 - a);
    default:
      return 1;
  }
}

/** One row through the network; fills scratch.activations. */
function forwardRow(spec: MlpSpec, scratch: Scratch, input: Float32Array, rowOffset: number): void {
  const first = scratch.activations[0]!;
  for (let i = 0; i < first.length; i++) first[i] = input[rowOffset + i]!;
  for (let l = 0; l < spec.layers.length; l++) {
    const layer = spec.layers[l]!;
    const x = scratch.activations[l]!;
    const y = scratch.activations[l + 1]!;
    const { inSize, outSize, weights, bias } = layer;
    for (let j = 0; j < outSize; j++) y[j] = bias[j]!;
    for (let i = 0; i < inSize; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const base = i * outSize;
      for (let j = 0; j < outSize; j++) y[j] += xi * weights[base + j]!;
    }
    const kind = layer.activation;
    if (kind !== 'linear') for (let j = 0; j < outSize; j++) y[j] = activate(kind, y[j]!);
  }
}

/** The TypeScript MLP: same results as the native one (float64 accumulation, float32 storage). */
export class TsMlp {
  private scratch: Scratch;

  constructor(private spec: MlpSpec) {
    this.scratch = makeScratch(spec);
  }

  setWeights(spec: MlpSpec): void {
    this.spec = spec;
    this.scratch = makeScratch(spec);
  }

  forward(input: Float32Array, batch: number, out: Float32Array): void {
    const inSize = this.spec.layers[0]!.inSize;
    const result = this.scratch.activations[this.spec.layers.length]!;
    const outSize = result.length;
    for (let r = 0; r < batch; r++) {
      forwardRow(this.spec, this.scratch, input, r * inSize);
      for (let j = 0; j < outSize; j++) out[r * outSize + j] = result[j]!;
    }
  }

  /** inputIndex < 0: gradient [batch, inSize]; else gradient [batch] for that input column. */
  forwardWithInputGradient(
    input: Float32Array,
    batch: number,
    output: Float32Array,
    gradient: Float32Array,
    inputIndex: number,
    outputIndex: number,
  ): void {
    const { layers } = this.spec;
    const depth = layers.length;
    const inSize = layers[0]!.inSize;
    const { activations, deltas } = this.scratch;
    const result = activations[depth]!;
    const outSize = result.length;
    for (let r = 0; r < batch; r++) {
      forwardRow(this.spec, this.scratch, input, r * inSize);
      for (let j = 0; j < outSize; j++) output[r * outSize + j] = result[j]!;
      // Seed: d out[outputIndex] / d z_last.
      const last = deltas[depth - 1]!;
      last.fill(0);
      last[outputIndex] = activationSlope(layers[depth - 1]!.activation, result[outputIndex]!);
      for (let l = depth - 1; l >= 1; l--) {
        const { inSize: n, outSize: m, weights } = layers[l]!;
        const delta = deltas[l]!;
        const below = deltas[l - 1]!;
        const a = activations[l]!;
        const kind = layers[l - 1]!.activation;
        for (let i = 0; i < n; i++) {
          let s = 0;
          const base = i * m;
          for (let j = 0; j < m; j++) s += weights[base + j]! * delta[j]!;
          below[i] = s * activationSlope(kind, a[i]!);
        }
      }
      const { outSize: m, weights } = layers[0]!;
      const delta = deltas[0]!;
      if (inputIndex >= 0) {
        let s = 0;
        const base = inputIndex * m;
        for (let j = 0; j < m; j++) s += weights[base + j]! * delta[j]!;
        gradient[r] = s;
      } else {
        for (let i = 0; i < inSize; i++) {
          let s = 0;
          const base = i * m;
          for (let j = 0; j < m; j++) s += weights[base + j]! * delta[j]!;
          gradient[r * inSize + i] = s;
        }
      }
    }
  }
}

type Floats = Float32Array | Float64Array;

function budgetOf(budget: number | Float64Array, row: number): number {
  return typeof budget === 'number' ? budget : budget[row]!;
}

/** Row-wise projection onto {x >= 0, sum x <= a} (or = a), via the constraints module. */
export function tsProjectSimplexBatch(
  values: Floats,
  rows: number,
  cols: number,
  budget: number | Float64Array,
  out: Floats,
  equality: boolean,
): void {
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) row[c] = values[base + c]!;
    projectSimplex(row, budgetOf(budget, r), equality, row);
    for (let c = 0; c < cols; c++) out[base + c] = row[c]!;
  }
}

/** Row-wise projection onto {l <= x <= u, sum x <= a}; lower/upper have length cols or rows*cols. */
export function tsProjectBoxSimplexBatch(
  values: Floats,
  lower: Floats,
  upper: Floats,
  rows: number,
  cols: number,
  budget: number | Float64Array,
  out: Floats,
): void {
  const row = new Float64Array(cols);
  const low = new Float64Array(cols);
  const high = new Float64Array(cols);
  const result = new Float64Array(cols);
  const lowerStride = lower.length === cols ? 0 : cols;
  const upperStride = upper.length === cols ? 0 : cols;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      row[c] = values[base + c]!;
      low[c] = lower[r * lowerStride + c]!;
      high[c] = upper[r * upperStride + c]!;
    }
    projectBoxSimplex(row, low, high, budgetOf(budget, r), result);
    for (let c = 0; c < cols; c++) out[base + c] = result[c]!;
  }
}

/**
 * One ADMM z-step and scaled dual update per row: z = Proj(x + u), u += x - z; residual norms
 * |x - z| and rho |z - zPrev| (zPrev is what `z` holds on entry).
 */
export function tsAdmmZDualBatch(
  x: Floats,
  u: Floats,
  z: Floats,
  rows: number,
  cols: number,
  budget: number | Float64Array,
  rho: number,
  primal: Float64Array,
  dual: Float64Array,
): void {
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) row[c] = x[base + c]! + u[base + c]!;
    projectSimplex(row, budgetOf(budget, r), false, row);
    let primalSq = 0;
    let dualSq = 0;
    for (let c = 0; c < cols; c++) {
      const zNew = row[c]!;
      const xValue = x[base + c]!;
      const change = zNew - z[base + c]!;
      const gap = xValue - zNew;
      primalSq += gap * gap;
      dualSq += change * change;
      u[base + c] = u[base + c]! + gap;
      z[base + c] = zNew;
    }
    primal[r] = Math.sqrt(primalSq);
    dual[r] = rho * Math.sqrt(dualSq);
  }
}

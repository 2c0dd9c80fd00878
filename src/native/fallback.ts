/**
 * The pure-TypeScript kernels: the reference the native addon is tested against and what runs
 * when the addon is not built (or NS3TS_NATIVE=off). Inputs are validated by the callers in
 * runner.ts; these functions assume consistent shapes.
 */
import type { Activation, DenseLayerSpec, MlpSpec } from './mlp-spec.js';

/** Rows processed together: each weight loaded once per block instead of once per row. */
const BLOCK = 4;

/** Per-layer activations and deltas for a block of rows, [BLOCK × width] each (float64). */
interface Scratch {
  /** Index 0 = the block's input rows, l + 1 = output of layer l. */
  activations: Float64Array[];
  deltas: Float64Array[];
}

function makeScratch(spec: MlpSpec): Scratch {
  const activations = [new Float64Array(BLOCK * spec.layers[0]!.inSize)];
  const deltas: Float64Array[] = [];
  for (const layer of spec.layers) {
    activations.push(new Float64Array(BLOCK * layer.outSize));
    deltas.push(new Float64Array(BLOCK * layer.outSize));
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

/**
 * y[r, :] = act(b + sum_i x[r, i] W[i, :]) for `rows` <= BLOCK rows, summing over i in order
 * (float64). Four rows share each weight load.
 */
function denseBlock(x: Float64Array, y: Float64Array, rows: number, layer: DenseLayerSpec): void {
  const { inSize: n, outSize: m, weights, bias, activation } = layer;
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) y[r * m + j] = bias[j]!;
  if (rows === BLOCK) {
    for (let i = 0; i < n; i++) {
      const x0 = x[i]!;
      const x1 = x[n + i]!;
      const x2 = x[2 * n + i]!;
      const x3 = x[3 * n + i]!;
      const base = i * m;
      for (let j = 0; j < m; j++) {
        const w = weights[base + j]!;
        y[j]! += x0 * w;
        y[m + j]! += x1 * w;
        y[2 * m + j]! += x2 * w;
        y[3 * m + j]! += x3 * w;
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const xi = x[r * n + i]!;
        const base = i * m;
        const at = r * m;
        for (let j = 0; j < m; j++) y[at + j]! += xi * weights[base + j]!;
      }
    }
  }
  if (activation !== 'linear') for (let k = 0; k < rows * m; k++) y[k] = activate(activation, y[k]!);
}

/** out[r, i] = sum_j W[i, j] delta[r, j] for `rows` rows (W is [n, m] row-major). */
function backBlock(delta: Float64Array, out: Float64Array, rows: number, weights: Float32Array, n: number, m: number): void {
  if (rows === BLOCK) {
    for (let i = 0; i < n; i++) {
      const base = i * m;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < m; j++) {
        const w = weights[base + j]!;
        s0 += w * delta[j]!;
        s1 += w * delta[m + j]!;
        s2 += w * delta[2 * m + j]!;
        s3 += w * delta[3 * m + j]!;
      }
      out[i] = s0;
      out[n + i] = s1;
      out[2 * n + i] = s2;
      out[3 * n + i] = s3;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        const base = i * m;
        for (let j = 0; j < m; j++) s += weights[base + j]! * delta[r * m + j]!;
        out[r * n + i] = s;
      }
    }
  }
}

/** The TypeScript MLP: same results as the native one to ~1e-6 (float64 accumulation, float32 storage). */
export class TsMlp {
  private scratch: Scratch;

  constructor(private spec: MlpSpec) {
    this.scratch = makeScratch(spec);
  }

  setWeights(spec: MlpSpec): void {
    this.spec = spec;
    this.scratch = makeScratch(spec);
  }

  /** Runs rows [row0, row0 + rows) forward; the block's activations stay in the scratch. */
  private forwardBlock(input: Float32Array, row0: number, rows: number): void {
    const { layers } = this.spec;
    const { activations } = this.scratch;
    const inSize = layers[0]!.inSize;
    const first = activations[0]!;
    const offset = row0 * inSize;
    for (let k = 0; k < rows * inSize; k++) first[k] = input[offset + k]!;
    for (let l = 0; l < layers.length; l++) denseBlock(activations[l]!, activations[l + 1]!, rows, layers[l]!);
  }

  forward(input: Float32Array, batch: number, out: Float32Array): void {
    const { layers } = this.spec;
    const outSize = layers[layers.length - 1]!.outSize;
    const result = this.scratch.activations[layers.length]!;
    for (let row0 = 0; row0 < batch; row0 += BLOCK) {
      const rows = Math.min(BLOCK, batch - row0);
      this.forwardBlock(input, row0, rows);
      const offset = row0 * outSize;
      for (let k = 0; k < rows * outSize; k++) out[offset + k] = result[k]!;
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
    for (let row0 = 0; row0 < batch; row0 += BLOCK) {
      const rows = Math.min(BLOCK, batch - row0);
      this.forwardBlock(input, row0, rows);
      this.backwardBlock(row0, rows, output, gradient, inputIndex, outputIndex);
    }
  }

  /**
   * offsets[pairs, H1] (H1 = the first layer's outSize) = b1 + sum_{i != inputIndex}
   * templates[p, i] W1[i, :]; column inputIndex of templates is not read.
   */
  firstLayerOffsets(templates: Float32Array, pairs: number, inputIndex: number, offsets: Float32Array): void {
    const { inSize: n, outSize: m, weights, bias } = this.spec.layers[0]!;
    const row = new Float64Array(m);
    for (let p = 0; p < pairs; p++) {
      for (let j = 0; j < m; j++) row[j] = bias[j]!;
      for (let i = 0; i < n; i++) {
        if (i === inputIndex) continue;
        const t = templates[p * n + i]!;
        const base = i * m;
        for (let j = 0; j < m; j++) row[j]! += t * weights[base + j]!;
      }
      for (let j = 0; j < m; j++) offsets[p * m + j] = row[j]!;
    }
  }

  /**
   * forwardWithInputGradient (one input column) where row r's first-layer pre-activation is
   * offsets[pairOf[r], :] + x[r] W1[inputIndex, :]. pairOf values must be valid rows of offsets.
   */
  forwardWithInputGradientFromOffsets(
    offsets: Float32Array,
    pairOf: Int32Array,
    x: Float32Array,
    batch: number,
    output: Float32Array,
    gradient: Float32Array,
    inputIndex: number,
    outputIndex: number,
  ): void {
    const { layers } = this.spec;
    const { activations } = this.scratch;
    const { outSize: m, weights, activation } = layers[0]!;
    const first = activations[1]!;
    const base = inputIndex * m;
    for (let row0 = 0; row0 < batch; row0 += BLOCK) {
      const rows = Math.min(BLOCK, batch - row0);
      for (let r = 0; r < rows; r++) {
        const offset = pairOf[row0 + r]! * m;
        const xr = x[row0 + r]!;
        for (let j = 0; j < m; j++) first[r * m + j] = offsets[offset + j]! + xr * weights[base + j]!;
      }
      if (activation !== 'linear') for (let k = 0; k < rows * m; k++) first[k] = activate(activation, first[k]!);
      for (let l = 1; l < layers.length; l++) denseBlock(activations[l]!, activations[l + 1]!, rows, layers[l]!);
      this.backwardBlock(row0, rows, output, gradient, inputIndex, outputIndex);
    }
  }

  /**
   * Copies the forward values of the block in the scratch to output and back-propagates
   * d out[outputIndex]: gradient [batch] for column inputIndex >= 0, else [batch, inSize].
   */
  private backwardBlock(
    row0: number,
    rows: number,
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
    const outSize = layers[depth - 1]!.outSize;
    const lastKind = layers[depth - 1]!.activation;
    for (let k = 0; k < rows * outSize; k++) output[row0 * outSize + k] = result[k]!;
    // Seed: d out[outputIndex] / d z_last, then back through the layers: delta_{l-1} =
    // (W_l delta_l) * act'_{l-1}.
    const last = deltas[depth - 1]!;
    last.fill(0);
    for (let r = 0; r < rows; r++) last[r * outSize + outputIndex] = activationSlope(lastKind, result[r * outSize + outputIndex]!);
    for (let l = depth - 1; l >= 1; l--) {
      const { inSize: n, outSize: m, weights } = layers[l]!;
      const below = deltas[l - 1]!;
      backBlock(deltas[l]!, below, rows, weights, n, m);
      const a = activations[l]!;
      const kind = layers[l - 1]!.activation;
      if (kind !== 'linear') for (let k = 0; k < rows * n; k++) below[k] = below[k]! * activationSlope(kind, a[k]!);
    }
    const { outSize: m, weights } = layers[0]!;
    const delta = deltas[0]!;
    if (inputIndex >= 0) {
      const base = inputIndex * m;
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += weights[base + j]! * delta[r * m + j]!;
        gradient[row0 + r] = s;
      }
    } else {
      const full = activations[0]!; // the block's inputs are no longer needed: reuse as output
      backBlock(delta, full, rows, weights, inSize, m);
      for (let k = 0; k < rows * inSize; k++) gradient[row0 * inSize + k] = full[k]!;
    }
  }
}

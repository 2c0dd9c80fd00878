/**
 * The training engine in TypeScript, for where the addon is absent: the same operations as
 * native/src/trainer.cc on the same buffers. Products accumulate in float64 (the addon in float32
 * through oneDNN or its own kernels), so forward/backward agree to ~1e-6 relative; the optimizer
 * (float32 per parameter, through Math.fround), clipping and target updates (float64) use the same
 * operations in the same order and give bit-identical parameters from identical gradients.
 */
import { InputError } from '../util/index.js';
import type { Activation } from './mlp-spec.js';

export interface TrainerLayerShape {
  inSize: number;
  outSize: number;
  activation: Activation;
}

/** The buffers a trainer works on (layout: per layer W row-major [inSize, outSize], then b). */
export interface TrainerBuffers {
  params: Float32Array;
  grads: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  /** [1]: Adam steps taken. */
  step: Float64Array;
  output: Float32Array;
  outputGradient: Float32Array;
  inputGradient: Float32Array;
}

/** What the native addon's MlpTrainer and TsTrainerCore both implement (arguments already checked). */
export interface TrainerCore {
  readonly batch: number;
  forward(input: Float32Array, batch: number, threads: number): void;
  /** kind 0 = MSE, 1 = Huber. */
  loss(kind: number, target: Float32Array, huberDelta: number): number;
  /** Input-gradient columns [inputFrom, inputFrom + inputCount) go compact into inputGradient (count 0: none). */
  backward(gradOutput: Float32Array, weights: boolean, accumulate: boolean, inputFrom: number, inputCount: number, threads: number): void;
  zeroGradients(): void;
  clipGradientNorm(maxNorm: number): number;
  adamStep(learningRate: number, beta1: number, beta2: number, epsilon: number, weightDecay: number, decoupled: boolean): void;
  softUpdate(source: Float32Array, tau: number): void;
}

/** base^exponent by repeated squaring (the addon's powInteger: the same operations). */
export function powInteger(base: number, exponent: number): number {
  let result = 1;
  let square = base;
  let e = exponent;
  while (e > 0) {
    if (e % 2 === 1) result *= square;
    square *= square;
    e = Math.floor(e / 2);
  }
  return result;
}

function firstNonFinite(values: Float32Array, count: number): number {
  for (let i = 0; i < count; i++) if (values[i]! - values[i]! !== 0) return i;
  return -1;
}

/** Throws an InputError naming field[i] at the first NaN or infinity among values[0, count). */
export function rejectNonFinite(field: string, values: Float32Array, count: number): void {
  const bad = firstNonFinite(values, count);
  if (bad >= 0) throw new InputError(`${field}[${bad}]`, values[bad], 'a finite number');
}

function activate(kind: Activation, y: Float32Array, bias: Float32Array, biasOffset: number, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) {
      const z = y[row + j]! + bias[biasOffset + j]!;
      y[row + j] = kind === 'relu' ? (z > 0 ? z : 0) : kind === 'tanh' ? Math.tanh(z) : kind === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : z;
    }
  }
}

function multiplySlope(kind: Activation, delta: Float32Array, a: Float32Array, count: number): void {
  if (kind === 'relu') for (let i = 0; i < count; i++) delta[i] = a[i]! > 0 ? delta[i]! : 0;
  else if (kind === 'tanh') for (let i = 0; i < count; i++) delta[i] = delta[i]! * (1 - a[i]! * a[i]!);
  else if (kind === 'sigmoid') for (let i = 0; i < count; i++) delta[i] = delta[i]! * a[i]! * (1 - a[i]!);
}

interface Layer extends TrainerLayerShape {
  weightOffset: number;
  biasOffset: number;
}

export class TsTrainerCore implements TrainerCore {
  batch = 0;
  private readonly layers: Layer[] = [];
  private readonly input: Float32Array;
  private readonly activations: Float32Array[];
  private delta: Float32Array;
  private next: Float32Array;
  private readonly row: Float64Array;

  constructor(
    shapes: readonly TrainerLayerShape[],
    private readonly maxBatch: number,
    private readonly buffers: TrainerBuffers,
  ) {
    let offset = 0;
    let widest = 0;
    for (const shape of shapes) {
      const weightOffset = offset;
      offset += shape.inSize * shape.outSize;
      this.layers.push({ ...shape, weightOffset, biasOffset: offset });
      offset += shape.outSize;
      widest = Math.max(widest, shape.inSize, shape.outSize);
    }
    this.input = new Float32Array(maxBatch * shapes[0]!.inSize);
    this.activations = shapes.map((s) => new Float32Array(maxBatch * s.outSize));
    this.delta = new Float32Array(maxBatch * widest);
    this.next = new Float32Array(maxBatch * widest);
    this.row = new Float64Array(widest);
  }

  forward(input: Float32Array, batch: number): void {
    const first = this.layers[0]!;
    rejectNonFinite('input', input, batch * first.inSize);
    this.input.set(input.subarray(0, batch * first.inSize));
    this.batch = batch;
    const p = this.buffers.params;
    let x = this.input;
    for (let l = 0; l < this.layers.length; l++) {
      const { inSize, outSize, weightOffset, biasOffset, activation } = this.layers[l]!;
      const y = this.activations[l]!;
      const acc = this.row;
      for (let r = 0; r < batch; r++) {
        acc.fill(0, 0, outSize);
        for (let i = 0; i < inSize; i++) {
          const xv = x[r * inSize + i]!;
          if (xv === 0) continue;
          const w = weightOffset + i * outSize;
          for (let j = 0; j < outSize; j++) acc[j] = acc[j]! + xv * p[w + j]!;
        }
        for (let j = 0; j < outSize; j++) y[r * outSize + j] = acc[j]!;
      }
      activate(activation, y, p, biasOffset, batch, outSize);
      x = y;
    }
    const out = this.layers[this.layers.length - 1]!.outSize;
    this.buffers.output.set(x.subarray(0, batch * out));
  }

  loss(kind: number, target: Float32Array, huberDelta: number): number {
    const count = this.batch * this.layers[this.layers.length - 1]!.outSize;
    rejectNonFinite('target', target, count);
    const y = this.activations[this.activations.length - 1]!;
    const grad = this.buffers.outputGradient;
    const scale = count > 0 ? 1 / count : 0;
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const d = y[i]! - target[i]!;
      if (kind === 0) {
        sum += d * d;
        grad[i] = 2 * d * scale;
      } else if (Math.abs(d) <= huberDelta) {
        sum += 0.5 * d * d;
        grad[i] = d * scale;
      } else {
        sum += huberDelta * (Math.abs(d) - 0.5 * huberDelta);
        grad[i] = (d > 0 ? huberDelta : -huberDelta) * scale;
      }
    }
    return sum * scale;
  }

  backward(gradOutput: Float32Array, weights: boolean, accumulate: boolean, inputFrom: number, inputCount: number): void {
    const batch = this.batch;
    const last = this.layers[this.layers.length - 1]!;
    rejectNonFinite('gradOutput', gradOutput, batch * last.outSize);
    const p = this.buffers.params;
    const g = this.buffers.grads;
    let delta = this.delta;
    let next = this.next;
    delta.set(gradOutput.subarray(0, batch * last.outSize));
    multiplySlope(last.activation, delta, this.activations[this.layers.length - 1]!, batch * last.outSize);
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { inSize, outSize, weightOffset, biasOffset } = this.layers[l]!;
      const x = l === 0 ? this.input : this.activations[l - 1]!;
      if (weights) {
        // dW[i, :] = sum_r x[r, i] delta[r, :] (rows in order), db = column sums of delta.
        const acc = this.row;
        for (let i = 0; i < inSize; i++) {
          acc.fill(0, 0, outSize);
          for (let r = 0; r < batch; r++) {
            const xv = x[r * inSize + i]!;
            if (xv === 0) continue;
            for (let j = 0; j < outSize; j++) acc[j] = acc[j]! + xv * delta[r * outSize + j]!;
          }
          const w = weightOffset + i * outSize;
          for (let j = 0; j < outSize; j++) g[w + j] = accumulate ? g[w + j]! + acc[j]! : acc[j]!;
        }
        if (!accumulate) g.fill(0, biasOffset, biasOffset + outSize);
        for (let r = 0; r < batch; r++) for (let j = 0; j < outSize; j++) g[biasOffset + j] = g[biasOffset + j]! + delta[r * outSize + j]!;
      }
      if (l === 0 && inputCount === 0) break;
      // dX[r, i] = sum_j delta[r, j] W[i, j]; at the input only columns from..from+count, compact.
      const target = l === 0 ? this.buffers.inputGradient : next;
      const from = l === 0 ? inputFrom : 0;
      const count = l === 0 ? inputCount : inSize;
      for (let r = 0; r < batch; r++) {
        for (let i = 0; i < count; i++) {
          let sum = 0;
          const w = weightOffset + (from + i) * outSize;
          for (let j = 0; j < outSize; j++) sum += delta[r * outSize + j]! * p[w + j]!;
          target[r * count + i] = sum;
        }
      }
      if (l === 0) break;
      multiplySlope(this.layers[l - 1]!.activation, next, this.activations[l - 1]!, batch * inSize);
      [delta, next] = [next, delta];
    }
    this.delta = delta;
    this.next = next;
  }

  zeroGradients(): void {
    this.buffers.grads.fill(0);
  }

  clipGradientNorm(maxNorm: number): number {
    const g = this.buffers.grads;
    let squares = 0;
    for (let i = 0; i < g.length; i++) squares += g[i]! * g[i]!;
    const norm = Math.sqrt(squares);
    if (norm > maxNorm) {
      const scale = maxNorm / norm;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * scale;
    }
    return norm;
  }

  adamStep(learningRate: number, beta1: number, beta2: number, epsilon: number, weightDecay: number, decoupled: boolean): void {
    const t = this.buffers.step[0]! + 1;
    this.buffers.step[0] = t;
    // PyTorch's form: the bias corrections folded into two scalars, then float32 arithmetic per
    // parameter; Math.fround after every operation gives the float32 result of each (the engine's
    // order, native/src/trainer.cc).
    const f = Math.fround;
    const b1 = f(beta1);
    const b2 = f(beta2);
    const rest1 = f(1 - beta1);
    const rest2 = f(1 - beta2);
    const stepSize = f(learningRate / (1 - powInteger(beta1, t)));
    const scaleV = f(1 / Math.sqrt(1 - powInteger(beta2, t)));
    const decay = f(decoupled ? 1 - learningRate * weightDecay : 1);
    const l2 = f(decoupled ? 0 : weightDecay);
    const eps = f(epsilon);
    const { params: p, adamM: m, adamV: v, grads: g } = this.buffers;
    for (let i = 0; i < p.length; i++) {
      const pi = f(p[i]! * decay);
      const gi = f(g[i]! + f(l2 * p[i]!));
      const mi = f(f(b1 * m[i]!) + f(rest1 * gi));
      const vi = f(f(b2 * v[i]!) + f(f(rest2 * gi) * gi));
      m[i] = mi;
      v[i] = vi;
      p[i] = pi - f(f(stepSize * mi) / f(f(f(Math.sqrt(vi)) * scaleV) + eps));
    }
  }

  softUpdate(source: Float32Array, tau: number): void {
    const p = this.buffers.params;
    if (tau === 1) {
      if (source !== p) p.set(source);
      return;
    }
    for (let i = 0; i < p.length; i++) p[i] = tau * source[i]! + (1 - tau) * p[i]!;
  }
}

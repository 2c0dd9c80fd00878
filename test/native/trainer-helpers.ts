/** References for the trainer tests: a float64 forward for finite differences and TF.js graphs. */
import * as tf from '../../src/agents/tf.js';
import { nativeStatus, type Activation, type LossKind, type MlpSpec, type MlpTrainer } from '../../src/native/index.js';

/** The implementations to test: always 'ts', and 'native' when the addon is active. */
export const impls: Array<'native' | 'ts'> = nativeStatus().active ? ['native', 'ts'] : ['ts'];

function act(kind: Activation, z: number): number {
  if (kind === 'relu') return z > 0 ? z : 0;
  if (kind === 'tanh') return Math.tanh(z);
  if (kind === 'sigmoid') return 1 / (1 + Math.exp(-z));
  return z;
}

/** The trainer's parameters (flat) as layers of float64 numbers. */
export function layersOf(trainer: MlpTrainer, params: ArrayLike<number> = trainer.params): Array<{ w: number[]; b: number[]; inSize: number; outSize: number; activation: Activation }> {
  let offset = 0;
  return trainer.layers.map((l) => {
    const w = Array.from({ length: l.inSize * l.outSize }, (_, i) => params[offset + i]!);
    offset += l.inSize * l.outSize;
    const b = Array.from({ length: l.outSize }, (_, i) => params[offset + i]!);
    offset += l.outSize;
    return { w, b, inSize: l.inSize, outSize: l.outSize, activation: l.activation };
  });
}

/** Mean loss of the MLP given as flat float64 params, in float64 throughout. */
export function lossF64(trainer: MlpTrainer, params: ArrayLike<number>, input: ArrayLike<number>, batch: number, target: ArrayLike<number>, kind: LossKind, huberDelta = 1): number {
  const layers = layersOf(trainer, params);
  let x = Array.from(input).slice(0, batch * trainer.inputSize);
  for (const l of layers) {
    const y = new Array<number>(batch * l.outSize).fill(0);
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < l.outSize; j++) {
        let z = l.b[j]!;
        for (let i = 0; i < l.inSize; i++) z += x[r * l.inSize + i]! * l.w[i * l.outSize + j]!;
        y[r * l.outSize + j] = act(l.activation, z);
      }
    }
    x = y;
  }
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - target[i]!;
    sum += kind === 'mse' ? d * d : Math.abs(d) <= huberDelta ? 0.5 * d * d : huberDelta * (Math.abs(d) - 0.5 * huberDelta);
  }
  return sum / x.length;
}

function tfAct(kind: Activation, z: tf.Tensor2D): tf.Tensor2D {
  if (kind === 'relu') return tf.relu(z);
  if (kind === 'tanh') return tf.tanh(z);
  if (kind === 'sigmoid') return tf.sigmoid(z);
  return z;
}

/** The MLP as a TF.js function of its weights, biases and input. */
export function tfApply(spec: MlpSpec, ws: tf.Tensor2D[], bs: tf.Tensor1D[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  spec.layers.forEach((l, i) => {
    h = tfAct(l.activation, tf.add(tf.matMul(h, ws[i]!), bs[i]!));
  });
  return h;
}

export function tfLoss(kind: LossKind, y: tf.Tensor2D, target: tf.Tensor2D, huberDelta = 1): tf.Scalar {
  return kind === 'mse' ? tf.losses.meanSquaredError(target, y) as tf.Scalar : tf.losses.huberLoss(target, y, undefined, huberDelta) as tf.Scalar;
}

/** Gradients of the TF.js loss: per layer [dW, db], then dInput, all flattened like the trainer's. */
export function tfGradients(spec: MlpSpec, input: Float32Array, batch: number, target: Float32Array, kind: LossKind, huberDelta = 1): { params: Float32Array; input: Float32Array; loss: number } {
  return tf.tidy(() => {
    const ws = spec.layers.map((l) => tf.tensor2d(l.weights, [l.inSize, l.outSize]));
    const bs = spec.layers.map((l) => tf.tensor1d(l.bias));
    const x = tf.tensor2d(input, [batch, spec.layers[0]!.inSize]);
    const t = tf.tensor2d(target, [batch, spec.layers[spec.layers.length - 1]!.outSize]);
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const n = spec.layers.length;
      return tfLoss(kind, tfApply(spec, args.slice(0, n) as tf.Tensor2D[], args.slice(n, 2 * n) as tf.Tensor1D[], args[2 * n] as tf.Tensor2D), t, huberDelta);
    };
    const grads = tf.grads(f)([...ws, ...bs, x]);
    const n = spec.layers.length;
    const parts: number[] = [];
    for (let l = 0; l < n; l++) parts.push(...(grads[l]!.dataSync() as Float32Array), ...(grads[n + l]!.dataSync() as Float32Array));
    return { params: Float32Array.from(parts), input: grads[2 * n]!.dataSync() as Float32Array, loss: f(...ws, ...bs, x).dataSync()[0]! };
  });
}

/** Largest |a - b| / (|b| + floor). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return worst;
}

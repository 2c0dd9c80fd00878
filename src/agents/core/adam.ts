/**
 * Adam with global-norm gradient clipping, over our own variables. Written out (instead of
 * tf.train.adam) so that its moments are plain arrays in checkpoints, independent of TF.js's
 * global variable names — a resumed run continues with exactly the same optimizer state.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamSettings {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the global gradient norm to this (0 = off). */
  clipNorm?: number;
}

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  learningRate: number;

  constructor(
    private readonly vars: tf.Variable[],
    settings: AdamSettings,
  ) {
    this.learningRate = settings.learningRate;
    this.beta1 = settings.beta1 ?? 0.9;
    this.beta2 = settings.beta2 ?? 0.999;
    this.epsilon = settings.epsilon ?? 1e-8;
    this.clipNorm = settings.clipNorm ?? 0;
    this.m = vars.map((p) => tf.variable(tf.zerosLike(p), false));
    this.v = vars.map((p) => tf.variable(tf.zerosLike(p), false));
  }

  /** Computes the gradients of `loss` and applies one step; returns the loss value. */
  minimize(loss: () => tf.Scalar): number {
    let value = 0;
    tf.tidy(() => {
      const { value: lossValue, grads } = tf.variableGrads(loss, this.vars);
      value = lossValue.dataSync()[0]!;
      const list = this.vars.map((p) => grads[p.name] ?? tf.zerosLike(p));
      this.apply(list);
    });
    return value;
  }

  private apply(grads: tf.Tensor[]): void {
    let scaled = grads;
    if (this.clipNorm > 0) {
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      const factor = tf.minimum(tf.scalar(1), tf.div(tf.scalar(this.clipNorm), tf.maximum(norm, tf.scalar(1e-12))));
      scaled = grads.map((g) => tf.mul(g, factor));
    }
    this.t += 1;
    const lr = (this.learningRate * Math.sqrt(1 - this.beta2 ** this.t)) / (1 - this.beta1 ** this.t);
    for (let i = 0; i < this.vars.length; i++) {
      const g = scaled[i]!;
      const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      this.m[i]!.assign(m);
      this.v[i]!.assign(v);
      this.vars[i]!.assign(tf.sub(this.vars[i]!, tf.mul(tf.div(m, tf.add(tf.sqrt(v), this.epsilon)), lr)));
    }
  }

  getState(): { t: number; arrays: Float32Array[] } {
    return { t: this.t, arrays: [...this.m, ...this.v].map((x) => Float32Array.from(x.dataSync() as Float32Array)) };
  }

  setState(t: number, arrays: readonly Float32Array[]): void {
    const all = [...this.m, ...this.v];
    if (arrays.length !== all.length) throw new RangeError(`adam state: got ${arrays.length} arrays, expected ${all.length}`);
    tf.tidy(() => all.forEach((x, i) => x.assign(tf.tensor(arrays[i]!, x.shape))));
    this.t = t;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

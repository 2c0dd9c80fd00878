/**
 * Adam with global-norm gradient clipping, applied on the host: the gradients come back from
 * TensorFlow.js once per step, the moments live in plain Float32Arrays, and the new parameters go
 * back with one upload per variable. For the small networks used here this is much faster than
 * Adam as a chain of tensor ops (per-op overhead dominates), and its state is plain arrays in
 * checkpoints, independent of TF.js's global variable names — a resumed run continues with exactly
 * the same optimizer state.
 */
import * as tf from '../tf.js';

export interface AdamSettings {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the global gradient norm to this (0 = off). */
  clipNorm?: number;
}

export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  /** Host copies of the parameters (kept in sync with the variables by this optimizer). */
  private readonly params: Float32Array[];
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
    this.m = vars.map((p) => new Float32Array(p.size));
    this.v = vars.map((p) => new Float32Array(p.size));
    this.params = vars.map((p) => Float32Array.from(p.dataSync() as Float32Array));
  }

  /** Re-reads the parameters from the variables (after they were set from outside). */
  syncFromVariables(): void {
    this.vars.forEach((p, i) => this.params[i]!.set(p.dataSync() as Float32Array));
  }

  /** Computes the gradients of `loss` and applies one step; returns the loss value before the step. */
  minimize(loss: () => tf.Scalar): number {
    let value = 0;
    const grads: Float32Array[] = [];
    tf.tidy(() => {
      const { value: lossValue, grads: g } = tf.variableGrads(loss, this.vars);
      value = lossValue.dataSync()[0]!;
      for (const p of this.vars) {
        const gi = g[p.name];
        grads.push(gi ? (gi.dataSync() as Float32Array) : new Float32Array(p.size));
      }
    });
    this.apply(grads);
    return value;
  }

  private apply(grads: Float32Array[]): void {
    let scale = 1;
    if (this.clipNorm > 0) {
      let sq = 0;
      for (const g of grads) for (let k = 0; k < g.length; k++) sq += g[k]! * g[k]!;
      const norm = Math.sqrt(sq);
      if (norm > this.clipNorm) scale = this.clipNorm / norm;
    }
    this.t += 1;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const lr = (this.learningRate * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let i = 0; i < this.vars.length; i++) {
      const g = grads[i]!;
      const m = this.m[i]!;
      const v = this.v[i]!;
      const p = this.params[i]!;
      for (let k = 0; k < p.length; k++) {
        const gk = g[k]! * scale;
        m[k] = b1 * m[k]! + (1 - b1) * gk;
        v[k] = b2 * v[k]! + (1 - b2) * gk * gk;
        p[k] = p[k]! - (lr * m[k]!) / (Math.sqrt(v[k]!) + this.epsilon);
      }
      const variable = this.vars[i]!;
      tf.tidy(() => variable.assign(tf.tensor(p, variable.shape)));
    }
  }

  getState(): { t: number; arrays: Float32Array[] } {
    return { t: this.t, arrays: [...this.m, ...this.v].map((x) => Float32Array.from(x)) };
  }

  setState(t: number, arrays: readonly Float32Array[]): void {
    const all = [...this.m, ...this.v];
    if (arrays.length !== all.length) throw new RangeError(`adam state: got ${arrays.length} arrays, expected ${all.length}`);
    all.forEach((x, i) => {
      if (arrays[i]!.length !== x.length) throw new RangeError(`adam state[${i}]: got ${arrays[i]!.length} values, expected ${x.length}`);
      x.set(arrays[i]!);
    });
    this.t = t;
    this.syncFromVariables();
  }

  dispose(): void {
    // Host arrays only: nothing to free.
  }
}

/**
 * The dense part of the Q-network on the native training engine (createMlpTrainer, docs/native.md):
 * the shared layers (512 → 256, ReLU, inverted dropout 0.2 after each, one trainer per layer so the
 * dropout masks sit between them) and the output — the dueling streams V: 256 → 128 → 1 and
 * A: 256 → 128 → 15 combined as Q = V + A − mean A (Wang et al. 2016, eq. 9), or one linear layer.
 * Backward takes dLoss/dQ and fills every trainer's gradients, returning dLoss/dInput for an
 * encoder before it. The dropout masks come from the caller's RNG (same seed, same masks).
 */
import { createMlpTrainer, type MlpTrainer } from '../../native/index.js';
import type { Rng } from '../../util/index.js';
import { glorot } from './encoder.js';

export interface HeadConfig {
  inputSize: number;
  hidden: readonly number[];
  streamHidden: number;
  actions: number;
  dueling: boolean;
  dropout: number;
  learningRate: number;
  maxBatch: number;
}

function trainer(rng: Rng, sizes: readonly number[], lastLinear: boolean, config: HeadConfig): MlpTrainer {
  const layers = sizes.slice(0, -1).map((n, i) => {
    const out = sizes[i + 1]!;
    const linear = lastLinear && i === sizes.length - 2;
    return { inSize: n, outSize: out, weights: glorot(rng, n, out), bias: new Float32Array(out), activation: linear ? ('linear' as const) : ('relu' as const) };
  });
  return createMlpTrainer({ layers }, { maxBatch: config.maxBatch, adam: { learningRate: config.learningRate } });
}

/** Q = V + A − mean A, per row; V is [batch], A is [batch, actions]. */
export function duelingCombine(value: ArrayLike<number>, advantage: ArrayLike<number>, actions: number): Float32Array {
  const batch = value.length;
  const q = new Float32Array(batch * actions);
  for (let b = 0; b < batch; b++) {
    let mean = 0;
    for (let a = 0; a < actions; a++) mean += advantage[b * actions + a]!;
    mean /= actions;
    for (let a = 0; a < actions; a++) q[b * actions + a] = value[b]! + advantage[b * actions + a]! - mean;
  }
  return q;
}

/** The dueling aggregation's backward: dV_b = Σ_a dQ_ba, dA_ba = dQ_ba − mean_a' dQ_ba'. */
export function duelingBackward(dq: ArrayLike<number>, batch: number, actions: number): { dValue: Float32Array; dAdvantage: Float32Array } {
  const dValue = new Float32Array(batch);
  const dAdvantage = new Float32Array(batch * actions);
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let a = 0; a < actions; a++) sum += dq[b * actions + a]!;
    dValue[b] = sum;
    for (let a = 0; a < actions; a++) dAdvantage[b * actions + a] = dq[b * actions + a]! - sum / actions;
  }
  return { dValue, dAdvantage };
}

export class DenseHead {
  readonly trunk: MlpTrainer[];
  readonly value: MlpTrainer | null;
  readonly advantage: MlpTrainer | null;
  readonly q: MlpTrainer | null;
  /** Inverted-dropout masks of the last training forward (1/(1 − p) or 0), per trunk layer. */
  private masks: Array<Float32Array | null> = [];
  private lastBatch = 0;

  constructor(
    readonly config: HeadConfig,
    rng: Rng,
  ) {
    let width = config.inputSize;
    this.trunk = config.hidden.map((h) => {
      const t = trainer(rng, [width, h], false, config);
      width = h;
      return t;
    });
    if (config.dueling) {
      this.value = trainer(rng, [width, config.streamHidden, 1], true, config);
      this.advantage = trainer(rng, [width, config.streamHidden, config.actions], true, config);
      this.q = null;
    } else {
      this.value = null;
      this.advantage = null;
      this.q = trainer(rng, [width, config.actions], true, config);
    }
  }

  /** Every trainer, in a fixed order (checkpoints and the global gradient norm follow it). */
  trainers(): MlpTrainer[] {
    return [...this.trunk, ...[this.value, this.advantage, this.q].filter((t): t is MlpTrainer => t !== null)];
  }

  /** Q-values [batch, actions] (a copy); with `dropout` (training) the masks are drawn from it. */
  forward(input: Float32Array, batch: number, dropout: Rng | null = null): Float32Array {
    const p = this.config.dropout;
    let h = input;
    this.masks = [];
    this.lastBatch = batch;
    for (const layer of this.trunk) {
      const out = layer.forward(h, batch);
      if (dropout && p > 0) {
        const mask = new Float32Array(out.length);
        const scaled = new Float32Array(out.length);
        for (let k = 0; k < out.length; k++) {
          mask[k] = dropout.next() < p ? 0 : 1 / (1 - p);
          scaled[k] = out[k]! * mask[k]!;
        }
        this.masks.push(mask);
        h = scaled;
      } else {
        this.masks.push(null);
        h = Float32Array.from(out);
      }
    }
    if (this.q) return Float32Array.from(this.q.forward(h, batch));
    const value = Float32Array.from(this.value!.forward(h, batch));
    const advantage = this.advantage!.forward(h, batch);
    return duelingCombine(value, advantage, this.config.actions);
  }

  /**
   * Back-propagates dLoss/dQ [batch, actions] through the last forward into every trainer's
   * gradients; returns dLoss/dInput [batch, inputSize] (a copy) when `input`.
   */
  backward(dq: Float32Array, input: boolean): Float32Array | undefined {
    const batch = this.lastBatch;
    let dh: Float32Array;
    if (this.q) {
      dh = Float32Array.from(this.q.backward(dq, { input: true })!);
    } else {
      const { dValue, dAdvantage } = duelingBackward(dq, batch, this.config.actions);
      dh = Float32Array.from(this.value!.backward(dValue, { input: true })!);
      const fromAdvantage = this.advantage!.backward(dAdvantage, { input: true })!;
      for (let k = 0; k < dh.length; k++) dh[k] = dh[k]! + fromAdvantage[k]!;
    }
    for (let i = this.trunk.length - 1; i >= 0; i--) {
      const mask = this.masks[i];
      if (mask) for (let k = 0; k < dh.length; k++) dh[k] = dh[k]! * mask[k]!;
      const wantInput = i > 0 || input;
      const d = this.trunk[i]!.backward(dh, { input: wantInput });
      if (!wantInput) return undefined;
      dh = Float32Array.from(d!);
    }
    return dh;
  }

  copyFrom(other: DenseHead): void {
    const mine = this.trainers();
    other.trainers().forEach((t, i) => mine[i]!.copyFrom(t));
  }

  size(): number {
    return this.trainers().reduce((s, t) => s + t.parameterCount, 0);
  }
}

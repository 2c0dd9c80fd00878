/**
 * The attention encoder of the DQN (docs/sfc.md#network): tokens [B, T, F] (one per data centre,
 * VNF type and pending request) → embedding [B, T, d] (ReLU) → multi-head self-attention with a
 * padding mask, plus the residual → ReLU feed-forward; the always-present tokens (data centres, VNF
 * types) are kept in place and the pending requests are mean-pooled under the mask, giving
 * [B, (fixed + 1) · d].
 *
 * Engine: the four dense maps (embedding, the fused Q/K/V projection, the output projection, the
 * feed-forward) are native trainers over the B·T token rows (createMlpTrainer, docs/native.md); the
 * attention itself — softmax(Q Kᵀ / √d_h + M) V per head, M = −1e9 at padded keys — and its
 * backward are written out below on host arrays (they are a few hundred thousand multiply-adds).
 * Measured against TF.js autodiff on this machine in docs/sfc.md#engine.
 */
import { createMlpTrainer, type MlpTrainer } from '../../native/index.js';
import type { Rng } from '../../util/index.js';

export interface EncoderConfig {
  tokenWidth: number;
  tokens: number;
  /** Leading tokens that are always present (kept in place); the rest are pooled under the mask. */
  fixedTokens: number;
  embedDim: number;
  heads: number;
  learningRate: number;
  /** Most observations in one forward. */
  maxBatch: number;
}

/** Glorot-uniform weights (Glorot & Bengio 2010) from a seeded RNG. */
export function glorot(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let k = 0; k < w.length; k++) w[k] = (2 * rng.next() - 1) * limit;
  return w;
}

/** What the last forward kept for the backward. */
interface Saved {
  batch: number;
  mask: Float32Array;
  qkv: Float32Array;
  /** Attention weights [B, H, T, T]. */
  weights: Float32Array;
}

export class AttentionEncoder {
  readonly embed: MlpTrainer;
  readonly qkv: MlpTrainer;
  readonly out: MlpTrainer;
  readonly ffn: MlpTrainer;
  /** Width of the pooled encoding. */
  readonly outputSize: number;
  private saved: Saved | null = null;

  constructor(
    readonly config: EncoderConfig,
    rng: Rng,
  ) {
    const { tokenWidth: F, embedDim: d, heads, tokens, maxBatch } = config;
    if (d % heads !== 0) throw new RangeError(`encoder embedDim: got ${d}, expected a multiple of heads (${heads})`);
    const dense = (inSize: number, outSize: number, activation: 'relu' | 'linear'): MlpTrainer =>
      createMlpTrainer(
        { layers: [{ inSize, outSize, weights: glorot(rng, inSize, outSize), bias: new Float32Array(outSize), activation }] },
        { maxBatch: maxBatch * tokens, adam: { learningRate: config.learningRate } },
      );
    this.embed = dense(F, d, 'relu');
    this.qkv = dense(d, 3 * d, 'linear');
    this.out = dense(d, d, 'linear');
    this.ffn = dense(d, d, 'relu');
    this.outputSize = (config.fixedTokens + 1) * d;
  }

  trainers(): MlpTrainer[] {
    return [this.embed, this.qkv, this.out, this.ffn];
  }

  /** The attention weights [B, H, T, T] of the last forward (padded keys get 0). */
  lastAttention(): Float32Array | null {
    return this.saved?.weights ?? null;
  }

  /**
   * Self-attention core on host arrays: qkv [B·T, 3d] (Q | K | V per row) → heads [B·T, d], and
   * the weights [B, H, T, T].
   */
  private attend(qkv: Float32Array, mask: Float32Array, batch: number): { heads: Float32Array; weights: Float32Array } {
    const { tokens: T, embedDim: d, heads: H } = this.config;
    const dh = d / H;
    const scale = 1 / Math.sqrt(dh);
    const heads = new Float32Array(batch * T * d);
    const weights = new Float32Array(batch * H * T * T);
    const row = new Float64Array(T);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          const qi = (b * T + i) * 3 * d + h * dh;
          let max = -Infinity;
          for (let j = 0; j < T; j++) {
            const kj = (b * T + j) * 3 * d + d + h * dh;
            let s = 0;
            for (let c = 0; c < dh; c++) s += qkv[qi + c]! * qkv[kj + c]!;
            s = s * scale + (mask[b * T + j]! > 0 ? 0 : -1e9);
            row[j] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let j = 0; j < T; j++) {
            row[j] = Math.exp(row[j]! - max);
            sum += row[j]!;
          }
          const w = ((b * H + h) * T + i) * T;
          const o = (b * T + i) * d + h * dh;
          for (let j = 0; j < T; j++) {
            const p = row[j]! / sum;
            weights[w + j] = p;
            if (p === 0) continue;
            const vj = (b * T + j) * 3 * d + 2 * d + h * dh;
            for (let c = 0; c < dh; c++) heads[o + c] = heads[o + c]! + p * qkv[vj + c]!;
          }
        }
      }
    }
    return { heads, weights };
  }

  /** The pooled encoding [batch, outputSize] of tokens [batch, T, F] under mask [batch, T]. */
  forward(tokens: Float32Array, mask: Float32Array, batch: number): Float32Array {
    const { tokens: T, embedDim: d, fixedTokens: Fx } = this.config;
    const N = batch * T;
    const x = Float32Array.from(this.embed.forward(tokens, N));
    const qkv = Float32Array.from(this.qkv.forward(x, N));
    const { heads, weights } = this.attend(qkv, mask, batch);
    const a = this.out.forward(heads, N);
    const y = new Float32Array(N * d);
    for (let k = 0; k < y.length; k++) y[k] = x[k]! + a[k]!;
    const z = this.ffn.forward(y, N);
    this.saved = { batch, mask, qkv, weights };
    const E = this.outputSize;
    const pooled = new Float32Array(batch * E);
    for (let b = 0; b < batch; b++) {
      pooled.set(z.subarray(b * T * d, (b * T + Fx) * d), b * E);
      let count = 0;
      for (let t = Fx; t < T; t++) count += mask[b * T + t]!;
      const inv = 1 / Math.max(count, 1);
      for (let t = Fx; t < T; t++) {
        const m = mask[b * T + t]!;
        if (m === 0) continue;
        for (let c = 0; c < d; c++) pooled[b * E + Fx * d + c] = pooled[b * E + Fx * d + c]! + m * inv * z[(b * T + t) * d + c]!;
      }
    }
    return pooled;
  }

  /** Back-propagates dLoss/dEncoding [batch, outputSize] of the last forward into the trainers' gradients. */
  backward(upstream: Float32Array): void {
    const s = this.saved;
    if (!s) throw new RangeError('encoder backward: no forward to go back through');
    const { tokens: T, embedDim: d, fixedTokens: Fx, heads: H } = this.config;
    const { batch, mask, qkv, weights } = s;
    const N = batch * T;
    const E = this.outputSize;
    // Pooling.
    const dz = new Float32Array(N * d);
    for (let b = 0; b < batch; b++) {
      dz.set(upstream.subarray(b * E, b * E + Fx * d), b * T * d);
      let count = 0;
      for (let t = Fx; t < T; t++) count += mask[b * T + t]!;
      const inv = 1 / Math.max(count, 1);
      for (let t = Fx; t < T; t++) {
        const m = mask[b * T + t]!;
        if (m === 0) continue;
        for (let c = 0; c < d; c++) dz[(b * T + t) * d + c] = m * inv * upstream[b * E + Fx * d + c]!;
      }
    }
    // Feed-forward, residual, output projection.
    const dy = Float32Array.from(this.ffn.backward(dz, { input: true })!);
    const dHeads = this.out.backward(dy, { input: true })!;
    // Attention core: dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = dS K / √dh, dK = dSᵀ Q / √dh.
    const dh = d / H;
    const scale = 1 / Math.sqrt(dh);
    const dqkv = new Float32Array(N * 3 * d);
    const dP = new Float64Array(T);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          const w = ((b * H + h) * T + i) * T;
          const o = (b * T + i) * d + h * dh;
          let dot = 0;
          for (let j = 0; j < T; j++) {
            const vj = (b * T + j) * 3 * d + 2 * d + h * dh;
            let g = 0;
            for (let c = 0; c < dh; c++) g += dHeads[o + c]! * qkv[vj + c]!;
            dP[j] = g;
            dot += weights[w + j]! * g;
            const p = weights[w + j]!;
            if (p !== 0) for (let c = 0; c < dh; c++) dqkv[vj + c] = dqkv[vj + c]! + p * dHeads[o + c]!;
          }
          const qi = (b * T + i) * 3 * d + h * dh;
          for (let j = 0; j < T; j++) {
            const ds = weights[w + j]! * (dP[j]! - dot) * scale;
            if (ds === 0) continue;
            const kj = (b * T + j) * 3 * d + d + h * dh;
            for (let c = 0; c < dh; c++) {
              dqkv[qi + c] = dqkv[qi + c]! + ds * qkv[kj + c]!;
              dqkv[kj + c] = dqkv[kj + c]! + ds * qkv[qi + c]!;
            }
          }
        }
      }
    }
    const dxAttention = this.qkv.backward(dqkv, { input: true })!;
    const dx = new Float32Array(N * d);
    for (let k = 0; k < dx.length; k++) dx[k] = dy[k]! + dxAttention[k]!;
    this.embed.backward(dx, { input: false });
  }

  copyFrom(other: AttentionEncoder): void {
    const mine = this.trainers();
    other.trainers().forEach((t, i) => mine[i]!.copyFrom(t));
  }

  size(): number {
    return this.trainers().reduce((s, t) => s + t.parameterCount, 0);
  }
}

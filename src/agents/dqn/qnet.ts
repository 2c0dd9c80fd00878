/**
 * The Q-network of the DQN (docs/sfc.md#network): the optional attention encoder (encoder.ts) in
 * front of the dense head (head.ts), both on the native training engine. The trunk reads the context
 * features (the observation's global head and its active-SFC part) next to the encoding of the
 * tokens — or, without the encoder, the whole flat observation. One training step: forward, the TD
 * loss, backward through the head and (through its input gradient) the encoder, one global
 * gradient-norm clip over both, Adam on every trainer.
 */
import { sfcTokens, type SfcObservationLayout } from '../../families/index.js';
import type { Rng } from '../../util/index.js';
import type { MlpTrainer } from '../../native/index.js';
import type { AgentState } from '../agent.js';
import { AttentionEncoder } from './encoder.js';
import { DenseHead } from './head.js';
import { tdLoss } from './targets.js';

export interface QNetworkConfig {
  actions: number;
  hidden: readonly number[];
  streamHidden: number;
  dropout: number;
  dueling: boolean;
  attention: boolean;
  embedDim: number;
  heads: number;
  learningRate: number;
  maxBatch: number;
}

/** Column ranges of the flat observation the trunk reads directly. */
function contextRanges(layout: SfcObservationLayout, attention: boolean): Array<[number, number]> {
  if (!attention) return [[0, layout.size]];
  return [
    [layout.global.offset, layout.global.offset + layout.global.width],
    [layout.active.offset, layout.active.offset + layout.active.slots * layout.active.width],
  ];
}

export class QNetwork {
  readonly encoder: AttentionEncoder | null;
  readonly head: DenseHead;
  private readonly ranges: Array<[number, number]>;
  private readonly contextSize: number;

  constructor(
    readonly layout: SfcObservationLayout,
    readonly config: QNetworkConfig,
    rng: Rng,
  ) {
    this.ranges = contextRanges(layout, config.attention);
    this.contextSize = this.ranges.reduce((s, [a, b]) => s + b - a, 0);
    this.encoder = config.attention
      ? new AttentionEncoder(
          {
            tokenWidth: layout.tokenWidth,
            tokens: layout.tokens,
            fixedTokens: layout.resources.tokens,
            embedDim: config.embedDim,
            heads: config.heads,
            learningRate: config.learningRate,
            maxBatch: config.maxBatch,
          },
          rng,
        )
      : null;
    this.head = new DenseHead(
      {
        inputSize: this.contextSize + (this.encoder?.outputSize ?? 0),
        hidden: config.hidden,
        streamHidden: config.streamHidden,
        actions: config.actions,
        dueling: config.dueling,
        dropout: config.dropout,
        learningRate: config.learningRate,
        maxBatch: config.maxBatch,
      },
      rng,
    );
  }

  /** The head's input for a batch of observations, with the tokens and mask the encoder read. */
  private headInput(observations: Float32Array, batch: number): { input: Float32Array; tokens: Float32Array; mask: Float32Array } {
    const n = this.layout.size;
    const encoded = this.encoder ? sfcTokens(this.layout, observations, batch) : { tokens: new Float32Array(0), mask: new Float32Array(0) };
    const encoding = this.encoder ? this.encoder.forward(encoded.tokens, encoded.mask, batch) : null;
    const E = this.encoder?.outputSize ?? 0;
    const width = this.contextSize + E;
    const input = new Float32Array(batch * width);
    for (let b = 0; b < batch; b++) {
      let o = b * width;
      for (const [from, to] of this.ranges) {
        input.set(observations.subarray(b * n + from, b * n + to), o);
        o += to - from;
      }
      if (encoding) input.set(encoding.subarray(b * E, (b + 1) * E), o);
    }
    return { input, tokens: encoded.tokens, mask: encoded.mask };
  }

  /** Q-values [batch, actions] without dropout. */
  q(observations: Float32Array, batch: number): Float32Array {
    return this.head.forward(this.headInput(observations, batch).input, batch);
  }

  /**
   * One gradient step on the TD loss of taken actions against targets (importance weights
   * `weights`); returns the loss and the TD errors δ = Q(s, a) − y before the step. `learningRate`
   * overrides the configured one for this step (a schedule).
   */
  trainStep(
    observations: Float32Array,
    batch: number,
    actions: Int32Array,
    targets: Float32Array,
    weights: Float32Array,
    loss: 'huber' | 'mse',
    clipNorm: number,
    dropout: Rng,
    learningRate?: number,
  ): { loss: number; td: Float32Array; gradNorm: number } {
    const { input, tokens, mask } = this.headInput(observations, batch);
    const q = this.head.forward(input, batch, dropout);
    const result = tdLoss(q, actions, targets, weights, loss, this.config.actions);
    const dInput = this.head.backward(result.gradient, this.encoder !== null);
    if (this.encoder && dInput) {
      const E = this.encoder.outputSize;
      const width = this.contextSize + E;
      const upstream = new Float32Array(batch * E);
      for (let b = 0; b < batch; b++) upstream.set(dInput.subarray(b * width + this.contextSize, (b + 1) * width), b * E);
      this.encoder.backward(upstream);
    }
    // One global norm over every gradient of the network (head and encoder).
    const trainers = this.trainers();
    let sq = 0;
    for (const t of trainers) {
      const g = t.grads;
      for (let k = 0; k < g.length; k++) sq += g[k]! * g[k]!;
    }
    const norm = Math.sqrt(sq);
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    for (const t of trainers) {
      const g = t.grads;
      if (scale !== 1) for (let k = 0; k < g.length; k++) g[k] = g[k]! * scale;
      t.adamStep(learningRate === undefined ? undefined : { learningRate });
    }
    return { loss: result.loss, td: result.td, gradNorm: norm };
  }

  /** Every trainer of the network: the head's, then the encoder's. */
  trainers(): MlpTrainer[] {
    return [...this.head.trainers(), ...(this.encoder?.trainers() ?? [])];
  }

  copyFrom(other: QNetwork): void {
    const mine = this.trainers();
    other.trainers().forEach((t, i) => mine[i]!.copyFrom(t));
  }

  size(): number {
    return this.trainers().reduce((s, t) => s + t.parameterCount, 0);
  }

  /** Weights and optimizer moments under `prefix/`. */
  getState(prefix: string): AgentState {
    const arrays: AgentState['arrays'] = {};
    const steps: number[] = [];
    this.trainers().forEach((t, i) => {
      const s = t.getState();
      arrays[`${prefix}/${i}/params`] = s.params;
      arrays[`${prefix}/${i}/adamM`] = s.adamM;
      arrays[`${prefix}/${i}/adamV`] = s.adamV;
      steps.push(s.step);
    });
    return { meta: { adamSteps: steps }, arrays };
  }

  setState(prefix: string, state: AgentState): void {
    const steps = state.meta.adamSteps as number[];
    const f32 = (key: string): Float32Array => {
      const v = state.arrays[`${prefix}/${key}`];
      if (!v) throw new RangeError(`DQN checkpoint: ${prefix}/${key} is missing`);
      return Float32Array.from(v as ArrayLike<number>);
    };
    this.trainers().forEach((t, i) => t.setState({ params: f32(`${i}/params`), adamM: f32(`${i}/adamM`), adamV: f32(`${i}/adamV`), step: steps[i] ?? 0 }));
  }

  dispose(): void {
    // Trainers hold host buffers only.
  }
}

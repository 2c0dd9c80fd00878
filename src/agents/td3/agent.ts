/**
 * Single-agent baselines: DDPG and TD3 with one agent per cell (weights shared across cells) over
 * all of the cell's slices. The actor maps the cell's features to one value per slice, a sigmoid,
 * then the exact projection (a differentiable op, see core/projection-op.ts), so every action is
 * feasible. TD3 (Fujimoto et al.; docs/algorithms.md#td3-and-ddpg): clipped double-Q, delayed policy and target
 * updates, target-policy smoothing; its reward is the minimum QoS level r over the cell's active
 * slices, as the DRL baseline of the IDLA paper. DDPG: one critic, the cell's utility as reward.
 */
import * as tf from '../tf.js';
import type { NdArray } from '../../env/index.js';
import type { SlicingLayout } from '../../families/index.js';
import type { MlpSpec } from '../../native/index.js';
import { InputError, Rng, deriveSeed } from '../../util/index.js';
import type { AgentCreateOptions, AgentMetrics, AgentScenario, AgentState, TrainableAgent, Transition } from '../agent.js';
import type { PolicyContext, SlicingPolicy } from '../policy.js';
import { Adam } from '../core/adam.js';
import { projectAllocation, shareBounds, type ShareBounds } from '../core/allocation.js';
import { activeMask, NORM_FEATURES, normalizeObservation } from '../core/features.js';
import { createActorForward, type ActorForward } from '../core/forward.js';
import { TfMlp, specFromArrays } from '../core/mlp.js';
import { projectRows, projectionOp } from '../core/projection-op.js';
import { checkRanges, resolveSettings, scenarioAgentOverrides } from '../core/settings.js';
import { REPLAY_SCHEDULE_RANGES, TransitionBook } from '../core/transition-book.js';

export type CellAgentKind = 'ddpg' | 'td3';

export const TD3_DEFAULTS = {
  hidden: [128, 128],
  actorLr: 1e-3,
  criticLr: 1e-3,
  gamma: 0.5,
  tau: 0.005,
  batchSize: 256,
  bufferCapacity: 100_000,
  warmupSteps: 200,
  updatesPerStep: 1,
  /** Env steps between update rounds (each round runs updatesPerStep updates). */
  updateEvery: 3,
  noiseStart: 0.1,
  noiseEnd: 0.1,
  noiseDecaySteps: 0,
  targetNoise: 0.2,
  targetNoiseClip: 0.5,
  policyDelay: 2,
  gradClip: 0,
  /** Weight of mean(pre-activation^2) of the actor output (keeps the sigmoid out of saturation). */
  policyRegularizer: 1e-3,
  /** 'min-qos' (IDLA's TD3 baseline) or 'sum-utility' (the env's reward for the cell). */
  reward: 'min-qos',
};
export type Td3Settings = typeof TD3_DEFAULTS;

export const DDPG_DEFAULTS: Td3Settings = {
  ...TD3_DEFAULTS,
  hidden: [64, 64],
  tau: 0.01,
  policyDelay: 1,
  targetNoise: 0,
  noiseStart: 0.15,
  noiseEnd: 0.02,
  noiseDecaySteps: 4000,
  reward: 'sum-utility',
};

const ACTIVATIONS = (hidden: readonly number[]): Array<'relu' | 'sigmoid'> => [...hidden.map(() => 'relu' as const), 'sigmoid'];

/** The deployed per-cell policy: actor forward, then the exact projection. */
export class CellActorPolicy implements SlicingPolicy {
  private readonly actor: ActorForward;

  constructor(
    readonly id: string,
    readonly layout: SlicingLayout,
    spec: MlpSpec,
    readonly bounds: ShareBounds | null,
  ) {
    this.actor = createActorForward(spec);
  }

  setWeights(spec: MlpSpec): void {
    this.actor.setWeights(spec);
  }

  /** Actor outputs before the projection, [cells, slices]. */
  raw(obs: NdArray<Float32Array>): Float32Array {
    const C = this.layout.cells;
    const S = this.layout.slices.length;
    return this.actor.forward(normalizeObservation(obs.data, C, S), C);
  }

  act(obs: NdArray<Float32Array>, _context?: PolicyContext): Float32Array {
    const C = this.layout.cells;
    const S = this.layout.slices.length;
    return projectAllocation(this.raw(obs), activeMask(obs.data, C, S), C, S, this.bounds);
  }
}

export class CellAgent implements TrainableAgent {
  readonly id: CellAgentKind;
  readonly cfg: Td3Settings;
  private readonly C: number;
  private readonly S: number;
  private readonly twin: boolean;
  private readonly actor: TfMlp;
  private readonly actorTarget: TfMlp;
  private readonly critics: TfMlp[] = [];
  private readonly criticTargets: TfMlp[] = [];
  private readonly actorOpt: Adam;
  private readonly criticOpts: Adam[] = [];
  private readonly book: TransitionBook;
  private readonly bounds: ShareBounds;
  private readonly rng: Rng;
  private readonly policy: CellActorPolicy;
  private updates = 0;
  private dirty = true;
  private lastActorLoss = 0;

  constructor(
    kind: CellAgentKind,
    readonly layout: SlicingLayout,
    scenario: AgentScenario,
    options: AgentCreateOptions,
  ) {
    this.id = kind;
    this.cfg = resolveSettings(kind === 'td3' ? TD3_DEFAULTS : DDPG_DEFAULTS, { ...scenarioAgentOverrides(scenario.agent, kind), ...options.settings }, 'agent');
    if (this.cfg.reward !== 'min-qos' && this.cfg.reward !== 'sum-utility') {
      throw new InputError('agent.reward', this.cfg.reward, 'min-qos or sum-utility');
    }
    checkRanges(this.cfg, 'agent', [
      ...REPLAY_SCHEDULE_RANGES,
      ['policyDelay', 1, 1000, true],
      ['gamma', 0, 0.9999],
      ['tau', 0, 1],
      ['actorLr', 0, 1],
      ['criticLr', 0, 1],
    ]);
    this.C = layout.cells;
    this.S = layout.slices.length;
    this.twin = kind === 'td3';
    this.bounds = shareBounds(layout, scenario);
    this.rng = new Rng(deriveSeed(options.seed, kind, 'updates'));
    const init = new Rng(deriveSeed(options.seed, kind, 'init'));
    const F = this.S * NORM_FEATURES;
    const actorShape = { inputSize: F, hidden: this.cfg.hidden, outputSize: this.S, outputActivation: 'sigmoid' as const, finalInitScale: 0.05 };
    const criticShape = { inputSize: F + this.S, hidden: this.cfg.hidden, outputSize: 1 };
    this.actor = new TfMlp(actorShape, init);
    this.actorTarget = new TfMlp(actorShape, init);
    this.actor.softUpdateInto(this.actorTarget, 1);
    for (let k = 0; k < (this.twin ? 2 : 1); k++) {
      const critic = new TfMlp(criticShape, init);
      const target = new TfMlp(criticShape, init);
      critic.softUpdateInto(target, 1);
      this.critics.push(critic);
      this.criticTargets.push(target);
      this.criticOpts.push(new Adam(critic.variables(), { learningRate: this.cfg.criticLr, clipNorm: this.cfg.gradClip }));
    }
    this.actorOpt = new Adam(this.actor.variables(), { learningRate: this.cfg.actorLr, clipNorm: this.cfg.gradClip });
    this.book = new TransitionBook(this.cfg, this.C, this.S, new Rng(deriveSeed(options.seed, kind, 'explore')));
    this.policy = new CellActorPolicy(kind, layout, this.actor.toSpec(), this.bounds);
  }

  get replaySize(): number {
    return this.book.buffer.size;
  }

  settings(): Record<string, unknown> {
    return { ...this.cfg, replayBytesPerTransition: this.book.buffer.bytesPerTransition };
  }

  private sync(): void {
    if (!this.dirty) return;
    this.policy.setWeights(this.actor.toSpec());
    this.dirty = false;
  }

  act(obs: NdArray<Float32Array>, context?: PolicyContext): Float32Array {
    this.sync();
    return this.policy.act(obs, context);
  }

  actExplore(obs: NdArray<Float32Array>): Float32Array {
    // The actor's projected action is the centre of the exploration noise.
    return this.book.explore(obs, this.bounds, (mask) => {
      this.sync();
      return projectRows(this.policy.raw(obs), mask, this.C, this.S, this.bounds);
    });
  }

  evaluationPolicy(): SlicingPolicy {
    return new CellActorPolicy(this.id, this.layout, this.actor.toSpec(), this.bounds);
  }

  observe(tr: Transition): AgentMetrics | null {
    this.book.record(tr);
    return this.book.updateIfDue(() => this.update());
  }

  /** The per-cell reward of a stored transition. */
  private reward(qos: Float32Array, mask: Float32Array, b: number): number {
    const S = this.S;
    if (this.cfg.reward === 'min-qos') {
      let min = 1;
      for (let s = 0; s < S; s++) if (mask[b * S + s]) min = Math.min(min, qos[b * S + s]!);
      return min;
    }
    let sum = 0;
    for (let s = 0; s < S; s++) if (mask[b * S + s]) sum += Math.log(qos[b * S + s]! + 1);
    return sum;
  }

  /** One update; `fixed` pins the batch and the smoothing noise (tests). Losses are pre-step. */
  update(fixed?: { indices: Int32Array; seed: number }): AgentMetrics {
    const { S } = this;
    const B = fixed ? fixed.indices.length : this.cfg.batchSize;
    const F = S * NORM_FEATURES;
    const rng = fixed ? new Rng(fixed.seed) : this.rng;
    const { obs: feats, act, qos, next, mask, nextMask, done } = this.book.batch(B, this.rng, fixed?.indices);
    // Target action: target actor, smoothing noise (TD3), projection.
    const rawNext = this.actorTarget.predict(next, B);
    const projected = projectRows(rawNext, nextMask, B, S, this.bounds);
    if (this.cfg.targetNoise > 0) {
      for (let i = 0; i < projected.length; i++) {
        const e = Math.max(-this.cfg.targetNoiseClip, Math.min(this.cfg.targetNoiseClip, rng.normal(0, this.cfg.targetNoise)));
        projected[i] = projected[i]! + e;
      }
    }
    const nextAct = projectRows(projected, nextMask, B, S, this.bounds);
    const nextIn = new Float32Array(B * (F + S));
    const curIn = new Float32Array(B * (F + S));
    for (let b = 0; b < B; b++) {
      nextIn.set(next.subarray(b * F, (b + 1) * F), b * (F + S));
      nextIn.set(nextAct.subarray(b * S, (b + 1) * S), b * (F + S) + F);
      curIn.set(feats.subarray(b * F, (b + 1) * F), b * (F + S));
      curIn.set(act.subarray(b * S, (b + 1) * S), b * (F + S) + F);
    }
    const targets = this.criticTargets.map((t) => t.predict(nextIn, B));
    const y = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      let q = targets[0]![b]!;
      if (targets.length > 1) q = Math.min(q, targets[1]![b]!);
      let anyNext = false;
      for (let s = 0; s < S; s++) if (nextMask[b * S + s]) anyNext = true;
      y[b] = this.reward(qos, mask, b) + (done[b] || !anyNext ? 0 : this.cfg.gamma * q);
    }
    let criticLoss = 0;
    for (let k = 0; k < this.critics.length; k++) {
      criticLoss += this.criticOpts[k]!.minimize(() =>
        tf.tidy(() => tf.mean(tf.square(tf.sub(this.critics[k]!.apply(tf.tensor2d(curIn, [B, F + S])), tf.tensor2d(y, [B, 1])))) as tf.Scalar),
      );
    }
    this.updates += 1;
    if (this.updates % this.cfg.policyDelay === 0) {
      this.lastActorLoss = this.actorOpt.minimize(() =>
        tf.tidy(() => {
          const state = tf.tensor2d(feats, [B, F]);
          const { out, pre } = this.actor.applyWithPre(state);
          const x = projectionOp(out, mask, this.bounds.trivial ? null : this.bounds);
          const q = this.critics[0]!.apply(tf.concat([state, x], 1));
          return tf.add(tf.neg(tf.mean(q)), tf.mul(this.cfg.policyRegularizer, tf.mean(tf.square(pre)))) as tf.Scalar;
        }),
      );
      this.actor.softUpdateInto(this.actorTarget, this.cfg.tau);
      for (let k = 0; k < this.critics.length; k++) this.critics[k]!.softUpdateInto(this.criticTargets[k]!, this.cfg.tau);
      this.dirty = true;
    }
    return { criticLoss: criticLoss / this.critics.length, actorLoss: this.lastActorLoss, updates: this.updates };
  }

  getState(): AgentState {
    const arrays: AgentState['arrays'] = {};
    const put = (prefix: string, list: Float32Array[]): void => list.forEach((a, i) => (arrays[`${prefix}/${i}`] = a));
    put('actor', this.actor.getArrays());
    put('actorTarget', this.actorTarget.getArrays());
    const a = this.actorOpt.getState();
    put('adamActor', a.arrays);
    const adamT = [a.t];
    this.critics.forEach((c, k) => {
      put(`critic${k}`, c.getArrays());
      put(`criticTarget${k}`, this.criticTargets[k]!.getArrays());
      const s = this.criticOpts[k]!.getState();
      put(`adamCritic${k}`, s.arrays);
      adamT.push(s.t);
    });
    const book = this.book.checkpoint();
    Object.assign(arrays, book.arrays);
    return {
      meta: {
        id: this.id,
        settings: this.cfg,
        actorActivations: ACTIVATIONS(this.cfg.hidden),
        layers: this.cfg.hidden.length + 1,
        envSteps: book.meta.envSteps,
        updates: this.updates,
        lastActorLoss: this.lastActorLoss,
        adamT,
        rng: this.rng.getState(),
        exploreRng: book.meta.exploreRng,
        replay: book.meta.replay,
      },
      arrays,
    };
  }

  setState(state: AgentState): void {
    const m = state.meta as { envSteps: number; updates: number; lastActorLoss: number; adamT: number[]; rng: number[]; exploreRng: number[]; replay: { head: number; size: number }; layers: number };
    const L = 2 * m.layers;
    const get = (prefix: string, count: number): Float32Array[] => Array.from({ length: count }, (_, i) => state.arrays[`${prefix}/${i}`] as Float32Array);
    this.actor.setArrays(get('actor', L));
    this.actorTarget.setArrays(get('actorTarget', L));
    this.actorOpt.setState(m.adamT[0]!, get('adamActor', 2 * L));
    this.critics.forEach((c, k) => {
      c.setArrays(get(`critic${k}`, L));
      this.criticTargets[k]!.setArrays(get(`criticTarget${k}`, L));
      this.criticOpts[k]!.setState(m.adamT[k + 1]!, get(`adamCritic${k}`, 2 * L));
    });
    this.book.restore(m, state.arrays);
    this.rng.setState(m.rng);
    this.updates = m.updates;
    this.lastActorLoss = m.lastActorLoss;
    this.dirty = true;
  }

  dispose(): void {
    for (const n of [this.actor, this.actorTarget, ...this.critics, ...this.criticTargets]) n.dispose();
    for (const o of [this.actorOpt, ...this.criticOpts]) o.dispose();
  }
}

export function cellPolicyFromState(layout: SlicingLayout, scenario: AgentScenario, state: AgentState): CellActorPolicy {
  const m = state.meta as { id: string; actorActivations: Array<'relu' | 'sigmoid'>; layers: number };
  const spec = specFromArrays(
    Array.from({ length: 2 * m.layers }, (_, i) => state.arrays[`actor/${i}`] as Float32Array),
    m.actorActivations,
  );
  return new CellActorPolicy(m.id, layout, spec, shareBounds(layout, scenario));
}

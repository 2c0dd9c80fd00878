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
import type { MlpImplChoice, MlpSpec } from '../../native/index.js';
import { InputError, Rng, deriveSeed } from '../../util/index.js';
import type { AgentCreateOptions, AgentMetrics, AgentScenario, AgentState, TrainableAgent, Transition } from '../agent.js';
import { trainingEngine, type TrainingEngine } from '../backend.js';
import type { PolicyContext, SlicingPolicy } from '../policy.js';
import { projectAllocation, shareBounds, type ShareBounds } from '../core/allocation.js';
import { activeMask, clockOf, encodeObservation, featuresPerRow, type ActionTime, type StepClock } from '../core/features.js';
import { actImpl, type ActorForward } from '../core/forward.js';
import { actorForwardOf, type ActorSource, type ActorWrap } from '../core/actor-source.js';
import { specFromArrays } from '../core/mlp.js';
import { Network, restoreNetwork, storeNetwork } from '../core/network.js';
import { projectRows, projectRowsVjp, projectionOp } from '../core/projection-op.js';
import { agentSettings, checkRanges } from '../core/settings.js';
import { REPLAY_SCHEDULE_RANGES, TransitionBook } from '../core/transition-book.js';

export type CellAgentKind = 'ddpg' | 'td3';

/** Settings chosen by measurement: docs/agents.md#settings. */
export const TD3_DEFAULTS = {
  hidden: [256, 256],
  actorLr: 1e-3,
  criticLr: 1e-3,
  gamma: 0.5,
  tau: 0.005,
  batchSize: 256,
  bufferCapacity: 100_000,
  warmupSteps: 1000,
  updatesPerStep: 1,
  /** Env steps between update rounds (each round runs updatesPerStep updates). */
  updateEvery: 1,
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
  /** Whether the networks also read the time of day of the step they act on (docs/agents.md#the-time-of-day). */
  timeOfDay: true,
};
export type Td3Settings = typeof TD3_DEFAULTS;

export const DDPG_DEFAULTS: Td3Settings = {
  ...TD3_DEFAULTS,
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

  /**
   * `actor`: the cell actor's MlpSpec (a forward pass of `impl` is built) or a forward pass to act
   * through as given; `clock`: when the actor reads the time of day (agent setting timeOfDay).
   */
  constructor(
    readonly id: string,
    readonly layout: SlicingLayout,
    actor: ActorSource,
    readonly bounds: ShareBounds | null,
    impl: MlpImplChoice = 'auto',
    readonly clock: StepClock | null = null,
  ) {
    this.actor = actorForwardOf(actor, impl);
  }

  /** The same policy (layout, bounds) acting through `wrap(the actor's forward pass, 0)`. This policy is left as it is. */
  withActors(wrap: ActorWrap): CellActorPolicy {
    return new CellActorPolicy(this.id, this.layout, wrap(this.actor, 0), this.bounds, 'auto', this.clock);
  }

  setWeights(spec: MlpSpec): void {
    this.actor.setWeights(spec);
  }

  /** Actor outputs before the projection, [cells, slices]; `at`: when the action is taken (read with a clock). */
  raw(obs: NdArray<Float32Array>, at: ActionTime = { step: 0 }): Float32Array {
    const C = this.layout.cells;
    const S = this.layout.slices.length;
    return this.actor.forward(encodeObservation(obs.data, C, S, this.clock, at), C);
  }

  act(obs: NdArray<Float32Array>, context?: PolicyContext): Float32Array {
    const C = this.layout.cells;
    const S = this.layout.slices.length;
    return projectAllocation(this.raw(obs, context), activeMask(obs.data, C, S), C, S, this.bounds);
  }
}

export class CellAgent implements TrainableAgent {
  readonly id: CellAgentKind;
  readonly cfg: Td3Settings;
  readonly engine: TrainingEngine;
  private readonly C: number;
  private readonly S: number;
  private readonly twin: boolean;
  private readonly actor: Network;
  private readonly actorTarget: Network;
  private readonly critics: Network[] = [];
  private readonly criticTargets: Network[] = [];
  /** The time of day the networks read (null: they do not; settings.timeOfDay). */
  private readonly clock: StepClock | null;
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
    // A run that predates the clock setting trained without it (resumedSettings).
    this.cfg = agentSettings(kind === 'td3' ? TD3_DEFAULTS : DDPG_DEFAULTS, kind, scenario.agent, options, { predates: () => ({ timeOfDay: false }) });
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
    this.engine = trainingEngine(options.engine);
    this.C = layout.cells;
    this.S = layout.slices.length;
    this.twin = kind === 'td3';
    this.bounds = shareBounds(layout, scenario);
    this.rng = new Rng(deriveSeed(options.seed, kind, 'updates'));
    const init = new Rng(deriveSeed(options.seed, kind, 'init'));
    this.clock = clockOf(this.cfg, scenario);
    const F = this.S * featuresPerRow(this.clock);
    const actorShape = { inputSize: F, hidden: this.cfg.hidden, outputSize: this.S, outputActivation: 'sigmoid' as const, finalInitScale: 0.05 };
    const criticShape = { inputSize: F + this.S, hidden: this.cfg.hidden, outputSize: 1 };
    const net = (learningRate: number) => ({ engine: this.engine, learningRate, clipNorm: this.cfg.gradClip, maxBatch: this.cfg.batchSize });
    this.actor = new Network(actorShape, init, net(this.cfg.actorLr));
    this.actorTarget = new Network(actorShape, init, net(0));
    this.actor.softUpdateInto(this.actorTarget, 1);
    for (let k = 0; k < (this.twin ? 2 : 1); k++) {
      const critic = new Network(criticShape, init, net(this.cfg.criticLr));
      const target = new Network(criticShape, init, net(0));
      critic.softUpdateInto(target, 1);
      this.critics.push(critic);
      this.criticTargets.push(target);
    }
    this.book = new TransitionBook(this.cfg, this.C, this.S, new Rng(deriveSeed(options.seed, kind, 'explore')), [], this.clock);
    this.policy = new CellActorPolicy(kind, layout, this.actor.toSpec(), this.bounds, actImpl(this.engine), this.clock);
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

  actExplore(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array {
    // The actor's projected action is the centre of the exploration noise.
    return this.book.explore(obs, this.bounds, (mask) => {
      this.sync();
      return projectRows(this.policy.raw(obs, context), mask, this.C, this.S, this.bounds);
    });
  }

  evaluationPolicy(): SlicingPolicy {
    return new CellActorPolicy(this.id, this.layout, this.actor.toSpec(), this.bounds, actImpl(this.engine), this.clock);
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
    const F = S * this.book.rowFeatures;
    const rng = fixed ? new Rng(fixed.seed) : this.rng;
    const batch = this.book.batch(B, this.rng, fixed?.indices);
    const { obs: feats, act, qos, next, mask, nextMask, done } = batch;
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
    const nextIn = joinRows(next, nextAct, B, F, S);
    const curIn = joinRows(feats, act, B, F, S);
    const targets = Network.predictEach(this.criticTargets.map((network) => ({ network, input: nextIn, batch: B })));
    const y = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      let q = targets[0]![b]!;
      if (targets.length > 1) q = Math.min(q, targets[1]![b]!);
      let anyNext = false;
      for (let s = 0; s < S; s++) if (nextMask[b * S + s]) anyNext = true;
      y[b] = this.reward(qos, mask, b) + (done[b] || !anyNext ? 0 : this.cfg.gamma * q);
    }
    let criticLoss = 0;
    if (this.engine === 'tfjs') for (const critic of this.critics) criticLoss += this.criticStepTf(critic, curIn, y, B);
    else for (const loss of Network.mseStepEach(this.critics.map((network) => ({ network, input: curIn, target: y, batch: B })))) criticLoss += loss;
    this.updates += 1;
    if (this.updates % this.cfg.policyDelay === 0) {
      this.lastActorLoss = this.engine === 'tfjs' ? this.actorStepTf(feats, mask, B) : this.actorStep(feats, mask, B);
      this.actor.softUpdateInto(this.actorTarget, this.cfg.tau);
      for (let k = 0; k < this.critics.length; k++) this.critics[k]!.softUpdateInto(this.criticTargets[k]!, this.cfg.tau);
      this.dirty = true;
    }
    return { criticLoss: criticLoss / this.critics.length, actorLoss: this.lastActorLoss, updates: this.updates };
  }

  private criticStepTf(critic: Network, curIn: Float32Array, y: Float32Array, B: number): number {
    const width = curIn.length / B;
    return critic.adam!.minimize(() => tf.tidy(() => tf.mean(tf.square(tf.sub(critic.tf!.apply(tf.tensor2d(curIn, [B, width])), tf.tensor2d(y, [B, 1])))) as tf.Scalar));
  }

  /**
   * The actor step on the engine: loss = -mean Q1(s, P(sigmoid(u))) + reg mean(u^2), u the
   * actor's pre-activation and P the projection. dLoss/dx comes from critic 1's input gradient,
   * goes through the projection's VJP and the sigmoid, and the regularizer's 2 reg u / (B S) is
   * added at u. Returns the loss before the step.
   */
  private actorStep(feats: Float32Array, mask: Float32Array, B: number): number {
    const { S } = this;
    const F = S * this.book.rowFeatures;
    const out = new Float32Array(B * S);
    const pre = this.actor.forwardTrain(feats, B, out).slice();
    const bounds = this.bounds.trivial ? null : this.bounds;
    const x = projectRows(out, mask, B, S, bounds);
    const critic = this.critics[0]!.reserve(B);
    const q = critic.forward(joinRows(feats, x, B, F, S), B);
    let qMean = 0;
    for (let b = 0; b < B; b++) qMean += q[b]! / B;
    const dx = critic.backward(new Float32Array(B).fill(-1 / B), { weights: false, inputColumns: { from: F, count: S } })!;
    const dOut = projectRowsVjp(out, dx, mask, B, S, bounds);
    const reg = this.cfg.policyRegularizer;
    let preSquares = 0;
    const gradPre = new Float32Array(B * S);
    for (let i = 0; i < B * S; i++) {
      const u = pre[i]!;
      preSquares += u * u;
      gradPre[i] = dOut[i]! * out[i]! * (1 - out[i]!) + (2 * reg * u) / (B * S);
    }
    this.actor.step(gradPre);
    return -qMean + (reg * preSquares) / (B * S);
  }

  private actorStepTf(feats: Float32Array, mask: Float32Array, B: number): number {
    const F = this.S * this.book.rowFeatures;
    return this.actor.adam!.minimize(() =>
      tf.tidy(() => {
        const state = tf.tensor2d(feats, [B, F]);
        const { out, pre } = this.actor.tf!.applyWithPre(state);
        const x = projectionOp(out, mask, this.bounds.trivial ? null : this.bounds);
        const q = this.critics[0]!.tf!.apply(tf.concat([state, x], 1));
        return tf.add(tf.neg(tf.mean(q)), tf.mul(this.cfg.policyRegularizer, tf.mean(tf.square(pre)))) as tf.Scalar;
      }),
    );
  }

  getState(): AgentState {
    const arrays: AgentState['arrays'] = {};
    const adamT = [storeNetwork(arrays, 'actor', 'adamActor', this.actor)];
    storeNetwork(arrays, 'actorTarget', null, this.actorTarget);
    this.critics.forEach((c, k) => {
      adamT.push(storeNetwork(arrays, `critic${k}`, `adamCritic${k}`, c));
      storeNetwork(arrays, `criticTarget${k}`, null, this.criticTargets[k]!);
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
    restoreNetwork(state.arrays, 'actor', 'adamActor', this.actor, m.layers, m.adamT[0]!);
    restoreNetwork(state.arrays, 'actorTarget', null, this.actorTarget, m.layers);
    this.critics.forEach((c, k) => {
      restoreNetwork(state.arrays, `critic${k}`, `adamCritic${k}`, c, m.layers, m.adamT[k + 1]!);
      restoreNetwork(state.arrays, `criticTarget${k}`, null, this.criticTargets[k]!, m.layers);
    });
    this.book.restore(m, state.arrays);
    this.rng.setState(m.rng);
    this.updates = m.updates;
    this.lastActorLoss = m.lastActorLoss;
    this.dirty = true;
  }

  dispose(): void {
    for (const n of [this.actor, this.actorTarget, ...this.critics, ...this.criticTargets]) n.dispose();
  }
}

/** Rows [a_b, c_b] of two row-major blocks a [batch, wa] and c [batch, wc]. */
function joinRows(a: Float32Array, c: ArrayLike<number>, batch: number, wa: number, wc: number): Float32Array {
  const out = new Float32Array(batch * (wa + wc));
  for (let b = 0; b < batch; b++) {
    out.set(a.subarray(b * wa, (b + 1) * wa), b * (wa + wc));
    for (let k = 0; k < wc; k++) out[b * (wa + wc) + wa + k] = c[b * wc + k]!;
  }
  return out;
}

export function cellPolicyFromState(layout: SlicingLayout, scenario: AgentScenario, state: AgentState): CellActorPolicy {
  const m = state.meta as { id: string; settings?: { timeOfDay?: unknown }; actorActivations: Array<'relu' | 'sigmoid'>; layers: number };
  const spec = specFromArrays(
    Array.from({ length: 2 * m.layers }, (_, i) => state.arrays[`actor/${i}`] as Float32Array),
    m.actorActivations,
  );
  return new CellActorPolicy(m.id, layout, spec, shareBounds(layout, scenario), 'auto', clockOf(m.settings ?? {}, scenario));
}

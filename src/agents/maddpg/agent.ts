/**
 * MADDPG with ADMM constraint handling (and its constrained variants).
 *
 * Agents: one per slice type, weights shared across cells (and across slices of the same type).
 * Actor_t(local features, v, log rho) -> x in (0, 1) approximates the ADMM x-step
 *   x = argmax_x Q_t(o, x) - (rho/2)(x - v)^2,
 * trained with v and rho drawn at random so one actor serves every ADMM iteration (DeepSlicing).
 * Critic_t is centralized over the cell: Q_t(own features, own share, all slices' features and
 * shares) for the slice's utility log(r + 1) (MADDPG: target networks, soft updates, all agents
 * sample the same replay indices). The critic target's next action is the ADMM decision of the
 * target actors. Deployed allocation = ADMM's z (AdmmPolicy), feasible by construction.
 *
 * Variants (docs/algorithms.md#constrained-rl), with the scenario's statistical QoS constraints:
 *   lagrangian: a second critic head learns the constraint cost; the x-step objective is
 *               Q_R - lambda Q_C; lambda <- [lambda + eta (J_C - limit)]_+ after each window of
 *               lambdaEvery env steps (and at an episode's end), J_C the window's cost rate.
 *   rcpo:       the critic learns the penalized reward r - lambda c; lambda updated by the same
 *               rule (src/constraints/multiplier.ts).
 */
import * as tf from '../tf.js';
import { admmSolve, createAdmmState, CostRates, LagrangeMultipliers } from '../../constraints/index.js';
import type { NdArray } from '../../env/index.js';
import type { SlicingLayout } from '../../families/index.js';
import { Rng, deriveSeed } from '../../util/index.js';
import type { AgentCreateOptions, AgentMetrics, AgentScenario, AgentState, EpisodeStats, TrainableAgent, Transition } from '../agent.js';
import { trainingEngine, type TrainingEngine } from '../backend.js';
import type { PolicyContext, SlicingPolicy } from '../policy.js';
import { shareBounds, type ShareBounds } from '../core/allocation.js';
import { costsFromObservation, sliceConstraints, type SliceConstraint } from '../core/costs.js';
import { clockOf, featuresPerRow, type StepClock } from '../core/features.js';
import { actImpl } from '../core/forward.js';
import { specFromArrays } from '../core/mlp.js';
import { Network, restoreNetwork, storeNetwork } from '../core/network.js';
import { agentSettings, checkRanges } from '../core/settings.js';
import { REPLAY_SCHEDULE_RANGES, TransitionBook, type ReplayBatch } from '../core/transition-book.js';
import { WorkArrays } from '../core/work-arrays.js';
import { actorInputs, AdmmPolicy, sliceTypeGroups, writeActorInput, type AdmmPolicySettings } from './policy.js';

export type MaddpgVariant = 'admm' | 'lagrangian' | 'rcpo';

export const MADDPG_DEFAULTS = {
  hidden: [64, 64],
  actorLr: 1e-3,
  criticLr: 2e-3,
  gamma: 0.5,
  tau: 0.01,
  batchSize: 256,
  bufferCapacity: 100_000,
  /** Env steps of random feasible allocations before learning starts (docs/agents.md#settings). */
  warmupSteps: 1000,
  /** Gradient updates per env step (after warm-up). */
  updatesPerStep: 1,
  /** Env steps between update rounds (each round runs updatesPerStep updates). */
  updateEvery: 1,
  noiseStart: 0.15,
  noiseEnd: 0.02,
  noiseDecaySteps: 4000,
  gradClip: 0.5,
  policyRegularizer: 1e-3,
  admmRho: 1,
  /**
   * ADMM iterations of a deployed decision (evaluation, `ns3ts agent`, serving, export), at most:
   * the stopping rule ends most solves sooner — 25 iterations on the mean at 100 on
   * slicing-synthetic (docs/agents.md#admm-iterations-of-a-deployed-decision).
   */
  admmIterations: 100,
  /** ADMM iterations of the decisions taken while training (the centre of the exploration noise). */
  exploreAdmmIterations: 10,
  admmRhoMin: 0.1,
  admmRhoMax: 10,
  admmBalance: true,
  /** ADMM iterations of the target actors when computing critic targets. */
  targetAdmmIterations: 3,
  /**
   * Multiplier step size per episode (lagrangian and rcpo alike) and cap. 1.5, by measurement on
   * the robustness scenarios (docs/agents.md#the-constrained-agents-multiplier-step): with 0.5
   * (rcpo: 0.1) the multiplier was still below what the limit needs after the default 60
   * episodes, and the agents ended over their URLLC limits.
   */
  lambdaLr: 1.5,
  lambdaMax: 20,
  /**
   * Env steps per multiplier step (a step also comes at each episode's end): 96, one day of
   * 15-minute steps, so a week-long episode gets seven steps and the day-long episodes of the
   * other scenarios one, as before (docs/agents.md#the-multipliers-cadence-a-window-of-env-steps).
   */
  lambdaEvery: 96,
  /**
   * Fraction of each constraint's limit the multiplier keeps free (it aims at (1 - margin) x
   * limit). 0 here, 0.2 for maddpg-rcpo (MADDPG_VARIANT_DEFAULTS).
   */
  constraintMargin: 0,
  /**
   * Whether the actors and critics also read the time of day of the step they act on (sin and cos
   * of its phase): the traffic follows the day, which the last step's figures show only late
   * (docs/agents.md#the-time-of-day).
   */
  timeOfDay: true,
};
export type MaddpgSettings = typeof MADDPG_DEFAULTS;

/**
 * Where a variant's defaults differ from MADDPG_DEFAULTS.
 *
 * maddpg-admm learns each step's utility (gamma 0) with two updates per env step: a share acts
 * within its step, and the update then skips the target actors' ADMM solve, so the second update
 * costs little more than that solve did. Over three training seeds it scored higher on every slicing
 * scenario (slicing-synthetic 0.9901 of the oracle against 0.9896; robustness-burst 0.943 against
 * 0.940, -outage 0.967 against 0.963, -diurnal 0.975 against 0.974) and trains the default job
 * within its time aim (docs/agents.md#settings). ns-3's slicing-lte, whose 100 ms steps leave
 * queues for the next ones, keeps the bootstrap through its scenario file (gamma 0.5).
 *
 * RCPO aims its multiplier at 0.8 x the limit: its penalty reaches the actors only through the
 * critic's learned value, and without the margin it ended over the robustness-outage limit on the
 * mean in every measurement; with it, under the limit and at no loss of utility there, at 0.5-0.9%
 * of utility on robustness-burst (docs/agents.md#aiming-below-the-limit). The Lagrangian meets its
 * limits without one. The constrained variants keep gamma 0.5 and one update per step: on
 * robustness-burst maddpg-admm's pair left their utility where it was (docs/agents.md#settings).
 */
export const MADDPG_VARIANT_DEFAULTS: Record<MaddpgVariant, Partial<MaddpgSettings>> = {
  admm: { gamma: 0, updatesPerStep: 2 },
  lagrangian: {},
  rcpo: { constraintMargin: 0.2 },
};

/**
 * How a maddpg agent behaved before each of its later settings existed: a resumed run that predates
 * one keeps training that way (resumedSettings). The multiplier aimed at the limit itself and
 * stepped once per episode (a window longer than any episode); the networks did not read the
 * clock; the decisions while training ran the deployed decisions' ADMM iterations.
 */
function maddpgSettingsBefore(recorded: Readonly<Record<string, unknown>>): Partial<MaddpgSettings> {
  return {
    constraintMargin: 0,
    timeOfDay: false,
    lambdaEvery: 1e9,
    ...(typeof recorded.admmIterations === 'number' ? { exploreAdmmIterations: recorded.admmIterations } : {}),
  };
}

/** The (batch row, slice) pairs of one slice type whose slice is active. */
interface TypeRows {
  rows: Int32Array;
  slots: Int32Array;
}

/** One actor step's inputs for n (row, slice) pairs (see MaddpgAgent.actorInputs). */
interface ActorInputs {
  n: number;
  actorIn: Float32Array;
  vs: Float32Array;
  rhos: Float32Array;
  lambdas: Float32Array;
  othersActs: Float32Array;
  oneHot: Float32Array;
  ownFeats: Float32Array;
  allFeats: Float32Array;
}

const ACTOR_ACTIVATIONS = (hidden: readonly number[]): Array<'relu' | 'sigmoid'> => [...hidden.map(() => 'relu' as const), 'sigmoid'];

/**
 * The ADMM settings of the agent's decisions, deployed ones by default (`maxIterations`: the
 * decisions while training and the target actors' use fewer).
 */
function admmSettings(cfg: MaddpgSettings, maxIterations = cfg.admmIterations): AdmmPolicySettings['admm'] {
  return { rho: cfg.admmRho, maxIterations, rhoMin: cfg.admmRhoMin, rhoMax: cfg.admmRhoMax, balance: cfg.admmBalance };
}

export class MaddpgAgent implements TrainableAgent {
  readonly id: string;
  readonly cfg: MaddpgSettings;
  readonly engine: TrainingEngine;
  private readonly S: number;
  private readonly C: number;
  private readonly types: string[];
  private readonly typeOf: number[];
  private readonly slotsOfType: number[][];
  private readonly heads: number;
  private readonly actors: Network[] = [];
  private readonly actorTargets: Network[] = [];
  private readonly critics: Network[] = [];
  private readonly criticTargets: Network[] = [];
  private readonly book: TransitionBook;
  private readonly bounds: ShareBounds;
  private readonly constraints: SliceConstraint[];
  /** Per slice: the multipliers (constrained variants) and their constraints' limits (NaN = unconstrained). */
  private readonly multipliers: LagrangeMultipliers;
  /** Per slice: the episode's constraint cost rate (the violationRate metrics). */
  private readonly episodeCosts: CostRates;
  private readonly rng: Rng;
  private readonly trainPolicy: AdmmPolicy;
  private updates = 0;
  private weightsDirty = true;
  private readonly criticInputs: number;
  /** The time of day the networks read (null: they do not; settings.timeOfDay). */
  private readonly clock: StepClock | null;
  /** Inputs per (cell, slice) row of the features, and per actor input. */
  private readonly NF: number;
  private readonly actorWidth: number;
  /** The update's inputs, targets and gradients, reused from update to update. */
  private readonly work = new WorkArrays();

  constructor(
    readonly variant: MaddpgVariant,
    readonly layout: SlicingLayout,
    scenario: AgentScenario,
    options: AgentCreateOptions,
  ) {
    this.id = variant === 'admm' ? 'maddpg-admm' : `maddpg-${variant}`;
    this.cfg = agentSettings({ ...MADDPG_DEFAULTS, ...MADDPG_VARIANT_DEFAULTS[variant] }, this.id, scenario.agent, options, { predates: maddpgSettingsBefore });
    checkRanges(this.cfg, 'agent', [
      ...REPLAY_SCHEDULE_RANGES,
      ['gamma', 0, 0.9999],
      ['tau', 0, 1],
      ['actorLr', 0, 1],
      ['criticLr', 0, 1],
      ['admmIterations', 1, 1e4, true],
      ['exploreAdmmIterations', 1, 1e4, true],
      ['targetAdmmIterations', 1, 1e4, true],
      ['admmRhoMin', 1e-9, this.cfg.admmRho],
      ['admmRhoMax', this.cfg.admmRho, 1e9],
      ['lambdaEvery', 1, 1e9, true],
      ['constraintMargin', 0, 0.99],
    ]);
    this.engine = trainingEngine(options.engine);
    this.S = layout.slices.length;
    this.C = layout.cells;
    const groups = sliceTypeGroups(layout);
    this.types = groups.types;
    this.typeOf = groups.typeOf;
    this.slotsOfType = this.types.map((_, t) => this.typeOf.flatMap((tt, s) => (tt === t ? [s] : [])));
    this.heads = variant === 'lagrangian' ? 2 : 1;
    this.bounds = shareBounds(layout, scenario);
    this.constraints = sliceConstraints(layout, scenario);
    const limit = new Float64Array(this.S).fill(Number.NaN);
    for (const c of this.constraints) limit[c.slice] = Number.isNaN(limit[c.slice]!) ? c.limit : Math.min(limit[c.slice]!, c.limit);
    this.multipliers = new LagrangeMultipliers(limit, this.cfg);
    this.episodeCosts = new CostRates(this.S);
    this.rng = new Rng(deriveSeed(options.seed, this.id, 'updates'));
    const initRng = new Rng(deriveSeed(options.seed, this.id, 'init'));
    this.clock = clockOf(this.cfg, scenario);
    this.NF = featuresPerRow(this.clock);
    this.actorWidth = actorInputs(this.clock);
    this.criticInputs = this.NF + 1 + this.S * this.NF + this.S;
    for (let t = 0; t < this.types.length; t++) {
      const actorShape = { inputSize: this.actorWidth, hidden: this.cfg.hidden, outputSize: 1, outputActivation: 'sigmoid' as const };
      const criticShape = { inputSize: this.criticInputs, hidden: this.cfg.hidden, outputSize: this.heads, finalInitScale: 3e-3 };
      // Rows of one update: a type's (batch row, slot) pairs.
      const net = (learningRate: number) => ({ engine: this.engine, learningRate, clipNorm: this.cfg.gradClip, maxBatch: this.cfg.batchSize * this.slotsOfType[t]!.length });
      const actor = new Network(actorShape, initRng, net(this.cfg.actorLr));
      const critic = new Network(criticShape, initRng, net(this.cfg.criticLr));
      const actorTarget = new Network(actorShape, initRng, net(0));
      const criticTarget = new Network(criticShape, initRng, net(0));
      actor.softUpdateInto(actorTarget, 1);
      critic.softUpdateInto(criticTarget, 1);
      this.actors.push(actor);
      this.critics.push(critic);
      this.actorTargets.push(actorTarget);
      this.criticTargets.push(criticTarget);
    }
    // Each row also keeps the constraint costs of its cell's slices (the lagrangian critic's second head).
    this.book = new TransitionBook(this.cfg, this.C, this.S, new Rng(deriveSeed(options.seed, this.id, 'explore')), [{ name: 'cost', width: this.S }], this.clock);
    this.trainPolicy = new AdmmPolicy(this.id, layout, this.actors.map((a) => a.toSpec()), this.policySettings(this.cfg.exploreAdmmIterations), this.bounds);
  }

  /** The settings of the agent's ADMM policies: the training one's iterations, or the deployed ones'. */
  private policySettings(maxIterations = this.cfg.admmIterations): AdmmPolicySettings {
    return { admm: admmSettings(this.cfg, maxIterations), impl: actImpl(this.engine), clock: this.clock };
  }

  settings(): Record<string, unknown> {
    return { ...this.cfg, variant: this.variant, sliceTypes: this.types, replayBytesPerTransition: this.book.buffer.bytesPerTransition };
  }

  get replayBytesPerTransition(): number {
    return this.book.buffer.bytesPerTransition;
  }

  get steps(): number {
    return this.book.steps;
  }

  /** Per slice: the Lagrange multiplier (0 for maddpg-admm and for unconstrained slices). */
  get lambda(): Float64Array {
    return this.multipliers.lambda;
  }

  get replaySize(): number {
    return this.book.buffer.size;
  }

  private syncWeights(): void {
    if (!this.weightsDirty) return;
    this.trainPolicy.setActorWeights(this.actors.map((a) => a.toSpec()));
    this.weightsDirty = false;
  }

  reset(): void {
    this.trainPolicy.reset();
  }

  act(obs: NdArray<Float32Array>, context?: PolicyContext): Float32Array {
    this.syncWeights();
    return this.trainPolicy.act(obs, context);
  }

  actExplore(obs: NdArray<Float32Array>, context: PolicyContext): Float32Array {
    // ADMM's z (before its final projection) is the centre of the exploration noise.
    return this.book.explore(obs, this.bounds, () => {
      this.syncWeights();
      return this.trainPolicy.decide(obs, context).z;
    });
  }

  noise(): number {
    return this.book.noise();
  }

  evaluationPolicy(): SlicingPolicy {
    return new AdmmPolicy(this.id, this.layout, this.actors.map((a) => a.toSpec()), this.policySettings(), this.bounds);
  }

  observe(tr: Transition): AgentMetrics | null {
    const { C, S } = this;
    const cost = costsFromObservation(tr.nextObs.data, C, S, this.constraints);
    const { mask } = this.book.record(tr, (c) => ({ cost: cost.subarray(c * S, (c + 1) * S) }));
    this.episodeCosts.add(cost, mask, C);
    // The step's updates still see the window's multiplier; a full window moves it after them.
    const windowFull = this.variant !== 'admm' && this.multipliers.addStep(cost, mask, C);
    const metrics = this.book.updateIfDue(() => this.update());
    if (windowFull) this.multipliers.closeWindow();
    return metrics;
  }

  endEpisode(_stats: EpisodeStats): AgentMetrics {
    if (this.variant !== 'admm') this.multipliers.closeWindow();
    const out: AgentMetrics = {};
    for (let s = 0; s < this.S; s++) {
      if (Number.isNaN(this.multipliers.limit[s]!)) continue;
      const name = this.layout.slices[s]!.name;
      out[`violationRate.${name}`] = this.episodeCosts.rate(s);
      if (this.variant !== 'admm') out[`lambda.${name}`] = this.lambda[s]!;
    }
    this.episodeCosts.reset();
    return out;
  }

  /**
   * Critic input rows [feat_s, a_s, feats_all, a_all] for the listed (batch row, slice) pairs, in
   * the work array `name`.
   */
  private criticInput(feats: Float32Array, acts: ArrayLike<number>, rows: Int32Array, slots: Int32Array, name: string): Float32Array {
    const { S } = this;
    const NF = this.NF;
    const D = this.criticInputs;
    const out = this.work.f32(name, rows.length * D);
    for (let j = 0; j < rows.length; j++) {
      const b = rows[j]!;
      const s = slots[j]!;
      const o = j * D;
      copyRow(feats, (b * S + s) * NF, out, o, NF);
      out[o + NF] = acts[b * S + s]!;
      copyRow(feats, b * S * NF, out, o + NF + 1, S * NF);
      for (let k = 0; k < S; k++) out[o + NF + 1 + S * NF + k] = acts[b * S + k]!;
    }
    return out;
  }

  /** (row, slot) pairs of a type where `mask` is set, in the work arrays of `name`. */
  private rowsOfType(t: number, mask: Float32Array, batch: number, name: string): TypeRows {
    const slotsOfType = this.slotsOfType[t]!;
    const rows = this.work.i32(`${name}Rows${t}`, batch * slotsOfType.length);
    const slots = this.work.i32(`${name}Slots${t}`, batch * slotsOfType.length);
    let n = 0;
    for (let b = 0; b < batch; b++) {
      for (const s of slotsOfType) {
        if (mask[b * this.S + s]) {
          rows[n] = b;
          slots[n] = s;
          n++;
        }
      }
    }
    return { rows: rows.subarray(0, n), slots: slots.subarray(0, n) };
  }

  /** ADMM decisions of the target actors for a batch of next states (warm start: the replayed shares). */
  private targetActions(next: Float32Array, nextMask: Float32Array, warm: Float32Array, batch: number): Float64Array {
    const { S } = this;
    const state = createAdmmState(batch, S, this.cfg.admmRho);
    for (let i = 0; i < batch * S; i++) state.z[i] = nextMask[i] ? warm[i]! : 0;
    const groups = this.types.map((_, t) => this.rowsOfType(t, nextMask, batch, 'next'));
    admmSolve(
      state,
      (target, rho, x) => {
        for (let t = 0; t < groups.length; t++) {
          const { rows, slots } = groups[t]!;
          if (rows.length === 0) continue;
          const input = this.work.f32(`targetActorIn${t}`, rows.length * this.actorWidth);
          for (let j = 0; j < rows.length; j++) {
            const i = rows[j]! * S + slots[j]!;
            writeActorInput(next, this.NF, i, target[i]!, rho[rows[j]!]!, input, j * this.actorWidth);
          }
          const out = this.actorTargets[t]!.predict(input, rows.length);
          for (let j = 0; j < rows.length; j++) x[rows[j]! * S + slots[j]!] = out[j]!;
        }
      },
      admmSettings(this.cfg, this.cfg.targetAdmmIterations),
      nextMask,
      this.bounds.trivial ? null : this.bounds,
    );
    return state.z;
  }

  /**
   * One MADDPG update of every slice type's critic and actor on one shared batch. `fixed` pins the
   * batch (replay indices) and the random x-step targets (a seed) — for tests on a fixed batch.
   * The returned losses are those before the step.
   */
  update(fixed?: { indices: Int32Array; seed: number }): AgentMetrics {
    const B = fixed ? fixed.indices.length : this.cfg.batchSize;
    const rng = fixed ? new Rng(fixed.seed) : this.rng;
    const batch = this.book.batch(B, this.rng, fixed?.indices);
    // gamma = 0 needs no bootstrap, so no target-actor ADMM solve.
    const nextAct = this.cfg.gamma > 0 ? this.targetActions(batch.next, batch.nextMask, batch.act, B) : null;
    let criticLoss = 0;
    let actorLoss = 0;
    for (let t = 0; t < this.types.length; t++) {
      const pairs = this.rowsOfType(t, batch.mask, B, 'batch');
      if (pairs.rows.length === 0) continue;
      criticLoss += this.updateCritic(t, batch, pairs, nextAct);
      actorLoss += this.updateActor(t, batch, pairs, rng);
    }
    for (let t = 0; t < this.types.length; t++) {
      this.actors[t]!.softUpdateInto(this.actorTargets[t]!, this.cfg.tau);
      this.critics[t]!.softUpdateInto(this.criticTargets[t]!, this.cfg.tau);
    }
    this.updates += 1;
    this.weightsDirty = true;
    return { criticLoss: criticLoss / this.types.length, actorLoss: actorLoss / this.types.length, noise: this.noise(), updates: this.updates };
  }

  /**
   * Critic targets y = r + gamma (1 - done) Q'(o', a'), per head, for a type's (row, slot) pairs:
   * head 0 the utility log(r + 1) (rcpo: minus lambda times the cost), head 1 (lagrangian) the cost.
   */
  private criticLabels(t: number, batch: ReplayBatch, pairs: TypeRows, nextAct: Float64Array | null): Float32Array {
    const { S } = this;
    const { rows, slots } = pairs;
    const n = rows.length;
    const H = this.heads;
    const gamma = this.cfg.gamma;
    const cost = batch.extra.cost!;
    const y = this.work.f32('criticLabels', n * H);
    let bootstrap: Float32Array | null = null;
    if (nextAct) bootstrap = this.criticTargets[t]!.predict(this.criticInput(batch.next, nextAct, rows, slots, 'bootstrapIn'), n);
    for (let j = 0; j < n; j++) {
      const i = rows[j]! * S + slots[j]!;
      const utility = Math.log(batch.qos[i]! + 1);
      const cont = bootstrap && batch.nextMask[i] && !batch.done[rows[j]!] ? gamma : 0;
      const c = cost[i]!;
      const r0 = this.variant === 'rcpo' ? utility - this.lambda[slots[j]!]! * c : utility;
      y[j * H] = r0 + (cont ? cont * bootstrap![j * H]! : 0);
      if (H === 2) y[j * H + 1] = c + (cont ? cont * bootstrap![j * H + 1]! : 0);
    }
    return y;
  }

  /** One critic step of type t (mean squared error to the targets); the loss before the step. */
  private updateCritic(t: number, batch: ReplayBatch, pairs: TypeRows, nextAct: Float64Array | null): number {
    const n = pairs.rows.length;
    const H = this.heads;
    const y = this.criticLabels(t, batch, pairs, nextAct);
    const input = this.criticInput(batch.obs, batch.act, pairs.rows, pairs.slots, 'criticIn');
    const critic = this.critics[t]!;
    if (this.engine !== 'tfjs') {
      const trainer = critic.reserve(n);
      trainer.forward(input, n);
      const loss = trainer.loss('mse', y);
      critic.step(trainer.outputGradient.subarray(0, n * H));
      return loss;
    }
    return critic.adam!.minimize(() =>
      tf.tidy(() => {
        const q = critic.tf!.apply(tf.tensor2d(input, [n, this.criticInputs]));
        return tf.mean(tf.square(tf.sub(q, tf.tensor2d(y, [n, H])))) as tf.Scalar;
      }),
    );
  }

  /**
   * The actor's x-step inputs for a type's pairs: random targets v in [-0.2, 1.2] and penalties
   * rho log-uniform in [rhoMin, rhoMax], so one actor serves every ADMM iteration; the other
   * slices' replayed shares and the features the critic sees.
   */
  private actorInputs(batch: ReplayBatch, pairs: TypeRows, rng: Rng): ActorInputs {
    const { S } = this;
    const NF = this.NF;
    const feats = batch.obs;
    const { rows, slots } = pairs;
    const n = rows.length;
    const work = this.work;
    const actorIn = work.f32('actorIn', n * this.actorWidth);
    const vs = work.f32('vs', n);
    const rhos = work.f32('rhos', n);
    const lambdas = work.f32('lambdas', n);
    const logMin = Math.log10(this.cfg.admmRhoMin);
    const logMax = Math.log10(this.cfg.admmRhoMax);
    const othersActs = work.f32('othersActs', n * S);
    const oneHot = work.f32('oneHot', n * S, true);
    for (let j = 0; j < n; j++) {
      const b = rows[j]!;
      const s = slots[j]!;
      vs[j] = rng.uniform(-0.2, 1.2);
      rhos[j] = 10 ** rng.uniform(logMin, logMax);
      lambdas[j] = this.lambda[s]!;
      writeActorInput(feats, NF, b * S + s, vs[j]!, rhos[j]!, actorIn, j * this.actorWidth);
      for (let k = 0; k < S; k++) othersActs[j * S + k] = k === s ? 0 : batch.act[b * S + k]!;
      oneHot[j * S + s] = 1;
    }
    const ownFeats = work.f32('ownFeats', n * NF);
    const allFeats = work.f32('allFeats', n * S * NF);
    for (let j = 0; j < n; j++) {
      const b = rows[j]!;
      const i = b * S + slots[j]!;
      copyRow(feats, i * NF, ownFeats, j * NF, NF);
      copyRow(feats, b * S * NF, allFeats, j * S * NF, S * NF);
    }
    return { n, actorIn, vs, rhos, lambdas, othersActs, oneHot, ownFeats, allFeats };
  }

  /**
   * One actor step of type t on the x-step objective Q - (rho/2)(x - v)^2 (lagrangian: Q_R -
   * lambda Q_C), plus the pre-activation regularizer; the loss before the step.
   */
  private updateActor(t: number, batch: ReplayBatch, pairs: TypeRows, rng: Rng): number {
    const inputs = this.actorInputs(batch, pairs, rng);
    return this.engine === 'tfjs' ? this.actorStepTf(t, inputs) : this.actorStep(t, inputs);
  }

  /**
   * The actor step on the engine. With u the actor's pre-activation, x = sigmoid(u) enters the
   * critic twice (as the slice's own share and in the joint shares), so dLoss/dx is the sum of
   * the critic's input gradient at both columns plus rho (x - v) / n from the penalty; through the
   * sigmoid and with the regularizer's 2 reg u / n it is the gradient at u.
   */
  private actorStep(t: number, inputs: ActorInputs): number {
    const { S } = this;
    const NF = this.NF;
    const D = this.criticInputs;
    const H = this.heads;
    const { n, actorIn, vs, rhos, lambdas, othersActs, oneHot, ownFeats, allFeats } = inputs;
    const actor = this.actors[t]!;
    const work = this.work;
    const x = work.f32('actorOut', n);
    const pre = work.f32('actorPre', n);
    pre.set(actor.forwardTrain(actorIn, n, x).subarray(0, n));
    const qIn = work.f32('actorQIn', n * D);
    for (let j = 0; j < n; j++) {
      const o = j * D;
      copyRow(ownFeats, j * NF, qIn, o, NF);
      qIn[o + NF] = x[j]!;
      copyRow(allFeats, j * S * NF, qIn, o + NF + 1, S * NF);
      for (let k = 0; k < S; k++) qIn[o + NF + 1 + S * NF + k] = othersActs[j * S + k]! + oneHot[j * S + k]! * x[j]!;
    }
    const critic = this.critics[t]!.reserve(n);
    const q = critic.forward(qIn, n);
    const useLambda = this.variant === 'lagrangian';
    const reg = this.cfg.policyRegularizer;
    let objective = 0;
    let preSquares = 0;
    const dq = work.f32('actorDq', n * H);
    for (let j = 0; j < n; j++) {
      const value = q[j * H]! - (useLambda ? lambdas[j]! * q[j * H + 1]! : 0);
      const d = x[j]! - vs[j]!;
      objective += (value - 0.5 * rhos[j]! * d * d) / n;
      preSquares += pre[j]! * pre[j]!;
      dq[j * H] = -1 / n;
      if (useLambda) dq[j * H + 1] = lambdas[j]! / n;
    }
    const dIn = critic.backward(dq, { weights: false, input: true })!;
    const gradPre = work.f32('actorGradPre', n);
    for (let j = 0; j < n; j++) {
      let dx = dIn[j * D + NF]! + (rhos[j]! * (x[j]! - vs[j]!)) / n;
      for (let k = 0; k < S; k++) dx += oneHot[j * S + k]! * dIn[j * D + NF + 1 + S * NF + k]!;
      gradPre[j] = dx * x[j]! * (1 - x[j]!) + (2 * reg * pre[j]!) / n;
    }
    actor.step(gradPre);
    return -objective + (reg * preSquares) / n;
  }

  private actorStepTf(t: number, inputs: ActorInputs): number {
    const { S } = this;
    const NF = this.NF;
    const { n, actorIn, vs, rhos, lambdas, othersActs, oneHot, ownFeats, allFeats } = inputs;
    const reg = this.cfg.policyRegularizer;
    const useLambda = this.variant === 'lagrangian';
    return this.actors[t]!.adam!.minimize(() =>
      tf.tidy(() => {
        const { out: x, pre } = this.actors[t]!.tf!.applyWithPre(tf.tensor2d(actorIn, [n, this.actorWidth]));
        const acts = tf.add(tf.tensor2d(othersActs, [n, S]), tf.mul(tf.tensor2d(oneHot, [n, S]), x)) as tf.Tensor2D;
        const qIn = tf.concat<tf.Tensor2D>([tf.tensor2d(ownFeats, [n, NF]), x, tf.tensor2d(allFeats, [n, S * NF]), acts], 1);
        const q = this.critics[t]!.tf!.apply(qIn);
        let value = tf.slice(q, [0, 0], [n, 1]);
        if (useLambda) value = tf.sub(value, tf.mul(tf.tensor2d(lambdas, [n, 1]), tf.slice(q, [0, 1], [n, 1])));
        const penalty = tf.mul(tf.mul(tf.tensor2d(rhos, [n, 1]), 0.5), tf.square(tf.sub(x, tf.tensor2d(vs, [n, 1]))));
        const objective = tf.mean(tf.sub(value, penalty));
        return tf.add(tf.neg(objective), tf.mul(reg, tf.mean(tf.square(pre)))) as tf.Scalar;
      }),
    );
  }

  getState(): AgentState {
    const arrays: AgentState['arrays'] = {};
    const adamT: number[] = [];
    for (let t = 0; t < this.types.length; t++) {
      const actorT = storeNetwork(arrays, `actor${t}`, `adamActor${t}`, this.actors[t]!);
      storeNetwork(arrays, `actorTarget${t}`, null, this.actorTargets[t]!);
      const criticT = storeNetwork(arrays, `critic${t}`, `adamCritic${t}`, this.critics[t]!);
      storeNetwork(arrays, `criticTarget${t}`, null, this.criticTargets[t]!);
      adamT.push(actorT, criticT);
    }
    const book = this.book.checkpoint();
    Object.assign(arrays, book.arrays);
    const multipliers = this.multipliers.getState();
    arrays.lambda = multipliers.lambda;
    arrays.costSum = Float64Array.from(this.episodeCosts.sum);
    arrays.costCount = Float64Array.from(this.episodeCosts.count);
    arrays.lambdaWindowSum = multipliers.windowSum;
    arrays.lambdaWindowCount = multipliers.windowCount;
    return {
      meta: {
        id: this.id,
        variant: this.variant,
        settings: this.cfg,
        types: this.types,
        actorActivations: ACTOR_ACTIVATIONS(this.cfg.hidden),
        layers: this.cfg.hidden.length + 1,
        envSteps: book.meta.envSteps,
        updates: this.updates,
        adamT,
        rng: this.rng.getState(),
        exploreRng: book.meta.exploreRng,
        replay: book.meta.replay,
        lambdaWindowSteps: multipliers.windowSteps,
      },
      arrays,
    };
  }

  setState(state: AgentState): void {
    const m = state.meta as {
      envSteps: number;
      updates: number;
      adamT: number[];
      rng: number[];
      exploreRng: number[];
      replay: { head: number; size: number };
      layers: number;
      lambdaWindowSteps?: number;
    };
    for (let t = 0; t < this.types.length; t++) {
      restoreNetwork(state.arrays, `actor${t}`, `adamActor${t}`, this.actors[t]!, m.layers, m.adamT[2 * t]!);
      restoreNetwork(state.arrays, `actorTarget${t}`, null, this.actorTargets[t]!, m.layers);
      restoreNetwork(state.arrays, `critic${t}`, `adamCritic${t}`, this.critics[t]!, m.layers, m.adamT[2 * t + 1]!);
      restoreNetwork(state.arrays, `criticTarget${t}`, null, this.criticTargets[t]!, m.layers);
    }
    this.book.restore(m, state.arrays);
    this.multipliers.setState({
      lambda: state.arrays.lambda as Float64Array,
      ...(m.lambdaWindowSteps === undefined ? {} : { windowSum: state.arrays.lambdaWindowSum as Float64Array, windowCount: state.arrays.lambdaWindowCount as Float64Array, windowSteps: m.lambdaWindowSteps }),
    });
    this.episodeCosts.sum.set(state.arrays.costSum as Float64Array);
    this.episodeCosts.count.set(state.arrays.costCount as Float64Array);
    this.rng.setState(m.rng);
    this.updates = m.updates;
    this.weightsDirty = true;
  }

  dispose(): void {
    for (const n of [...this.actors, ...this.actorTargets, ...this.critics, ...this.criticTargets]) n.dispose();
  }
}

/** Copies `length` floats from `src` at `from` to `dst` at `to` (rows too short for subarray and set to pay). */
function copyRow(src: Float32Array, from: number, dst: Float32Array, to: number, length: number): void {
  for (let k = 0; k < length; k++) dst[to + k] = src[from + k]!;
}

/** The deployed policy from a saved agent state (no TensorFlow.js needed). */
export function admmPolicyFromState(layout: SlicingLayout, scenario: AgentScenario, state: AgentState): AdmmPolicy {
  const m = state.meta as { id: string; settings: MaddpgSettings; types: string[]; actorActivations: Array<'relu' | 'sigmoid'>; layers: number };
  const specs = m.types.map((_, t) =>
    specFromArrays(
      Array.from({ length: 2 * m.layers }, (_, i) => state.arrays[`actor${t}/${i}`] as Float32Array),
      m.actorActivations,
    ),
  );
  const cfg = m.settings;
  return new AdmmPolicy(
    m.id,
    layout,
    specs,
    { admm: admmSettings(cfg), clock: clockOf(cfg, scenario) },
    shareBounds(layout, scenario),
  );
}

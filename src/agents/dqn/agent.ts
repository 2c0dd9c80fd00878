/**
 * The DQN agent of SFC provisioning (docs/sfc.md#dqn), every extension selectable by settings:
 * double targets, the dueling head, prioritized replay, the attention encoder; n-step returns and
 * invalid-action masking (from the observation's feasibility flags) for all of them. One update every
 * `trainEvery` env steps after `learningStarts`: a batch from the memory, targets from the target
 * network (targets.ts), the Huber (or MSE) loss weighted by the importance weights, Adam with the
 * global gradient norm clipped at 1.0, new priorities (|δ| + ε)^α; the target network is a hard
 * copy every 100 updates (Mnih et al. 2015). Deterministic for a seed: weights, exploration,
 * sampling and dropout masks all come from the agent's RNG.
 */
import { sfcActionMask, sfcObservationLayout, type FamilyPolicy, type SfcObservation, type SfcObservationLayout, type SfcScenario } from '../../families/index.js';
import type { Transition as RolloutTransition } from '../../rollout/index.js';
import { SFC_ACTIONS } from '../../scenario/index.js';
import { Rng } from '../../util/index.js';
import type { AgentCreateOptions, AgentMetrics, AgentState, FamilyEpisodeStats, FamilyTrainableAgent } from '../agent.js';
import { QNetwork } from './qnet.js';
import { DqnReplay } from './replay.js';
import { overridesFor } from '../core/settings.js';
import { DQN_DEFAULTS, dqnSettingsBefore, phasedEpsilon, resolveDqnSettings, scheduledLearningRate, type DqnSettings, type DqnVariant } from './settings.js';
import { argmax, dqnTargets, nStepTransition, type StepRecord } from './targets.js';

type Obs = SfcObservation;

export class DqnAgent implements FamilyTrainableAgent<Obs, number> {
  readonly id = 'dqn';
  readonly config: DqnSettings & { variant: DqnVariant };
  readonly layout: SfcObservationLayout;
  readonly online: QNetwork;
  readonly target: QNetwork;
  readonly replay: DqnReplay;
  private readonly rng: Rng;
  epsilon: number;
  steps = 0;
  updates = 0;
  episode = 0;
  private readonly plannedUpdates: number;
  /** Whether the run said its budget (plannedSteps): without one the learning rate stays constant. */
  private readonly budgeted: boolean;
  /** The current episode's last steps not yet stored as n-step transitions (at most nStep − 1 between calls). */
  private recent: StepRecord[] = [];

  constructor(scenario: SfcScenario, options: AgentCreateOptions) {
    // A resumed run keeps its recorded settings, its variant included (overridesFor).
    this.config = resolveDqnSettings(overridesFor(DQN_DEFAULTS, options, { predates: dqnSettingsBefore, alsoKeys: ['variant'] }));
    const c = this.config;
    this.layout = sfcObservationLayout(scenario.sfc.dataCentres.length, scenario.sfc.maxActive, scenario.sfc.maxPending);
    this.rng = new Rng(options.seed);
    const netConfig = {
      actions: SFC_ACTIONS,
      hidden: c.hidden,
      streamHidden: c.streamHidden,
      dropout: c.dropout,
      dueling: c.dueling,
      attention: c.attention,
      embedDim: c.embedDim,
      heads: c.attentionHeads,
      learningRate: c.learningRate,
      maxBatch: Math.max(c.batchSize, 1),
    };
    this.online = new QNetwork(this.layout, netConfig, this.rng);
    this.target = new QNetwork(this.layout, netConfig, this.rng);
    this.target.copyFrom(this.online);
    this.replay = new DqnReplay(c.memorySize, this.layout.size, c.per ? { alpha: c.perAlpha, epsilon: c.perEpsilon } : null);
    this.epsilon = c.epsilonSchedule === 'phased' ? phasedEpsilon(0) : c.epsilonStart;
    const planned = options.plannedSteps ?? 0;
    this.budgeted = options.plannedSteps !== undefined;
    this.plannedUpdates = c.perBetaUpdates > 0 ? c.perBetaUpdates : Math.max(1, Math.floor((planned - c.learningStarts) / c.trainEvery));
  }

  /** The actions valid in a batch of observations ([batch, actions], 1 = valid), or null without masking. */
  private validActions(observations: Float32Array, batch: number): Uint8Array | null {
    return this.config.maskInvalid ? sfcActionMask(this.layout, observations, batch) : null;
  }

  /** The greedy action (among the valid ones with masking). */
  act(obs: Obs): number {
    return argmax(this.online.q(obs.data, 1), 0, SFC_ACTIONS, this.validActions(obs.data, 1));
  }

  /** ε-greedy: with probability ε an action drawn uniformly (among the valid ones with masking). */
  actExplore(obs: Obs): number {
    if (this.rng.next() < this.epsilon) {
      const mask = this.validActions(obs.data, 1);
      if (!mask) return this.rng.int(SFC_ACTIONS);
      const valid: number[] = [];
      for (let a = 0; a < SFC_ACTIONS; a++) if (mask[a]) valid.push(a);
      return valid[this.rng.int(valid.length)]!;
    }
    return this.act(obs);
  }

  observe(t: RolloutTransition<Obs, number>): AgentMetrics | null {
    const c = this.config;
    this.recent.push({ obs: t.obs.data.slice(), action: t.action, reward: t.reward, nextObs: t.nextObs.data.slice(), terminated: t.terminated });
    // Once n steps are held the oldest becomes an n-step transition; at the episode's end (a
    // termination or the time limit) every step held becomes a shorter one, each bootstrapping
    // from the last observation unless the episode terminated.
    const ended = t.terminated || t.truncated;
    while (this.recent.length >= c.nStep || (ended && this.recent.length > 0)) {
      const n = nStepTransition(this.recent, c.nStep, c.gamma);
      this.replay.add(n.obs, n.action, n.reward, n.nextObs, n.done, n.discount);
      this.recent.shift();
    }
    this.steps += 1;
    if (c.epsilonSchedule === 'decay') this.epsilon = Math.max(c.epsilonEnd, this.epsilon * c.epsilonDecay);
    if (this.steps < c.learningStarts || this.replay.size < c.batchSize || this.steps % c.trainEvery !== 0) return null;
    return this.update();
  }

  /** β of the importance weights: β0 annealed linearly to 1 over the planned updates. */
  beta(): number {
    const c = this.config;
    return Math.min(1, c.perBetaStart + ((1 - c.perBetaStart) * this.updates) / this.plannedUpdates);
  }

  /** The learning rate of the next update (late linear decay over the planned updates). */
  learningRate(): number {
    const c = this.config;
    if (!this.budgeted) return c.learningRate;
    return scheduledLearningRate(c.learningRate, c.learningRate * c.learningRateFinalFactor, c.learningRateDecayFrom, this.updates, this.plannedUpdates);
  }

  /** One gradient update; returns the loss, the mean |δ|, the gradient norm before clipping. */
  update(): AgentMetrics {
    const c = this.config;
    const B = c.batchSize;
    const beta = this.beta();
    const batch = this.replay.sample(B, this.rng, beta);
    const qNextTarget = this.target.q(batch.nextObs, B);
    const qNextOnline = c.double ? this.online.q(batch.nextObs, B) : null;
    const y = dqnTargets(batch.rewards, batch.dones, qNextTarget, qNextOnline, batch.discounts, SFC_ACTIONS, this.validActions(batch.nextObs, B));
    const learningRate = this.learningRate();
    const step = this.online.trainStep(batch.obs, B, batch.actions, y, batch.weights, c.loss, c.clipNorm, this.rng, learningRate);
    this.replay.updatePriorities(batch.indices, step.td);
    this.updates += 1;
    if (this.updates % c.targetUpdateEvery === 0) this.target.copyFrom(this.online);
    let absTd = 0;
    for (const d of step.td) absTd += Math.abs(d);
    return { loss: step.loss, meanAbsTd: absTd / B, gradNorm: step.gradNorm, epsilon: this.epsilon, beta, learningRate, updates: this.updates };
  }

  endEpisode(stats: FamilyEpisodeStats): AgentMetrics {
    this.episode = stats.episode + 1;
    if (this.config.epsilonSchedule === 'phased') this.epsilon = phasedEpsilon(this.episode);
    return { epsilon: this.epsilon };
  }

  evaluationPolicy(): FamilyPolicy<Obs, number> {
    return { id: this.config.variant, act: (obs) => this.act(obs) };
  }

  /** Keep-the-best (train/ family loop): the greedy policy's network is what best.bin holds. */
  bestPolicy(): { every: number; episodes: number; state: () => AgentState } | null {
    const c = this.config;
    return c.validateEvery > 0 ? { every: c.validateEvery, episodes: c.validationEpisodes, state: () => this.policyState() } : null;
  }

  /** What the greedy policy reads: the online network (its settings say how to build it). */
  policyState(): AgentState {
    const online = this.online.getState('online');
    return { meta: { settings: this.config, online: online.meta, updates: this.updates, episode: this.episode }, arrays: online.arrays };
  }

  /** Loads a policyState() into the online network (for evaluation; training state is left as it is). */
  setPolicyState(state: AgentState): void {
    this.online.setState('online', { meta: state.meta.online as Record<string, unknown>, arrays: state.arrays });
  }

  settings(): Record<string, unknown> {
    return { ...this.config, parameters: this.online.size() };
  }

  getState(): AgentState {
    const online = this.online.getState('online');
    const target = this.target.getState('target');
    const replay = this.replay.getState();
    const arrays: AgentState['arrays'] = { ...online.arrays, ...target.arrays };
    for (const [k, v] of Object.entries(replay.arrays)) arrays[`replay/${k}`] = v;
    const held = this.recent.length;
    const size = this.layout.size;
    if (held > 0) {
      const obs = new Float32Array(held * size);
      const nextObs = new Float32Array(held * size);
      this.recent.forEach((r, i) => {
        obs.set(r.obs, i * size);
        nextObs.set(r.nextObs, i * size);
      });
      arrays['recent/obs'] = obs;
      arrays['recent/nextObs'] = nextObs;
    }
    return {
      meta: {
        settings: this.config,
        epsilon: this.epsilon,
        steps: this.steps,
        updates: this.updates,
        episode: this.episode,
        rng: this.rng.getState(),
        online: online.meta,
        target: target.meta,
        replay: replay.meta,
        recent: this.recent.map((r) => ({ action: r.action, reward: r.reward, terminated: r.terminated })),
      },
      arrays,
    };
  }

  setState(state: AgentState): void {
    const m = state.meta;
    this.online.setState('online', { meta: m.online as Record<string, unknown>, arrays: state.arrays });
    this.target.setState('target', { meta: m.target as Record<string, unknown>, arrays: state.arrays });
    const replayArrays: Record<string, ArrayLike<number>> = {};
    for (const [k, v] of Object.entries(state.arrays)) if (k.startsWith('replay/')) replayArrays[k.slice('replay/'.length)] = v as ArrayLike<number>;
    this.replay.setState(m.replay as Record<string, unknown>, replayArrays, this.config.gamma);
    const size = this.layout.size;
    const recent = (m.recent ?? []) as Array<{ action: number; reward: number; terminated: boolean }>;
    const recentObs = state.arrays['recent/obs'] as ArrayLike<number> | undefined;
    const recentNext = state.arrays['recent/nextObs'] as ArrayLike<number> | undefined;
    this.recent = recent.map((r, i) => ({
      ...r,
      obs: Float32Array.from({ length: size }, (_, j) => recentObs![i * size + j]!),
      nextObs: Float32Array.from({ length: size }, (_, j) => recentNext![i * size + j]!),
    }));
    this.epsilon = Number(m.epsilon);
    this.steps = Number(m.steps);
    this.updates = Number(m.updates);
    this.episode = Number(m.episode);
    this.rng.setState(m.rng as number[]);
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
  }
}

// PPO for VNF migration (docs/vnf-migration.md), as CleanRL's ppo.py with two changes the action
// space asks for: the policy is a pointer-style scorer — one MLP scores each VNF (and a "no
// migration" row), a second scores each node for the chosen VNF — with masks from the twin, so
// infeasible moves get probability 0; and the value net reads scale-free summaries. Slot k of a
// step picks a VNF (or stops) and then its target, against the placement earlier slots left.
//
// Engine: the native MLP trainer (src/native createMlpTrainer; its TypeScript fallback when the
// addon is not built). PPO's loss is a function of logits the nets emit row by row; math.ts gives
// dLoss/dlogit in closed form, the trainer back-propagates it and takes the Adam step. Determinism:
// every draw comes from one seeded Rng whose state is checkpointed with the nets and Adam moments.
import type { VnfEnv, VnfMove } from '../../families/index.js';
import { createMlpTrainer, type MlpSpec, type MlpTrainer } from '../../native/index.js';
import { Rng, deriveSeed } from '../../util/index.js';
import type { StoredArray } from '../checkpoint-format.js';
import { TARGET_ROW, VALUE_INPUT, VNF_ROW, targetRows, valueInput, vnfRows, type SlotState } from './features.js';
import { addCategoricalGradient, argmax, clippedSurrogate, computeGae, entropyOf, maskedSoftmax, normalise, sampleIndex } from './math.js';

/** PPO hyperparameters; defaults are CleanRL's ppo.py unless a comment says why not. */
export interface PpoSettings {
  learningRate: number;
  /** Linear decay of the learning rate to 0 over the planned updates (CleanRL anneal_lr). */
  annealLr: boolean;
  gamma: number;
  gaeLambda: number;
  /** Minibatches per update (each update uses one episode of steps). */
  numMinibatches: number;
  updateEpochs: number;
  normAdv: boolean;
  clipCoef: number;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  hidden: number;
}

export const PPO_DEFAULTS: PpoSettings = {
  // CleanRL ppo.py (Huang et al. 2022, "The 37 implementation details of PPO"): 2.5e-4; the
  // scorers see few distinct states per episode, so 3e-3 lets it move within the scenario's few
  // dozen episodes (one update per 96-step episode).
  learningRate: 3e-3,
  annealLr: true,
  gamma: 0.99,
  gaeLambda: 0.95,
  numMinibatches: 4,
  updateEpochs: 4,
  normAdv: true,
  clipCoef: 0.2,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  // CleanRL's 64-unit tanh layers.
  hidden: 64,
};

/** One decision slot as the update replays it. */
interface SlotRecord {
  vnfRows: Float32Array;
  vnfMask: Uint8Array;
  vnf: number;
  targetRows: Float32Array | null;
  targetMask: Uint8Array | null;
  target: number;
}

interface StepRecord {
  value: number;
  valueInput: Float32Array;
  reward: number;
  done: number;
  logp: number;
  slots: SlotRecord[];
}

export interface PpoUpdateMetrics {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  clipFraction: number;
  approxKl: number;
  learningRate: number;
}

function initSpec(sizes: readonly number[], rng: Rng, outputScale: number): MlpSpec {
  // PyTorch's default Linear init, U(−1/√fan_in, 1/√fan_in); the last layer scaled as CleanRL's
  // layer_init(std=0.01) for the policy (near-uniform first policy) and std=1 for the value.
  return {
    layers: sizes.slice(1).map((outSize, i) => {
      const inSize = sizes[i]!;
      const bound = 1 / Math.sqrt(inSize);
      const last = i === sizes.length - 2;
      const scale = last ? outputScale : 1;
      const weights = new Float32Array(inSize * outSize).map(() => rng.uniform(-bound, bound) * scale);
      const bias = new Float32Array(outSize).map(() => rng.uniform(-bound, bound) * scale);
      return { inSize, outSize, weights, bias, activation: last ? 'linear' : 'tanh' };
    }),
  };
}

export class PpoAgent {
  readonly settings: PpoSettings;
  readonly vnfScorer: MlpTrainer;
  readonly targetScorer: MlpTrainer;
  readonly critic: MlpTrainer;
  rng: Rng;
  /** Rewards are divided by this (the mean |reward| of the first episode), so value targets stay near 1. */
  rewardScale = 0;
  updates = 0;
  private buffer: StepRecord[] = [];

  constructor(
    readonly maxRows: number,
    seed: number,
    settings: Partial<PpoSettings> = {},
    /** Updates planned for the run (the learning-rate decay). */
    readonly plannedUpdates = 1,
  ) {
    this.settings = { ...PPO_DEFAULTS, ...settings };
    const h = this.settings.hidden;
    const init = new Rng(deriveSeed(seed, 'ppo-init'));
    const adam = { learningRate: this.settings.learningRate, epsilon: 1e-5 };
    this.vnfScorer = createMlpTrainer(initSpec([VNF_ROW, h, h, 1], init, 0.01), { maxBatch: maxRows, adam });
    this.targetScorer = createMlpTrainer(initSpec([TARGET_ROW, h, h, 1], init, 0.01), { maxBatch: maxRows, adam });
    this.critic = createMlpTrainer(initSpec([VALUE_INPUT, h, h, 1], init, 1), { maxBatch: 1024, adam });
    this.rng = new Rng(deriveSeed(seed, 'ppo'));
  }

  private scores(net: MlpTrainer, rows: Float32Array, width: number): Float32Array {
    return Float32Array.from(net.forward(rows, rows.length / width));
  }

  /**
   * VNF-head logits: the scorer's, with a fixed prior of ln(V) on the "no migration" row, so that
   * the first policy stops with probability about 1/2 per slot instead of 1/(V + 1) (a policy that
   * starts by migrating at random every slot pays for it long before it learns which moves help).
   */
  private vnfLogits(rows: Float32Array): Float32Array {
    const logits = this.scores(this.vnfScorer, rows, VNF_ROW);
    logits[logits.length - 1]! += Math.log(Math.max(1, logits.length - 1));
    return logits;
  }

  /**
   * The moves of one step: per slot, a VNF (or stop) and then its target, sampled (explore) or the
   * most probable (greedy). With `record`, the slot data are kept for the update.
   */
  act(env: VnfEnv, explore: boolean, record = false): VnfMove[] {
    const moves: VnfMove[] = [];
    const slots: SlotRecord[] = [];
    let logp = 0;
    const V = env.twin.vnfCount;
    for (let k = 0; k < env.scenario.vnf.migrationsPerStep; k++) {
      const masks = env.masksAfter(moves);
      const state: SlotState = { planning: masks.planning, load: masks.load, placement: masks.placement };
      const rows = vnfRows(env, state);
      const p = maskedSoftmax(this.vnfLogits(rows), masks.vnf);
      const vnf = explore ? sampleIndex(p, this.rng.next()) : argmax(p);
      logp += Math.log(p[vnf]!);
      const slot: SlotRecord = { vnfRows: rows, vnfMask: masks.vnf, vnf, targetRows: null, targetMask: null, target: -1 };
      if (vnf !== V) {
        const tRows = targetRows(env, state, vnf);
        const tMask = env.twin.targetMask(vnf, masks.load, masks.planning, masks.placement);
        const q = maskedSoftmax(this.scores(this.targetScorer, tRows, TARGET_ROW), tMask);
        const target = explore ? sampleIndex(q, this.rng.next()) : argmax(q);
        logp += Math.log(q[target]!);
        Object.assign(slot, { targetRows: tRows, targetMask: tMask, target });
        moves.push({ vnf, target });
      }
      slots.push(slot);
      if (vnf === V) break;
    }
    if (record) {
      const input = valueInput(env);
      const value = this.critic.forward(input, 1)[0]!;
      this.buffer.push({ value, valueInput: input, reward: 0, done: 0, logp, slots });
    }
    return moves;
  }

  /** The reward and end flag of the step recorded last. */
  observe(reward: number, done: boolean): void {
    const last = this.buffer[this.buffer.length - 1];
    if (last) Object.assign(last, { reward, done: done ? 1 : 0 });
  }

  get bufferedSteps(): number {
    return this.buffer.length;
  }

  /** log π of a recorded slot list under the current nets, with the distributions used. */
  private replay(step: StepRecord): { logp: number; dists: Array<{ p: Float64Array; q: Float64Array | null }> } {
    let logp = 0;
    const dists: Array<{ p: Float64Array; q: Float64Array | null }> = [];
    for (const slot of step.slots) {
      const p = maskedSoftmax(this.vnfLogits(slot.vnfRows), slot.vnfMask);
      logp += Math.log(Math.max(p[slot.vnf]!, 1e-30));
      let q: Float64Array | null = null;
      if (slot.targetRows && slot.targetMask) {
        q = maskedSoftmax(this.scores(this.targetScorer, slot.targetRows, TARGET_ROW), slot.targetMask);
        logp += Math.log(Math.max(q[slot.target]!, 1e-30));
      }
      dists.push({ p, q });
    }
    return { logp, dists };
  }

  /** One PPO update on the buffered episode(s); `lastValue` bootstraps a cut rollout (0 at an episode end). */
  update(lastValue = 0): PpoUpdateMetrics {
    const s = this.settings;
    const steps = this.buffer;
    this.buffer = [];
    if (this.rewardScale === 0) this.rewardScale = Math.max(1e-6, steps.reduce((a, st) => a + Math.abs(st.reward), 0) / Math.max(1, steps.length));
    const rewards = steps.map((st) => st.reward / this.rewardScale);
    const values = steps.map((st) => st.value);
    const { advantages, returns } = computeGae(rewards, values, steps.map((st) => st.done), lastValue, s.gamma, s.gaeLambda);
    const lr = s.annealLr ? s.learningRate * Math.max(0, 1 - this.updates / Math.max(1, this.plannedUpdates)) : s.learningRate;
    const n = steps.length;
    const minibatch = Math.max(1, Math.ceil(n / s.numMinibatches));
    let policyLoss = 0;
    let valueLoss = 0;
    let entropy = 0;
    let clipped = 0;
    let kl = 0;
    let counted = 0;
    for (let epoch = 0; epoch < s.updateEpochs; epoch++) {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let start = 0; start < n; start += minibatch) {
        const idx = order.slice(start, start + minibatch);
        const m = idx.length;
        const adv = Float64Array.from(idx, (i) => advantages[i]!);
        const normAdv = s.normAdv ? normalise(adv) : adv;
        this.vnfScorer.zeroGradients();
        this.targetScorer.zeroGradients();
        idx.forEach((i, b) => {
          const step = steps[i]!;
          const { logp, dists } = this.replay(step);
          const surrogate = clippedSurrogate(logp, step.logp, normAdv[b]!, s.clipCoef);
          policyLoss += surrogate.loss / m;
          clipped += surrogate.clipped ? 1 : 0;
          kl += surrogate.ratio - 1 - Math.log(surrogate.ratio);
          counted += 1;
          step.slots.forEach((slot, k) => {
            const { p, q } = dists[k]!;
            entropy += entropyOf(p) + (q ? entropyOf(q) : 0);
            const gp = new Float32Array(p.length);
            addCategoricalGradient(gp, p, slot.vnf, surrogate.dLogp / m, -s.entCoef / m);
            this.vnfScorer.forward(slot.vnfRows, p.length);
            this.vnfScorer.backward(gp, { accumulate: true });
            if (q && slot.targetRows) {
              const gq = new Float32Array(q.length);
              addCategoricalGradient(gq, q, slot.target, surrogate.dLogp / m, -s.entCoef / m);
              this.targetScorer.forward(slot.targetRows, q.length);
              this.targetScorer.backward(gq, { accumulate: true });
            }
          });
        });
        for (const net of [this.vnfScorer, this.targetScorer]) {
          net.clipGradientNorm(s.maxGradNorm);
          net.adamStep({ learningRate: lr });
        }
        // Value loss 0.5·vf_coef·mean((V − R)²); separate nets, so vf_coef only scales its gradient.
        const inputs = new Float32Array(m * VALUE_INPUT);
        const targets = new Float32Array(m);
        idx.forEach((i, b) => {
          inputs.set(steps[i]!.valueInput, b * VALUE_INPUT);
          targets[b] = returns[i]!;
        });
        this.critic.forward(inputs, m);
        valueLoss += this.critic.loss('mse', targets) / 2;
        const g = this.critic.outputGradient;
        for (let b = 0; b < m; b++) g[b]! *= 0.5 * s.vfCoef;
        this.critic.backward();
        this.critic.clipGradientNorm(s.maxGradNorm);
        this.critic.adamStep({ learningRate: lr });
      }
    }
    this.updates += 1;
    const batches = s.updateEpochs * Math.ceil(n / minibatch);
    return {
      policyLoss: policyLoss / batches,
      valueLoss: valueLoss / batches,
      entropy: entropy / Math.max(1, counted),
      clipFraction: clipped / Math.max(1, counted),
      approxKl: kl / Math.max(1, counted),
      learningRate: lr,
    };
  }

  /** Nets, Adam moments and counters as checkpoint arrays and meta. */
  getState(): { meta: Record<string, unknown>; arrays: Record<string, StoredArray> } {
    const arrays: Record<string, StoredArray> = {};
    const steps: Record<string, number> = {};
    for (const [name, net] of Object.entries({ vnf: this.vnfScorer, target: this.targetScorer, critic: this.critic })) {
      const st = net.getState();
      arrays[`${name}/params`] = st.params;
      arrays[`${name}/adamM`] = st.adamM;
      arrays[`${name}/adamV`] = st.adamV;
      steps[name] = st.step;
    }
    return { meta: { rng: this.rng.getState(), rewardScale: this.rewardScale, updates: this.updates, adamSteps: steps, settings: this.settings }, arrays };
  }

  setState(state: { meta: Record<string, unknown>; arrays: Record<string, StoredArray> }): void {
    const steps = state.meta.adamSteps as Record<string, number>;
    for (const [name, net] of Object.entries({ vnf: this.vnfScorer, target: this.targetScorer, critic: this.critic })) {
      net.setState({
        params: state.arrays[`${name}/params`] as Float32Array,
        adamM: state.arrays[`${name}/adamM`] as Float32Array,
        adamV: state.arrays[`${name}/adamV`] as Float32Array,
        step: steps[name]!,
      });
    }
    this.rng.setState(state.meta.rng as number[]);
    this.rewardScale = state.meta.rewardScale as number;
    this.updates = state.meta.updates as number;
  }
}

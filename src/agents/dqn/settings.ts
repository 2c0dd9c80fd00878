/**
 * DQN settings (docs/sfc.md#dqn) with their sources. The defaults are the design's: Adam 1e-3,
 * batch 32, memory 10,000, γ 0.99, ε 1.0 → 0.01 with decay 0.995, hard target update every 100
 * updates, gradient clipping at norm 1.0, dueling streams 512 → 256 → (128 → 1, 128 → 15) with
 * dropout 0.2, 8 attention heads, PER α 0.6 and β 0.4 → 1. Added to them (docs/sfc.md#settings):
 * n-step returns, invalid-action masking, the learning rate falling to a tenth over the second half
 * of the run, and keeping the policy that scores best on validation episodes.
 */
import { InputError } from '../../util/index.js';

export const EPSILON_SCHEDULES = ['decay', 'phased'] as const;
export type EpsilonSchedule = (typeof EPSILON_SCHEDULES)[number];
export const DQN_LOSSES = ['huber', 'mse'] as const;
export type DqnLoss = (typeof DQN_LOSSES)[number];

export interface DqnSettings {
  /** Double DQN targets: the online network picks a', the target network values it (van Hasselt et al. 2016). */
  double: boolean;
  /** Dueling head: Q = V + A − mean A (Wang et al. 2016). */
  dueling: boolean;
  /** Prioritized replay through a sum tree (Schaul et al. 2016). */
  per: boolean;
  /** Multi-head self-attention over the observation's tokens (Vaswani et al. 2017). */
  attention: boolean;
  /** Shared layers of the head (ReLU, each followed by dropout). */
  hidden: number[];
  /** Hidden width of each dueling stream. */
  streamHidden: number;
  dropout: number;
  attentionHeads: number;
  /** Token embedding width (a multiple of attentionHeads). */
  embedDim: number;
  learningRate: number;
  /**
   * Late learning-rate decay: the rate stays `learningRate` for the first `learningRateDecayFrom`
   * of the run's planned updates, then falls linearly to `learningRate × learningRateFinalFactor`
   * at the last one (factor 1: constant; so is an agent built without a planned budget).
   */
  learningRateFinalFactor: number;
  learningRateDecayFrom: number;
  batchSize: number;
  memorySize: number;
  gamma: number;
  epsilonStart: number;
  epsilonEnd: number;
  /** ε ← max(εend, ε × decay) after every env step (schedule `decay`). */
  epsilonDecay: number;
  /** `decay`, or `phased`: 50 episodes at 1.0, 100 at 0.8, 100 at 0.5, then 0.2 (the design's four phases). */
  epsilonSchedule: EpsilonSchedule;
  /** Hard copy of the online network into the target network every this many updates (Mnih et al. 2015). */
  targetUpdateEvery: number;
  loss: DqnLoss;
  /** Global gradient-norm clip. */
  clipNorm: number;
  perAlpha: number;
  perBetaStart: number;
  /** Updates over which β anneals linearly to 1 (0: the run's planned updates). */
  perBetaUpdates: number;
  /** Added to |δ| in new priorities. */
  perEpsilon: number;
  /** Steps of the return before the bootstrap: R = Σ_{k<n} γᵏ r_k + γⁿ max Q (1 = the one-step target). */
  nStep: number;
  /**
   * Keep the actions the env would refuse (read from the observation's feasibility flags) out of
   * the greedy pick, the exploration draw and the target's max.
   */
  maskInvalid: boolean;
  /** Env steps before the first update (the memory must hold a few batches). */
  learningStarts: number;
  /** One update every this many env steps. */
  trainEvery: number;
  /**
   * Keep the best policy: every this many episodes (and at the run's end) the greedy policy plays
   * `validationEpisodes` validation episodes and replaces the run's best.bin when it scores higher
   * (0: keep the last policy only).
   */
  validateEvery: number;
  validationEpisodes: number;
}

export const DQN_DEFAULTS: DqnSettings = {
  double: true,
  dueling: true,
  per: true,
  attention: true,
  hidden: [512, 256],
  streamHidden: 128,
  dropout: 0.2,
  attentionHeads: 8,
  embedDim: 64,
  learningRate: 1e-3,
  learningRateFinalFactor: 0.1,
  learningRateDecayFrom: 0.5,
  batchSize: 32,
  memorySize: 10_000,
  gamma: 0.99,
  epsilonStart: 1.0,
  epsilonEnd: 0.01,
  epsilonDecay: 0.995,
  epsilonSchedule: 'decay',
  targetUpdateEvery: 100,
  loss: 'huber',
  clipNorm: 1.0,
  perAlpha: 0.6,
  perBetaStart: 0.4,
  perBetaUpdates: 0,
  perEpsilon: 1e-6,
  nStep: 3,
  maskInvalid: true,
  learningStarts: 500,
  trainEvery: 2,
  validateEvery: 5,
  validationEpisodes: 10,
};

/** The ablations: each adds one component to plain DQN; `dqn` has them all. */
export const DQN_VARIANTS = {
  dqn: { double: true, dueling: true, per: true, attention: true },
  'dqn-plain': { double: false, dueling: false, per: false, attention: false },
  'dqn+double': { double: true, dueling: false, per: false, attention: false },
  'dqn+dueling': { double: false, dueling: true, per: false, attention: false },
  'dqn+per': { double: false, dueling: false, per: true, attention: false },
  'dqn+attention': { double: false, dueling: false, per: false, attention: true },
} as const satisfies Record<string, Pick<DqnSettings, 'double' | 'dueling' | 'per' | 'attention'>>;
export type DqnVariant = keyof typeof DQN_VARIANTS;

/**
 * The learning rate of update `update` (0-based) of `planned`: constant for the first `from`
 * fraction of the planned updates, then linear to `end` at the last one, held there after it.
 */
export function scheduledLearningRate(start: number, end: number, from: number, update: number, planned: number): number {
  const begin = from * planned;
  if (update <= begin || planned <= begin) return start;
  const progress = Math.min(1, (update - begin) / (planned - begin));
  return start + (end - start) * progress;
}

/** The ε of the phased schedule in an episode (0-based). */
export function phasedEpsilon(episode: number): number {
  if (episode < 50) return 1.0;
  if (episode < 150) return 0.8;
  if (episode < 250) return 0.5;
  return 0.2;
}

/**
 * How the dqn agent behaved before each of its later settings existed, for a resumed run that
 * predates them (resumedSettings): one-step targets, no action masking, a constant learning rate
 * and the last policy kept (no validation).
 */
export function dqnSettingsBefore(): Partial<DqnSettings> {
  return { nStep: 1, maskInvalid: false, learningRateFinalFactor: 1, validateEvery: 0 };
}

/**
 * Resolves overrides on top of the defaults: `variant` (one of DQN_VARIANTS) picks the components,
 * then single fields override. Unknown keys and bad values are refused naming the field.
 */
export function resolveDqnSettings(overrides: Record<string, unknown> = {}): DqnSettings & { variant: DqnVariant } {
  const { variant = 'dqn', ...rest } = overrides;
  if (typeof variant !== 'string' || !Object.prototype.hasOwnProperty.call(DQN_VARIANTS, variant)) {
    throw new InputError('agent.variant', variant, `one of ${Object.keys(DQN_VARIANTS).join(', ')}`);
  }
  const out: Record<string, unknown> = { ...DQN_DEFAULTS, ...DQN_VARIANTS[variant as DqnVariant] };
  for (const [key, value] of Object.entries(rest)) {
    if (!(key in DQN_DEFAULTS)) throw new InputError(`agent.${key}`, value, `a DQN setting (${Object.keys(DQN_DEFAULTS).join(', ')}, variant)`);
    const d = (DQN_DEFAULTS as unknown as Record<string, unknown>)[key];
    if (typeof d === 'boolean' && typeof value !== 'boolean') throw new InputError(`agent.${key}`, value, 'true or false');
    if (typeof d === 'number' && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) throw new InputError(`agent.${key}`, value, 'a number >= 0');
    if (Array.isArray(d) && (!Array.isArray(value) || value.length === 0 || value.some((v) => !Number.isInteger(v) || (v as number) < 1))) {
      throw new InputError(`agent.${key}`, value, 'a non-empty list of layer widths');
    }
    if (key === 'epsilonSchedule' && !(EPSILON_SCHEDULES as readonly unknown[]).includes(value)) throw new InputError(`agent.${key}`, value, EPSILON_SCHEDULES.join(' or '));
    if (key === 'loss' && !(DQN_LOSSES as readonly unknown[]).includes(value)) throw new InputError(`agent.${key}`, value, DQN_LOSSES.join(' or '));
    out[key] = value;
  }
  const s = out as unknown as DqnSettings;
  for (const key of ['batchSize', 'memorySize', 'targetUpdateEvery', 'trainEvery', 'attentionHeads', 'embedDim', 'streamHidden', 'nStep', 'validationEpisodes'] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 1) throw new InputError(`agent.${key}`, s[key], 'an integer >= 1');
  }
  if (!Number.isInteger(s.validateEvery)) throw new InputError('agent.validateEvery', s.validateEvery, 'an integer >= 0 (0: keep the last policy only)');
  if (s.embedDim % s.attentionHeads !== 0) throw new InputError('agent.embedDim', s.embedDim, `a multiple of attentionHeads (${s.attentionHeads})`);
  if (s.dropout >= 1) throw new InputError('agent.dropout', s.dropout, 'a rate in [0, 1)');
  if (s.learningRateDecayFrom > 1) throw new InputError('agent.learningRateDecayFrom', s.learningRateDecayFrom, 'a fraction of the planned updates in [0, 1]');
  if (s.gamma > 1) throw new InputError('agent.gamma', s.gamma, 'a discount in [0, 1]');
  return { ...s, variant: variant as DqnVariant };
}

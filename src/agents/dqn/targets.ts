/**
 * The bootstrap targets of a DQN update, on host arrays (docs/sfc.md#dqn):
 *
 *   plain   y = R + γⁿ (1 − done) max_a'∈valid(s') Q_target(s', a')                      (Mnih et al. 2015)
 *   double  y = R + γⁿ (1 − done) Q_target(s', argmax_a'∈valid(s') Q_online(s', a'))     (van Hasselt et al. 2016)
 *
 * with R = Σ_{k<n} γᵏ r_k the n-step return (Sutton 1988; n = 3 in Rainbow, Hessel et al. 2018)
 * and valid(s') the actions the env would carry out in s' (all of them without a mask).
 */

/**
 * Index of the largest of `n` values starting at `offset` (the first on ties). With `mask` (same
 * indexing as `values`), only entries whose mask is non-zero compete; a row with none gives the first.
 */
export function argmax(values: ArrayLike<number>, offset = 0, n = values.length - offset, mask: ArrayLike<number> | null = null): number {
  let best = -1;
  for (let a = 0; a < n; a++) {
    if (mask && !mask[offset + a]) continue;
    if (best < 0 || values[offset + a]! > values[offset + best]!) best = a;
  }
  return Math.max(best, 0);
}

/**
 * Targets of a batch. `qNextTarget` and `qNextOnline` are [batch, actions] row-major; without
 * `qNextOnline` (plain DQN) the target network both picks and values the next action. `gamma` is
 * one discount for every row or, for n-step transitions, each row's γⁿ. `nextMask` ([batch,
 * actions], 1 = valid in s') keeps refused actions out of the pick.
 */
export function dqnTargets(
  rewards: ArrayLike<number>,
  dones: ArrayLike<number>,
  qNextTarget: ArrayLike<number>,
  qNextOnline: ArrayLike<number> | null,
  gamma: number | ArrayLike<number>,
  actions: number,
  nextMask: ArrayLike<number> | null = null,
): Float32Array {
  const batch = rewards.length;
  const y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const pick = argmax(qNextOnline ?? qNextTarget, b * actions, actions, nextMask);
    const discount = typeof gamma === 'number' ? gamma : gamma[b]!;
    y[b] = rewards[b]! + discount * (1 - dones[b]!) * qNextTarget[b * actions + pick]!;
  }
  return y;
}

/** One env step as the n-step accumulator keeps it. */
export interface StepRecord {
  obs: Float32Array;
  action: number;
  reward: number;
  nextObs: Float32Array;
  terminated: boolean;
}

/** An n-step transition: from the first step's state and action to the state k ≤ n steps later. */
export interface NStepTransition {
  obs: Float32Array;
  action: number;
  /** Σ_{j<k} γʲ r_j. */
  reward: number;
  nextObs: Float32Array;
  /** The episode terminated within the k steps (no bootstrap). */
  done: boolean;
  /** γᵏ, the discount of the bootstrap. */
  discount: number;
}

/**
 * The n-step transition that starts at `steps[0]` and spans its first min(n, steps.length) steps,
 * stopping early at a terminal step. A time-limit cut is not terminal: the caller flushes the
 * remaining steps at an episode's end and each bootstraps from the last observation.
 */
export function nStepTransition(steps: readonly StepRecord[], n: number, gamma: number): NStepTransition {
  let reward = 0;
  let discount = 1;
  let last = steps[0]!;
  for (let k = 0; k < Math.min(n, steps.length); k++) {
    last = steps[k]!;
    reward += discount * last.reward;
    discount *= gamma;
    if (last.terminated) break;
  }
  return { obs: steps[0]!.obs, action: steps[0]!.action, reward, nextObs: last.nextObs, done: last.terminated, discount };
}

/**
 * The TD loss of a batch and its gradient with respect to the Q-values. Q is [batch, actions]; only
 * the taken action's Q enters: δ_b = Q(s_b, a_b) − y_b, loss = (1/B) Σ_b w_b ℓ(δ_b) with ℓ the
 * Huber loss (threshold 1: ½δ² for |δ| ≤ 1, |δ| − ½ beyond) or ½δ² (MSE); w_b are the importance
 * weights of prioritized replay (1 without). dQ[b, a_b] = w_b ℓ'(δ_b) / B, 0 elsewhere.
 */
export function tdLoss(
  q: ArrayLike<number>,
  actions: ArrayLike<number>,
  targets: ArrayLike<number>,
  weights: ArrayLike<number>,
  kind: 'huber' | 'mse',
  nActions: number,
): { loss: number; td: Float32Array; gradient: Float32Array } {
  const B = targets.length;
  const td = new Float32Array(B);
  const gradient = new Float32Array(B * nActions);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const i = b * nActions + actions[b]!;
    const d = q[i]! - targets[b]!;
    td[b] = d;
    const w = weights[b]!;
    if (kind === 'huber') {
      const a = Math.abs(d);
      loss += w * (a <= 1 ? 0.5 * d * d : a - 0.5);
      gradient[i] = (w * Math.max(-1, Math.min(1, d))) / B;
    } else {
      loss += w * 0.5 * d * d;
      gradient[i] = (w * d) / B;
    }
  }
  return { loss: loss / B, td, gradient };
}

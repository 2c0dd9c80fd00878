/**
 * The bootstrap targets of a DQN update, on host arrays (docs/sfc.md#dqn):
 *
 *   plain   y = r + γ (1 − done) max_a' Q_target(s', a')                         (Mnih et al. 2015)
 *   double  y = r + γ (1 − done) Q_target(s', argmax_a' Q_online(s', a'))        (van Hasselt et al. 2016)
 */

/** Index of the largest of `n` values starting at `offset` (the first on ties). */
export function argmax(values: ArrayLike<number>, offset = 0, n = values.length - offset): number {
  let best = 0;
  for (let a = 1; a < n; a++) if (values[offset + a]! > values[offset + best]!) best = a;
  return best;
}

/**
 * Targets of a batch. `qNextTarget` and `qNextOnline` are [batch, actions] row-major; without
 * `qNextOnline` (plain DQN) the target network both picks and values the next action.
 */
export function dqnTargets(
  rewards: ArrayLike<number>,
  dones: ArrayLike<number>,
  qNextTarget: ArrayLike<number>,
  qNextOnline: ArrayLike<number> | null,
  gamma: number,
  actions: number,
): Float32Array {
  const batch = rewards.length;
  const y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const pick = argmax(qNextOnline ?? qNextTarget, b * actions, actions);
    y[b] = rewards[b]! + gamma * (1 - dones[b]!) * qNextTarget[b * actions + pick]!;
  }
  return y;
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

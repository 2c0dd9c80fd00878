// The arithmetic of PPO (Schulman et al. 2017) on plain arrays, written as CleanRL's ppo.py does
// it: GAE(λ) advantages and returns (Schulman et al. 2016), the clipped surrogate and its gradient
// with respect to the log-probability, and masked categorical distributions with the gradients of
// their log-probability and entropy with respect to the logits (the engine back-propagates those
// through the nets). docs/vnf-migration.md has the equations.

/**
 * GAE(λ): δ_t = r_t + γ V(s_{t+1})(1 − done_t) − V(s_t), A_t = δ_t + γλ(1 − done_t) A_{t+1};
 * returns R_t = A_t + V(s_t). `dones[t]` = 1 when the episode ended at step t (the value after it
 * is not bootstrapped); `lastValue` is V of the state after the last step.
 */
export function computeGae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  dones: ArrayLike<number>,
  lastValue: number,
  gamma: number,
  lambda: number,
): { advantages: Float64Array; returns: Float64Array } {
  const n = rewards.length;
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const notDone = 1 - dones[t]!;
    const nextValue = t === n - 1 ? lastValue : values[t + 1]!;
    const delta = rewards[t]! + gamma * nextValue * notDone - values[t]!;
    next = delta + gamma * lambda * notDone * next;
    advantages[t] = next;
    returns[t] = next + values[t]!;
  }
  return { advantages, returns };
}

/** (x − mean) / (std + 1e-8), std the population standard deviation (CleanRL's norm_adv). */
export function normalise(values: Float64Array): Float64Array {
  const n = values.length;
  if (n <= 1) return Float64Array.from(values);
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / (n - 1));
  return values.map((v) => (v - mean) / (std + 1e-8));
}

/**
 * The clipped surrogate loss of one sample, L = −min(r·A, clip(r, 1 − ε, 1 + ε)·A) with
 * r = exp(logp − oldLogp), and dL/dlogp: −r·A where the unclipped term is the minimum, 0 where the
 * clipped one is (no gradient through the clip).
 */
export function clippedSurrogate(logp: number, oldLogp: number, advantage: number, clip: number): { loss: number; dLogp: number; ratio: number; clipped: boolean } {
  const ratio = Math.exp(logp - oldLogp);
  const unclipped = ratio * advantage;
  const clippedValue = Math.min(Math.max(ratio, 1 - clip), 1 + clip) * advantage;
  const clipped = clippedValue < unclipped;
  return { loss: -Math.min(unclipped, clippedValue), dLogp: clipped ? 0 : -unclipped, ratio, clipped };
}

/** Softmax over the allowed entries of `logits` (mask 1); masked entries get probability 0. */
export function maskedSoftmax(logits: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  const p = new Float64Array(logits.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (mask[i] && logits[i]! > max) max = logits[i]!;
  if (max === Number.NEGATIVE_INFINITY) return p;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    if (!mask[i]) continue;
    p[i] = Math.exp(logits[i]! - max);
    sum += p[i]!;
  }
  for (let i = 0; i < p.length; i++) p[i]! /= sum;
  return p;
}

/** Entropy −Σ p log p of a distribution. */
export function entropyOf(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!);
  return h;
}

/**
 * Adds to `grad` (per logit) coefLogp · d log p_a / dz + coefEntropy · dH/dz for a masked
 * categorical with probabilities p: d log p_a / dz_i = 1[i = a] − p_i, dH/dz_i = −p_i (log p_i + H);
 * masked logits get nothing.
 */
export function addCategoricalGradient(grad: Float32Array, p: ArrayLike<number>, action: number, coefLogp: number, coefEntropy: number): void {
  const h = entropyOf(p);
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi <= 0) continue;
    grad[i]! += coefLogp * ((i === action ? 1 : 0) - pi) + coefEntropy * -pi * (Math.log(pi) + h);
  }
}

/** Samples an index from a distribution with a uniform draw u in [0, 1). */
export function sampleIndex(p: ArrayLike<number>, u: number): number {
  let acc = 0;
  let last = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! <= 0) continue;
    acc += p[i]!;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/** The most probable index (lowest on ties). */
export function argmax(p: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0 && (best < 0 || p[i]! > p[best]!)) best = i;
  return best;
}

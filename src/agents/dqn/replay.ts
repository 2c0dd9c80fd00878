/**
 * The DQN's replay memory: a ring of transitions (obs, action, reward, next obs, done, the
 * bootstrap's discount — γⁿ for an n-step transition) with uniform
 * sampling, or prioritized sampling through a sum tree (Schaul et al. 2016): P(i) = p_i^α / Σ p^α,
 * importance weights w_i = (N · P(i))^−β / max_j w_j, new transitions at the highest priority seen
 * so that each is replayed at least once, priorities |δ| + ε after every update.
 */
import type { Rng } from '../../util/index.js';
import { SumTree } from './sum-tree.js';

export interface ReplayBatch {
  indices: Int32Array;
  obs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  /** 1 where the episode terminated at this transition (no bootstrap), else 0. */
  dones: Float32Array;
  /** Discount of each row's bootstrap (γᵏ for a k-step transition). */
  discounts: Float32Array;
  /** Importance-sampling weights (all 1 with uniform sampling). */
  weights: Float32Array;
}

export interface PrioritySettings {
  alpha: number;
  /** Added to |δ| so that no transition gets probability 0. */
  epsilon: number;
}

export class DqnReplay {
  readonly obs: Float32Array;
  readonly nextObs: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly dones: Float32Array;
  readonly discounts: Float32Array;
  size = 0;
  /** Next slot to write. */
  cursor = 0;
  /** Highest priority given so far (new transitions get it), p^α. */
  maxPriority = 1;
  readonly tree: SumTree | null;

  constructor(
    readonly capacity: number,
    readonly obsSize: number,
    readonly priority: PrioritySettings | null,
  ) {
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.dones = new Float32Array(capacity);
    this.discounts = new Float32Array(capacity);
    this.tree = priority ? new SumTree(capacity) : null;
  }

  /** Stores a transition; `discount` is its bootstrap's discount (γ for one step, γⁿ for n steps). */
  add(obs: Float32Array, action: number, reward: number, nextObs: Float32Array, done: boolean, discount = 1): void {
    const i = this.cursor;
    this.obs.set(obs, i * this.obsSize);
    this.nextObs.set(nextObs, i * this.obsSize);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.dones[i] = done ? 1 : 0;
    this.discounts[i] = discount;
    this.tree?.set(i, this.maxPriority);
    this.cursor = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /**
   * A batch: with priorities, stratified — the total is cut into `batch` equal segments and one
   * value is drawn uniformly in each (the paper's sampling) — with weights at exponent `beta`.
   */
  sample(batch: number, rng: Rng, beta = 1): ReplayBatch {
    if (this.size === 0) throw new RangeError('replay sample: the memory is empty');
    const indices = new Int32Array(batch);
    const weights = new Float32Array(batch).fill(1);
    if (this.tree) {
      const total = this.tree.total;
      const segment = total / batch;
      let maxWeight = 0;
      for (let b = 0; b < batch; b++) {
        const i = this.tree.find((b + rng.next()) * segment);
        indices[b] = i;
        const p = this.tree.get(i) / total;
        weights[b] = Math.pow(this.size * p, -beta);
        if (weights[b]! > maxWeight) maxWeight = weights[b]!;
      }
      for (let b = 0; b < batch; b++) weights[b] = weights[b]! / maxWeight;
    } else {
      for (let b = 0; b < batch; b++) indices[b] = rng.int(this.size);
    }
    const n = this.obsSize;
    const out: ReplayBatch = {
      indices,
      obs: new Float32Array(batch * n),
      actions: new Int32Array(batch),
      rewards: new Float32Array(batch),
      nextObs: new Float32Array(batch * n),
      dones: new Float32Array(batch),
      discounts: new Float32Array(batch),
      weights,
    };
    for (let b = 0; b < batch; b++) {
      const i = indices[b]!;
      out.obs.set(this.obs.subarray(i * n, (i + 1) * n), b * n);
      out.nextObs.set(this.nextObs.subarray(i * n, (i + 1) * n), b * n);
      out.actions[b] = this.actions[i]!;
      out.rewards[b] = this.rewards[i]!;
      out.dones[b] = this.dones[i]!;
      out.discounts[b] = this.discounts[i]!;
    }
    return out;
  }

  /** New priorities of sampled transitions from their TD errors: (|δ| + ε)^α. */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void {
    if (!this.tree || !this.priority) return;
    for (let b = 0; b < indices.length; b++) {
      const p = Math.pow(Math.abs(tdErrors[b]!) + this.priority.epsilon, this.priority.alpha);
      this.tree.set(indices[b]!, p);
      if (p > this.maxPriority) this.maxPriority = p;
    }
  }

  getState(): { meta: Record<string, number>; arrays: Record<string, Float32Array | Int32Array | Float64Array> } {
    const arrays: Record<string, Float32Array | Int32Array | Float64Array> = {
      obs: this.obs.slice(0, this.size * this.obsSize),
      nextObs: this.nextObs.slice(0, this.size * this.obsSize),
      actions: this.actions.slice(0, this.size),
      rewards: this.rewards.slice(0, this.size),
      dones: this.dones.slice(0, this.size),
      discounts: this.discounts.slice(0, this.size),
    };
    if (this.tree) arrays.priorities = this.tree.leaves();
    return { meta: { size: this.size, cursor: this.cursor, maxPriority: this.maxPriority }, arrays };
  }

  /** Restores getState's output; a memory saved before discounts were stored gets `defaultDiscount` everywhere. */
  setState(meta: Record<string, unknown>, arrays: Record<string, ArrayLike<number>>, defaultDiscount = 1): void {
    const size = Number(meta.size);
    if (!Number.isInteger(size) || size < 0 || size > this.capacity) throw new RangeError(`replay size: got ${String(meta.size)}, expected 0..${this.capacity}`);
    this.size = size;
    this.cursor = Number(meta.cursor);
    this.maxPriority = Number(meta.maxPriority);
    this.obs.set(arrays.obs!);
    this.nextObs.set(arrays.nextObs!);
    this.actions.set(arrays.actions!);
    this.rewards.set(arrays.rewards!);
    this.dones.set(arrays.dones!);
    if (arrays.discounts) this.discounts.set(arrays.discounts);
    else this.discounts.fill(defaultDiscount);
    if (this.tree && arrays.priorities) this.tree.setLeaves(arrays.priorities);
  }
}

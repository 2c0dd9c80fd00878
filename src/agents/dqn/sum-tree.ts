/**
 * A sum tree over `capacity` leaf priorities (Schaul et al. 2016, "Prioritized Experience Replay",
 * appendix B.2.1): every inner node holds the sum of its children, so the total is the root,
 * updating a leaf is O(log n) and finding the leaf where a prefix sum falls is O(log n). Sampling
 * a uniform u in [0, total) and finding its leaf draws leaf i with probability p_i / Σ p.
 */
export class SumTree {
  /** Heap layout: node k has children 2k and 2k + 1; leaves start at `leafBase` (a power of two). */
  private readonly nodes: Float64Array;
  readonly leafBase: number;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`sum tree capacity: got ${capacity}, expected an integer >= 1`);
    let base = 1;
    while (base < capacity) base *= 2;
    this.leafBase = base;
    this.nodes = new Float64Array(2 * base);
  }

  get total(): number {
    return this.nodes[1]!;
  }

  get(index: number): number {
    return this.nodes[this.leafBase + index]!;
  }

  /** Sets leaf `index` to `priority` (>= 0) and the sums above it. */
  set(index: number, priority: number): void {
    if (!(index >= 0 && index < this.capacity)) throw new RangeError(`sum tree index: got ${index}, expected 0..${this.capacity - 1}`);
    if (!(priority >= 0) || !Number.isFinite(priority)) throw new RangeError(`sum tree priority: got ${priority}, expected a finite number >= 0`);
    let k = this.leafBase + index;
    this.nodes[k] = priority;
    k >>= 1;
    while (k >= 1) {
      this.nodes[k] = this.nodes[2 * k]! + this.nodes[2 * k + 1]!;
      k >>= 1;
    }
  }

  /** The leaf whose prefix-sum interval holds `value` (clamped into [0, total)). */
  find(value: number): number {
    let v = Math.min(Math.max(value, 0), this.total * (1 - 1e-12));
    let k = 1;
    while (k < this.leafBase) {
      const left = this.nodes[2 * k]!;
      if (v < left) k = 2 * k;
      else {
        v -= left;
        k = 2 * k + 1;
      }
    }
    // Floating-point residue can land on an empty leaf beyond the filled ones: step back to a filled one.
    let index = k - this.leafBase;
    while (index > 0 && (index >= this.capacity || this.nodes[this.leafBase + index]! === 0)) index--;
    return index;
  }

  /** Leaf priorities (for checkpoints). */
  leaves(): Float64Array {
    return this.nodes.slice(this.leafBase, this.leafBase + this.capacity);
  }

  /** Restores leaf priorities (and every sum). */
  setLeaves(priorities: ArrayLike<number>): void {
    if (priorities.length !== this.capacity) throw new RangeError(`sum tree leaves: got ${priorities.length}, expected ${this.capacity}`);
    this.nodes.fill(0);
    for (let i = 0; i < this.capacity; i++) this.nodes[this.leafBase + i] = priorities[i]!;
    for (let k = this.leafBase - 1; k >= 1; k--) this.nodes[k] = this.nodes[2 * k]! + this.nodes[2 * k + 1]!;
  }
}

/**
 * A replay buffer of per-cell transitions in preallocated typed arrays (one Float32Array per
 * field, sized capacity x width up front), so memory is known at start and sampling allocates
 * nothing. Used by every agent of src/agents (weights are shared across cells, so each cell of
 * each env step is one transition).
 */
import { InputError, type Rng } from '../../util/index.js';

/**
 * Elements per field at most (4 GiB of float32): capacity × width beyond it is a settings error
 * naming bufferCapacity, not a typed-array length error (or an out-of-memory kill) at allocation.
 */
export const MAX_REPLAY_ELEMENTS = 2 ** 30;

export interface ReplayField {
  name: string;
  width: number;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly fields: readonly ReplayField[];
  private readonly data: Record<string, Float32Array> = {};
  private readonly widths: Record<string, number> = {};
  /** Next write position. */
  private head = 0;
  size = 0;

  constructor(capacity: number, fields: readonly ReplayField[]) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`replay capacity: got ${capacity}, expected a positive integer`);
    for (const f of fields) {
      if (capacity * f.width > MAX_REPLAY_ELEMENTS) {
        throw new InputError('bufferCapacity', capacity, `at most ${Math.floor(MAX_REPLAY_ELEMENTS / f.width)} transitions for replay field ${f.name} of ${f.width} floats (${MAX_REPLAY_ELEMENTS} floats per field)`);
      }
    }
    this.capacity = capacity;
    this.fields = fields;
    for (const f of fields) {
      this.data[f.name] = new Float32Array(capacity * f.width);
      this.widths[f.name] = f.width;
    }
  }

  /** Bytes of storage per transition (all fields, float32). */
  get bytesPerTransition(): number {
    return this.fields.reduce((sum, f) => sum + 4 * f.width, 0);
  }

  get bytes(): number {
    return this.capacity * this.bytesPerTransition;
  }

  /** Appends one transition; `values[name]` holds `width` numbers per field (missing = zeros). */
  push(values: Record<string, ArrayLike<number>>): void {
    const at = this.head;
    for (const f of this.fields) {
      const src = values[f.name];
      const dst = this.data[f.name]!;
      const off = at * f.width;
      if (src) for (let k = 0; k < f.width; k++) dst[off + k] = src[k]!;
      else dst.fill(0, off, off + f.width);
    }
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Uniform indices with replacement; every agent of a step uses the same indices (MADDPG). */
  sampleIndices(batch: number, rng: Rng, out: Int32Array = new Int32Array(batch)): Int32Array {
    if (this.size === 0) throw new RangeError('replay buffer: cannot sample from an empty buffer');
    for (let i = 0; i < batch; i++) out[i] = rng.int(this.size);
    return out;
  }

  /** Copies the rows at `indices` of field `name` into `out` ([indices.length, width]). */
  gather(name: string, indices: Int32Array, out?: Float32Array): Float32Array {
    const width = this.widths[name]!;
    const src = this.data[name]!;
    const result = out ?? new Float32Array(indices.length * width);
    // An element loop: the rows are a few floats wide, too short for a subarray view and set() per row to pay.
    for (let i = 0; i < indices.length; i++) {
      const from = indices[i]! * width;
      const to = i * width;
      for (let k = 0; k < width; k++) result[to + k] = src[from + k]!;
    }
    return result;
  }

  /** The stored rows only (size x width per field), for checkpoints. */
  getState(): { head: number; size: number; arrays: Record<string, Float32Array> } {
    const arrays: Record<string, Float32Array> = {};
    for (const f of this.fields) arrays[f.name] = this.data[f.name]!.slice(0, this.size * f.width);
    return { head: this.head, size: this.size, arrays };
  }

  setState(head: number, size: number, arrays: Record<string, Float32Array>): void {
    if (size > this.capacity) throw new RangeError(`replay state: ${size} transitions exceed the capacity ${this.capacity}`);
    for (const f of this.fields) {
      const src = arrays[f.name];
      if (!src || src.length !== size * f.width) throw new RangeError(`replay state: field ${f.name} has the wrong length`);
      this.data[f.name]!.fill(0);
      this.data[f.name]!.set(src);
    }
    this.head = head;
    this.size = size;
  }
}

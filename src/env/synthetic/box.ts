import type { Rng } from '../../util/index.js';
import type { NdArray, Space } from '../types.js';

/**
 * A float32 Box space with scalar bounds, as the synthetic env declares its spaces. Its JSON is the
 * same shape the wire codec sends (kind, dtype, shape, low, high).
 */
export class Float32Box implements Space<NdArray<Float32Array>> {
  readonly kind = 'Box';
  readonly dtype = 'float32';
  readonly size: number;

  constructor(
    readonly shape: readonly number[],
    readonly low: number,
    readonly high: number,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  sample(rng: Rng): NdArray<Float32Array> {
    const data = new Float32Array(this.size);
    const lo = Number.isFinite(this.low) ? this.low : -1;
    const hi = Number.isFinite(this.high) ? this.high : 1;
    for (let i = 0; i < this.size; i++) data[i] = rng.uniform(lo, hi);
    return { data, shape: [...this.shape] };
  }

  contains(value: unknown): value is NdArray<Float32Array> {
    if (typeof value !== 'object' || value === null) return false;
    const v = value as Partial<NdArray>;
    if (!(v.data instanceof Float32Array) || v.data.length !== this.size) return false;
    if (!Array.isArray(v.shape) || v.shape.length !== this.shape.length || v.shape.some((d, i) => d !== this.shape[i])) {
      return false;
    }
    for (const x of v.data) if (!(x >= this.low && x <= this.high)) return false;
    return true;
  }

  toJSON(): unknown {
    return { kind: this.kind, dtype: this.dtype, shape: [...this.shape], low: this.low, high: this.high };
  }
}

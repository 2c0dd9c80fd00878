/**
 * Gymnasium-style spaces (the ns3-gym wire form of these spaces is in src/wire/spaces.ts).
 *
 * Values: Discrete -> number; Box -> NdArray (typed array of the declared dtype, row-major, with
 * the declared shape); MultiDiscrete -> NdArray<Int32Array>; MultiBinary -> NdArray<Uint8Array>;
 * Tuple -> unknown[]; Dict -> Record<string, unknown> (keys sorted, as ns3-gym's C++ side sends them).
 */
import { InputError, type Rng } from '../util/index.js';
import type { BoxData, NdArray, Space } from './types.js';

export type BoxDtype = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'float32' | 'float64';

export const BOX_DTYPES: readonly BoxDtype[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64'];

/** A space made here (Discrete, Box, MultiDiscrete, MultiBinary, Tuple, Dict; see isGymSpace). */
export type GymSpace<T = unknown> = Space<T>;

type TypedArrayCtor = { new (length: number): BoxData; readonly BYTES_PER_ELEMENT: number };

/** What a Box dtype is made of: element width, array class, integer or not, 64-bit, value range. */
export interface DtypeInfo {
  bits: number;
  ctor: TypedArrayCtor;
  integer: boolean;
  big: boolean;
  min: number;
  max: number;
}

const DTYPE: Record<BoxDtype, DtypeInfo> = {
  int8: { bits: 8, ctor: Int8Array, integer: true, big: false, min: -128, max: 127 },
  int16: { bits: 16, ctor: Int16Array, integer: true, big: false, min: -32768, max: 32767 },
  int32: { bits: 32, ctor: Int32Array, integer: true, big: false, min: -2147483648, max: 2147483647 },
  int64: { bits: 64, ctor: BigInt64Array, integer: true, big: true, min: -9223372036854775808, max: 9223372036854775807 },
  uint8: { bits: 8, ctor: Uint8Array, integer: true, big: false, min: 0, max: 255 },
  uint16: { bits: 16, ctor: Uint16Array, integer: true, big: false, min: 0, max: 65535 },
  uint32: { bits: 32, ctor: Uint32Array, integer: true, big: false, min: 0, max: 4294967295 },
  uint64: { bits: 64, ctor: BigUint64Array, integer: true, big: true, min: 0, max: 18446744073709551615 },
  float32: { bits: 32, ctor: Float32Array, integer: false, big: false, min: -Infinity, max: Infinity },
  float64: { bits: 64, ctor: Float64Array, integer: false, big: false, min: -Infinity, max: Infinity },
};

/** What a dtype is made of. */
export function dtypeInfo(dtype: BoxDtype): Readonly<DtypeInfo> {
  return DTYPE[dtype];
}

/** The typed array class of a dtype. */
export function typedArrayFor(dtype: BoxDtype): TypedArrayCtor {
  return DTYPE[dtype].ctor;
}

/** Makes an NdArray; `data` is copied into the dtype's typed array. */
export function ndarray(dtype: BoxDtype, shape: readonly number[], values?: ArrayLike<number | bigint>): NdArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const info = DTYPE[dtype];
  const data = new info.ctor(size);
  if (values) {
    if (values.length !== size) throw new InputError('values.length', values.length, `${size} (the product of shape [${shape.join(', ')}])`);
    for (let i = 0; i < size; i++) {
      const v = values[i]!;
      (data as unknown as Array<number | bigint>)[i] = info.big ? BigInt(v) : Number(v);
    }
  }
  return { data, shape: [...shape] };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isNdArray(value: unknown): value is NdArray {
  return (
    typeof value === 'object' &&
    value !== null &&
    ArrayBuffer.isView((value as NdArray).data) &&
    Array.isArray((value as NdArray).shape)
  );
}

function checkShape(shape: readonly number[], field: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InputError(field, shape, 'an array of non-negative integers');
  }
  return [...shape];
}

// ---------------------------------------------------------------------------------------------

export class Discrete implements GymSpace<number> {
  readonly kind = 'Discrete';
  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1 || n > 2147483647) throw new InputError('Discrete.n', n, 'an integer in [1, 2^31-1]');
  }
  sample(rng: Rng): number {
    return rng.int(this.n);
  }
  contains(value: unknown): value is number {
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < this.n;
  }
  toJSON(): unknown {
    return { type: 'Discrete', n: this.n };
  }
}

export interface BoxOptions {
  low: number | ArrayLike<number>;
  high: number | ArrayLike<number>;
  /** Defaults to [low.length] when a bound is an array, else []. */
  shape?: readonly number[];
  dtype?: BoxDtype;
}

export class Box implements GymSpace<NdArray> {
  readonly kind: string = 'Box';
  readonly dtype: BoxDtype;
  readonly shape: readonly number[];
  readonly size: number;
  /** True when one low and one high hold for every element. */
  readonly scalarBounds: boolean;
  // Scalar bounds are kept as two numbers (a Box of 10^8 elements costs no bound arrays); the
  // per-element arrays are made only when `low`/`high` are read.
  private readonly lowScalar: number;
  private readonly highScalar: number;
  private lowArray: Float64Array | null = null;
  private highArray: Float64Array | null = null;

  constructor(options: BoxOptions) {
    const dtype = options.dtype ?? 'float32';
    if (!BOX_DTYPES.includes(dtype)) throw new InputError('Box.dtype', dtype, `one of ${BOX_DTYPES.join(', ')}`);
    this.dtype = dtype;
    const arrayBound = typeof options.low !== 'number' ? options.low : typeof options.high !== 'number' ? options.high : null;
    this.shape = checkShape(options.shape ?? (arrayBound ? [arrayBound.length] : []), 'Box.shape');
    this.size = this.shape.reduce((a, b) => a * b, 1);
    if (typeof options.low === 'number' && typeof options.high === 'number') {
      this.lowScalar = options.low;
      this.highScalar = options.high;
      if (this.size > 0) checkBounds(0, options.low, options.high);
      this.scalarBounds = true;
    } else {
      const low = this.expand(options.low, 'Box.low');
      const high = this.expand(options.high, 'Box.high');
      for (let i = 0; i < this.size; i++) checkBounds(i, low[i]!, high[i]!);
      this.lowArray = low;
      this.highArray = high;
      this.lowScalar = low[0] ?? 0;
      this.highScalar = high[0] ?? 0;
      this.scalarBounds = allEqual(low) && allEqual(high);
    }
  }

  /** Per-element lower bounds (row-major). */
  get low(): Float64Array {
    return (this.lowArray ??= new Float64Array(this.size).fill(this.lowScalar));
  }

  /** Per-element upper bounds (row-major). */
  get high(): Float64Array {
    return (this.highArray ??= new Float64Array(this.size).fill(this.highScalar));
  }

  /** The lower bound of element i (row-major), without expanding scalar bounds. */
  lowAt(i: number): number {
    return this.lowArray ? this.lowArray[i]! : this.lowScalar;
  }

  /** The upper bound of element i (row-major), without expanding scalar bounds. */
  highAt(i: number): number {
    return this.highArray ? this.highArray[i]! : this.highScalar;
  }

  private expand(bound: number | ArrayLike<number>, field: string): Float64Array {
    const out = new Float64Array(this.size);
    if (typeof bound === 'number') {
      out.fill(bound);
    } else {
      if (bound.length !== this.size) throw new InputError(`${field}.length`, bound.length, `${this.size} (one bound per element of shape [${this.shape.join(', ')}])`);
      for (let i = 0; i < this.size; i++) out[i] = bound[i]!;
    }
    return out;
  }

  sample(rng: Rng): NdArray {
    const info = DTYPE[this.dtype];
    const data = new info.ctor(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = Math.max(this.lowAt(i), info.min);
      const hi = Math.min(this.highAt(i), info.max);
      let v: number;
      if (info.integer) {
        // Infinite bounds on an integer Box are clipped to the dtype range, then to +-2^31 so
        // that samples stay exact doubles.
        const a = Math.ceil(Math.max(lo, -2147483648));
        const b = Math.floor(Math.min(hi, 2147483647));
        v = a + Math.floor(rng.next() * (b - a + 1));
      } else if (Number.isFinite(lo) && Number.isFinite(hi)) {
        v = rng.uniform(lo, hi);
      } else if (Number.isFinite(lo)) {
        v = lo - Math.log(1 - rng.next()); // exponential above a lower bound (Gymnasium)
      } else if (Number.isFinite(hi)) {
        v = hi + Math.log(1 - rng.next());
      } else {
        v = rng.normal();
      }
      (data as unknown as Array<number | bigint>)[i] = info.big ? BigInt(v) : v;
    }
    if (this.dtype === 'float32') {
      // Rounding to float32 may step just outside a bound that float32 cannot represent.
      const f = data as Float32Array;
      for (let i = 0; i < this.size; i++) {
        if (f[i]! < this.lowAt(i)) f[i] = float32Toward(this.lowAt(i), 1);
        if (f[i]! > this.highAt(i)) f[i] = float32Toward(this.highAt(i), -1);
      }
    }
    return { data, shape: [...this.shape] };
  }

  contains(value: unknown): value is NdArray {
    if (!isNdArray(value)) return false;
    if (!(value.data instanceof DTYPE[this.dtype].ctor) || value.data.length !== this.size) return false;
    if (!sameShape(value.shape, this.shape)) return false;
    for (let i = 0; i < this.size; i++) {
      const v = Number(value.data[i]!);
      if (Number.isNaN(v) || v < this.lowAt(i) || v > this.highAt(i)) return false;
    }
    return true;
  }

  toJSON(): unknown {
    return {
      type: 'Box',
      dtype: this.dtype,
      shape: [...this.shape],
      low: this.scalarBounds ? jsonNumber(this.size > 0 ? this.lowAt(0) : 0) : Array.from(this.low, jsonNumber),
      high: this.scalarBounds ? jsonNumber(this.size > 0 ? this.highAt(0) : 0) : Array.from(this.high, jsonNumber),
    };
  }

  /** How errors name this space, e.g. Box(float32, [2]). */
  describe(): string {
    return `Box(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

function checkBounds(i: number, low: number, high: number): void {
  if (Number.isNaN(low) || Number.isNaN(high) || low > high) {
    throw new InputError(`Box bounds[${i}]`, [low, high], 'low <= high, neither NaN');
  }
}

/** The float32 nearest to x on the side of `direction` (x itself when representable). */
function float32Toward(x: number, direction: 1 | -1): number {
  const buf = new Float32Array([x]);
  if (direction > 0 ? buf[0]! >= x : buf[0]! <= x) return buf[0]!;
  const bits = new Int32Array(buf.buffer);
  bits[0]! += (buf[0]! >= 0) === direction > 0 ? 1 : -1;
  return buf[0]!;
}

function allEqual(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : v > 0 ? 'inf' : '-inf';
}

/** Gymnasium's MultiDiscrete: element i in [0, nvec[i]). Values are NdArray<Int32Array> of shape [k]. */
export class MultiDiscrete extends Box {
  override readonly kind = 'MultiDiscrete';
  readonly nvec: readonly number[];
  constructor(nvec: readonly number[]) {
    if (!Array.isArray(nvec) || nvec.length === 0 || nvec.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new InputError('MultiDiscrete.nvec', nvec, 'a non-empty array of positive integers');
    }
    super({ low: 0, high: nvec.map((n) => n - 1), shape: [nvec.length], dtype: 'int32' });
    this.nvec = [...nvec];
  }
  override toJSON(): unknown {
    return { type: 'MultiDiscrete', nvec: [...this.nvec] };
  }
  override describe(): string {
    return `MultiDiscrete([${this.nvec.join(', ')}])`;
  }
}

/** Gymnasium's MultiBinary: 0/1 elements of the given shape. Values are NdArray<Uint8Array>. */
export class MultiBinary extends Box {
  override readonly kind = 'MultiBinary';
  constructor(n: number | readonly number[]) {
    const shape = typeof n === 'number' ? [n] : [...n];
    super({ low: 0, high: 1, shape, dtype: 'uint8' });
  }
  override toJSON(): unknown {
    return { type: 'MultiBinary', shape: [...this.shape] };
  }
  override describe(): string {
    return `MultiBinary([${this.shape.join(', ')}])`;
  }
}

export class Tuple implements GymSpace<unknown[]> {
  readonly kind = 'Tuple';
  readonly spaces: readonly GymSpace[];
  constructor(spaces: readonly GymSpace[]) {
    if (!Array.isArray(spaces)) throw new InputError('Tuple.spaces', spaces, 'an array of spaces');
    this.spaces = [...spaces];
  }
  sample(rng: Rng): unknown[] {
    return this.spaces.map((s) => s.sample(rng));
  }
  contains(value: unknown): value is unknown[] {
    return Array.isArray(value) && value.length === this.spaces.length && this.spaces.every((s, i) => s.contains(value[i]));
  }
  toJSON(): unknown {
    return { type: 'Tuple', spaces: this.spaces.map((s) => s.toJSON()) };
  }
}

export class Dict implements GymSpace<Record<string, unknown>> {
  readonly kind = 'Dict';
  /** Sub-spaces by key, keys sorted (the order ns3-gym's C++ side uses on the wire). */
  readonly spaces: Readonly<Record<string, GymSpace>>;
  readonly keys: readonly string[];
  constructor(spaces: Record<string, GymSpace>) {
    if (typeof spaces !== 'object' || spaces === null) throw new InputError('Dict.spaces', spaces, 'an object of spaces');
    this.keys = Object.keys(spaces).sort();
    // Null-prototype records: a key named __proto__ (or toString) is a key like any other.
    const sorted = Object.create(null) as Record<string, GymSpace>;
    for (const k of this.keys) sorted[k] = spaces[k]!;
    this.spaces = sorted;
  }
  sample(rng: Rng): Record<string, unknown> {
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of this.keys) out[k] = this.spaces[k]!.sample(rng);
    return out;
  }
  contains(value: unknown): value is Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const v = value as Record<string, unknown>;
    if (Object.keys(v).length !== this.keys.length) return false;
    return this.keys.every((k) => Object.hasOwn(v, k) && this.spaces[k]!.contains(v[k]));
  }
  toJSON(): unknown {
    const spaces = Object.create(null) as Record<string, unknown>;
    for (const k of this.keys) spaces[k] = this.spaces[k]!.toJSON();
    return { type: 'Dict', spaces };
  }
}

/** True for spaces made here (the ones the wire form in src/wire/ knows). */
export function isGymSpace(space: Space): boolean {
  return space instanceof Discrete || space instanceof Box || space instanceof Tuple || space instanceof Dict;
}

/**
 * The ns3-gym wire form of the env's spaces: SpaceDescription <-> space, DataContainer <-> value.
 *
 * Wire mapping (ns3opengym.SpaceDescription / DataContainer):
 *   Box int8/int16/int32/int64 -> Box INT, uint8..uint64 -> Box UINT, float32 -> FLOAT, float64 ->
 *   DOUBLE; the width travels in the `bits` extension (absent = 32, which is what ns3-gym sends for
 *   every integer type), per-element bounds in `lows`/`highs` (low/high keep the scalar envelope).
 *   64-bit data travels exactly in int64Data/uint64Data, with the 32-bit truncation in
 *   intData/uintData for old peers.
 *   MultiDiscrete(nvec) -> Box INT (32-bit) shape [k], lows 0, highs nvec-1.
 *   MultiBinary(n) -> Box UINT bits 8, bounds [0, 1].
 *   The wire has no marker for these two: they come back as the equivalent Box, whose values have
 *   the same representation (NdArray<Int32Array> / NdArray<Uint8Array>).
 */
import { InputError } from '../util/index.js';
import { Box, Dict, Discrete, Tuple, dtypeInfo, isNdArray, sameShape, type BoxDtype, type GymSpace, type NdArray } from '../env/index.js';
import type { WireData, WireDtype, WireSpace } from './codec.js';
import { WireError } from './errors.js';

const WIRE_DTYPE: Record<BoxDtype, WireDtype> = {
  int8: 'INT',
  int16: 'INT',
  int32: 'INT',
  int64: 'INT',
  uint8: 'UINT',
  uint16: 'UINT',
  uint32: 'UINT',
  uint64: 'UINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
};

/** The Box dtype a wire (dtype, bits) pair declares. ns3-gym sends every integer type as 32 bits. */
export function dtypeFromWire(wire: WireDtype, bits?: number): BoxDtype {
  switch (wire) {
    case 'INT':
      return bits === 8 ? 'int8' : bits === 16 ? 'int16' : bits === 64 ? 'int64' : 'int32';
    case 'UINT':
      return bits === 8 ? 'uint8' : bits === 16 ? 'uint16' : bits === 64 ? 'uint64' : 'uint32';
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
  }
}

function unknownSpace(space: GymSpace): never {
  throw new InputError('space', space.kind, 'a space from ns3ts (Discrete, Box, MultiDiscrete, MultiBinary, Tuple, Dict)');
}

/** The SpaceDescription of a space. */
export function spaceToWire(space: GymSpace): WireSpace {
  if (space instanceof Discrete) return { type: 'Discrete', n: space.n };
  if (space instanceof Box) return boxToWire(space);
  if (space instanceof Tuple) return { type: 'Tuple', elements: space.spaces.map((s) => spaceToWire(s)) };
  if (space instanceof Dict) return { type: 'Dict', elements: space.keys.map((k) => ({ ...spaceToWire(dictEntry(space, k)), name: k })) };
  return unknownSpace(space);
}

/** The space a SpaceDescription declares. */
export function spaceFromWire(wire: WireSpace, where = 'space'): GymSpace {
  switch (wire.type) {
    case 'Discrete':
      return new Discrete(wire.n);
    case 'Box': {
      const dtype = dtypeFromWire(wire.dtype, wire.bits);
      const size = wire.shape.reduce((a, b) => a * b, 1);
      for (const [field, list] of [['lows', wire.lows], ['highs', wire.highs]] as const) {
        if (list && list.length !== size) throw new InputError(`${where}.${field}.length`, list.length, `${size} (one bound per element)`);
      }
      return new Box({ low: wire.lows ?? wire.low, high: wire.highs ?? wire.high, shape: wire.shape, dtype });
    }
    case 'Tuple':
      return new Tuple(wire.elements.map((e, i) => spaceFromWire(e, `${where}[${i}]`)));
    case 'Dict': {
      // A null-prototype record: a key named __proto__ is a key like any other.
      const spaces = Object.create(null) as Record<string, GymSpace>;
      for (const e of wire.elements) {
        const key = e.name ?? '';
        if (Object.hasOwn(spaces, key)) throw new WireError(`${where}.${key}: got a second entry named ${JSON.stringify(key)}, expected unique Dict keys`);
        spaces[key] = spaceFromWire(e, `${where}.${key}`);
      }
      return new Dict(spaces);
    }
  }
}

/** Checks structure, dtype, shape and finiteness (not bounds) of a value of `space` and packs it. */
export function toWireData<T>(space: GymSpace<T>, value: T, where = 'value'): WireData {
  if (space instanceof Discrete) return discreteToWireData(space, value, where);
  if (space instanceof Box) return boxToWireData(space, value, where);
  if (space instanceof Tuple) return tupleToWireData(space, value, where);
  if (space instanceof Dict) return dictToWireData(space, value, where);
  return unknownSpace(space);
}

/** Checks a container against `space` (type, dtype, shape, finite) and unpacks its value. */
export function fromWireData<T>(space: GymSpace<T>, data: WireData, where = 'value'): T {
  if (space instanceof Discrete) return discreteFromWireData(space, data, where) as T;
  if (space instanceof Box) return boxFromWireData(space, data, where) as T;
  if (space instanceof Tuple) return tupleFromWireData(space, data, where) as T;
  if (space instanceof Dict) return dictFromWireData(space, data, where) as T;
  return unknownSpace(space);
}

// ---------------------------------------------------------------------------------------------

function dictEntry(space: Dict, key: string): GymSpace {
  const sub = space.spaces[key];
  if (sub === undefined) throw new InputError('Dict key', key, `one of ${space.keys.join(', ')}`);
  return sub;
}

function discreteToWireData(space: Discrete, value: unknown, where: string): WireData {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw new InputError(where, value, `an integer (Discrete(${space.n}))`);
  }
  return { type: 'Discrete', value };
}

function discreteFromWireData(space: Discrete, data: WireData, where: string): number {
  if (data.type !== 'Discrete') throw new InputError(`${where}.type`, data.type, `Discrete (declared Discrete(${space.n}))`);
  return data.value;
}

function boxToWire(space: Box): WireSpace {
  const info = dtypeInfo(space.dtype);
  // Scalar bounds stay scalar (no per-element arrays); otherwise low/high are the envelope.
  const low = space.size === 0 ? 0 : space.scalarBounds ? space.lowAt(0) : space.low.reduce((a, b) => Math.min(a, b));
  const high = space.size === 0 ? 0 : space.scalarBounds ? space.highAt(0) : space.high.reduce((a, b) => Math.max(a, b));
  const wire: WireSpace = { type: 'Box', low, high, dtype: WIRE_DTYPE[space.dtype], shape: [...space.shape] };
  if (!space.scalarBounds) {
    wire.lows = Array.from(space.low);
    wire.highs = Array.from(space.high);
  }
  if (info.integer && info.bits !== 32) wire.bits = info.bits;
  return wire;
}

function boxToWireData(space: Box, value: unknown, where: string): WireData {
  const info = dtypeInfo(space.dtype);
  const wire = WIRE_DTYPE[space.dtype];
  if (!isNdArray(value)) throw new InputError(where, value, `an NdArray { data, shape } for ${space.describe()}`);
  if (!(value.data instanceof info.ctor)) {
    throw new InputError(`${where}.data`, value.data, `a ${info.ctor.name} (${space.describe()})`);
  }
  if (value.data.length !== space.size || !sameShape(value.shape, space.shape)) {
    throw new InputError(`${where}.shape`, value.shape, `[${space.shape.join(', ')}] (${space.size} elements)`);
  }
  const shape = [...space.shape];
  switch (wire) {
    case 'FLOAT':
    case 'DOUBLE': {
      const data = value.data as Float32Array | Float64Array;
      data.forEach((v, i) => {
        if (!Number.isFinite(v)) throw new InputError(`${where}[${i}]`, v, 'a finite number (NaN and Inf are rejected)');
      });
      return wire === 'FLOAT' ? { type: 'Box', dtype: 'FLOAT', shape, floatData: data } : { type: 'Box', dtype: 'DOUBLE', shape, doubleData: data };
    }
    case 'INT':
      if (info.big) {
        const data = value.data as BigInt64Array;
        const legacy = Int32Array.from(data, (v) => Number(BigInt.asIntN(32, v)));
        return { type: 'Box', dtype: 'INT', shape, intData: legacy, int64Data: data };
      }
      return { type: 'Box', dtype: 'INT', shape, intData: value.data as Int32Array };
    case 'UINT':
      if (info.big) {
        const data = value.data as BigUint64Array;
        const legacy = Uint32Array.from(data, (v) => Number(BigInt.asUintN(32, v)));
        return { type: 'Box', dtype: 'UINT', shape, uintData: legacy, uint64Data: data };
      }
      return { type: 'Box', dtype: 'UINT', shape, uintData: value.data as Uint32Array };
  }
}

/** A Box container's element count against the declared space (a module function: no closure per decoded state). */
function checkLength(space: Box, n: number, where: string): void {
  if (n !== space.size) throw new InputError(`${where}.length`, n, `${space.size} elements (declared ${space.describe()})`);
}

function boxFromWireData(space: Box, data: WireData, where: string): NdArray {
  const info = dtypeInfo(space.dtype);
  const wire = WIRE_DTYPE[space.dtype];
  if (data.type !== 'Box') throw new InputError(`${where}.type`, data.type, `Box (declared ${space.describe()})`);
  if (data.dtype !== wire) throw new InputError(`${where}.dtype`, data.dtype, `${wire} (declared ${space.describe()})`);
  // ns3-gym always sends the shape; an empty shape is accepted for a flat container of the right size.
  if (data.shape.length > 0 && !sameShape(data.shape, space.shape)) {
    throw new InputError(`${where}.shape`, data.shape, `[${space.shape.join(', ')}] (declared ${space.describe()})`);
  }
  const out = new info.ctor(space.size);
  if (wire === 'FLOAT' || wire === 'DOUBLE') {
    const src = (wire === 'FLOAT' ? data.floatData : data.doubleData) ?? [];
    checkLength(space, src.length, where);
    const dst = out as Float32Array | Float64Array;
    for (let i = 0; i < src.length; i++) {
      const v = src[i] as number;
      if (!Number.isFinite(v)) throw new InputError(`${where}[${i}]`, v, 'a finite number (NaN and Inf are rejected)');
      dst[i] = v;
    }
  } else if (info.big) {
    const exact = wire === 'INT' ? data.int64Data : data.uint64Data;
    const dst = out as BigInt64Array | BigUint64Array;
    if (exact && exact.length > 0) {
      checkLength(space, exact.length, where);
      for (let i = 0; i < exact.length; i++) dst[i] = exact[i] as bigint;
    } else {
      const src = (wire === 'INT' ? data.intData : data.uintData) ?? [];
      checkLength(space, src.length, where);
      for (let i = 0; i < src.length; i++) dst[i] = BigInt(src[i] as number);
    }
  } else {
    const src = (wire === 'INT' ? data.intData : data.uintData) ?? [];
    checkLength(space, src.length, where);
    const dst = out as Int32Array;
    for (let i = 0; i < src.length; i++) {
      const v = src[i] as number;
      if (v < info.min || v > info.max) throw new InputError(`${where}[${i}]`, v, `a value in the ${space.dtype} range [${info.min}, ${info.max}]`);
      dst[i] = v;
    }
  }
  return { data: out, shape: [...space.shape] };
}

function tupleToWireData(space: Tuple, value: unknown, where: string): WireData {
  if (!Array.isArray(value) || value.length !== space.spaces.length) {
    throw new InputError(where, value, `an array of ${space.spaces.length} elements (Tuple)`);
  }
  return { type: 'Tuple', elements: space.spaces.map((s, i) => toWireData(s, value[i], `${where}[${i}]`)) };
}

function tupleFromWireData(space: Tuple, data: WireData, where: string): unknown[] {
  if (data.type !== 'Tuple') throw new InputError(`${where}.type`, data.type, 'Tuple');
  const elements = data.elements;
  if (elements.length !== space.spaces.length) {
    throw new InputError(`${where}.length`, elements.length, `${space.spaces.length} elements (declared Tuple)`);
  }
  return space.spaces.map((s, i) => fromWireData(s, elements[i] as WireData, `${where}[${i}]`));
}

function dictToWireData(space: Dict, value: unknown, where: string): WireData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(where, value, `an object with keys ${space.keys.join(', ')} (Dict)`);
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    if (!Object.hasOwn(space.spaces, k)) throw new InputError(`${where}.${k}`, record[k], `no such key (Dict keys: ${space.keys.join(', ')})`);
  }
  return {
    type: 'Dict',
    elements: space.keys.map((k) => {
      if (!Object.hasOwn(record, k)) throw new InputError(`${where}.${k}`, undefined, `a value for key ${k}`);
      return { ...toWireData(dictEntry(space, k), record[k], `${where}.${k}`), name: k };
    }),
  };
}

function dictFromWireData(space: Dict, data: WireData, where: string): Record<string, unknown> {
  if (data.type !== 'Dict') throw new InputError(`${where}.type`, data.type, 'Dict');
  const byName = new Map<string, WireData>();
  for (const e of data.elements) {
    const key = e.name ?? '';
    if (byName.has(key)) throw new WireError(`${where}.${key}: got a second entry named ${JSON.stringify(key)}, expected unique Dict keys`);
    byName.set(key, e);
  }
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of space.keys) {
    const e = byName.get(k);
    if (!e) throw new InputError(`${where}.${k}`, undefined, `an element named ${JSON.stringify(k)} (declared Dict keys: ${space.keys.join(', ')})`);
    out[k] = fromWireData(dictEntry(space, k), e, `${where}.${k}`);
  }
  if (byName.size !== space.keys.length) {
    const extra = [...byName.keys()].filter((k) => !Object.hasOwn(space.spaces, k));
    throw new InputError(`${where}`, extra, `only the declared keys ${space.keys.join(', ')}`);
  }
  return out;
}

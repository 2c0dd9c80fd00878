/**
 * The ns3-gym wire codec: encodes and decodes the four messages of the protocol (SimInitMsg,
 * SimInitAck, EnvStateMsg, EnvActMsg) between bytes and plain, fully unpacked TypeScript values.
 *
 * The bytes come from the protobufjs static code generated from proto/ns3gym.proto
 * (src/wire/generated/, `npm run proto:gen`). This module adds what protobufjs leaves to the
 * caller: `Any` packing with `type.googleapis.com/ns3opengym.<Msg>` (an unknown URL is an error,
 * not an empty message), proto3 default omission (fields at their default are never written, so
 * our bytes equal ns3-gym's), and 64-bit values as bigint.
 */
import protobuf from 'protobufjs/minimal.js';
import { ns3opengym as generatedNamespace, google as generatedGoogle } from './generated/ns3gym.js';
import type { ns3opengym as GeneratedTypes, google as GeneratedGoogleTypes } from './generated/ns3gym-types.js';
import { WireError } from './errors.js';
import { LimitTracker, resolveWireLimits, type WireLimits } from './limits.js';

export { WireError };

// The generated module is plain JavaScript compiled without type checking; its typings come from pbts.
const pb = generatedNamespace as unknown as typeof GeneratedTypes;
const pbAny = (generatedGoogle as unknown as typeof GeneratedGoogleTypes).protobuf.Any;

export const TYPE_URL_PREFIX = 'type.googleapis.com/ns3opengym.';

/** Wire element types (ns3opengym.Dtype). */
export type WireDtype = 'INT' | 'UINT' | 'FLOAT' | 'DOUBLE';
export type WireSpaceType = 'Discrete' | 'Box' | 'Tuple' | 'Dict';

const DTYPE_TO_ENUM: Record<WireDtype, number> = { INT: 1, UINT: 2, FLOAT: 3, DOUBLE: 4 };
const ENUM_TO_DTYPE: Record<number, WireDtype> = { 1: 'INT', 2: 'UINT', 3: 'FLOAT', 4: 'DOUBLE' };
const SPACE_TYPE_TO_ENUM: Record<WireSpaceType, number> = { Discrete: 1, Box: 2, Tuple: 3, Dict: 4 };
const ENUM_TO_SPACE_TYPE: Record<number, WireSpaceType> = { 1: 'Discrete', 2: 'Box', 3: 'Tuple', 4: 'Dict' };

/** A space description as it travels (SpaceDescription with its Any unpacked). */
export type WireSpace =
  | { type: 'Discrete'; name?: string; n: number }
  | {
      type: 'Box';
      name?: string;
      low: number;
      high: number;
      dtype: WireDtype;
      shape: number[];
      /** ns3ts extension: per-element bounds (absent = the scalar bounds hold everywhere). */
      lows?: number[];
      highs?: number[];
      /** ns3ts extension: element bit width 8/16/32/64 (absent or 0 = legacy 32). */
      bits?: number;
    }
  | { type: 'Tuple'; name?: string; elements: WireSpace[] }
  | { type: 'Dict'; name?: string; elements: WireSpace[] };

/** Numeric arrays the codec accepts for repeated scalar fields. */
export type NumberList = ArrayLike<number>;

/** A data container as it travels (DataContainer with its Any unpacked). */
export type WireData =
  | { type: 'Discrete'; name?: string; value: number }
  | {
      type: 'Box';
      name?: string;
      dtype: WireDtype;
      shape: number[];
      intData?: NumberList;
      uintData?: NumberList;
      floatData?: NumberList;
      doubleData?: NumberList;
      /** ns3ts extension: exact 64-bit values (intData/uintData then carry the 32-bit truncation). */
      int64Data?: ArrayLike<bigint>;
      uint64Data?: ArrayLike<bigint>;
    }
  | { type: 'Tuple'; name?: string; elements: WireData[] }
  | { type: 'Dict'; name?: string; elements: WireData[] };

export interface SimInitMsg {
  simProcessId: number;
  wafShellProcessId: number;
  obsSpace: WireSpace;
  actSpace: WireSpace;
  /** ns3ts extension: "ns3ts/<version> <cap>,<cap>" ('' from ns3-gym peers). */
  capabilities: string;
  /** ns3ts extension: the seed the simulator actually used (0 when not reported). */
  seed: number;
}

export interface SimInitAck {
  done: boolean;
  stopSimReq: boolean;
  capabilities: string;
}

export type GameOverReason = 'SimulationEnd' | 'GameOver';

export interface EnvStateMsg {
  obsData: WireData | null;
  reward: number;
  isGameOver: boolean;
  /** Meaningful only when isGameOver (absent on the wire otherwise, so it reads SimulationEnd). */
  reason: GameOverReason;
  info: string;
  /** ns3ts extension: simulation time of this state in seconds (0 when not reported). */
  simTime: number;
}

export interface EnvActMsg {
  actData: WireData | null;
  stopSimReq: boolean;
  /** ns3ts extension: soft reset request (only to simulators advertising "soft-reset"). */
  resetReq: boolean;
  resetSeed: number;
}

// ---------------------------------------------------------------------------------------------
// Any packing

type GeneratedMessage = { encode(message: object): { finish(): Uint8Array }; decode(bytes: Uint8Array): object };

function packAny(typeName: string, message: object, codec: GeneratedMessage): GeneratedGoogleTypes.protobuf.IAny {
  const value = codec.encode(message).finish();
  // proto3 omits an empty bytes field (e.g. Discrete 0); so do we, to match ns3-gym's bytes.
  return value.length > 0 ? { type_url: TYPE_URL_PREFIX + typeName, value } : { type_url: TYPE_URL_PREFIX + typeName };
}

function unpackAny<T extends object>(any: GeneratedGoogleTypes.protobuf.IAny | null | undefined, expected: string, codec: GeneratedMessage, where: string): T {
  if (!any) throw new WireError(`${where}: missing Any payload, expected ${TYPE_URL_PREFIX}${expected}`);
  const url = any.type_url ?? '';
  if (url !== TYPE_URL_PREFIX + expected) {
    throw new WireError(`${where}: unknown Any type URL ${JSON.stringify(url)}, expected ${JSON.stringify(TYPE_URL_PREFIX + expected)}`);
  }
  try {
    return codec.decode(any.value ?? new Uint8Array(0)) as T;
  } catch (err) {
    throw new WireError(`${where}: malformed ${expected}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Spaces

function spaceToProto(space: WireSpace): GeneratedTypes.ISpaceDescription {
  const out: GeneratedTypes.ISpaceDescription = { type: SPACE_TYPE_TO_ENUM[space.type] };
  switch (space.type) {
    case 'Discrete': {
      const m: GeneratedTypes.IDiscreteSpace = {};
      if (space.n !== 0) m.n = space.n;
      out.space = packAny('DiscreteSpace', m, pb.DiscreteSpace);
      break;
    }
    case 'Box': {
      const m: GeneratedTypes.IBoxSpace = {};
      if (space.low !== 0) m.low = space.low;
      if (space.high !== 0) m.high = space.high;
      m.dtype = DTYPE_TO_ENUM[space.dtype];
      if (space.shape.length > 0) m.shape = space.shape;
      if (space.lows && space.lows.length > 0) m.lows = space.lows;
      if (space.highs && space.highs.length > 0) m.highs = space.highs;
      if (space.bits && space.bits !== 0) m.bits = space.bits;
      out.space = packAny('BoxSpace', m, pb.BoxSpace);
      break;
    }
    case 'Tuple':
      out.space = packAny('TupleSpace', { element: space.elements.map(spaceToProto) }, pb.TupleSpace);
      break;
    case 'Dict':
      out.space = packAny('DictSpace', { element: space.elements.map(spaceToProto) }, pb.DictSpace);
      break;
  }
  if (space.name) out.name = space.name;
  return out;
}

/**
 * Entries of a TupleSpace/DictSpace or Tuple/DictDataContainer (field 1), counted on the bytes
 * without decoding them, so that their number is checked before any is allocated.
 */
function countEntries(any: GeneratedGoogleTypes.protobuf.IAny | null | undefined): number {
  const bytes = any?.value;
  if (!bytes || bytes.length === 0) return 0;
  const reader = protobuf.Reader.create(bytes);
  let count = 0;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === 1) count++;
      reader.skipType(tag & 7);
    }
  } catch {
    // Malformed bytes: the decoder names the problem.
  }
  return count;
}

function spaceFromProto(desc: GeneratedTypes.ISpaceDescription | null | undefined, where: string, tracker: LimitTracker, depth: number): WireSpace {
  if (!desc) throw new WireError(`${where}: missing space description`);
  tracker.depth(depth, where);
  const type = ENUM_TO_SPACE_TYPE[desc.type ?? 0];
  const name = desc.name ? { name: desc.name } : {};
  switch (type) {
    case 'Discrete': {
      const m = unpackAny<GeneratedTypes.DiscreteSpace>(desc.space, 'DiscreteSpace', pb.DiscreteSpace, where);
      tracker.addElement(where);
      return { type, ...name, n: m.n };
    }
    case 'Box': {
      const m = unpackAny<GeneratedTypes.BoxSpace>(desc.space, 'BoxSpace', pb.BoxSpace, where);
      const dtype = ENUM_TO_DTYPE[m.dtype];
      if (!dtype) throw new WireError(`${where}: BoxSpace.dtype ${m.dtype} is not one of INT, UINT, FLOAT, DOUBLE`);
      tracker.addShape(m.shape, where);
      const box: WireSpace = { type, ...name, low: m.low, high: m.high, dtype, shape: [...m.shape] };
      if (m.lows.length > 0) box.lows = [...m.lows];
      if (m.highs.length > 0) box.highs = [...m.highs];
      if (m.bits) box.bits = m.bits;
      return box;
    }
    case 'Tuple': {
      tracker.addEntries(countEntries(desc.space), where);
      const m = unpackAny<GeneratedTypes.TupleSpace>(desc.space, 'TupleSpace', pb.TupleSpace, where);
      return { type, ...name, elements: m.element.map((e, i) => spaceFromProto(e, `${where}[${i}]`, tracker, depth + 1)) };
    }
    case 'Dict': {
      tracker.addEntries(countEntries(desc.space), where);
      const m = unpackAny<GeneratedTypes.DictSpace>(desc.space, 'DictSpace', pb.DictSpace, where);
      return { type, ...name, elements: m.element.map((e, i) => spaceFromProto(e, `${where}.${e.name || i}`, tracker, depth + 1)) };
    }
    default:
      throw new WireError(`${where}: space type ${desc.type ?? 0} is not one of Discrete(1), Box(2), Tuple(3), Dict(4)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Data containers

function bigintsToLongs(values: ArrayLike<bigint>): string[] {
  // protobufjs accepts decimal strings for 64-bit fields and keeps them exact.
  const out = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!.toString();
  return out;
}

interface LongLike {
  low: number;
  high: number;
}

function longToBigInt(value: number | LongLike, signed: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return signed ? BigInt.asIntN(64, bits) : bits;
}

function longToNumber(value: number | LongLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  return Number(longToBigInt(value, false));
}

function dataToProto(data: WireData): GeneratedTypes.IDataContainer {
  const out: GeneratedTypes.IDataContainer = { type: SPACE_TYPE_TO_ENUM[data.type] };
  switch (data.type) {
    case 'Discrete': {
      const m: GeneratedTypes.IDiscreteDataContainer = {};
      if (data.value !== 0) m.data = data.value;
      out.data = packAny('DiscreteDataContainer', m, pb.DiscreteDataContainer);
      break;
    }
    case 'Box': {
      const m: GeneratedTypes.IBoxDataContainer = { dtype: DTYPE_TO_ENUM[data.dtype] };
      if (data.shape.length > 0) m.shape = data.shape;
      // protobufjs iterates by index, so typed arrays go through without copying.
      if (data.intData && data.intData.length > 0) m.intData = data.intData as number[];
      if (data.uintData && data.uintData.length > 0) m.uintData = data.uintData as number[];
      if (data.floatData && data.floatData.length > 0) m.floatData = data.floatData as number[];
      if (data.doubleData && data.doubleData.length > 0) m.doubleData = data.doubleData as number[];
      if (data.int64Data && data.int64Data.length > 0) m.int64Data = bigintsToLongs(data.int64Data) as unknown as number[];
      if (data.uint64Data && data.uint64Data.length > 0) m.uint64Data = bigintsToLongs(data.uint64Data) as unknown as number[];
      out.data = packAny('BoxDataContainer', m, pb.BoxDataContainer);
      break;
    }
    case 'Tuple':
      out.data = packAny('TupleDataContainer', { element: data.elements.map(dataToProto) }, pb.TupleDataContainer);
      break;
    case 'Dict':
      out.data = packAny('DictDataContainer', { element: data.elements.map(dataToProto) }, pb.DictDataContainer);
      break;
  }
  if (data.name) out.name = data.name;
  return out;
}

function dataFromProto(container: GeneratedTypes.IDataContainer | null | undefined, where: string, tracker: LimitTracker, depth: number): WireData {
  if (!container) throw new WireError(`${where}: missing data container`);
  tracker.depth(depth, where);
  const type = ENUM_TO_SPACE_TYPE[container.type ?? 0];
  const name = container.name ? { name: container.name } : {};
  switch (type) {
    case 'Discrete': {
      const m = unpackAny<GeneratedTypes.DiscreteDataContainer>(container.data, 'DiscreteDataContainer', pb.DiscreteDataContainer, where);
      return { type, ...name, value: m.data };
    }
    case 'Box': {
      const m = unpackAny<GeneratedTypes.BoxDataContainer>(container.data, 'BoxDataContainer', pb.BoxDataContainer, where);
      const dtype = ENUM_TO_DTYPE[m.dtype];
      if (!dtype) throw new WireError(`${where}: BoxDataContainer.dtype ${m.dtype} is not one of INT, UINT, FLOAT, DOUBLE`);
      const box: WireData = { type, ...name, dtype, shape: m.shape };
      if (m.intData.length > 0) box.intData = m.intData;
      if (m.uintData.length > 0) box.uintData = m.uintData;
      if (m.floatData.length > 0) box.floatData = m.floatData;
      if (m.doubleData.length > 0) box.doubleData = m.doubleData;
      if (m.int64Data.length > 0) box.int64Data = m.int64Data.map((v) => longToBigInt(v as number | LongLike, true));
      if (m.uint64Data.length > 0) box.uint64Data = m.uint64Data.map((v) => longToBigInt(v as number | LongLike, false));
      return box;
    }
    case 'Tuple': {
      tracker.addEntries(countEntries(container.data), where);
      const m = unpackAny<GeneratedTypes.TupleDataContainer>(container.data, 'TupleDataContainer', pb.TupleDataContainer, where);
      return { type, ...name, elements: m.element.map((e, i) => dataFromProto(e, `${where}[${i}]`, tracker, depth + 1)) };
    }
    case 'Dict': {
      tracker.addEntries(countEntries(container.data), where);
      const m = unpackAny<GeneratedTypes.DictDataContainer>(container.data, 'DictDataContainer', pb.DictDataContainer, where);
      return { type, ...name, elements: m.element.map((e, i) => dataFromProto(e, `${where}.${e.name || i}`, tracker, depth + 1)) };
    }
    default:
      throw new WireError(`${where}: data container type ${container.type ?? 0} is not one of Discrete(1), Box(2), Tuple(3), Dict(4)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function decodeWith<T>(codec: { decode(bytes: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes);
  } catch (err) {
    throw new WireError(`malformed ${what} (${bytes.length} bytes): ${(err as Error).message}`);
  }
}

export function encodeSimInitMsg(msg: Partial<SimInitMsg> & Pick<SimInitMsg, 'obsSpace' | 'actSpace'>): Uint8Array {
  const m: GeneratedTypes.ISimInitMsg = {};
  if (msg.simProcessId) m.simProcessId = msg.simProcessId;
  if (msg.wafShellProcessId) m.wafShellProcessId = msg.wafShellProcessId;
  m.obsSpace = spaceToProto(msg.obsSpace);
  m.actSpace = spaceToProto(msg.actSpace);
  if (msg.capabilities) m.capabilities = msg.capabilities;
  if (msg.seed) m.seed = msg.seed;
  return pb.SimInitMsg.encode(m).finish();
}

/** Decodes a SimInitMsg; each space is checked against `limits` (defaults: DEFAULT_WIRE_LIMITS) as it is decoded. */
export function decodeSimInitMsg(bytes: Uint8Array, limits: Partial<WireLimits> = {}): SimInitMsg {
  const resolved = resolveWireLimits(limits);
  new LimitTracker(resolved).frame(bytes, 'SimInitMsg');
  const m = decodeWith(pb.SimInitMsg, bytes, 'SimInitMsg');
  if (!m.obsSpace || !m.actSpace) {
    throw new WireError(`malformed SimInitMsg (${bytes.length} bytes): it must carry obsSpace (3) and actSpace (4)`);
  }
  return {
    simProcessId: longToNumber(m.simProcessId as number | LongLike),
    wafShellProcessId: longToNumber(m.wafShellProcessId as number | LongLike),
    obsSpace: spaceFromProto(m.obsSpace, 'SimInitMsg.obsSpace', new LimitTracker(resolved), 0),
    actSpace: spaceFromProto(m.actSpace, 'SimInitMsg.actSpace', new LimitTracker(resolved), 0),
    capabilities: m.capabilities,
    seed: longToNumber(m.seed as number | LongLike),
  };
}

export function encodeSimInitAck(msg: Partial<SimInitAck>): Uint8Array {
  const m: GeneratedTypes.ISimInitAck = {};
  if (msg.done) m.done = true;
  if (msg.stopSimReq) m.stopSimReq = true;
  if (msg.capabilities) m.capabilities = msg.capabilities;
  return pb.SimInitAck.encode(m).finish();
}

export function decodeSimInitAck(bytes: Uint8Array): SimInitAck {
  const m = decodeWith(pb.SimInitAck, bytes, 'SimInitAck');
  return { done: m.done, stopSimReq: m.stopSimReq, capabilities: m.capabilities };
}

export function encodeEnvStateMsg(msg: Partial<EnvStateMsg>): Uint8Array {
  const m: GeneratedTypes.IEnvStateMsg = {};
  if (msg.obsData) m.obsData = dataToProto(msg.obsData);
  if (msg.reward) m.reward = msg.reward;
  if (msg.isGameOver) {
    m.isGameOver = true;
    if (msg.reason === 'GameOver') m.reason = 1;
  }
  if (msg.info) m.info = msg.info;
  if (msg.simTime) m.simTime = msg.simTime;
  return pb.EnvStateMsg.encode(m).finish();
}

/** Decodes an EnvStateMsg; the container is checked against `limits` (frame size, nesting, entries). */
export function decodeEnvStateMsg(bytes: Uint8Array, limits: Partial<WireLimits> = {}): EnvStateMsg {
  const tracker = new LimitTracker(resolveWireLimits(limits));
  tracker.frame(bytes, 'EnvStateMsg');
  const m = decodeWith(pb.EnvStateMsg, bytes, 'EnvStateMsg');
  return {
    obsData: m.obsData ? dataFromProto(m.obsData, 'EnvStateMsg.obsData', tracker, 0) : null,
    reward: m.reward,
    isGameOver: m.isGameOver,
    reason: m.reason === 1 ? 'GameOver' : 'SimulationEnd',
    info: m.info,
    simTime: m.simTime,
  };
}

export function encodeEnvActMsg(msg: Partial<EnvActMsg>): Uint8Array {
  const m: GeneratedTypes.IEnvActMsg = {};
  if (msg.actData) m.actData = dataToProto(msg.actData);
  if (msg.stopSimReq) m.stopSimReq = true;
  if (msg.resetReq) m.resetReq = true;
  if (msg.resetSeed) m.resetSeed = msg.resetSeed;
  return pb.EnvActMsg.encode(m).finish();
}

export function decodeEnvActMsg(bytes: Uint8Array, limits: Partial<WireLimits> = {}): EnvActMsg {
  const tracker = new LimitTracker(resolveWireLimits(limits));
  tracker.frame(bytes, 'EnvActMsg');
  const m = decodeWith(pb.EnvActMsg, bytes, 'EnvActMsg');
  return {
    actData: m.actData ? dataFromProto(m.actData, 'EnvActMsg.actData', tracker, 0) : null,
    stopSimReq: m.stopSimReq,
    resetReq: m.resetReq,
    resetSeed: longToNumber(m.resetSeed as number | LongLike),
  };
}

/** Hex of bytes (tests, logs). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

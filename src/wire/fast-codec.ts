/**
 * The per-step messages (EnvStateMsg in, EnvActMsg out) read and written by hand, for the agent's
 * hot loop. protobufjs decodes every state into objects, unpacks each `Any` by decoding its type
 * URL into a string and decodes a second time; here the bytes are walked once, the URL is compared
 * as bytes and the repeated numbers land in typed arrays (Float32Array for floatData, ...).
 *
 * Both sides agree with the protobufjs codec (codec.ts) value for value and byte for byte; the test
 * (test/wire/fast-codec.test.ts) checks that on random messages of every space kind. The reader
 * handles the canonical encoding (what protobufjs, ns3-gym and the ns3ts module write): anything
 * else — unknown fields, unexpected wire types, a repeated singular field, non-ASCII strings, bad
 * type URLs, truncated bytes, a frame beyond the limits — is handed to the protobufjs path, which
 * decodes it or names the problem exactly as before.
 */
import { decodeEnvActMsg, decodeEnvStateMsg, TYPE_URL_PREFIX, type EnvActMsg, type EnvStateMsg, type WireData, type WireDtype, type WireSpaceType } from './codec.js';
import { LimitTracker, type WireLimits } from './limits.js';

const SPACE_TYPES: readonly (WireSpaceType | undefined)[] = [undefined, 'Discrete', 'Box', 'Tuple', 'Dict'];
const DTYPES: readonly (WireDtype | undefined)[] = [undefined, 'INT', 'UINT', 'FLOAT', 'DOUBLE'];
const SPACE_TYPE_NUMBER: Record<WireSpaceType, number> = { Discrete: 1, Box: 2, Tuple: 3, Dict: 4 };
const DTYPE_NUMBER: Record<WireDtype, number> = { INT: 1, UINT: 2, FLOAT: 3, DOUBLE: 4 };

/** The type URL of each data container's Any, as bytes (compared, never decoded). */
const CONTAINER_URL: Record<WireSpaceType, Uint8Array> = {
  Discrete: ascii(`${TYPE_URL_PREFIX}DiscreteDataContainer`),
  Box: ascii(`${TYPE_URL_PREFIX}BoxDataContainer`),
  Tuple: ascii(`${TYPE_URL_PREFIX}TupleDataContainer`),
  Dict: ascii(`${TYPE_URL_PREFIX}DictDataContainer`),
};

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Thrown inside the reader when the bytes leave the canonical form: the protobufjs path takes over. */
const NOT_CANONICAL = Symbol('not canonical');

// ---------------------------------------------------------------------------------------------
// Reading

/** A cursor over one frame; every read checks its end (a truncated frame goes to protobufjs). */
class Cursor {
  pos = 0;
  private readonly view: DataView;
  private text: Buffer | null = null;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * A varint's low 32 bits (protobufjs's uint32()): up to 5 bytes, or 10 for a sign-extended
   * negative int32 (protobufjs skips bytes 6-10 unread; here they must be a well-formed tail).
   */
  varint32(end: number): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) throw NOT_CANONICAL;
      const b = this.buf[this.pos++]!;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
    }
    if (this.pos + 5 > end) throw NOT_CANONICAL;
    for (let i = 0; i < 4; i++) if (this.buf[this.pos++]! < 0x80) throw NOT_CANONICAL;
    if (this.buf[this.pos++]! >= 0x80) throw NOT_CANONICAL;
    return value >>> 0;
  }

  /** A whole 64-bit varint as an unsigned bigint. */
  varint64(end: number): bigint {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw NOT_CANONICAL;
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    }
    throw NOT_CANONICAL;
  }

  /** The end of a length-delimited field whose length comes next. */
  sub(end: number): number {
    const length = this.varint32(end);
    const stop = this.pos + length;
    if (stop > end) throw NOT_CANONICAL;
    return stop;
  }

  float(end: number): number {
    if (this.pos + 4 > end) throw NOT_CANONICAL;
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(end: number): number {
    if (this.pos + 8 > end) throw NOT_CANONICAL;
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** An ASCII string (anything else is protobufjs's to decode, whose UTF-8 reading differs by input type). */
  ascii(end: number): string {
    const stop = this.sub(end);
    for (let i = this.pos; i < stop; i++) if (this.buf[i]! >= 0x80) throw NOT_CANONICAL;
    this.text ??= Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const out = this.text.toString('latin1', this.pos, stop);
    this.pos = stop;
    return out;
  }

  /** True when the bytes of a length-delimited field equal `expected`. */
  equals(expected: Uint8Array, end: number): boolean {
    const stop = this.sub(end);
    if (stop - this.pos !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.buf[this.pos + i] !== expected[i]) return false;
    this.pos = stop;
    return true;
  }

  /** Elements of a packed varint field between pos and stop. */
  countVarints(stop: number): number {
    let n = 0;
    for (let i = this.pos; i < stop; i++) if (this.buf[i]! < 0x80) n++;
    return n;
  }

  view32(): DataView {
    return this.view;
  }
}

/** Reads one tag; field numbers above 15 do not occur in these messages (NOT_CANONICAL). */
function tag(c: Cursor, end: number): number {
  const t = c.buf[c.pos++]!;
  if (t >= 0x80) throw NOT_CANONICAL;
  return t;
}

/**
 * Decodes an EnvStateMsg exactly like decodeEnvStateMsg (same values, same errors), with Box data
 * in typed arrays; frames outside the canonical form go through decodeEnvStateMsg itself.
 */
export function readEnvStateMsg(bytes: Uint8Array, limits: WireLimits): EnvStateMsg {
  // Not canonical, or refused by a limit: the protobufjs path decodes it or reports the first
  // problem in its own order, word for word.
  return readCanonicalEnvStateMsg(bytes, limits) ?? decodeEnvStateMsg(bytes, limits);
}

/** The reader alone: null when the frame is not in the canonical form (or breaks a limit). */
export function readCanonicalEnvStateMsg(bytes: Uint8Array, limits: WireLimits): EnvStateMsg | null {
  try {
    const tracker = new LimitTracker(limits);
    tracker.frame(bytes, 'EnvStateMsg');
    return readState(new Cursor(bytes), tracker);
  } catch {
    return null;
  }
}

function readState(c: Cursor, tracker: LimitTracker): EnvStateMsg {
  const end = c.buf.length;
  let obsData: WireData | null = null;
  let reward = 0;
  let isGameOver = false;
  let reason = 0;
  let info = '';
  let simTime = 0;
  let last = 0;
  while (c.pos < end) {
    const t = tag(c, end);
    // Fields in ascending order, each once: what every writer of this protocol produces.
    if (t >>> 3 <= last) throw NOT_CANONICAL;
    last = t >>> 3;
    switch (t) {
      case 0x0a: {
        const stop = c.sub(end);
        obsData = readContainer(c, stop, 'EnvStateMsg.obsData', tracker, 0);
        break;
      }
      case 0x15:
        reward = c.float(end);
        break;
      case 0x18:
        isGameOver = c.varint32(end) !== 0;
        break;
      case 0x20:
        reason = c.varint32(end) | 0;
        break;
      case 0x2a:
        info = c.ascii(end);
        break;
      case 0x31:
        simTime = c.double(end);
        break;
      default:
        throw NOT_CANONICAL;
    }
  }
  return { obsData, reward, isGameOver, reason: reason === 1 ? 'GameOver' : 'SimulationEnd', info, simTime };
}

/** A DataContainer between c.pos and end. */
function readContainer(c: Cursor, end: number, where: string, tracker: LimitTracker, depth: number): WireData {
  tracker.depth(depth, where);
  let type: WireSpaceType | undefined;
  let name = '';
  let dataStart = -1;
  let dataEnd = -1;
  let last = 0;
  while (c.pos < end) {
    const t = tag(c, end);
    if (t >>> 3 <= last) throw NOT_CANONICAL;
    last = t >>> 3;
    if (t === 0x08) type = SPACE_TYPES[c.varint32(end)];
    else if (t === 0x12) {
      // The Any: its type URL (field 1) then its value (field 2, absent when empty).
      const stop = c.sub(end);
      if (c.pos >= stop || c.buf[c.pos++] !== 0x0a || type === undefined || !c.equals(CONTAINER_URL[type], stop)) throw NOT_CANONICAL;
      if (c.pos < stop) {
        if (c.buf[c.pos++] !== 0x12) throw NOT_CANONICAL;
        dataEnd = c.sub(stop);
        dataStart = c.pos;
        if (dataEnd !== stop) throw NOT_CANONICAL;
      } else {
        dataStart = dataEnd = stop;
      }
      c.pos = stop;
    } else if (t === 0x1a) name = c.ascii(end);
    else throw NOT_CANONICAL;
  }
  if (type === undefined || dataStart < 0) throw NOT_CANONICAL;
  const after = c.pos;
  c.pos = dataStart;
  const data = readPayload(c, type, dataEnd, where, tracker, depth);
  c.pos = after;
  if (name) data.name = name;
  return data;
}

function readPayload(c: Cursor, type: WireSpaceType, end: number, where: string, tracker: LimitTracker, depth: number): WireData {
  switch (type) {
    case 'Discrete': {
      let value = 0;
      if (c.pos < end) {
        if (tag(c, end) !== 0x08) throw NOT_CANONICAL;
        value = c.varint32(end) | 0;
      }
      if (c.pos !== end) throw NOT_CANONICAL;
      return { type, value };
    }
    case 'Box':
      return readBox(c, end);
    case 'Tuple':
    case 'Dict': {
      // Entries are counted before any is decoded (the limits' rule).
      const starts: number[] = [];
      const stops: number[] = [];
      while (c.pos < end) {
        if (tag(c, end) !== 0x0a) throw NOT_CANONICAL;
        const stop = c.sub(end);
        starts.push(c.pos);
        stops.push(stop);
        c.pos = stop;
      }
      tracker.addEntries(starts.length, where);
      const elements: WireData[] = new Array(starts.length);
      for (let i = 0; i < starts.length; i++) {
        c.pos = starts[i]!;
        // Names come from the entries themselves; the path uses them the way the protobufjs path does.
        elements[i] = readContainer(c, stops[i]!, type === 'Tuple' ? `${where}[${i}]` : `${where}.${peekName(c, stops[i]!) || i}`, tracker, depth + 1);
      }
      c.pos = end;
      return { type, elements };
    }
  }
}

/** The name (field 3) of the DataContainer between c.pos and end, without moving the cursor. */
function peekName(c: Cursor, end: number): string {
  const start = c.pos;
  let name = '';
  while (c.pos < end) {
    const t = tag(c, end);
    if (t === 0x1a) {
      name = c.ascii(end);
      break;
    }
    if ((t & 7) === 0) c.varint32(end);
    else if ((t & 7) === 2) c.pos = c.sub(end);
    else throw NOT_CANONICAL;
  }
  c.pos = start;
  return name;
}

function readBox(c: Cursor, end: number): WireData {
  let dtype: WireDtype | undefined;
  let shape: number[] = [];
  const box: WireData = { type: 'Box', dtype: 'INT', shape };
  let last = 0;
  while (c.pos < end) {
    const t = tag(c, end);
    if (t >>> 3 <= last) throw NOT_CANONICAL;
    last = t >>> 3;
    if (t === 0x08) {
      dtype = DTYPES[c.varint32(end)];
      continue;
    }
    // Repeated fields: packed (what proto3 writers produce).
    if ((t & 7) !== 2) throw NOT_CANONICAL;
    const stop = c.sub(end);
    switch (t >>> 3) {
      case 2: {
        shape = new Array<number>(c.countVarints(stop));
        for (let i = 0; i < shape.length; i++) shape[i] = c.varint32(stop);
        break;
      }
      case 3: {
        const out = new Int32Array(c.countVarints(stop));
        for (let i = 0; i < out.length; i++) out[i] = c.varint32(stop) | 0;
        if (out.length > 0) box.intData = out;
        break;
      }
      case 4: {
        const out = new Uint32Array(c.countVarints(stop));
        for (let i = 0; i < out.length; i++) out[i] = c.varint32(stop);
        if (out.length > 0) box.uintData = out;
        break;
      }
      case 5: {
        if ((stop - c.pos) % 4 !== 0) throw NOT_CANONICAL;
        const out = new Float32Array((stop - c.pos) / 4);
        const view = c.view32();
        for (let i = 0, p = c.pos; i < out.length; i++, p += 4) out[i] = view.getFloat32(p, true);
        c.pos = stop;
        if (out.length > 0) box.floatData = out;
        break;
      }
      case 6: {
        if ((stop - c.pos) % 8 !== 0) throw NOT_CANONICAL;
        const out = new Float64Array((stop - c.pos) / 8);
        const view = c.view32();
        for (let i = 0, p = c.pos; i < out.length; i++, p += 8) out[i] = view.getFloat64(p, true);
        c.pos = stop;
        if (out.length > 0) box.doubleData = out;
        break;
      }
      case 7: {
        const out = new BigInt64Array(c.countVarints(stop));
        for (let i = 0; i < out.length; i++) out[i] = BigInt.asIntN(64, c.varint64(stop));
        if (out.length > 0) box.int64Data = out;
        break;
      }
      case 8: {
        const out = new BigUint64Array(c.countVarints(stop));
        for (let i = 0; i < out.length; i++) out[i] = c.varint64(stop);
        if (out.length > 0) box.uint64Data = out;
        break;
      }
      default:
        throw NOT_CANONICAL;
    }
    if (c.pos !== stop) throw NOT_CANONICAL;
  }
  // An absent or unknown dtype is the protobufjs path's error to report.
  if (dtype === undefined) throw NOT_CANONICAL;
  box.dtype = dtype;
  box.shape = shape;
  return box;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** The encoded size of a varint of a uint32 (or of a negative int32: 10 bytes, as protobufjs writes it). */
function varint32Size(v: number): number {
  if (v < 0) return 10;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function varint64Size(v: bigint): number {
  let u = BigInt.asUintN(64, v);
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/** Bytes of a container's Any value (the payload message), by kind. */
function payloadSize(data: WireData): number {
  switch (data.type) {
    case 'Discrete':
      return data.value !== 0 ? 1 + varint32Size(data.value) : 0;
    case 'Box': {
      let n = 2; // dtype
      if (data.shape.length > 0) n += packedVarintsSize(data.shape);
      if (data.intData && data.intData.length > 0) n += packedVarintsSize(data.intData);
      if (data.uintData && data.uintData.length > 0) n += packedVarintsSize(data.uintData);
      if (data.floatData && data.floatData.length > 0) n += delimited(4 * data.floatData.length);
      if (data.doubleData && data.doubleData.length > 0) n += delimited(8 * data.doubleData.length);
      if (data.int64Data && data.int64Data.length > 0) n += delimited(bigintsSize(data.int64Data));
      if (data.uint64Data && data.uint64Data.length > 0) n += delimited(bigintsSize(data.uint64Data));
      return n;
    }
    case 'Tuple':
    case 'Dict': {
      let n = 0;
      for (const e of data.elements) n += delimited(containerSize(e));
      return n;
    }
  }
}

function packedVarintsSize(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += varint32Size(values[i]!);
  return delimited(n);
}

function bigintsSize(values: ArrayLike<bigint>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += varint64Size(values[i]!);
  return n;
}

/** A field tag (1 byte here) plus the length varint plus `n` bytes. */
function delimited(n: number): number {
  return 1 + varint32Size(n) + n;
}

/** Bytes of a DataContainer message (without its own tag and length). */
function containerSize(data: WireData): number {
  const payload = payloadSize(data);
  const url = CONTAINER_URL[data.type].length;
  const any = delimited(url) + (payload > 0 ? delimited(payload) : 0);
  let n = 2 + delimited(any);
  if (data.name) n += delimited(utf8Length(data.name));
  return n;
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

class Writer {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint32(v: number): void {
    if (v < 0) {
      // A negative int32 is written sign-extended to 64 bits (10 bytes), as protobufjs does.
      this.varint64(BigInt(v));
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  varint64(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  float(v: number): void {
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  utf8(text: string): void {
    this.pos += Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).write(text, this.pos, 'utf8');
  }
}

function writeContainer(w: Writer, data: WireData): void {
  w.byte(0x08);
  w.byte(SPACE_TYPE_NUMBER[data.type]);
  const payload = payloadSize(data);
  const url = CONTAINER_URL[data.type];
  w.byte(0x12);
  w.varint32(delimited(url.length) + (payload > 0 ? delimited(payload) : 0));
  w.byte(0x0a);
  w.varint32(url.length);
  w.bytes(url);
  if (payload > 0) {
    w.byte(0x12);
    w.varint32(payload);
    writePayload(w, data);
  }
  if (data.name) {
    w.byte(0x1a);
    w.varint32(utf8Length(data.name));
    w.utf8(data.name);
  }
}

function writePayload(w: Writer, data: WireData): void {
  switch (data.type) {
    case 'Discrete':
      if (data.value !== 0) {
        w.byte(0x08);
        w.varint32(data.value);
      }
      return;
    case 'Box': {
      w.byte(0x08);
      w.byte(DTYPE_NUMBER[data.dtype]);
      writePackedVarints(w, 0x12, data.shape);
      if (data.intData) writePackedVarints(w, 0x1a, data.intData);
      if (data.uintData) writePackedVarints(w, 0x22, data.uintData);
      if (data.floatData && data.floatData.length > 0) {
        w.byte(0x2a);
        w.varint32(4 * data.floatData.length);
        for (let i = 0; i < data.floatData.length; i++) w.float(data.floatData[i]!);
      }
      if (data.doubleData && data.doubleData.length > 0) {
        w.byte(0x32);
        w.varint32(8 * data.doubleData.length);
        for (let i = 0; i < data.doubleData.length; i++) w.double(data.doubleData[i]!);
      }
      if (data.int64Data) writePackedBigints(w, 0x3a, data.int64Data);
      if (data.uint64Data) writePackedBigints(w, 0x42, data.uint64Data);
      return;
    }
    case 'Tuple':
    case 'Dict':
      for (const e of data.elements) {
        w.byte(0x0a);
        w.varint32(containerSize(e));
        writeContainer(w, e);
      }
  }
}

function writePackedVarints(w: Writer, tagByte: number, values: ArrayLike<number>): void {
  if (values.length === 0) return;
  let n = 0;
  for (let i = 0; i < values.length; i++) n += varint32Size(values[i]!);
  w.byte(tagByte);
  w.varint32(n);
  for (let i = 0; i < values.length; i++) w.varint32(values[i]!);
}

function writePackedBigints(w: Writer, tagByte: number, values: ArrayLike<bigint>): void {
  if (values.length === 0) return;
  w.byte(tagByte);
  w.varint32(bigintsSize(values));
  for (let i = 0; i < values.length; i++) w.varint64(values[i]!);
}

/**
 * Encodes an EnvActMsg with an action (the per-step answer) into a new buffer of exactly its size:
 * the same bytes as encodeEnvActMsg({ actData }). Values must be what toWireData produces (numbers
 * of the wire dtype's range); other messages go through encodeEnvActMsg.
 */
export function writeEnvActMsg(msg: Pick<EnvActMsg, 'actData'>): Uint8Array {
  const data = msg.actData;
  if (!data) return new Uint8Array(0);
  const size = containerSize(data);
  const out = new Uint8Array(1 + varint32Size(size) + size);
  const w = new Writer(out);
  w.byte(0x0a);
  w.varint32(size);
  writeContainer(w, data);
  return out;
}

/**
 * Encodes an EnvStateMsg (the simulator side's per-step message) into a new buffer of exactly its
 * size: the same bytes as encodeEnvStateMsg.
 */
export function writeEnvStateMsg(msg: Partial<EnvStateMsg>): Uint8Array {
  const data = msg.obsData ?? null;
  const containerBytes = data ? containerSize(data) : 0;
  const info = msg.info ? msg.info : '';
  const infoBytes = info ? utf8Length(info) : 0;
  let size = data ? delimited(containerBytes) : 0;
  if (msg.reward) size += 5;
  if (msg.isGameOver) size += msg.reason === 'GameOver' ? 4 : 2;
  if (info) size += delimited(infoBytes);
  if (msg.simTime) size += 9;
  const w = new Writer(new Uint8Array(size));
  if (data) {
    w.byte(0x0a);
    w.varint32(containerBytes);
    writeContainer(w, data);
  }
  if (msg.reward) {
    w.byte(0x15);
    w.float(msg.reward);
  }
  if (msg.isGameOver) {
    w.byte(0x18);
    w.byte(1);
    if (msg.reason === 'GameOver') {
      w.byte(0x20);
      w.byte(1);
    }
  }
  if (info) {
    w.byte(0x2a);
    w.varint32(infoBytes);
    w.utf8(info);
  }
  if (msg.simTime) {
    w.byte(0x31);
    w.double(msg.simTime);
  }
  return w.buf;
}

/**
 * Decodes an EnvActMsg exactly like decodeEnvActMsg (same values, same errors), with Box data in
 * typed arrays; frames outside the canonical form go through decodeEnvActMsg itself.
 */
export function readEnvActMsg(bytes: Uint8Array, limits: WireLimits): EnvActMsg {
  return readCanonicalEnvActMsg(bytes, limits) ?? decodeEnvActMsg(bytes, limits);
}

/** The reader alone: null when the frame is not in the canonical form (or breaks a limit). */
export function readCanonicalEnvActMsg(bytes: Uint8Array, limits: WireLimits): EnvActMsg | null {
  try {
    const tracker = new LimitTracker(limits);
    tracker.frame(bytes, 'EnvActMsg');
    const c = new Cursor(bytes);
    const end = bytes.length;
    const msg: EnvActMsg = { actData: null, stopSimReq: false, resetReq: false, resetSeed: 0 };
    let last = 0;
    while (c.pos < end) {
      const t = tag(c, end);
      if (t >>> 3 <= last) return null;
      last = t >>> 3;
      if (t === 0x0a) {
        const stop = c.sub(end);
        msg.actData = readContainer(c, stop, 'EnvActMsg.actData', tracker, 0);
      } else if (t === 0x10) msg.stopSimReq = c.varint32(end) !== 0;
      else if (t === 0x18) msg.resetReq = c.varint32(end) !== 0;
      else if (t === 0x20) msg.resetSeed = Number(c.varint64(end));
      else return null;
    }
    return msg;
  } catch {
    return null;
  }
}

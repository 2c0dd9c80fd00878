/**
 * The byte format of `checkpoint.bin`, and every check a file must pass before it is loaded.
 *
 *   "NS3TSCK2"  u32 LE header length  UTF-8 JSON header  zero padding to 8 bytes
 *   array data (each array at an 8-byte aligned offset from the data start)
 *   SHA-256 (32 bytes) of everything before it
 *
 * Header: { meta: {...}, arrays: [{ name, dtype, offset, length }], dataBytes }.
 *
 * The checksum covers header and data, so a flipped bit anywhere, zeroed data or an edited header
 * is refused; the structural checks (offsets and lengths inside the data, known dtypes, unique
 * names) come on top, so no header can make the reader allocate or read outside the file.
 *
 * First-version files ("NS3TSCK1", no checksum) written before the checksum existed still load —
 * refusing them would make every earlier run unusable for eval and resume — after the same
 * structural checks, with a warning that their content could not be verified.
 */
import { createHash } from 'node:crypto';
import { Ns3tsError } from '../util/index.js';

const MAGIC = 'NS3TSCK2';
const MAGIC_UNCHECKED = 'NS3TSCK1';
const PREFIX_BYTES = 12;
const CHECKSUM_BYTES = 32;

export type StoredArray = Float32Array | Float64Array | Int32Array | Uint8Array;
const DTYPES = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;
type DType = keyof typeof DTYPES;

export interface CheckpointContent {
  meta: Record<string, unknown>;
  arrays: Record<string, StoredArray>;
}

interface ArrayEntry {
  name: string;
  dtype: DType;
  offset: number;
  length: number;
}

function dtypeOf(a: StoredArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function encodeCheckpoint(content: CheckpointContent): Buffer {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(content.arrays)) {
    entries.push({ name, dtype: dtypeOf(array), offset, length: array.length });
    offset += align8(array.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta: content.meta, arrays: entries, dataBytes: offset }), 'utf8');
  const dataStart = align8(PREFIX_BYTES + header.length);
  const out = Buffer.alloc(dataStart + offset + CHECKSUM_BYTES);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, PREFIX_BYTES);
  for (const e of entries) {
    const a = content.arrays[e.name]!;
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, dataStart + e.offset);
  }
  sha256(out.subarray(0, out.length - CHECKSUM_BYTES)).copy(out, out.length - CHECKSUM_BYTES);
  return out;
}

/**
 * Decodes and checks a checkpoint; `source` (the file) starts every error message. `onWarning`
 * receives the one-line notice for a first-version file (default: a process warning).
 */
export function decodeCheckpoint(bytes: Buffer, source = 'checkpoint', onWarning: (line: string) => void = defaultWarning): CheckpointContent {
  const fail = (why: string): never => {
    throw new Ns3tsError(`${source}: ${why} (the file is not a complete ns3ts checkpoint)`);
  };
  if (bytes.length < PREFIX_BYTES) fail(`${bytes.length} bytes, shorter than the ${PREFIX_BYTES}-byte prefix`);
  const magic = bytes.toString('latin1', 0, 8);
  if (magic !== MAGIC && magic !== MAGIC_UNCHECKED) fail(`bad magic ${JSON.stringify(magic)}, expected ${MAGIC}`);
  const checked = magic === MAGIC;
  const trailer = checked ? CHECKSUM_BYTES : 0;
  const headerLength = bytes.readUInt32LE(8);
  if (PREFIX_BYTES + headerLength + trailer > bytes.length) fail(`truncated header (${headerLength} bytes declared, file has ${bytes.length})`);
  const dataStart = align8(PREFIX_BYTES + headerLength);
  if (checked) {
    const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
    if (!sha256(body).equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) {
      fail(`SHA-256 checksum mismatch over ${body.length} bytes of header and data (corrupted or truncated)`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch (err) {
    return fail(`unreadable header JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const { meta, entries, dataBytes } = checkHeader(parsed, fail);
  const expected = dataStart + dataBytes + trailer;
  if (expected !== bytes.length) fail(`expected ${expected} bytes, found ${bytes.length}`);
  if (!checked) onWarning(`${source}: first-version checkpoint without a checksum; loaded after structural checks only (its content cannot be verified)`);
  const arrays: Record<string, StoredArray> = {};
  for (const e of entries) {
    const copy = new DTYPES[e.dtype](e.length);
    const start = dataStart + e.offset;
    Buffer.from(copy.buffer).set(bytes.subarray(start, start + copy.byteLength));
    arrays[e.name] = copy;
  }
  return { meta, arrays };
}

function defaultWarning(line: string): void {
  process.emitWarning(line, { code: 'NS3TS_CHECKPOINT_UNCHECKED' });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The header's shape: every array inside the declared data, of a known dtype, under a unique name. */
function checkHeader(header: unknown, fail: (why: string) => never): { meta: Record<string, unknown>; entries: ArrayEntry[]; dataBytes: number } {
  if (!isRecord(header)) fail('header is not a JSON object');
  const h = header as Record<string, unknown>;
  if (!isRecord(h.meta)) fail(`header.meta is ${describe(h.meta)}, expected an object`);
  if (!Array.isArray(h.arrays)) fail(`header.arrays is ${describe(h.arrays)}, expected a list`);
  const dataBytes = h.dataBytes;
  if (typeof dataBytes !== 'number' || !Number.isSafeInteger(dataBytes) || dataBytes < 0) fail(`header.dataBytes is ${describe(dataBytes)}, expected a byte count >= 0`);
  const entries: ArrayEntry[] = [];
  const names = new Set<string>();
  (h.arrays as unknown[]).forEach((raw, i) => {
    const field = `header.arrays[${i}]`;
    if (!isRecord(raw)) fail(`${field} is ${describe(raw)}, expected { name, dtype, offset, length }`);
    const e = raw as Record<string, unknown>;
    if (typeof e.name !== 'string' || names.has(e.name)) fail(`${field}.name is ${describe(e.name)}, expected a name not used by another array`);
    if (typeof e.dtype !== 'string' || !Object.hasOwn(DTYPES, e.dtype)) fail(`${field}.dtype is ${describe(e.dtype)}, expected one of ${Object.keys(DTYPES).join(', ')}`);
    for (const key of ['offset', 'length'] as const) {
      const v = e[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${field}.${key} is ${describe(v)}, expected an integer >= 0`);
    }
    const entry = e as unknown as ArrayEntry;
    const end = entry.offset + entry.length * DTYPES[entry.dtype].BYTES_PER_ELEMENT;
    if (entry.offset % 8 !== 0) fail(`${field}.offset is ${entry.offset}, expected a multiple of 8`);
    if (end > (dataBytes as number)) fail(`${field} (${entry.name}) ends at byte ${end}, past the end of the ${dataBytes as number}-byte data`);
    names.add(entry.name);
    entries.push(entry);
  });
  return { meta: h.meta as Record<string, unknown>, entries, dataBytes: dataBytes as number };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

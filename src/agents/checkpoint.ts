/**
 * The checkpoint file of a run: `<run-dir>/checkpoint.bin`, one file replaced atomically (temp +
 * rename), so a reader — or a run killed mid-write — only ever sees a complete checkpoint.
 *
 * Format: "NS3TSCK1", u32 header length, UTF-8 JSON header { meta, arrays: [{ name, dtype,
 * offset, length }], dataBytes }, then the array data (8-byte aligned offsets from the data start).
 * A truncated or corrupted file fails to read with a clear error instead of loading garbage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ns3tsError, writeFileAtomic } from '../util/index.js';

const MAGIC = 'NS3TSCK1';
export const CHECKPOINT_FILE = 'checkpoint.bin';

export type StoredArray = Float32Array | Float64Array | Int32Array | Uint8Array;
const DTYPES = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;
type DType = keyof typeof DTYPES;

function dtypeOf(a: StoredArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

export interface CheckpointContent {
  meta: Record<string, unknown>;
  arrays: Record<string, StoredArray>;
}

export function encodeCheckpoint(content: CheckpointContent): Buffer {
  const entries: Array<{ name: string; dtype: DType; offset: number; length: number }> = [];
  let offset = 0;
  for (const [name, array] of Object.entries(content.arrays)) {
    entries.push({ name, dtype: dtypeOf(array), offset, length: array.length });
    offset += Math.ceil(array.byteLength / 8) * 8;
  }
  const header = Buffer.from(JSON.stringify({ meta: content.meta, arrays: entries, dataBytes: offset }), 'utf8');
  const headerPadded = Math.ceil((12 + header.length) / 8) * 8;
  const out = Buffer.alloc(headerPadded + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  for (const e of entries) {
    const a = content.arrays[e.name]!;
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, headerPadded + e.offset);
  }
  return out;
}

export function decodeCheckpoint(bytes: Buffer, source = 'checkpoint'): CheckpointContent {
  const fail = (why: string): never => {
    throw new Ns3tsError(`${source}: ${why} (the file is not a complete ns3ts checkpoint)`);
  };
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) fail('bad magic');
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) fail('truncated header');
  let header: { meta: Record<string, unknown>; arrays: Array<{ name: string; dtype: DType; offset: number; length: number }>; dataBytes: number };
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength));
  } catch {
    return fail('unreadable header');
  }
  const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
  if (dataStart + header.dataBytes !== bytes.length) fail(`expected ${dataStart + header.dataBytes} bytes, found ${bytes.length}`);
  const arrays: Record<string, StoredArray> = {};
  for (const e of header.arrays) {
    const Ctor = DTYPES[e.dtype];
    if (!Ctor) fail(`unknown dtype ${e.dtype}`);
    const start = dataStart + e.offset;
    const copy = new Ctor(e.length);
    Buffer.from(copy.buffer).set(bytes.subarray(start, start + copy.byteLength));
    arrays[e.name] = copy;
  }
  return { meta: header.meta, arrays };
}

export function writeCheckpoint(runDir: string, content: CheckpointContent): void {
  writeFileAtomic(join(runDir, CHECKPOINT_FILE), encodeCheckpoint(content));
}

export function readCheckpoint(runDir: string): CheckpointContent {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new Ns3tsError(`${path}: no checkpoint in this run directory (expected a run written by \`ns3ts train\`)`);
  return decodeCheckpoint(readFileSync(path), path);
}

/** Splits arrays stored under `prefix/<key>` back out. */
export function arraysWithPrefix(arrays: Record<string, StoredArray>, prefix: string): Record<string, StoredArray> {
  const out: Record<string, StoredArray> = {};
  const p = `${prefix}/`;
  for (const [k, v] of Object.entries(arrays)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
  return out;
}

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint, readCheckpoint } from '../../src/agents/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-ckpt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const content = {
  meta: { agentId: 'maddpg-admm', trainer: { episode: 3, totalSteps: 36, metricsBytes: 10, lastEval: null } },
  arrays: { 'agent/w': Float32Array.from({ length: 64 }, (_, i) => i * 0.5 + 1), 'agent/n': Int32Array.from([1, 2, 3]) },
};

/** Writes `bytes` as the checkpoint of a new run folder and returns the folder. */
function runWith(name: string, bytes: Uint8Array): string {
  const runDir = join(dir, name);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'checkpoint.bin'), bytes);
  return runDir;
}

/** The checkpoint of `runDir` must fail to load with one line naming the file and the reason. */
function expectRefused(runDir: string, reason: RegExp): void {
  let message = '';
  try {
    readCheckpoint(runDir);
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toContain(join(runDir, 'checkpoint.bin'));
  expect(message).toMatch(reason);
  expect(message).not.toContain('\n');
}

/** A first-version checkpoint (no checksum) with this header, as runs before the checksum wrote. */
function legacyCheckpoint(header: unknown, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = Math.ceil((12 + json.length) / 8) * 8;
  const out = Buffer.alloc(dataStart + dataBytes);
  out.write('NS3TSCK1', 0, 'latin1');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  return out;
}

describe('checkpoint integrity', () => {
  it('loads an intact checkpoint', () => {
    const back = readCheckpoint(runWith('intact', encodeCheckpoint(content)));
    expect(back.arrays).toEqual(content.arrays);
  });

  it('refuses a flipped data byte, naming the file and the checksum', () => {
    const bytes = encodeCheckpoint(content);
    bytes[bytes.length - 40]! ^= 0x10;
    expectRefused(runWith('flipped', bytes), /checksum/);
  });

  it('refuses all-zero data', () => {
    const bytes = encodeCheckpoint(content);
    const headerLength = bytes.readUInt32LE(8);
    bytes.fill(0, Math.ceil((12 + headerLength) / 8) * 8);
    expectRefused(runWith('zeroed', bytes), /checksum/);
  });

  it('refuses an edited header (an array offset moved past the end)', () => {
    const bytes = encodeCheckpoint(content);
    const headerLength = bytes.readUInt32LE(8);
    const text = bytes.toString('utf8', 12, 12 + headerLength).replace('"offset":0', '"offset":9');
    Buffer.from(text, 'utf8').copy(bytes, 12);
    expectRefused(runWith('moved', bytes), /checksum/);
  });

  it('refuses a truncated file', () => {
    const bytes = encodeCheckpoint(content);
    expectRefused(runWith('truncated', bytes.subarray(0, bytes.length - 100)), /bytes|truncated/);
  });

  it('refuses a header that is not JSON, or JSON of the wrong shape', () => {
    const bytes = encodeCheckpoint(content);
    bytes.write('{{', 12, 'latin1');
    expectRefused(runWith('bad-json', bytes), /header/);
    expectRefused(runWith('legacy-no-arrays', legacyCheckpoint({ meta: {}, dataBytes: 0 }, 0)), /header\.arrays/);
    expectRefused(runWith('legacy-no-meta', legacyCheckpoint({ arrays: [], dataBytes: 0 }, 0)), /header\.meta/);
  });

  it('checks the structure of first-version checkpoints (no checksum): offsets and lengths inside the data', () => {
    expectRefused(
      runWith('legacy-offset', legacyCheckpoint({ meta: {}, arrays: [{ name: 'w', dtype: 'float32', offset: 4096, length: 4 }], dataBytes: 16 }, 16)),
      /arrays\[0\].*past the end/,
    );
    expectRefused(
      runWith('legacy-length', legacyCheckpoint({ meta: {}, arrays: [{ name: 'w', dtype: 'float32', offset: 0, length: -5 }], dataBytes: 16 }, 16)),
      /arrays\[0\]\.length/,
    );
    const ok = legacyCheckpoint({ meta: { agentId: 'x' }, arrays: [{ name: 'w', dtype: 'float32', offset: 0, length: 4 }], dataBytes: 16 }, 16);
    expect(readCheckpoint(runWith('legacy-ok', ok)).arrays.w).toHaveLength(4);
  });
});

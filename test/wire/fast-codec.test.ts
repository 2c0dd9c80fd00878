// The hand-written per-step codec (src/wire/fast-codec.ts) against the protobufjs one: same values
// for every EnvStateMsg, same bytes for every EnvActMsg, on random messages of every space kind
// and dtype, and the same errors on frames it leaves to protobufjs.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import {
  DEFAULT_WIRE_LIMITS,
  decodeEnvStateMsg,
  encodeEnvActMsg,
  encodeEnvStateMsg,
  fromHex,
  decodeEnvActMsg,
  readCanonicalEnvActMsg,
  readCanonicalEnvStateMsg,
  readEnvActMsg,
  readEnvStateMsg,
  toHex,
  writeEnvActMsg,
  writeEnvStateMsg,
  type WireData,
  type WireDtype,
} from '../../src/wire/index.js';

const GOLDEN_STATE =
  '0a430802123f0a2f747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e426f7844617461436f6e7461696e6572120c080212010522050806050404150000803f2a0c74657374496e666f7c313233';
const GOLDEN_ACT_DISCRETE_2 =
  '0a3e0801123a0a34747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e446973637265746544617461436f6e7461696e657212020802';

/** Typed arrays as plain arrays, so values compare whatever array holds them. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function randomInt32(rng: Rng): number {
  const pick = rng.nextUint32() % 4;
  if (pick === 0) return 0;
  if (pick === 1) return (rng.nextUint32() % 300) - 150;
  return rng.nextUint32() | 0;
}

function randomBox(rng: Rng): WireData {
  const dtypes: WireDtype[] = ['INT', 'UINT', 'FLOAT', 'DOUBLE'];
  const dtype = dtypes[rng.nextUint32() % 4]!;
  const rank = rng.nextUint32() % 3;
  const shape = Array.from({ length: rank }, () => 1 + (rng.nextUint32() % 4));
  const size = shape.reduce((a, b) => a * b, 1);
  const box: WireData = { type: 'Box', dtype, shape };
  if (dtype === 'FLOAT') box.floatData = Float32Array.from({ length: size }, () => Math.fround((rng.next() - 0.5) * 10 ** ((rng.nextUint32() % 12) - 4)));
  if (dtype === 'DOUBLE') box.doubleData = Float64Array.from({ length: size }, () => (rng.next() - 0.5) * 10 ** ((rng.nextUint32() % 30) - 10));
  const wide = rng.nextUint32() % 3 === 0;
  if (dtype === 'INT') {
    box.intData = Int32Array.from({ length: size }, () => randomInt32(rng));
    if (wide) box.int64Data = BigInt64Array.from({ length: size }, () => BigInt.asIntN(64, (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32())));
  }
  if (dtype === 'UINT') {
    box.uintData = Uint32Array.from({ length: size }, () => (rng.nextUint32() % 2 ? rng.nextUint32() : rng.nextUint32() % 200));
    if (wide) box.uint64Data = BigUint64Array.from({ length: size }, () => (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32()));
  }
  return box;
}

function randomData(rng: Rng, depth: number): WireData {
  const kind = depth >= 3 ? rng.nextUint32() % 2 : rng.nextUint32() % 4;
  if (kind === 0) return { type: 'Discrete', value: randomInt32(rng) };
  if (kind === 1) return randomBox(rng);
  const count = rng.nextUint32() % 4;
  const elements = Array.from({ length: count }, () => randomData(rng, depth + 1));
  if (kind === 2) return { type: 'Tuple', elements };
  return { type: 'Dict', elements: elements.map((e, i) => ({ ...e, name: `k${i}${rng.nextUint32() % 2 ? '_x' : ''}` })) };
}

describe('fast EnvStateMsg reader', () => {
  it('reads the ns3-gym golden vector like protobufjs', () => {
    const bytes = fromHex(GOLDEN_STATE);
    expect(plain(readEnvStateMsg(bytes, DEFAULT_WIRE_LIMITS))).toEqual(plain(decodeEnvStateMsg(bytes)));
    expect(readEnvStateMsg(bytes, DEFAULT_WIRE_LIMITS).obsData).toMatchObject({ type: 'Box', dtype: 'UINT', shape: [5], uintData: new Uint32Array([8, 6, 5, 4, 4]) });
  });

  it('agrees with protobufjs on 2000 random states of every space kind', () => {
    const rng = new Rng(14);
    for (let i = 0; i < 2000; i++) {
      const gameOver = rng.nextUint32() % 5 === 0;
      const state = {
        obsData: gameOver && rng.nextUint32() % 2 ? null : randomData(rng, 0),
        reward: rng.nextUint32() % 3 ? Math.fround(rng.next() * 200 - 100) : 0,
        isGameOver: gameOver,
        reason: rng.nextUint32() % 2 ? ('GameOver' as const) : ('SimulationEnd' as const),
        info: rng.nextUint32() % 2 ? `info|${i}` : rng.nextUint32() % 2 ? '' : `ünïcode ${i}`,
        simTime: rng.nextUint32() % 2 ? rng.next() * 1000 : 0,
      };
      const bytes = encodeEnvStateMsg(state);
      // The simulator side's writer gives the same bytes.
      expect(toHex(writeEnvStateMsg(state))).toBe(toHex(bytes));
      expect(plain(readEnvStateMsg(bytes, DEFAULT_WIRE_LIMITS))).toEqual(plain(decodeEnvStateMsg(bytes)));
      // The reader itself took it (not the protobufjs fallback), unless the info string is not ASCII.
      if (!/[^\x00-\x7f]/.test(decodeEnvStateMsg(bytes).info)) expect(readCanonicalEnvStateMsg(bytes, DEFAULT_WIRE_LIMITS)).not.toBeNull();
    }
  });

  it('gives the same result or the same error on damaged frames (truncated, flipped bytes)', () => {
    const rng = new Rng(7);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const good = encodeEnvStateMsg({ obsData: randomData(rng, 0), reward: 1.5, info: 'x' });
      const bytes = new Uint8Array(good);
      if (rng.nextUint32() % 2) bytes[rng.nextUint32() % bytes.length] = rng.nextUint32() & 0xff;
      const cut = rng.nextUint32() % 3 === 0 ? bytes.subarray(0, rng.nextUint32() % bytes.length) : bytes;
      let expected: unknown;
      try {
        expected = plain(decodeEnvStateMsg(cut));
      } catch (err) {
        errors++;
        expect(() => readEnvStateMsg(cut, DEFAULT_WIRE_LIMITS)).toThrow((err as Error).message);
        continue;
      }
      expect(plain(readEnvStateMsg(cut, DEFAULT_WIRE_LIMITS))).toEqual(expected);
    }
    expect(errors).toBeGreaterThan(100);
  });

  it('applies the wire limits with the same messages', () => {
    const nested: WireData = { type: 'Tuple', elements: [{ type: 'Tuple', elements: [{ type: 'Discrete', value: 1 }] }] };
    const bytes = encodeEnvStateMsg({ obsData: nested });
    const limits = { ...DEFAULT_WIRE_LIMITS, maxDepth: 1 };
    expect(() => decodeEnvStateMsg(bytes, limits)).toThrow(/maxDepth/);
    expect(() => readEnvStateMsg(bytes, limits)).toThrow(/maxDepth/);
    const wide = encodeEnvStateMsg({ obsData: { type: 'Dict', elements: [1, 2, 3].map((v) => ({ type: 'Discrete', value: v, name: `k${v}` })) } });
    expect(() => readEnvStateMsg(wide, { ...DEFAULT_WIRE_LIMITS, maxKeys: 2 })).toThrow(/got 3 entries, expected at most 2/);
    expect(() => readEnvStateMsg(wide, { ...DEFAULT_WIRE_LIMITS, maxFrameBytes: 10 })).toThrow(/maxFrameBytes/);
  });
});

describe('fast EnvActMsg reader (simulator side)', () => {
  it('agrees with protobufjs on 2000 random answers: actions, stops, resets', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 2000; i++) {
      const kind = rng.nextUint32() % 4;
      const bytes =
        kind === 0 ? encodeEnvActMsg({ stopSimReq: true }) : kind === 1 ? encodeEnvActMsg({ resetReq: true, resetSeed: rng.nextUint32() >>> 1 }) : encodeEnvActMsg({ actData: randomData(rng, 0) });
      expect(plain(readEnvActMsg(bytes, DEFAULT_WIRE_LIMITS))).toEqual(plain(decodeEnvActMsg(bytes)));
      expect(readCanonicalEnvActMsg(bytes, DEFAULT_WIRE_LIMITS)).not.toBeNull();
      const damaged = bytes.subarray(0, rng.nextUint32() % (bytes.length + 1));
      let expected: unknown;
      try {
        expected = plain(decodeEnvActMsg(damaged));
      } catch (err) {
        expect(() => readEnvActMsg(damaged, DEFAULT_WIRE_LIMITS)).toThrow((err as Error).message);
        continue;
      }
      expect(plain(readEnvActMsg(damaged, DEFAULT_WIRE_LIMITS))).toEqual(expected);
    }
  });
});

describe('fast EnvActMsg writer', () => {
  it('writes the ns3-gym golden Discrete action', () => {
    expect(toHex(writeEnvActMsg({ actData: { type: 'Discrete', value: 2 } }))).toBe(GOLDEN_ACT_DISCRETE_2);
  });

  it('writes the same bytes as protobufjs for 2000 random actions of every space kind', () => {
    const rng = new Rng(41);
    for (let i = 0; i < 2000; i++) {
      const actData = randomData(rng, 0);
      expect(toHex(writeEnvActMsg({ actData }))).toBe(toHex(encodeEnvActMsg({ actData })));
    }
  });
});

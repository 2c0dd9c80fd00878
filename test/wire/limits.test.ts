// Hostile space descriptions and containers: every limit is checked before anything is allocated
// for it, refused with one line naming the field, the value and the limit.
import { describe, expect, it } from 'vitest';
import { Box, Dict, Discrete } from '../../src/env/index.js';
import {
  DEFAULT_WIRE_LIMITS,
  decodeEnvStateMsg,
  decodeSimInitMsg,
  encodeEnvStateMsg,
  encodeSimInitMsg,
  fromWireData,
  resolveWireLimits,
  spaceFromWire,
  spaceToWire,
  toWireData,
  WireError,
  type WireData,
  type WireSpace,
} from '../../src/wire/index.js';

const discrete: WireSpace = { type: 'Discrete', n: 2 };

function nested(depth: number, leaf: WireSpace = discrete): WireSpace {
  let space = leaf;
  for (let i = 0; i < depth; i++) space = { type: 'Tuple', elements: [space] };
  return space;
}

function nestedData(depth: number): WireData {
  let data: WireData = { type: 'Discrete', value: 0 };
  for (let i = 0; i < depth; i++) data = { type: 'Tuple', elements: [data] };
  return data;
}

function rssGrowth(run: () => void): number {
  const before = process.memoryUsage().rss;
  run();
  return process.memoryUsage().rss - before;
}

describe('space limits', () => {
  it('a ~120-byte SimInitMsg declaring Box [1e8] is refused before anything is allocated', () => {
    const frame = encodeSimInitMsg({
      simProcessId: 7,
      obsSpace: { type: 'Box', low: 0, high: 1, dtype: 'DOUBLE', shape: [100_000_000] },
      actSpace: discrete,
    });
    expect(frame.length).toBeLessThan(200);
    let error: unknown;
    const growth = rssGrowth(() => {
      try {
        decodeSimInitMsg(frame);
      } catch (err) {
        error = err;
      }
    });
    expect(error).toBeInstanceOf(WireError);
    expect((error as Error).message).toMatch(/SimInitMsg\.obsSpace\.shape: got \[100000000\] \(100000000 elements\), expected at most 1048576 elements \(maxElements\)/);
    expect(growth).toBeLessThan(64 * 2 ** 20);
  });

  it('shapes whose product overflows, and [2^31], are refused without multiplying out', () => {
    for (const shape of [[2 ** 31], [65536, 65536, 65536], [4294967295, 4294967295]]) {
      const frame = encodeSimInitMsg({ obsSpace: { type: 'Box', low: 0, high: 1, dtype: 'FLOAT', shape }, actSpace: discrete });
      expect(() => decodeSimInitMsg(frame)).toThrowError(/maxElements/);
    }
  });

  it('the element limit counts the whole space, and is configurable', () => {
    const half: WireSpace = { type: 'Box', low: 0, high: 1, dtype: 'FLOAT', shape: [600] };
    const frame = encodeSimInitMsg({ obsSpace: { type: 'Tuple', elements: [half, half] }, actSpace: discrete });
    expect(() => decodeSimInitMsg(frame, { maxElements: 1000 })).toThrowError(/SimInitMsg\.obsSpace\[1\]\.shape: .*at most 1000 elements in the whole space \(maxElements\)/);
    expect(decodeSimInitMsg(frame, { maxElements: 1200 }).obsSpace.type).toBe('Tuple');
  });

  it('nesting deeper than the limit is refused by the check, not by a stack overflow', () => {
    const deep = encodeSimInitMsg({ obsSpace: nested(33), actSpace: discrete });
    expect(() => decodeSimInitMsg(deep)).toThrowError(/SimInitMsg\.obsSpace(\[0\])+: nesting depth 33, expected at most 32 \(maxDepth\)/);
    expect(decodeSimInitMsg(encodeSimInitMsg({ obsSpace: nested(32), actSpace: discrete })).obsSpace.type).toBe('Tuple');
    // Far deeper than any stack: built as bytes, since encoding it recursively would overflow too.
    let inner: Uint8Array = Uint8Array.from([0x08, 0x01]); // SpaceDescription{type: Discrete}
    const url = new TextEncoder().encode('type.googleapis.com/ns3opengym.TupleSpace');
    for (let i = 0; i < 5000; i++) {
      const tuple = concat([0x0a], varint(inner.length), inner); // TupleSpace{element}
      const any = concat([0x0a], varint(url.length), url, [0x12], varint(tuple.length), tuple);
      inner = concat([0x08, 0x03, 0x12], varint(any.length), any); // SpaceDescription{type: Tuple, space}
    }
    const bytes = concat([0x1a], varint(inner.length), inner, [0x22, 0x02, 0x08, 0x01]);
    expect(() => decodeSimInitMsg(bytes)).toThrowError(/nesting depth 33, expected at most 32 \(maxDepth\)/);
  });

  it('data containers nested deeper than the limit are refused too', () => {
    const frame = encodeEnvStateMsg({ obsData: nestedData(40) });
    expect(() => decodeEnvStateMsg(frame)).toThrowError(/EnvStateMsg\.obsData(\[0\])+: nesting depth 33, expected at most 32 \(maxDepth\)/);
  });

  it('Tuple and Dict entries are counted before they are decoded', () => {
    const many: WireSpace = { type: 'Dict', elements: Array.from({ length: 5000 }, (_, i) => ({ ...discrete, name: `k${i}` })) };
    const frame = encodeSimInitMsg({ obsSpace: many, actSpace: discrete });
    expect(() => decodeSimInitMsg(frame)).toThrowError(/SimInitMsg\.obsSpace: got 5000 entries, expected at most 4096 Tuple\/Dict entries in the whole space \(maxKeys\)/);
    const data = encodeEnvStateMsg({ obsData: { type: 'Tuple', elements: Array.from({ length: 5000 }, () => ({ type: 'Discrete', value: 1 })) } });
    expect(() => decodeEnvStateMsg(data)).toThrowError(/EnvStateMsg\.obsData: got 5000 entries, expected at most 4096/);
  });

  it('frames larger than maxFrameBytes are refused before decoding', () => {
    const frame = encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [1000], floatData: new Float32Array(1000) } });
    expect(() => decodeEnvStateMsg(frame, { maxFrameBytes: 1000 })).toThrowError(/EnvStateMsg: got \d+ bytes, expected at most 1000 bytes \(maxFrameBytes\)/);
  });

  it('limits are validated: positive integers only', () => {
    expect(resolveWireLimits({})).toEqual(DEFAULT_WIRE_LIMITS);
    expect(() => resolveWireLimits({ maxDepth: 0 })).toThrowError(/maxDepth: got 0, expected a positive integer/);
    expect(() => resolveWireLimits({ maxElements: 1.5 })).toThrowError(/maxElements: got 1\.5/);
  });
});

describe('wire gaps', () => {
  it('duplicate Dict keys are refused, not resolved last-wins', () => {
    const dup: WireSpace = { type: 'Dict', elements: [{ ...discrete, name: 'a' }, { type: 'Discrete', n: 5, name: 'a' }] };
    expect(() => spaceFromWire(dup, 'obsSpace')).toThrowError(/obsSpace\.a: got a second entry named "a", expected unique Dict keys/);
    const space = new Dict({ a: new Discrete(2) });
    const data: WireData = { type: 'Dict', elements: [{ type: 'Discrete', value: 0, name: 'a' }, { type: 'Discrete', value: 1, name: 'a' }] };
    expect(() => fromWireData(space, data, 'obs')).toThrowError(/obs\.a: got a second entry named "a", expected unique Dict keys/);
  });

  it('a Dict key named __proto__ survives the wire both ways', () => {
    const wire: WireSpace = { type: 'Dict', elements: [{ ...discrete, name: '__proto__' }, { type: 'Discrete', n: 3, name: 'b' }] };
    const space = spaceFromWire(wire) as Dict;
    expect(space.keys).toEqual(['__proto__', 'b']);
    expect(spaceToWire(space)).toEqual(wire);
    const value = fromWireData(space, { type: 'Dict', elements: [{ type: 'Discrete', value: 1, name: '__proto__' }, { type: 'Discrete', value: 2, name: 'b' }] });
    expect(Object.keys(value as object)).toEqual(['__proto__', 'b']);
    expect(toWireData(space, value)).toEqual({ type: 'Dict', elements: [{ type: 'Discrete', value: 1, name: '__proto__' }, { type: 'Discrete', value: 2, name: 'b' }] });
    // Names inherited from Object.prototype are not keys of a Dict.
    expect(() => toWireData(new Dict({ a: new Discrete(2) }), { a: 1, toString: 0 })).toThrowError(/no such key/);
  });

  it('a Box with scalar bounds keeps them in O(1)', () => {
    const before = process.memoryUsage().arrayBuffers;
    const boxes = Array.from({ length: 5 }, () => new Box({ low: -1, high: 1, shape: [4_000_000], dtype: 'uint8' }));
    const wires = boxes.map((b) => spaceToWire(b));
    // Per-element bounds would hold 5 x 2 x 32 MB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    expect(boxes[0]!.scalarBounds).toBe(true);
    expect(wires[0]).toEqual({ type: 'Box', low: -1, high: 1, dtype: 'UINT', shape: [4_000_000], bits: 8 });
    const small = new Box({ low: -1, high: 1, shape: [3] });
    expect(Array.from(small.low)).toEqual([-1, -1, -1]);
    expect(small.contains({ data: new Float32Array([0, 1, -1]), shape: [3] })).toBe(true);
    expect(small.contains({ data: new Float32Array([0, 1.5, -1]), shape: [3] })).toBe(false);
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

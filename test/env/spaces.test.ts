import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import {
  BOX_DTYPES,
  Box,
  Dict,
  Discrete,
  MultiBinary,
  MultiDiscrete,
  Tuple,
  ndarray,
  type GymSpace,
} from '../../src/env/index.js';
import {
  decodeEnvStateMsg,
  decodeSimInitMsg,
  encodeEnvStateMsg,
  encodeSimInitMsg,
  fromWireData,
  spaceFromWire,
  spaceToWire,
  toWireData,
} from '../../src/wire/index.js';

/** Sends a space and a value through real wire bytes and back. */
function roundTrip<T>(space: GymSpace<T>, value: T): { space: GymSpace; value: unknown } {
  const init = decodeSimInitMsg(encodeSimInitMsg({ obsSpace: spaceToWire(space), actSpace: spaceToWire(new Discrete(2)) }));
  const back = spaceFromWire(init.obsSpace);
  const state = decodeEnvStateMsg(encodeEnvStateMsg({ obsData: toWireData(space, value) }));
  return { space: back, value: fromWireData(back, state.obsData!) };
}

describe('Discrete', () => {
  it('samples inside, contains, round-trips', () => {
    const d = new Discrete(5);
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) expect(d.contains(d.sample(rng))).toBe(true);
    expect(d.contains(5)).toBe(false);
    expect(d.contains(1.5)).toBe(false);
    expect(roundTrip(d, 3)).toEqual({ space: d, value: 3 });
    expect(() => new Discrete(0)).toThrowError(/Discrete.n: got 0/);
  });
});

describe('Box', () => {
  it.each(BOX_DTYPES)('%s: wire round trip keeps dtype, shape and values', (dtype) => {
    const box = new Box({ low: 0, high: 100, shape: [2, 3], dtype });
    const rng = new Rng(7);
    const v = box.sample(rng);
    expect(box.contains(v)).toBe(true);
    expect(v.shape).toEqual([2, 3]);
    const back = roundTrip(box, v);
    expect((back.space as Box).dtype).toBe(dtype);
    expect((back.space as Box).shape).toEqual([2, 3]);
    expect(back.value).toEqual(v);
  });

  it('64-bit values stay exact', () => {
    const box = new Box({ low: -Infinity, high: Infinity, shape: [3], dtype: 'int64' });
    const v = ndarray('int64', [3], [-(2n ** 63n), 2n ** 53n + 1n, 5n]);
    expect(roundTrip(box, v).value).toEqual(v);
    const ubox = new Box({ low: 0, high: Infinity, shape: [1], dtype: 'uint64' });
    const u = ndarray('uint64', [1], [2n ** 64n - 1n]);
    expect(roundTrip(ubox, u).value).toEqual(u);
  });

  it('a legacy INT container (no int64Data) still fills an int64 Box', () => {
    const box = new Box({ low: 0, high: 9, shape: [2], dtype: 'int64' });
    expect(fromWireData(box, { type: 'Box', dtype: 'INT', shape: [2], intData: [3, -4] }).data).toEqual(new BigInt64Array([3n, -4n]));
  });

  it('per-element bounds travel and come back', () => {
    const box = new Box({ low: [0, -1, -2], high: [1, 2, 3], dtype: 'float64' });
    const wire = spaceToWire(box);
    expect(wire).toMatchObject({ low: -2, high: 3, lows: [0, -1, -2], highs: [1, 2, 3] });
    const back = spaceFromWire(wire) as Box;
    expect(Array.from(back.low)).toEqual([0, -1, -2]);
    expect(back.contains(ndarray('float64', [3], [1, 2, 3]))).toBe(true);
    expect(back.contains(ndarray('float64', [3], [1.5, 2, 3]))).toBe(false);
  });

  it('a stock ns3-gym Box (INT/UINT without bits) reads as 32-bit, and scalar bounds omit the extensions', () => {
    expect(spaceFromWire({ type: 'Box', low: 0, high: 10, dtype: 'UINT', shape: [5] })).toMatchObject({ dtype: 'uint32' });
    expect(spaceToWire(new Box({ low: 0, high: 10, shape: [5], dtype: 'uint32' }))).toEqual({ type: 'Box', low: 0, high: 10, dtype: 'UINT', shape: [5] });
  });

  it('unbounded and half-bounded float boxes sample finite values inside', () => {
    const rng = new Rng(3);
    for (const [low, high] of [[-Infinity, Infinity], [0, Infinity], [-Infinity, 0], [0.1, 0.3]] as const) {
      const box = new Box({ low, high, shape: [50] });
      expect(box.contains(box.sample(rng))).toBe(true);
    }
  });

  it('rejects wrong dtype, shape, NaN and Inf with the field named', () => {
    const box = new Box({ low: 0, high: 1, shape: [2], dtype: 'float32' });
    expect(() => fromWireData(box, { type: 'Box', dtype: 'DOUBLE', shape: [2], doubleData: [0, 1] }, 'obs')).toThrowError(/obs.dtype: got "DOUBLE", expected FLOAT/);
    expect(() => fromWireData(box, { type: 'Box', dtype: 'FLOAT', shape: [3], floatData: [0, 1, 2] }, 'obs')).toThrowError(/obs.shape: got \[3\], expected \[2\]/);
    expect(() => fromWireData(box, { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [0, Number.NaN] }, 'obs')).toThrowError(/obs\[1\]: got NaN, expected a finite number/);
    expect(() => fromWireData(box, { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [Infinity, 0] }, 'obs')).toThrowError(/obs\[0\]: got Infinity/);
    expect(() => fromWireData(box, { type: 'Discrete', value: 1 }, 'obs')).toThrowError(/obs.type: got "Discrete", expected Box/);
    expect(() => toWireData(box, ndarray('float64', [2], [0, 1]), 'action')).toThrowError(/action.data: got Float64Array\(2\), expected a Float32Array/);
    expect(() => toWireData(box, ndarray('float32', [2], [0, Number.NaN]), 'action')).toThrowError(/action\[1\]/);
    const small = new Box({ low: 0, high: 1, shape: [1], dtype: 'int8' });
    expect(() => fromWireData(small, { type: 'Box', dtype: 'INT', shape: [1], intData: [300] }, 'obs')).toThrowError(/int8 range/);
  });

  it('bad bounds are input errors', () => {
    expect(() => new Box({ low: [0, 1], high: 1, shape: [3] })).toThrowError(/Box.low.length: got 2, expected 3/);
    expect(() => new Box({ low: 2, high: 1, shape: [1] })).toThrowError(/low <= high/);
  });
});

describe('MultiDiscrete and MultiBinary', () => {
  it('travel as Box and come back with the same value representation', () => {
    const md = new MultiDiscrete([3, 5, 2]);
    const rng = new Rng(11);
    const v = md.sample(rng);
    expect(md.contains(v)).toBe(true);
    expect(spaceToWire(md)).toMatchObject({ type: 'Box', dtype: 'INT', shape: [3], lows: [0, 0, 0], highs: [2, 4, 1] });
    const back = roundTrip(md, v);
    expect(back.space.kind).toBe('Box');
    expect(back.value).toEqual(v);
    expect((back.space as Box).contains(v)).toBe(true);

    const mb = new MultiBinary([2, 2]);
    const b = mb.sample(rng);
    expect(b.data).toBeInstanceOf(Uint8Array);
    expect(spaceToWire(mb)).toEqual({ type: 'Box', low: 0, high: 1, dtype: 'UINT', shape: [2, 2], bits: 8 });
    expect(roundTrip(mb, b).value).toEqual(b);
    expect(mb.toJSON()).toEqual({ type: 'MultiBinary', shape: [2, 2] });
  });
});

describe('Tuple and Dict', () => {
  it('nested round trip', () => {
    const space = new Dict({
      z: new Tuple([new Discrete(4), new Box({ low: -1, high: 1, shape: [2], dtype: 'float64' })]),
      a: new Dict({ inner: new Box({ low: 0, high: 5, shape: [1, 2], dtype: 'int16' }) }),
    });
    expect(space.keys).toEqual(['a', 'z']);
    const rng = new Rng(5);
    const v = space.sample(rng);
    expect(space.contains(v)).toBe(true);
    const back = roundTrip(space, v);
    expect(back.value).toEqual(v);
    expect(back.space.toJSON()).toEqual(space.toJSON());
  });

  it('missing and extra keys, wrong tuple length', () => {
    const space = new Dict({ a: new Discrete(2), b: new Discrete(2) });
    expect(() => fromWireData(space, { type: 'Dict', elements: [{ type: 'Discrete', value: 1, name: 'a' }] }, 'obs')).toThrowError(/obs.b/);
    expect(() => toWireData(space, { a: 1, b: 1, c: 0 }, 'action')).toThrowError(/action.c/);
    const t = new Tuple([new Discrete(2)]);
    expect(() => fromWireData(t, { type: 'Tuple', elements: [] }, 'obs')).toThrowError(/obs.length: got 0, expected 1/);
  });

  it('toJSON describes the space', () => {
    expect(new Box({ low: 0, high: Infinity, shape: [2] }).toJSON()).toEqual({ type: 'Box', dtype: 'float32', shape: [2], low: 0, high: 'inf' });
  });
});

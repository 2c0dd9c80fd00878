import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, ReplayBuffer } from '../../src/agents/index.js';
import { Rng } from '../../src/util/index.js';

describe('checkpoint file format', () => {
  it('round-trips metadata and typed arrays', () => {
    const content = {
      meta: { agentId: 'maddpg-admm', trainer: { episode: 3 } },
      arrays: {
        a: Float32Array.from([1.5, -2, 3]),
        b: Float64Array.from([Math.PI]),
        c: Int32Array.from([7, 8]),
        d: new Uint8Array([1, 2, 3, 4, 5]),
      },
    };
    const back = decodeCheckpoint(encodeCheckpoint(content));
    expect(back.meta).toEqual(content.meta);
    expect(back.arrays).toEqual(content.arrays);
    expect(back.arrays.b).toBeInstanceOf(Float64Array);
  });

  it('rejects a file cut off at any point', () => {
    const bytes = encodeCheckpoint({ meta: { x: 1 }, arrays: { w: new Float32Array(100).fill(0.25) } });
    for (const cut of [0, 5, 12, 30, bytes.length - 8, bytes.length - 1]) {
      expect(() => decodeCheckpoint(bytes.subarray(0, cut), 'ckpt')).toThrow(/not a complete ns3ts checkpoint/);
    }
  });
});

describe('replay buffer', () => {
  it('is preallocated, reports bytes per transition, wraps around and restores its state', () => {
    const buf = new ReplayBuffer(4, [
      { name: 'obs', width: 3 },
      { name: 'r', width: 1 },
    ]);
    expect(buf.bytesPerTransition).toBe(16);
    expect(buf.bytes).toBe(64);
    for (let i = 0; i < 6; i++) buf.push({ obs: [i, i, i], r: [i * 10] });
    expect(buf.size).toBe(4);
    // Transitions 0 and 1 were overwritten by 4 and 5.
    expect(Array.from(buf.gather('r', Int32Array.from([0, 1, 2, 3])))).toEqual([40, 50, 20, 30]);
    const state = buf.getState();
    const copy = new ReplayBuffer(4, buf.fields);
    copy.setState(state.head, state.size, state.arrays);
    copy.push({ obs: [9, 9, 9], r: [90] });
    buf.push({ obs: [9, 9, 9], r: [90] });
    const idx = buf.sampleIndices(16, new Rng(1));
    expect(copy.gather('obs', idx)).toEqual(buf.gather('obs', idx));
  });
});

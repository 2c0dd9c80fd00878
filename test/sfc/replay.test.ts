import { describe, expect, it } from 'vitest';
import { DqnReplay, SumTree } from '../../src/agents/dqn/index.js';
import { Rng } from '../../src/util/index.js';

describe('the sum tree', () => {
  it('keeps the total and draws each leaf in proportion to its priority', () => {
    const tree = new SumTree(5);
    const priorities = [1, 2, 0, 4, 3];
    priorities.forEach((p, i) => tree.set(i, p));
    expect(tree.total).toBe(10);
    // The prefix-sum intervals: [0,1) → 0, [1,3) → 1, [3,7) → 3, [7,10) → 4; leaf 2 (priority 0) never.
    expect([0, 0.99, 1, 2.99, 3, 6.99, 7, 9.99].map((v) => tree.find(v))).toEqual([0, 0, 1, 1, 3, 3, 4, 4]);
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0, 0];
    const n = 20_000;
    for (let k = 0; k < n; k++) counts[tree.find(rng.next() * tree.total)]! += 1;
    priorities.forEach((p, i) => expect(Math.abs(counts[i]! / n - p / 10)).toBeLessThan(0.015));
  });

  it('updates a leaf and every sum above it', () => {
    const tree = new SumTree(4);
    [1, 1, 1, 1].forEach((p, i) => tree.set(i, p));
    tree.set(2, 5);
    expect(tree.total).toBe(8);
    expect(tree.get(2)).toBe(5);
    expect(tree.find(2.5)).toBe(2);
    expect(tree.find(7.5)).toBe(3);
    const copy = new SumTree(4);
    copy.setLeaves(tree.leaves());
    expect(copy.total).toBe(8);
    expect(() => tree.set(4, 1)).toThrow('sum tree index: got 4, expected 0..3');
    expect(() => tree.set(0, -1)).toThrow('sum tree priority: got -1, expected a finite number >= 0');
  });
});

describe('prioritized replay', () => {
  const obs = (v: number): Float32Array => Float32Array.of(v, v);

  it('samples by priority^alpha and weights by (N P)^-beta / max', () => {
    const replay = new DqnReplay(4, 2, { alpha: 1, epsilon: 0 });
    for (let i = 0; i < 4; i++) replay.add(obs(i), i, i, obs(i + 1), false);
    // New transitions enter at the highest priority seen (1): uniform so far.
    replay.updatePriorities([0, 1, 2, 3], [1, 1, 2, 4]);
    expect(replay.tree!.total).toBe(8);
    const batch = replay.sample(8, new Rng(1), 1);
    // Stratified: one draw per eighth of the total → leaf 0 once, 1 once, 2 twice, 3 four times.
    expect(Array.from(batch.indices).sort()).toEqual([0, 1, 2, 2, 3, 3, 3, 3]);
    // w_i = (N P_i)^-1 / max: P = [1, 1, 2, 4] / 8, so w = [1, 1, 0.5, 0.25].
    for (let b = 0; b < 8; b++) expect(batch.weights[b]).toBeCloseTo([1, 1, 0.5, 0.25][batch.indices[b]!]!, 6);
    expect(batch.obs[0]).toBe(batch.indices[0]);
    expect(batch.actions[0]).toBe(batch.indices[0]);
    // beta 0: no correction.
    expect(Array.from(replay.sample(4, new Rng(1), 0).weights)).toEqual([1, 1, 1, 1]);
  });

  it('gives new transitions the highest priority seen and wraps around its capacity', () => {
    const replay = new DqnReplay(2, 2, { alpha: 0.6, epsilon: 1e-6 });
    replay.add(obs(0), 0, 0, obs(1), false);
    replay.updatePriorities([0], [3]);
    replay.add(obs(1), 1, 1, obs(2), true);
    expect(replay.tree!.get(1)).toBeCloseTo(Math.pow(3 + 1e-6, 0.6), 6);
    replay.add(obs(2), 2, 2, obs(3), false);
    expect(replay.size).toBe(2);
    expect(replay.actions[0]).toBe(2);
    expect(replay.dones[1]).toBe(1);
  });

  it('samples uniformly without priorities (weights 1)', () => {
    const replay = new DqnReplay(10, 2, null);
    for (let i = 0; i < 10; i++) replay.add(obs(i), i, 0, obs(i), false);
    const batch = replay.sample(32, new Rng(2));
    expect(Array.from(batch.weights).every((w) => w === 1)).toBe(true);
    expect(new Set(batch.indices).size).toBeGreaterThan(5);
  });
});

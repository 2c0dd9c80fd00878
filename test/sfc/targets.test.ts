import { describe, expect, it } from 'vitest';
import { dqnTargets, duelingBackward, duelingCombine, tdLoss } from '../../src/agents/dqn/index.js';

describe('DQN targets on hand-made numbers', () => {
  // Two transitions, three actions. Next-state Q of the target network and of the online network:
  const qTarget = [1, 5, 2, /* row 2 */ 4, 0, 3];
  const qOnline = [0, 1, 9, /* row 2 */ 7, 8, 0];
  const rewards = [1, -1];

  it('plain DQN: the target network picks and values a\' (max)', () => {
    const y = dqnTargets(rewards, [0, 0], qTarget, null, 0.5, 3);
    expect(Array.from(y)).toEqual([1 + 0.5 * 5, -1 + 0.5 * 4]);
  });

  it('double DQN: the online network picks a\', the target network values it', () => {
    // Row 1: online argmax = 2 → Q_target = 2; row 2: online argmax = 1 → Q_target = 0.
    const y = dqnTargets(rewards, [0, 0], qTarget, qOnline, 0.5, 3);
    expect(Array.from(y)).toEqual([1 + 0.5 * 2, -1 + 0.5 * 0]);
  });

  it('a terminal transition does not bootstrap', () => {
    expect(Array.from(dqnTargets(rewards, [1, 0], qTarget, qOnline, 0.9, 3))).toEqual([1, Math.fround(-1 + 0.9 * 0)]);
  });
});

describe('the dueling head', () => {
  it('combines Q = V + A - mean A', () => {
    // V = [2, -1]; A row 1 = [1, 2, 3] (mean 2), row 2 = [0, 0, 3] (mean 1).
    const q = duelingCombine([2, -1], [1, 2, 3, 0, 0, 3], 3);
    expect(Array.from(q)).toEqual([1, 2, 3, -2, -2, 1]);
  });

  it('back-propagates dV = sum dQ, dA = dQ - mean dQ', () => {
    const { dValue, dAdvantage } = duelingBackward([0, 3, 0, 1, 1, 1], 2, 3);
    expect(Array.from(dValue)).toEqual([3, 3]);
    expect(Array.from(dAdvantage)).toEqual([-1, 2, -1, 0, 0, 0]);
  });
});

describe('the TD loss', () => {
  const q = [0, 2, 0, /* row 2 */ 5, 0, 0];
  it('Huber: quadratic inside 1, linear outside; only the taken action gets a gradient', () => {
    // Row 1: a = 1, y = 1.5 → δ = 0.5 (½δ² = 0.125); row 2: a = 0, y = 2 → δ = 3 (|δ| − ½ = 2.5), weight 0.5.
    const r = tdLoss(q, [1, 0], [1.5, 2], [1, 0.5], 'huber', 3);
    expect(Array.from(r.td)).toEqual([0.5, 3]);
    expect(r.loss).toBeCloseTo((0.125 + 0.5 * 2.5) / 2, 10);
    expect(Array.from(r.gradient)).toEqual([0, 0.25, 0, 0.25, 0, 0]);
  });

  it('MSE: ½δ², gradient w δ / B', () => {
    const r = tdLoss(q, [1, 0], [1.5, 2], [1, 1], 'mse', 3);
    expect(r.loss).toBeCloseTo((0.125 + 4.5) / 2, 10);
    expect(Array.from(r.gradient)).toEqual([0, 0.25, 0, 1.5, 0, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { resolveDqnSettings } from '../../src/agents/index.js';
import { scheduledLearningRate } from '../../src/agents/dqn/index.js';

describe('DQN late learning-rate decay', () => {
  it('holds the rate for the first part of the planned updates, then falls linearly to the end rate', () => {
    // 1e-3 → 1e-4 over the second half of 1,000 updates.
    expect(scheduledLearningRate(1e-3, 1e-4, 0.5, 0, 1000)).toBe(1e-3);
    expect(scheduledLearningRate(1e-3, 1e-4, 0.5, 500, 1000)).toBe(1e-3);
    expect(scheduledLearningRate(1e-3, 1e-4, 0.5, 750, 1000)).toBeCloseTo(5.5e-4, 12);
    expect(scheduledLearningRate(1e-3, 1e-4, 0.5, 1000, 1000)).toBeCloseTo(1e-4, 12);
    // Past the planned updates (a resumed run with more episodes) it stays at the end rate.
    expect(scheduledLearningRate(1e-3, 1e-4, 0.5, 1500, 1000)).toBeCloseTo(1e-4, 12);
    // From 0: linear over the whole run; from 1: constant.
    expect(scheduledLearningRate(2e-3, 0, 0, 250, 1000)).toBeCloseTo(1.5e-3, 12);
    expect(scheduledLearningRate(2e-3, 0, 1, 999, 1000)).toBe(2e-3);
  });

  it('refuses a start beyond the run, naming the setting', () => {
    expect(() => resolveDqnSettings({ learningRateDecayFrom: 1.5 })).toThrow(/agent\.learningRateDecayFrom/);
  });
});

import { describe, expect, it } from 'vitest';
import { DqnAgent, resolveDqnSettings } from '../../src/agents/index.js';
import { scheduledLearningRate } from '../../src/agents/dqn/index.js';
import { loadFamilyScenario, type SfcScenario } from '../../src/families/index.js';

const scenario = loadFamilyScenario('sfc-synthetic') as SfcScenario;
const SMALL = { hidden: [8], streamHidden: 4, embedDim: 8, attentionHeads: 8, learningStarts: 0, trainEvery: 1 };

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

  it('the agent follows it over the run it was planned for (default: to a tenth over the second half), and holds the rate without a plan', () => {
    const planned = new DqnAgent(scenario, { seed: 1, settings: SMALL, plannedSteps: 1000 });
    expect(planned.learningRate()).toBe(1e-3);
    planned.updates = 750;
    expect(planned.learningRate()).toBeCloseTo(5.5e-4, 12);
    planned.updates = 1000;
    expect(planned.learningRate()).toBeCloseTo(1e-4, 12);
    const unplanned = new DqnAgent(scenario, { seed: 1, settings: SMALL });
    unplanned.updates = 1000;
    expect(unplanned.learningRate()).toBe(1e-3);
  });

  it('refuses a start beyond the run, naming the setting', () => {
    expect(() => resolveDqnSettings({ learningRateDecayFrom: 1.5 })).toThrow(/agent\.learningRateDecayFrom/);
  });
});

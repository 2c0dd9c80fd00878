import { describe, expect, it } from 'vitest';

describe('agent settings', () => {
  it('reject unknown keys and out-of-range values with the setting named', async () => {
    const { MaddpgAgent, CellAgent } = await import('../../src/agents/index.js');
    const { tinyScenario, tinyLayout } = await import('./helpers.js');
    const s = tinyScenario();
    const make = (settings: Record<string, unknown>) => () => new MaddpgAgent('admm', tinyLayout(s), s, { seed: 1, settings });
    expect(make({ hiden: [8] })).toThrow(/agent\.hiden: got \[8\], expected one of the settings hidden, /);
    expect(make({ gamma: 1.5 })).toThrow('agent.gamma: got 1.5, expected a number in [0, 0.9999]');
    expect(make({ batchSize: 2.5 })).toThrow('agent.batchSize: got 2.5, expected an integer in [1, 1000000]');
    expect(make({ hidden: 'big' })).toThrow('agent.hidden: got "big", expected a list of positive integers');
    expect(() => new CellAgent('td3', tinyLayout(s), s, { seed: 1, settings: { reward: 'max' } })).toThrow(
      'agent.reward: got "max", expected min-qos or sum-utility',
    );
  });
});

import * as tf from '../../src/agents/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { CellAgent, MADDPG_VARIANT_DEFAULTS, MaddpgAgent, selectBackend } from '../../src/agents/index.js';
import { Rng } from '../../src/util/index.js';
import { TINY_MADDPG, TINY_TD3, fillAgent, tinyLayout, tinyScenario } from './helpers.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

function fixedBatch(size: number, n: number): Int32Array {
  const rng = new Rng(9);
  return Int32Array.from({ length: n }, () => rng.int(size));
}

describe('updates on a fixed batch move the losses the right way', () => {
  it('MADDPG+ADMM: critic MSE falls (actor frozen), then the x-step objective rises (critic frozen)', async () => {
    const scenario = tinyScenario();
    const critic = new MaddpgAgent('admm', tinyLayout(scenario), scenario, {
      seed: 1,
      settings: { ...TINY_MADDPG, gamma: 0, actorLr: 0, criticLr: 5e-3, warmupSteps: 1000 },
    });
    await fillAgent(critic, scenario, 30);
    const batch = { indices: fixedBatch(critic.replaySize, 64), seed: 4 };
    const first = critic.update(batch).criticLoss!;
    let last = first;
    for (let k = 0; k < 30; k++) last = critic.update(batch).criticLoss!;
    expect(last).toBeLessThan(first * 0.7);
    critic.dispose();

    const actor = new MaddpgAgent('admm', tinyLayout(scenario), scenario, {
      seed: 2,
      settings: { ...TINY_MADDPG, gamma: 0, actorLr: 5e-3, criticLr: 0, warmupSteps: 1000 },
    });
    await fillAgent(actor, scenario, 30);
    const a0 = actor.update(batch).actorLoss!;
    let a1 = a0;
    for (let k = 0; k < 30; k++) a1 = actor.update(batch).actorLoss!;
    expect(a1).toBeLessThan(a0);
    actor.dispose();
  });

  it('DDPG through the projection: critic MSE falls, then -Q of the actor falls', async () => {
    const scenario = tinyScenario({ agent: { id: 'ddpg' } });
    const layout = tinyLayout(scenario);
    const critic = new CellAgent('ddpg', layout, scenario, { seed: 1, settings: { ...TINY_TD3, gamma: 0, actorLr: 0, criticLr: 5e-3, warmupSteps: 1000 } });
    await fillAgent(critic, scenario, 40);
    const batch = { indices: fixedBatch(critic.replaySize, 64), seed: 4 };
    const c0 = critic.update(batch).criticLoss!;
    let c1 = c0;
    for (let k = 0; k < 30; k++) c1 = critic.update(batch).criticLoss!;
    expect(c1).toBeLessThan(c0 * 0.7);
    critic.dispose();

    const actor = new CellAgent('ddpg', layout, scenario, { seed: 1, settings: { ...TINY_TD3, gamma: 0, actorLr: 0, criticLr: 5e-3, warmupSteps: 1000 } });
    await fillAgent(actor, scenario, 40);
    // Fit the critic first (actor frozen), then freeze the critic in an agent restored from that state.
    for (let k = 0; k < 60; k++) actor.update(batch);
    const state = actor.getState();
    const frozen = new CellAgent('ddpg', layout, scenario, { seed: 1, settings: { ...TINY_TD3, gamma: 0, actorLr: 3e-3, criticLr: 0, warmupSteps: 1000 } });
    frozen.setState(state);
    const q0 = frozen.update(batch).actorLoss!;
    let q1 = q0;
    for (let k = 0; k < 20; k++) q1 = frozen.update(batch).actorLoss!;
    expect(q1).toBeLessThan(q0);
    actor.dispose();
    frozen.dispose();
  });

  it('constrained variants: the multiplier rises while the constraint is violated, decays once it holds, never below 0', async () => {
    // A URLLC delay target no share can meet: every active step violates the constraint.
    const base = tinyScenario();
    const strict = tinyScenario({ slices: base.slices.map((s) => (s.name === 'urllc' ? { ...s, delayTarget: 0.01 } : s)) });
    for (const variant of ['lagrangian', 'rcpo'] as const) {
      // The rate the ascent aims at: the limit less the variant's default margin (rcpo 0.2).
      const aimed = (1 - (MADDPG_VARIANT_DEFAULTS[variant].constraintMargin ?? 0)) * 0.01;
      const agent = new MaddpgAgent(variant, tinyLayout(strict), strict, { seed: 1, settings: { ...TINY_MADDPG, warmupSteps: 1000, lambdaLr: 0.5 } });
      await fillAgent(agent, strict, 12);
      const up = agent.endEpisode({ episode: 0, steps: 12, return: 0, constraintRates: [] });
      expect(up['violationRate.urllc']).toBe(1);
      expect(up['lambda.urllc']).toBeCloseTo(0.5 * (1 - aimed), 6);
      // Met (a generous target): the multiplier decays, never below 0.
      const loose = tinyScenario({ slices: base.slices.map((s) => (s.name === 'urllc' ? { ...s, delayTarget: 1e6 } : s)) });
      const relaxed = new MaddpgAgent(variant, tinyLayout(loose), loose, { seed: 1, settings: { ...TINY_MADDPG, warmupSteps: 1000, lambdaLr: 0.5 } });
      relaxed.setState(agent.getState());
      await fillAgent(relaxed, loose, 12);
      const down = relaxed.endEpisode({ episode: 1, steps: 12, return: 0, constraintRates: [] });
      expect(down['violationRate.urllc']).toBe(0);
      expect(down['lambda.urllc']).toBeCloseTo(up['lambda.urllc']! - 0.5 * aimed, 6);
      // Projected dual ascent: a multiplier at 0 with the constraint met stays at 0.
      const fresh = new MaddpgAgent(variant, tinyLayout(loose), loose, { seed: 1, settings: { ...TINY_MADDPG, warmupSteps: 1000 } });
      await fillAgent(fresh, loose, 12);
      expect(fresh.endEpisode({ episode: 0, steps: 12, return: 0, constraintRates: [] })['lambda.urllc']).toBe(0);
      for (const a of [agent, relaxed, fresh]) a.dispose();
    }
  });

  it('leaks no tensors across updates', async () => {
    const scenario = tinyScenario();
    const agent = new MaddpgAgent('lagrangian', tinyLayout(scenario), scenario, { seed: 1, settings: { ...TINY_MADDPG, gamma: 0.5 } });
    await fillAgent(agent, scenario, 20);
    const before = tf.memory().numTensors;
    await fillAgent(agent, scenario, 10);
    expect(tf.memory().numTensors).toBe(before);
    agent.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import { DqnAgent, argmax, dqnTargets, nStepTransition, type StepRecord } from '../../src/agents/dqn/index.js';
import { SyntheticSfcEnv, loadFamilyScenario, parseFamilyScenario, sfcActionMask, type SfcScenario } from '../../src/families/index.js';
import { SFC_ACTIONS, encodeSfcAction } from '../../src/scenario/index.js';

const scenario = loadFamilyScenario('sfc-synthetic') as SfcScenario;
const SMALL = { hidden: [32, 16], streamHidden: 8, embedDim: 16, attentionHeads: 8, learningStarts: 40, batchSize: 8, trainEvery: 1, targetUpdateEvery: 10 };

/** One data centre with room for two firewalls (2 cores each) and nothing installed. */
const tiny = parseFamilyScenario({
  name: 'sfc-tiny',
  family: 'sfc',
  episodeSteps: 5,
  seed: 1,
  sfc: { dataCentres: [{ name: 'dc-a', cpuCores: 4, memoryGb: 16, bandwidthMbps: 1000 }], initialInstances: 0, arrivals: { meanPerStep: 0 }, loadJitter: 0 },
}) as SfcScenario;

describe('the action mask from the observation', () => {
  it('says exactly which actions the env carries out', async () => {
    const env = new SyntheticSfcEnv(tiny);
    let { obs } = await env.reset({ seed: 1 });
    const layout = env.model.layout;
    const firewallOut = encodeSfcAction(0, 'allocate');
    const firewallIn = encodeSfcAction(0, 'uninstall');
    // Nothing installed: every scale-out fits (4 cores free is enough for any type), no scale-in.
    let mask = sfcActionMask(layout, obs.data);
    for (let t = 0; t < 5; t++) {
      expect(mask[encodeSfcAction(t, 'allocate')]).toBe(1);
      expect(mask[encodeSfcAction(t, 'uninstall')]).toBe(0);
      expect(mask[encodeSfcAction(t, 'wait')]).toBe(1);
    }
    // Two firewalls fill the data centre: no scale-out of anything, a firewall scale-in is valid.
    for (let k = 0; k < 2; k++) obs = (await env.step(firewallOut)).obs;
    mask = sfcActionMask(layout, obs.data);
    for (let t = 0; t < 5; t++) expect(mask[encodeSfcAction(t, 'allocate')]).toBe(0);
    expect(mask[firewallIn]).toBe(1);
    expect(mask[encodeSfcAction(1, 'uninstall')]).toBe(0);
    // The env keeps its rule for an agent that ignores the mask: a masked action is invalid (−1).
    const refused = await env.step(firewallOut);
    expect(refused.info.invalid).toBe(1);
    expect(refused.reward).toBe(-1);
  });

  it('agrees with the env on every step of a random episode', async () => {
    const env = new SyntheticSfcEnv(scenario);
    let { obs } = await env.reset({ seed: 11 });
    let checked = 0;
    for (let s = 0; s < 100; s++) {
      const mask = sfcActionMask(env.model.layout, obs.data);
      const action = (s * 7) % SFC_ACTIONS;
      const r = await env.step(action);
      expect(r.info.invalid).toBe(mask[action] ? 0 : 1);
      checked += mask[action] ? 0 : 1;
      obs = r.obs;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('masking in the DQN', () => {
  it('argmax skips masked actions', () => {
    expect(argmax([5, 1, 3])).toBe(0);
    expect(argmax([5, 1, 3], 0, 3, [0, 1, 1])).toBe(2);
    // A row inside a batch: the mask is indexed like the values.
    expect(argmax([9, 9, 9, 5, 1, 3], 3, 3, [1, 1, 1, 0, 1, 0])).toBe(1);
  });

  it('the target maxes over the valid next actions only (plain and double)', () => {
    const qTarget = [1, 5, 2, /* row 2 */ 4, 0, 3];
    const qOnline = [0, 1, 9, /* row 2 */ 7, 8, 0];
    const mask = [1, 0, 1, /* row 2 */ 0, 0, 1];
    // Plain, row 1: max over {0, 2} of Q_target = 2; row 2: only action 2 → 3.
    expect(Array.from(dqnTargets([1, -1], [0, 0], qTarget, null, 0.5, 3, mask))).toEqual([1 + 0.5 * 2, -1 + 0.5 * 3]);
    // Double, row 1: online argmax over {0, 2} = 2 → Q_target 2; row 2: action 2 → 3.
    expect(Array.from(dqnTargets([1, -1], [0, 0], qTarget, qOnline, 0.5, 3, mask))).toEqual([1 + 0.5 * 2, -1 + 0.5 * 3]);
    // Row 2 without the mask would pick action 1 (online 8) → Q_target 0.
    expect(dqnTargets([1, -1], [0, 0], qTarget, qOnline, 0.5, 3)[1]).toBe(-1);
  });

  it('a per-row discount (γⁿ of n-step transitions)', () => {
    expect(Array.from(dqnTargets([1, 1], [0, 0], [2, 0, 2, 0], null, [0.5, 0.25], 2))).toEqual([2, 1.5]);
  });

  it('greedy and exploring actions of the agent are never ones the env refuses', async () => {
    const agent = new DqnAgent(tiny, { seed: 3, settings: { ...SMALL, epsilonDecay: 1 } });
    const env = new SyntheticSfcEnv(tiny);
    const { obs } = await env.reset({ seed: 1 });
    // Fill the data centre: then only the firewall scale-in and the waits are valid.
    let o = obs;
    for (let k = 0; k < 2; k++) o = (await env.step(encodeSfcAction(0, 'allocate'))).obs;
    const mask = sfcActionMask(env.model.layout, o.data);
    expect(mask[agent.act(o)]).toBe(1);
    for (let k = 0; k < 200; k++) expect(mask[agent.actExplore(o)]).toBe(1);
    // Without masking, exploration (ε = 1) does pick refused actions.
    const unmasked = new DqnAgent(tiny, { seed: 3, settings: { ...SMALL, epsilonDecay: 1, maskInvalid: false } });
    const picks = Array.from({ length: 200 }, () => unmasked.actExplore(o));
    expect(picks.some((a) => !mask[a])).toBe(true);
  });
});

describe('n-step returns', () => {
  const obs = (k: number): Float32Array => Float32Array.of(k);
  const step = (k: number, reward: number, terminated = false): StepRecord => ({ obs: obs(k), action: k, reward, nextObs: obs(k + 1), terminated });

  it('R = r0 + γ r1 + γ² r2, bootstrapping from s3 with γ³', () => {
    const t = nStepTransition([step(0, 1), step(1, 2), step(2, 4), step(3, 8)], 3, 0.5);
    expect(t.reward).toBe(1 + 0.5 * 2 + 0.25 * 4);
    expect(t.discount).toBe(0.125);
    expect(Array.from(t.nextObs)).toEqual([3]);
    expect(t.action).toBe(0);
    expect(t.done).toBe(false);
  });

  it('stops at a terminal step, and spans fewer steps at the end of an episode', () => {
    const stopped = nStepTransition([step(0, 1), step(1, 2, true), step(2, 4)], 3, 0.5);
    expect(stopped).toMatchObject({ reward: 2, done: true, discount: 0.25 });
    expect(Array.from(stopped.nextObs)).toEqual([2]);
    const tail = nStepTransition([step(5, 3)], 3, 0.5);
    expect(tail).toMatchObject({ reward: 3, done: false, discount: 0.5 });
  });

  it('the agent stores one n-step transition per env step, flushing at the time limit without ending the bootstrap', async () => {
    const agent = new DqnAgent(tiny, { seed: 3, settings: { ...SMALL, gamma: 0.5, nStep: 3, learningStarts: 1000 } });
    const env = new SyntheticSfcEnv(tiny);
    let { obs } = await env.reset({ seed: 1 });
    const actions = [encodeSfcAction(0, 'allocate'), encodeSfcAction(1, 'wait'), encodeSfcAction(0, 'allocate'), encodeSfcAction(0, 'allocate'), encodeSfcAction(1, 'wait')];
    const rewards: number[] = [];
    for (let s = 0; s < actions.length; s++) {
      const r = await env.step(actions[s]!);
      rewards.push(r.reward);
      agent.observe({ obs, action: actions[s]!, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, episode: 0, envIndex: 0, step: s });
      // Before the end n − 1 steps wait for their return; the truncated last step flushes them.
      expect(agent.replay.size).toBe(s === actions.length - 1 ? actions.length : Math.max(0, s - 1));
      obs = r.obs;
    }
    expect(rewards[3]).toBe(-1); // the third firewall does not fit
    const expected = [0, 1, 2, 3, 4].map((s) => {
      const span = rewards.slice(s, s + 3);
      return span.reduce((acc, r, k) => acc + r * 0.5 ** k, 0);
    });
    expect(Array.from(agent.replay.rewards.subarray(0, 5))).toEqual(expected.map(Math.fround));
    expect(Array.from(agent.replay.discounts.subarray(0, 5))).toEqual([0.125, 0.125, 0.125, 0.25, 0.5]);
    expect(Array.from(agent.replay.dones.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(agent.replay.actions.subarray(0, 5))).toEqual(actions);
  });
});

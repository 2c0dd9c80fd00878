import { describe, expect, it } from 'vitest';
import { SyncVectorEnv, vectorResetPlan, type NdArray } from '../../src/env/index.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { tinyScenario } from '../agents/helpers.js';

type Obs = NdArray<Float32Array>;

const scenario = tinyScenario({ episodeSteps: 3 });
const action = (value: number): Obs => ({ data: new Float32Array(scenario.cells * scenario.slices.length).fill(value), shape: [scenario.cells, scenario.slices.length] });
const pair = (mode?: 'next-step' | 'same-step' | 'disabled') =>
  new SyncVectorEnv([new SyntheticSlicingEnv(scenario), new SyntheticSlicingEnv(scenario)], mode ? { autoresetMode: mode } : {});

/** What one env gives for the same calls: the reference the vector env must match. */
async function reference(seed: number, steps: number): Promise<{ obs: Obs[]; rewards: number[]; afterReset: Obs }> {
  const env = new SyntheticSlicingEnv(scenario);
  const obs = [(await env.reset({ seed })).obs];
  const rewards: number[] = [];
  for (let t = 0; t < steps; t++) {
    const r = await env.step(action(0.3));
    obs.push(r.obs);
    rewards.push(r.reward);
  }
  return { obs, rewards, afterReset: (await env.reset()).obs };
}

describe('SyncVectorEnv', () => {
  it('batches the sub-envs: env i is seeded with seed + i, spaces are the single env spaces', async () => {
    const venv = pair();
    expect(venv.numEnvs).toBe(2);
    expect(venv.autoresetMode).toBe('next-step');
    expect(venv.singleActionSpace).toBe(venv.envs[0]!.actionSpace);
    const reset = await venv.reset({ seed: 10 });
    const [r0, r1] = await Promise.all([reference(10, 1), reference(11, 1)]);
    expect(reset.obs).toEqual([r0.obs[0], r1.obs[0]]);
    const step = await venv.step([action(0.3), action(0.3)]);
    expect(Array.from(step.reward)).toEqual([r0.rewards[0], r1.rewards[0]]);
    expect(step.obs).toEqual([r0.obs[1], r1.obs[1]]);
    expect(await venv.reset({ seed: [5, 7] }).then((r) => r.obs[1])).toEqual((await reference(7, 0)).obs[0]);
    await venv.close();
    await expect(venv.step([action(0.3), action(0.3)])).rejects.toThrow(/closed vector env/);
  });

  it("next-step autoreset: the step after an episode's end resets that env (reward 0, flags false)", async () => {
    const venv = pair('next-step');
    await venv.reset({ seed: 1 });
    const ref = await reference(1, 3);
    let last = await venv.step([action(0.3), action(0.3)]);
    for (let t = 1; t < 3; t++) last = await venv.step([action(0.3), action(0.3)]);
    expect(last.truncated).toEqual([true, true]);
    expect(last.obs[0]).toEqual(ref.obs[3]);
    const next = await venv.step([action(0.9), action(0.9)]);
    expect(Array.from(next.reward)).toEqual([0, 0]);
    expect(next.terminated).toEqual([false, false]);
    expect(next.truncated).toEqual([false, false]);
    expect(next.obs[0]).toEqual(ref.afterReset);
    expect(next.info[0]!.step).toBe(0);
  });

  it('same-step autoreset: the ending step returns the new first obs, the last one in info.final_obs', async () => {
    const venv = pair('same-step');
    await venv.reset({ seed: 1 });
    const ref = await reference(1, 3);
    let last = await venv.step([action(0.3), action(0.3)]);
    for (let t = 1; t < 3; t++) last = await venv.step([action(0.3), action(0.3)]);
    expect(last.truncated).toEqual([true, true]);
    expect(last.reward[0]).toBe(ref.rewards[2]);
    expect(last.obs[0]).toEqual(ref.afterReset);
    expect(last.info[0]!.final_obs).toEqual(ref.obs[3]);
    expect((last.info[0]!.final_info as Record<string, unknown>).reason).toBe('time-limit');
    const next = await venv.step([action(0.3), action(0.3)]);
    expect(next.truncated).toEqual([false, false]);
    expect(next.reward[0]).toBeGreaterThan(0);
  });

  it('disabled autoreset: a finished env must be reset with resetMask', async () => {
    const venv = pair('disabled');
    await venv.reset({ seed: 1 });
    for (let t = 0; t < 3; t++) await venv.step([action(0.3), action(0.3)]);
    await expect(venv.step([action(0.3), action(0.3)])).rejects.toThrow(/env 0 finished its episode: reset it with reset\(\{ options: \{ resetMask \} \}\)/);
    const partial = await venv.reset({ options: { resetMask: [true, false] } });
    expect(partial.obs[1]).toBeUndefined();
    expect(() => new SyncVectorEnv([])).toThrowError(/envs: got .*, expected a non-empty array of envs/);
    await expect(venv.reset({ options: { resetMask: [true] } })).rejects.toThrow(/options.resetMask: got .*, expected an array of 2 booleans/);
    await expect(venv.reset({ seed: [1, 2, 3] })).rejects.toThrow(/seed: got .*, expected a number or 2 numbers/);
  });
});

describe('vectorResetPlan', () => {
  it('a single seed seeds env i with seed + i, a list one each, none none; the mask leaves envs out', () => {
    expect(vectorResetPlan(3, { seed: 10 })).toEqual([{ seed: 10 }, { seed: 11 }, { seed: 12 }]);
    expect(vectorResetPlan(2, { seed: [5, 9] })).toEqual([{ seed: 5 }, { seed: 9 }]);
    expect(vectorResetPlan(2, {})).toEqual([{}, {}]);
    expect(vectorResetPlan(3, { seed: 10, options: { resetMask: [false, true, false] } })).toEqual([null, { seed: 11 }, null]);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFromRun, readCheckpoint, selectBackend, type AdmmPolicy, type CellActorPolicy, type Transition } from '../../src/agents/index.js';
import { clockOf, CLOCK_FEATURES, encodeObservation, featuresPerRow, normalizeObservation, NORM_FEATURES, secondsOfDay } from '../../src/agents/core/features.js';
import { TransitionBook } from '../../src/agents/core/transition-book.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { train } from '../../src/train/index.js';
import { InputError, Rng } from '../../src/util/index.js';
import { tinyLayout, tinyScenario } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-time-of-day-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('time-of-day inputs', () => {
  const scenario = tinyScenario();
  const C = scenario.cells;
  const S = scenario.slices.length;

  it('append sin and cos of the coming step\'s time of day to every row, after the normalized features', async () => {
    const env = new SyntheticSlicingEnv(scenario);
    const { obs } = await env.reset({ seed: 3 });
    const clock = { stepSeconds: 900 };
    expect(featuresPerRow(clock)).toBe(NORM_FEATURES + CLOCK_FEATURES);
    expect(featuresPerRow(null)).toBe(NORM_FEATURES);
    // Step 24 of 15-minute steps acts on 06:00: a quarter of the day, phase pi/2.
    const encoded = encodeObservation(obs.data, C, S, clock, { step: 24 });
    const plain = normalizeObservation(obs.data, C, S);
    const W = NORM_FEATURES + CLOCK_FEATURES;
    expect(encoded.length).toBe(C * S * W);
    for (let i = 0; i < C * S; i++) {
      expect(Array.from(encoded.subarray(i * W, i * W + NORM_FEATURES))).toEqual(Array.from(plain.subarray(i * NORM_FEATURES, (i + 1) * NORM_FEATURES)));
      expect(encoded[i * W + NORM_FEATURES]).toBeCloseTo(1, 6);
      expect(encoded[i * W + NORM_FEATURES + 1]).toBeCloseTo(0, 6);
    }
    // Without a clock the inputs are the normalized features as they were.
    expect(Array.from(encodeObservation(obs.data, C, S, null, { step: 24 }))).toEqual(Array.from(plain));
  });

  it('take the caller\'s time of day over the step count, and wrap at midnight', () => {
    const clock = { stepSeconds: 900 };
    expect(secondsOfDay(clock, { step: 4 })).toBe(3600);
    expect(secondsOfDay(clock, { step: 96 + 4 })).toBe(3600);
    expect(secondsOfDay(clock, { step: 4, secondsOfDay: 43_200 })).toBe(43_200);
    expect(secondsOfDay(clock, { step: 0, secondsOfDay: -3600 })).toBe(82_800);
  });

  it('need the scenario\'s stepSeconds when the setting is on, and are off for settings without it', () => {
    expect(clockOf({ timeOfDay: true }, { stepSeconds: 60 })).toEqual({ stepSeconds: 60 });
    expect(clockOf({ timeOfDay: false }, { stepSeconds: 60 })).toBeNull();
    // Checkpoints written before the setting existed have no timeOfDay: no clock.
    expect(clockOf({}, { stepSeconds: 60 })).toBeNull();
    expect(() => clockOf({ timeOfDay: true }, {})).toThrow(InputError);
    expect(() => clockOf({ timeOfDay: true }, {})).toThrow(/scenario\.stepSeconds: got undefined/);
  });

  it('are stored in replay with the time of the step each state was seen for', async () => {
    const env = new SyntheticSlicingEnv(scenario);
    let { obs } = await env.reset({ seed: 5 });
    const clock = { stepSeconds: 900 };
    const book = new TransitionBook({ batchSize: 2, bufferCapacity: 10, warmupSteps: 0, updatesPerStep: 1, updateEvery: 1, noiseStart: 0, noiseEnd: 0, noiseDecaySteps: 0 }, C, S, new Rng(1), [], clock);
    const action = new Float32Array(C * S).fill(1 / S);
    const r = await env.step({ data: action, shape: [C, S] });
    const tr: Transition = { obs, action, reward: r.reward, nextObs: r.obs, terminated: false, truncated: false, info: r.info, step: 48 };
    obs = r.obs;
    const stored = book.record(tr);
    const W = NORM_FEATURES + CLOCK_FEATURES;
    // Step 48 acts on 12:00 (phase pi), the next state is read by the action of step 49 (12:15).
    expect(stored.feats[NORM_FEATURES]).toBeCloseTo(0, 6);
    expect(stored.feats[NORM_FEATURES + 1]).toBeCloseTo(-1, 6);
    expect(stored.next[NORM_FEATURES + 1]).toBeCloseTo(Math.cos((2 * Math.PI * 49) / 96), 6);
    expect(book.batch(1, new Rng(2)).obs.length).toBe(S * W);
  });

  it('change what a trained policy does with the time of day, and a run without the setting keeps the inputs of before', async () => {
    for (const agent of ['maddpg-admm', 'td3'] as const) {
      const s = tinyScenario({ agent: { id: agent, hidden: [8, 8], warmupSteps: 6, batchSize: 8 }, training: { episodes: 1, evalEvery: 0, evalEpisodes: 1 } });
      await train({ scenario: s, outDir: dir, runId: agent, seed: 4, backend: 'wasm', progress: false });
      const runDir = join(dir, agent);
      const policy = await loadPolicyFromRun(runDir);
      const clock = (policy as AdmmPolicy | CellActorPolicy).clock;
      expect(clock).toEqual({ stepSeconds: s.stepSeconds });
      const env = new SyntheticSlicingEnv(s);
      const { obs } = await env.reset({ seed: 9 });
      const layout = tinyLayout(s);
      policy.reset?.();
      const night = await policy.act(obs, { layout, step: 0, secondsOfDay: 3 * 3600 });
      policy.reset?.();
      const evening = await policy.act(obs, { layout, step: 0, secondsOfDay: 19 * 3600 });
      expect(Array.from(night)).not.toEqual(Array.from(evening));
      policy.reset?.();
      // Step 76 of 15-minute steps is 19:00.
      const byStep = await policy.act(obs, { layout, step: 76 });
      expect(Array.from(byStep)).toEqual(Array.from(evening));

      // Trained without the setting: the inputs of before (no clock, 15 features per row).
      const off = tinyScenario({ agent: { id: agent, hidden: [8, 8], warmupSteps: 6, batchSize: 8, timeOfDay: false }, training: { episodes: 1, evalEvery: 0, evalEpisodes: 1 } });
      await train({ scenario: off, outDir: dir, runId: `${agent}-off`, seed: 4, backend: 'wasm', progress: false });
      const offPolicy = await loadPolicyFromRun(join(dir, `${agent}-off`));
      expect((offPolicy as AdmmPolicy | CellActorPolicy).clock).toBeNull();
      const firstLayer = readCheckpoint(join(dir, `${agent}-off`)).arrays[agent === 'td3' ? 'agent/actor/0' : 'agent/actor0/0'] as Float32Array;
      const rows = agent === 'td3' ? S * NORM_FEATURES : NORM_FEATURES + 2;
      expect(firstLayer.length).toBe(rows * 8);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { Transition } from '../../src/agents/index.js';
import { shareBounds } from '../../src/agents/core/allocation.js';
import { NORM_FEATURES } from '../../src/agents/core/features.js';
import { TransitionBook, type ReplayScheduleSettings } from '../../src/agents/core/transition-book.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { Rng } from '../../src/util/index.js';
import { tinyLayout, tinyScenario } from './helpers.js';

const SCHEDULE: ReplayScheduleSettings = {
  batchSize: 4,
  bufferCapacity: 50,
  warmupSteps: 3,
  updatesPerStep: 2,
  updateEvery: 2,
  noiseStart: 0.2,
  noiseEnd: 0.1,
  noiseDecaySteps: 4,
};

/** `steps` transitions of the tiny synthetic env under uniform shares. */
async function transitions(steps: number): Promise<Transition[]> {
  const scenario = tinyScenario();
  const C = scenario.cells;
  const S = scenario.slices.length;
  const env = new SyntheticSlicingEnv(scenario);
  let { obs } = await env.reset({ seed: 5 });
  const out: Transition[] = [];
  for (let t = 0; t < steps; t++) {
    const action = new Float32Array(C * S).fill(1 / S);
    const r = await env.step({ data: action, shape: [C, S] });
    out.push({ obs, action, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, step: t });
    obs = r.obs;
  }
  return out;
}

describe('transition book', () => {
  const scenario = tinyScenario();
  const layout = tinyLayout(scenario);
  const C = layout.cells;
  const S = layout.slices.length;
  const bounds = shareBounds(layout);

  it('explores with random feasible shares during warm-up, then around the greedy proposal with decaying noise', async () => {
    const book = new TransitionBook(SCHEDULE, C, S, new Rng(1));
    const [tr] = await transitions(1);
    let greedyCalls = 0;
    const greedy = (): Float32Array => {
      greedyCalls++;
      return new Float32Array(C * S).fill(0.2);
    };
    const noises: number[] = [];
    for (let t = 0; t < 9; t++) {
      const action = book.explore(tr!.obs, bounds, greedy);
      for (let c = 0; c < C; c++) expect(action.subarray(c * S, (c + 1) * S).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
      noises.push(book.noise());
      book.record({ ...tr!, action });
    }
    // Warm-up is steps 0..2: no greedy proposal there; the noise decays over 4 steps after it.
    expect(greedyCalls).toBe(6);
    expect(noises.map((v) => Number(v.toFixed(6)))).toEqual([0.2, 0.2, 0.2, 0.2, 0.175, 0.15, 0.125, 0.1, 0.1]);
  });

  it('stores one row per cell with the extra fields, QoS from info (NaN as met), and runs update rounds when due', async () => {
    const book = new TransitionBook(SCHEDULE, C, S, new Rng(2), [{ name: 'cost', width: S }]);
    expect(book.buffer.fields.map((f) => f.name)).toEqual(['obs', 'act', 'qos', 'cost', 'next', 'mask', 'nextMask', 'done']);
    const steps = await transitions(6);
    const due: number[] = [];
    for (const [t, tr] of steps.entries()) {
      const qos = Array.from({ length: C * S }, (_, i) => (i === 0 ? null : 0.5));
      const step = book.record({ ...tr, info: { ...tr.info, qos } }, (c) => ({ cost: new Float32Array(S).fill(c + 1) }));
      expect(Number.isNaN(step.qos[0]!)).toBe(true);
      let rounds = 0;
      book.updateIfDue(() => {
        rounds++;
        return { rounds };
      });
      due.push(rounds);
      expect(book.steps).toBe(t + 1);
    }
    // Warm-up ends at step 3 (buffer already holds a batch); rounds at steps 4 and 6, two updates each.
    expect(due).toEqual([0, 0, 0, 2, 0, 2]);
    expect(book.buffer.size).toBe(6 * C);
    const batch = book.batch(3, new Rng(0), Int32Array.from([0, 1, 2 * C - 1]));
    expect(batch.size).toBe(3);
    expect(batch.obs.length).toBe(3 * S * NORM_FEATURES);
    expect(Array.from(batch.qos.subarray(0, S))).toEqual([1, ...new Array(S - 1).fill(0.5)]);
    expect(Array.from(batch.extra.cost!.subarray(0, 2 * S))).toEqual([...new Array(S).fill(1), ...new Array(S).fill(2)]);
  });

  it('round-trips through its checkpoint: same batches, same exploration draws', async () => {
    const book = new TransitionBook(SCHEDULE, C, S, new Rng(3), [{ name: 'cost', width: S }]);
    const steps = await transitions(5);
    for (const tr of steps) book.record({ ...tr, action: book.explore(tr.obs, bounds, () => new Float32Array(C * S).fill(0.3)) });
    const saved = book.checkpoint();
    expect(Object.keys(saved.arrays)).toEqual(['replay/obs', 'replay/act', 'replay/qos', 'replay/cost', 'replay/next', 'replay/mask', 'replay/nextMask', 'replay/done']);
    expect(saved.meta.envSteps).toBe(5);
    const restored = new TransitionBook(SCHEDULE, C, S, new Rng(99), [{ name: 'cost', width: S }]);
    restored.restore(JSON.parse(JSON.stringify(saved.meta)), saved.arrays);
    expect(restored.steps).toBe(5);
    expect(restored.batch(8, new Rng(7))).toEqual(book.batch(8, new Rng(7)));
    const greedy = (): Float32Array => new Float32Array(C * S).fill(0.3);
    expect(restored.explore(steps[0]!.obs, bounds, greedy)).toEqual(book.explore(steps[0]!.obs, bounds, greedy));
  });
});

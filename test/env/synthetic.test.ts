import { describe, expect, it } from 'vitest';
import {
  FEATURE,
  FEATURES_PER_SLICE,
  SyntheticSlicingEnv,
  createEnv,
  cqiToSpectralEfficiency,
  dailyMask,
  rewardFromObservation,
  sinrToCqi,
} from '../../src/families/index.js';
import { loadScenario, parseScenario, setByPath } from '../../src/scenario/index.js';
import { Rng } from '../../src/util/index.js';

const scenario = loadScenario('slicing-synthetic');

/** Runs an episode with random (feasible) shares drawn from `actionSeed`; returns every obs and reward. */
function trajectory(env: SyntheticSlicingEnv, seed: number, actionSeed = 7, steps = 40): { obs: Float32Array[]; rewards: number[] } {
  const rng = new Rng(actionSeed);
  const obs = [env.resetSync(seed).slice()];
  const rewards: number[] = [];
  const x = new Float32Array(env.cells * env.sliceCount);
  for (let t = 0; t < steps && !env.episodeDone; t++) {
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform(0, 1 / env.sliceCount);
    rewards.push(env.stepSync(x));
    obs.push(env.obs.slice());
  }
  return { obs, rewards };
}

describe('radio model', () => {
  it('maps SINR to CQI and spectral efficiency monotonically (36.213 table)', () => {
    expect(cqiToSpectralEfficiency(15)).toBeCloseTo(5.5547);
    expect(cqiToSpectralEfficiency(7)).toBeCloseTo(1.4766);
    expect(cqiToSpectralEfficiency(0)).toBe(0);
    expect(sinrToCqi(-20)).toBe(0);
    expect(sinrToCqi(30)).toBe(15);
    let last = -1;
    for (let sinr = -12; sinr <= 25; sinr += 0.25) {
      const se = cqiToSpectralEfficiency(sinrToCqi(sinr));
      expect(se).toBeGreaterThanOrEqual(last);
      last = se;
    }
  });

  it('daily masks follow the diurnal profile and drop at the weekend', () => {
    const traffic = scenario.slices[0]!.traffic;
    const monday = dailyMask(traffic, 0);
    const saturday = dailyMask(traffic, 5);
    expect(monday).toHaveLength(96);
    expect(Math.max(...monday)).toBeGreaterThan(Math.min(...monday) + 0.3);
    expect(saturday.reduce((a, b) => a + b, 0)).toBeLessThan(monday.reduce((a, b) => a + b, 0));
  });
});

describe('SyntheticSlicingEnv', () => {
  it('has the shared slicing layout and spaces', async () => {
    const env = new SyntheticSlicingEnv(scenario);
    const { obs, info } = await env.reset({ seed: 3 });
    expect(obs.shape).toEqual([3, 3, FEATURES_PER_SLICE]);
    expect(env.observationSpace.contains(obs)).toBe(true);
    expect(env.actionSpace.toJSON()).toMatchObject({ shape: [3, 3] });
    expect(info).toMatchObject({ slices: ['embb', 'urllc', 'mmtc'], sliceTypes: ['eMBB', 'URLLC', 'mMTC'], cells: 3, step: 0 });
    const step = await env.step({ data: new Float32Array(9).fill(1 / 3), shape: [3, 3] });
    expect(step.info.step).toBe(1);
    expect(step.info.qos).toHaveLength(9);
    expect(step.info.usedPrbs).toHaveLength(9);
    expect(step.reward).toBeCloseTo(rewardFromObservation(step.obs.data, 3, 3), 5);
    expect(step.terminated).toBe(false);
    for (let i = 0; i < 9; i++) {
      expect(step.obs.data[i * FEATURES_PER_SLICE + FEATURE.phiTarget]).toBeCloseTo(scenario.slices[i % 3]!.phiTarget, 6);
      expect(step.obs.data[i * FEATURES_PER_SLICE + FEATURE.share]).toBeCloseTo(1 / 3);
    }
  });

  it('is deterministic for a seed, and different seeds differ', () => {
    const a = trajectory(new SyntheticSlicingEnv(scenario), 5);
    const b = trajectory(new SyntheticSlicingEnv(scenario), 5);
    const c = trajectory(new SyntheticSlicingEnv(scenario), 6);
    expect(b.rewards).toEqual(a.rewards);
    b.obs.forEach((o, t) => expect(Array.from(o)).toEqual(Array.from(a.obs[t]!)));
    expect(c.rewards).not.toEqual(a.rewards);
    // reset(seed) on a used env repeats the episode exactly.
    const env = new SyntheticSlicingEnv(scenario);
    trajectory(env, 9);
    expect(trajectory(env, 5).rewards).toEqual(a.rewards);
  });

  it('truncates at episodeSteps and refuses to step past the end', async () => {
    const short = setByPath(scenario, 'episodeSteps', 3);
    const env = (await createEnv(short)) as SyntheticSlicingEnv;
    await env.reset({ seed: 1 });
    const action = { data: new Float32Array(9).fill(0.3), shape: [3, 3] };
    expect((await env.step(action)).truncated).toBe(false);
    await env.step(action);
    const last = await env.step(action);
    expect(last.truncated).toBe(true);
    expect(last.info.reason).toBe('time-limit');
    await expect(env.step(action)).rejects.toThrow(/reset/);
  });

  it('rejects non-finite actions and rescales over-budget cells (recording the violation)', () => {
    const env = new SyntheticSlicingEnv(scenario);
    env.resetSync(1);
    expect(() => env.stepSync(new Float32Array(9).fill(Number.NaN))).toThrow(/action\[0\]\[0\]: got NaN/);
    expect(() => env.stepSync(new Float32Array(4))).toThrow(/9 values/);
    env.stepSync(new Float32Array(9).fill(0.5));
    expect(env.lastCapacityViolation).toBeCloseTo(0.5);
    for (let c = 0; c < 3; c++) expect(env.shares[c * 3]! + env.shares[c * 3 + 1]! + env.shares[c * 3 + 2]!).toBeCloseTo(1);
  });

  it('never lowers a saturated slice throughput when its share grows', () => {
    const env = new SyntheticSlicingEnv(setByPath(scenario, 'slices.embb.users', 60));
    const rng = new Rng(2);
    let checked = 0;
    for (let episode = 0; episode < 3; episode++) {
      env.resetSync(episode);
      for (let t = 0; t < 30; t++) {
        for (let c = 0; c < env.cells; c++) {
          // Throughput per user of eMBB along a share sweep, other slices fixed: monotone.
          let last = -1;
          for (let k = 0; k <= 20; k++) {
            const x = k / 20;
            const u = env.evaluateSliceUtility(c, 0, x);
            expect(u).toBeGreaterThanOrEqual(last - 1e-12);
            last = u;
          }
        }
        const x = new Float32Array(9);
        for (let i = 0; i < 9; i++) x[i] = rng.uniform(0, 0.33);
        // The real step: more eMBB share, same everything else, never less throughput.
        const low = x.slice();
        const high = x.slice();
        for (let c = 0; c < 3; c++) high[c * 3] = low[c * 3]! + 0.2;
        const twin = new SyntheticSlicingEnv(env.scenario);
        twin.resetSync(episode);
        for (let k = 0; k < t; k++) twin.stepSync(low);
        const forked = new SyntheticSlicingEnv(env.scenario);
        forked.resetSync(episode);
        for (let k = 0; k < t; k++) forked.stepSync(low);
        twin.stepSync(low);
        forked.stepSync(high);
        for (let c = 0; c < 3; c++) {
          const row = c * 3 * FEATURES_PER_SLICE;
          const saturated = twin.obs[row + FEATURE.prbUtilization]! > 0.999;
          if (!saturated) continue;
          checked++;
          expect(forked.obs[row + FEATURE.throughput]!).toBeGreaterThanOrEqual(twin.obs[row + FEATURE.throughput]!);
        }
        if (t >= 4) break;
        env.stepSync(x);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('a backlog left by an overloaded 15-minute step drains within the next one and barely adds to its delay', () => {
    // No interference coupling, so the second step's radio state does not depend on the first action.
    const quiet = setByPath(setByPath(scenario, 'env.interferenceDb', 0), 'env.fadingDb', 0);
    const secondStep = (firstShare: number): { backlogBefore: number; delay: number; backlog: number } => {
      const env = new SyntheticSlicingEnv(quiet);
      env.resetSync(12);
      const x = new Float32Array(9).fill(0.3);
      x[0] = firstShare;
      env.stepSync(x);
      const backlogBefore = env.obs[FEATURE.backlog]!;
      x[0] = 0.9;
      x[1] = 0.05;
      x[2] = 0.05;
      env.stepSync(x);
      return { backlogBefore, delay: env.obs[FEATURE.meanDelay]!, backlog: env.obs[FEATURE.backlog]! };
    };
    const overloaded = secondStep(0.001);
    const served = secondStep(0.9);
    expect(overloaded.backlogBefore).toBe(quiet.env.kind === 'synthetic' ? quiet.env.bufferKbit : 0);
    expect(served.backlogBefore).toBe(0);
    expect(overloaded.backlog).toBe(0);
    // Draining 1000 kbit takes milliseconds of the 900 s step: the mean delay moves by far less than 1 ms.
    expect(overloaded.delay - served.delay).toBeGreaterThanOrEqual(0);
    expect(overloaded.delay - served.delay).toBeLessThan(0.01);
  });

  it('userSamples averages snapshots of the active users: same mean, about 1/K of the variance', () => {
    let constant = setByPath(setByPath(scenario, 'slices.0.traffic.profile', 'constant'), 'episodeSteps', 600);
    constant = setByPath(constant, 'slices.0.traffic.noise', 0);
    const stats = (k: number): { mean: number; variance: number; fractional: boolean } => {
      const env = new SyntheticSlicingEnv(setByPath(constant, 'env.userSamples', k));
      env.resetSync(5);
      const values: number[] = [];
      const x = new Float32Array(9).fill(0.3);
      for (let t = 0; t < 600; t++) {
        env.stepSync(x);
        values.push(env.obs[FEATURE.activeUsers]!);
      }
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
      return { mean, variance, fractional: values.some((v) => !Number.isInteger(v)) };
    };
    const single = stats(1);
    const averaged = stats(15);
    expect(single.fractional).toBe(false);
    expect(averaged.fractional).toBe(true);
    expect(Math.abs(averaged.mean - single.mean) / single.mean).toBeLessThan(0.1);
    expect(averaged.variance).toBeLessThan(single.variance / 5);
    expect(() => setByPath(constant, 'env.userSamples', 0)).toThrow(/env\.userSamples/);
  });

  it('couples neighbouring cells through interference', () => {
    const coupled = setByPath(setByPath(scenario, 'env.interferenceDb', 8), 'env.fadingDb', 0);
    const run = (neighbourShare: number): number => {
      const env = new SyntheticSlicingEnv(coupled);
      env.resetSync(4);
      const x = new Float32Array(9);
      for (let i = 0; i < 9; i++) x[i] = i < 3 ? 0.3 : neighbourShare;
      env.stepSync(x);
      return env.obs[FEATURE.meanCqi]!; // cell 0, eMBB: CQI of the next step reflects the neighbours' load
    };
    // The obs of step 1 shows the CQI drawn with step 0's loads; step 2 shows the effect of step 1.
    const cqiAfter = (neighbourShare: number): number => {
      const env = new SyntheticSlicingEnv(coupled);
      env.resetSync(4);
      const x = new Float32Array(9);
      for (let i = 0; i < 9; i++) x[i] = i < 3 ? 0.3 : neighbourShare;
      env.stepSync(x);
      env.stepSync(x);
      return env.obs[FEATURE.meanCqi]!;
    };
    expect(run(0.33)).toBe(run(0)); // same draws before the loads differ
    expect(cqiAfter(0.33)).toBeLessThan(cqiAfter(0));
  });

  it('joins and leaves slices: mask, zeroed rows and fixed-size spaces', () => {
    const s = parseScenario({
      name: 'join-leave',
      cells: 2,
      episodeSteps: 12,
      slices: [
        { name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 100 },
        { name: 'b', type: 'URLLC', phiTarget: 0.5, delayTarget: 10, joinStep: 3, leaveStep: 8 },
      ],
    });
    const env = new SyntheticSlicingEnv(s);
    const F = FEATURES_PER_SLICE;
    const activeB = (): number[] => [0, 1].map((c) => env.obs[(c * 2 + 1) * F + FEATURE.active]!);
    env.resetSync(1);
    expect(env.obs.length).toBe(2 * 2 * F);
    const flags: number[][] = [];
    for (let t = 1; t <= 12; t++) {
      // The obs before step t announces whether b is admitted in step t.
      flags.push(activeB());
      expect(Array.from(env.activeMask)).toEqual([1, t >= 3 && t < 8 ? 1 : 0, 1, t >= 3 && t < 8 ? 1 : 0]);
      env.stepSync(new Float32Array([0.5, 0.5, 0.5, 0.5]));
      const qosB = env.qos[1]!;
      if (t >= 3 && t < 8) {
        expect(Number.isNaN(qosB)).toBe(false);
        expect(env.shares[1]).toBe(0.5);
      } else {
        expect(Number.isNaN(qosB)).toBe(true);
        expect(env.shares[1]).toBe(0); // inactive slices get nothing
      }
      if (t < 12 && !(t + 1 >= 3 && t + 1 < 8)) {
        // An inactive row: zeros except the targets.
        const row = 1 * F;
        for (let f = 0; f < F; f++) {
          if (f === FEATURE.phiTarget) expect(env.obs[row + f]).toBe(0.5);
          else if (f === FEATURE.delayTarget) expect(env.obs[row + f]).toBe(10);
          else expect(env.obs[row + f]).toBe(0);
        }
      }
    }
    expect(flags.map((f) => f[0])).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('scheduled outages cut capacity and bursts add users', () => {
    const base = setByPath(setByPath(scenario, 'episodeSteps', 20), 'env.fadingDb', 0);
    const withEvents = parseScenario({
      ...structuredClone(base),
      events: [
        { kind: 'outage', step: 5, duration: 3, cells: [0], factor: 0.1 },
        { kind: 'burst', step: 5, duration: 3, cells: [1], slices: ['mmtc'], factor: 5 },
      ],
    });
    const run = (s: typeof base): Float32Array[] => {
      const env = new SyntheticSlicingEnv(s);
      env.resetSync(2);
      const out: Float32Array[] = [];
      for (let t = 1; t <= 7; t++) {
        env.stepSync(new Float32Array(9).fill(0.33));
        out.push(env.obs.slice());
      }
      return out;
    };
    const plain = run(base);
    const evented = run(withEvents);
    const F = FEATURES_PER_SLICE;
    // Step 5 (index 4): cell 0's eMBB throughput capacity collapses; cell 1's mMTC users jump.
    const cap = (o: Float32Array): number => o[FEATURE.throughput]! * o[FEATURE.activeUsers]!;
    expect(cap(evented[4]!)).toBeLessThan(cap(plain[4]!));
    expect(evented[4]![(1 * 3 + 2) * F + FEATURE.activeUsers]!).toBeGreaterThan(2 * plain[4]![(1 * 3 + 2) * F + FEATURE.activeUsers]!);
    // Before the events the two runs are identical.
    expect(Array.from(evented[3]!)).toEqual(Array.from(plain[3]!));
  });

  it('evaluateShares scores the coming step exactly without changing state', () => {
    const env = new SyntheticSlicingEnv(scenario);
    env.resetSync(8);
    env.stepSync(new Float32Array(9).fill(0.3));
    const shares = [0.5, 0.125, 0.375]; // exact in float32, as the action travels
    const predicted = [0, 1, 2].map((c) => env.evaluateShares(c, shares));
    expect([0, 1, 2].map((c) => env.evaluateShares(c, shares))).toEqual(predicted);
    const reward = env.stepSync(new Float32Array([...shares, ...shares, ...shares]));
    expect(reward).toBeCloseTo(predicted[0]! + predicted[1]! + predicted[2]!, 10);
  });
});

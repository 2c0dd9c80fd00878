import { describe, expect, it } from 'vitest';
import { SyncVectorEnv, type NdArray } from '../../src/env/index.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { runEpisodes, type EpisodeResult, type StepContext, type Transition } from '../../src/rollout/index.js';
import { tinyScenario } from '../agents/helpers.js';

type Obs = NdArray<Float32Array>;

const scenario = tinyScenario({ episodeSteps: 4 });
const size = scenario.cells * scenario.slices.length;

/** A deterministic policy whose action depends on the observation and the step. */
const policy = (obs: Obs, at: StepContext): Obs => ({
  data: new Float32Array(size).fill(0.1 + 0.05 * ((at.step + Math.round(obs.data[0]! * 10)) % 4)),
  shape: [scenario.cells, scenario.slices.length],
});

/** The episodes played by hand on one env: the reference. */
async function byHand(seeds: number[]): Promise<{ returns: number[]; lastObs: Obs[] }> {
  const env = new SyntheticSlicingEnv(scenario);
  const returns: number[] = [];
  const lastObs: Obs[] = [];
  for (const seed of seeds) {
    let { obs } = await env.reset({ seed });
    let ret = 0;
    for (let step = 0; ; step++) {
      const r = await env.step(policy(obs, { episode: 0, envIndex: 0, step }));
      ret += r.reward;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    returns.push(ret);
    lastObs.push(obs);
  }
  return { returns, lastObs };
}

function record() {
  const steps: Transition<Obs, Obs>[] = [];
  const episodes: EpisodeResult[] = [];
  const rounds: Array<[number, number]> = [];
  return {
    steps,
    episodes,
    rounds,
    hooks: {
      onRoundStart: (first: number, count: number) => void rounds.push([first, count]),
      onStep: (t: Transition<Obs, Obs>) => void steps.push(t),
      onEpisodeEnd: (e: EpisodeResult) => void episodes.push(e),
    },
  };
}

describe('runEpisodes', () => {
  it('plays the episodes of an Env with their seeds, reporting every step and episode', async () => {
    const rec = record();
    const summary = await runEpisodes(new SyntheticSlicingEnv(scenario), policy, { episodes: 3, seed: (e) => 100 + e, ...rec.hooks });
    const ref = await byHand([100, 101, 102]);
    expect(summary).toEqual({ episodes: 3, steps: 3 * scenario.episodeSteps });
    expect(rec.rounds).toEqual([[0, 1], [1, 1], [2, 1]]);
    expect(rec.episodes.map((e) => e.return)).toEqual(ref.returns);
    expect(rec.episodes.map((e) => [e.episode, e.length, e.truncated, e.terminated])).toEqual([
      [0, 4, true, false],
      [1, 4, true, false],
      [2, 4, true, false],
    ]);
    expect(rec.steps.map((t) => t.step)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    // Transitions chain: each step starts from the previous step's next observation.
    for (let i = 1; i < 4; i++) expect(rec.steps[i]!.obs).toEqual(rec.steps[i - 1]!.nextObs);
  });

  it.each(['next-step', 'same-step', 'disabled'] as const)(
    'plays a SyncVectorEnv (%s autoreset) in rounds with the same results as the single env',
    async (autoresetMode) => {
      const venv = new SyncVectorEnv([new SyntheticSlicingEnv(scenario), new SyntheticSlicingEnv(scenario)], { autoresetMode });
      const rec = record();
      // 'disabled' cannot step a finished env: the rounds here end every episode in the same step.
      const summary = await runEpisodes(venv, policy, { firstEpisode: 2, episodes: 3, seed: (e) => 100 + e, ...rec.hooks });
      const ref = await byHand([102, 103, 104]);
      expect(summary).toEqual({ episodes: 3, steps: 3 * scenario.episodeSteps });
      expect(rec.rounds).toEqual([[2, 2], [4, 1]]);
      expect(rec.episodes.map((e) => [e.episode, e.envIndex])).toEqual([
        [2, 0],
        [3, 1],
        [4, 0],
      ]);
      expect(rec.episodes.map((e) => e.return)).toEqual(ref.returns);
      // The transition that ends an episode leads to its last observation, whatever the autoreset.
      const ends = rec.steps.filter((t) => t.truncated);
      expect(ends.map((t) => t.nextObs)).toEqual(ref.lastObs);
      expect(ends.every((t) => t.info.reason === 'time-limit')).toBe(true);
    },
  );

  it('caps episodes at maxSteps and stops between rounds when asked', async () => {
    const rec = record();
    let rounds = 0;
    const summary = await runEpisodes(new SyntheticSlicingEnv(scenario), policy, {
      episodes: 5,
      maxSteps: 2,
      shouldStop: () => rounds >= 2,
      onRoundEnd: () => void rounds++,
      onEpisodeEnd: rec.hooks.onEpisodeEnd,
    });
    expect(summary).toEqual({ episodes: 2, steps: 4 });
    expect(rec.episodes.map((e) => [e.length, e.truncated])).toEqual([
      [2, false],
      [2, false],
    ]);
    await expect(runEpisodes(new SyntheticSlicingEnv(scenario), policy, { episodes: -1 })).rejects.toThrow(/episodes: got -1, expected an integer >= 0/);
  });
});

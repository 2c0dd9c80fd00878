import * as tf from '../../src/agents/tf.js';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFromRun, selectBackend } from '../../src/agents/index.js';
import { type NdArray, type VectorEnv } from '../../src/env/index.js';
import { SyntheticSlicingEnv, FEATURES_PER_SLICE, FEATURE } from '../../src/families/index.js';
import type { Scenario } from '../../src/scenario/index.js';
import { scenarioLayout } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { TINY_MADDPG, TINY_TD3, tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-train-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(runDir: string): Array<Record<string, unknown>> {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('training loop on the synthetic env', () => {
  it('trains end to end: run directory, metrics, evaluations, a loadable feasible policy, no tensor leaks', async () => {
    const scenario = tinyScenario();
    const tensors: number[] = [];
    const summary = await train({
      scenario,
      outDir: dir,
      runId: 'e2e',
      seed: 3,
      backend: 'wasm',
      progress: false,
      onEpisode: (line) => {
        if (line.type === 'train') tensors.push(tf.memory().numTensors);
      },
    });
    const runDir = join(dir, 'e2e');
    expect(summary.finished).toBe(true);
    expect(summary.completedEpisodes).toBe(4);
    expect(summary.updates).toBeGreaterThan(20);
    for (const f of ['config.json', 'metrics.jsonl', 'checkpoint.bin', 'summary.json']) expect(existsSync(join(runDir, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect(config.agent.id).toBe('maddpg-admm');
    expect(config.seed).toBe(3);
    expect(config.backend.name).toBe('wasm');
    expect(config.scenario.name).toBe('tiny-synthetic');
    expect(config.versions.tfjs).toMatch(/^4\./);
    expect(config.agentSettingsResolved.hidden).toEqual([16, 16]);
    const metrics = lines(runDir);
    expect(metrics.filter((l) => l.type === 'train')).toHaveLength(4);
    expect(metrics.filter((l) => l.type === 'eval')).toHaveLength(2);
    // No allocation ever exceeded a cell's capacity, in training (with exploration) or evaluation.
    for (const l of metrics) expect(l.capacityViolation).toBe(0);
    const rate = metrics[0]!['constraintRate.urllc.delay-violation-rate'];
    expect(typeof rate === 'number' && rate >= 0 && rate <= 1).toBe(true);
    // Tensor count flat once learning runs (every episode after the first has updates).
    expect(new Set(tensors.slice(1)).size).toBe(1);

    const policy = await loadPolicyFromRun(runDir);
    expect(policy.id).toBe('maddpg-admm');
    const env = new SyntheticSlicingEnv(scenario);
    const layout = scenarioLayout(scenario);
    let obs = (await env.reset({ seed: 99 })).obs;
    policy.reset?.();
    let inactiveSeen = 0;
    for (let t = 0; t < scenario.episodeSteps; t++) {
      const x = await policy.act(obs, { layout, step: t });
      for (let c = 0; c < scenario.cells; c++) {
        let sum = 0;
        for (let s = 0; s < 3; s++) {
          const share = x[c * 3 + s]!;
          expect(share).toBeGreaterThanOrEqual(0);
          if (obs.data[(c * 3 + s) * FEATURES_PER_SLICE + FEATURE.active]! < 0.5) {
            expect(share).toBe(0);
            inactiveSeen++;
          }
          sum += share;
        }
        expect(sum).toBeLessThanOrEqual(1);
      }
      obs = (await env.step({ data: x, shape: [scenario.cells, 3] })).obs;
    }
    expect(inactiveSeen).toBeGreaterThan(0); // the late-joining, early-leaving slice was exercised
  });

  it('same seed gives identical metrics.jsonl, and an interrupted run resumed from its checkpoint equals an uninterrupted one', async () => {
    const scenario = tinyScenario();
    const common = { scenario, outDir: dir, seed: 7, backend: 'wasm' as const, progress: false };
    await train({ ...common, runId: 'full' });
    const partial = await train({ ...common, runId: 'part', stopAfter: 2 });
    expect(partial.finished).toBe(false);
    expect(lines(join(dir, 'part')).filter((l) => l.type === 'train')).toHaveLength(2);
    const resumed = await train({ resume: join(dir, 'part'), progress: false });
    expect(resumed.finished).toBe(true);
    expect(resumed.resumedFrom).toBe(2);
    const full = readFileSync(join(dir, 'full', 'metrics.jsonl'), 'utf8');
    expect(readFileSync(join(dir, 'part', 'metrics.jsonl'), 'utf8')).toBe(full);
    // ... and the seed matters (the comparison above can fail).
    await train({ ...common, seed: 8, runId: 'other' });
    expect(readFileSync(join(dir, 'other', 'metrics.jsonl'), 'utf8')).not.toBe(full);
  });

  it('trains on a VectorEnv: sub-envs play consecutive episodes in lockstep', async () => {
    const scenario = tinyScenario({ training: { episodes: 5, evalEvery: 0, evalEpisodes: 1 } });
    const vec = new TwoSynthetic(scenario);
    const summary = await train({ scenario, env: vec, outDir: dir, runId: 'vector', seed: 2, backend: 'wasm', progress: false });
    expect(summary.finished).toBe(true);
    // 5 episodes on 2 sub-envs: rounds of 2, 2, then 1 (the surplus sub-env's steps are not used).
    expect(summary.totalSteps).toBe(5 * scenario.episodeSteps);
    expect(vec.resetSeeds).toHaveLength(3);
    expect(new Set(vec.resetSeeds.flat()).size).toBe(6);
    const metrics = lines(join(dir, 'vector'));
    expect(metrics.map((l) => l.episode)).toEqual([1, 2, 3, 4, 5]);
    for (const l of metrics) expect(l.capacityViolation).toBe(0);
  });

  it.each(['maddpg-lagrangian', 'maddpg-rcpo', 'ddpg', 'td3'])('trains %s without violating capacity', async (agent) => {
    const scenario = tinyScenario({ agent: { id: agent, ...(agent.startsWith('maddpg') ? TINY_MADDPG : TINY_TD3) }, training: { episodes: 2, evalEvery: 2, evalEpisodes: 1 } });
    const summary = await train({ scenario, agent, outDir: dir, runId: agent, seed: 1, backend: 'wasm', progress: false });
    expect(summary.finished).toBe(true);
    expect(summary.updates).toBeGreaterThan(5);
    const metrics = lines(join(dir, agent));
    for (const l of metrics) expect(l.capacityViolation).toBe(0);
    if (agent === 'maddpg-lagrangian' || agent === 'maddpg-rcpo') {
      const last = metrics.filter((l) => l.type === 'train').at(-1)!;
      expect(typeof last['lambda.urllc']).toBe('number');
      expect(typeof last['violationRate.urllc']).toBe('number');
    }
    const policy = await loadPolicyFromRun(join(dir, agent));
    expect(policy.id).toBe(agent);
  });
});

type Obs = NdArray<Float32Array>;

/** Two synthetic envs as one vector env (autoreset disabled: the loop resets every round). */
class TwoSynthetic implements VectorEnv<Obs, Obs> {
  readonly numEnvs = 2;
  readonly autoresetMode = 'disabled' as const;
  readonly envs: SyntheticSlicingEnv[];
  readonly resetSeeds: number[][] = [];
  constructor(scenario: Scenario) {
    this.envs = [new SyntheticSlicingEnv(scenario), new SyntheticSlicingEnv(scenario)];
  }
  get singleObservationSpace() {
    return this.envs[0]!.observationSpace;
  }
  get singleActionSpace() {
    return this.envs[0]!.actionSpace;
  }
  async reset(options: { seed?: number | number[] } = {}) {
    const seeds = Array.isArray(options.seed) ? options.seed : [0, 1];
    this.resetSeeds.push(seeds);
    const results = await Promise.all(this.envs.map((e, i) => e.reset({ seed: seeds[i]! })));
    return { obs: results.map((r) => r.obs), info: results.map((r) => r.info) };
  }
  async step(actions: Obs[]) {
    const results = [];
    for (let i = 0; i < 2; i++) {
      const env = this.envs[i]!;
      results.push(env.episodeDone ? { obs: { data: env.obs.slice(), shape: [1] }, reward: 0, terminated: false, truncated: true, info: {} } : await env.step(actions[i]!));
    }
    return {
      obs: results.map((r) => r.obs as Obs),
      reward: Float64Array.from(results.map((r) => r.reward)),
      terminated: results.map((r) => r.terminated),
      truncated: results.map((r) => r.truncated),
      info: results.map((r) => r.info),
    };
  }
  async close() {}
}

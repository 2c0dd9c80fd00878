// PPO's arithmetic on hand-made numbers (clipped surrogate, GAE, masked categorical gradients),
// FedAvg as the weighted mean, and the PPO run: determinism and resume through `train()`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PpoAgent, fedAvg } from '../../src/agents/index.js';
import { addCategoricalGradient, clippedSurrogate, computeGae, maskedSoftmax } from '../../src/agents/ppo/index.js';
import { VnfEnv, loadFamilyScenario, movesToAction, type VnfScenario } from '../../src/families/index.js';
import { reportModel } from '../../src/report/index.js';
import { train } from '../../src/train/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ns3ts-ppo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PPO arithmetic', () => {
  it('GAE(λ) on a hand-made episode', () => {
    // r = [1, 0, 2], V = [0.5, 1, 1.5], episode ends after step 3; γ = 0.9, λ = 0.8.
    const { advantages, returns } = computeGae([1, 0, 2], [0.5, 1, 1.5], [0, 0, 1], 99, 0.9, 0.8);
    const d2 = 2 - 1.5;
    const d1 = 0 + 0.9 * 1.5 - 1;
    const d0 = 1 + 0.9 * 1 - 0.5;
    const a2 = d2;
    const a1 = d1 + 0.9 * 0.8 * a2;
    const a0 = d0 + 0.9 * 0.8 * a1;
    expect(Array.from(advantages)).toEqual([a0, a1, a2].map((x) => expect.closeTo(x, 12)));
    expect(Array.from(returns)).toEqual([a0 + 0.5, a1 + 1, a2 + 1.5].map((x) => expect.closeTo(x, 12)));
    // A cut rollout bootstraps from lastValue.
    expect(computeGae([1], [0], [0], 2, 0.5, 1).advantages[0]).toBeCloseTo(2, 12);
  });

  it('the clipped surrogate and its gradient on hand-made numbers', () => {
    const clip = 0.2;
    // r = 1.5 > 1 + ε with A > 0: the clipped term (1.2·A) is the minimum, no gradient.
    const high = clippedSurrogate(Math.log(1.5), 0, 2, clip);
    expect(high.loss).toBeCloseTo(-1.2 * 2, 12);
    expect(high.dLogp).toBe(0);
    expect(high.clipped).toBe(true);
    // r = 1.1 inside the band: loss −r·A, dL/dlogp = −r·A.
    const inside = clippedSurrogate(Math.log(1.1), 0, 2, clip);
    expect(inside.loss).toBeCloseTo(-2.2, 12);
    expect(inside.dLogp).toBeCloseTo(-2.2, 12);
    // r = 0.5 < 1 − ε with A < 0: the clipped term 0.8·A is the minimum, no gradient.
    const low = clippedSurrogate(Math.log(0.5), 0, -1, clip);
    expect(low.loss).toBeCloseTo(-Math.min(0.5 * -1, 0.8 * -1), 12);
    expect(low.dLogp).toBe(0);
    // r = 0.5 with A > 0: the unclipped term is the minimum (pessimistic bound), gradient −r·A.
    const lowPositive = clippedSurrogate(Math.log(0.5), 0, 1, clip);
    expect(lowPositive.loss).toBeCloseTo(-0.5, 12);
    expect(lowPositive.dLogp).toBeCloseTo(-0.5, 12);
  });

  it('masked softmax and the log-prob gradient against finite differences', () => {
    const logits = [0.3, -1, 2, 0.5];
    const mask = [1, 0, 1, 1];
    const p = maskedSoftmax(logits, mask);
    expect(p[1]).toBe(0);
    expect(p[0]! + p[2]! + p[3]!).toBeCloseTo(1, 12);
    const grad = new Float32Array(4);
    addCategoricalGradient(grad, p, 2, 1, 0.5);
    const objective = (z: number[]): number => {
      const q = maskedSoftmax(z, mask);
      const h = -[0, 2, 3].reduce((a, i) => a + q[i]! * Math.log(q[i]!), 0);
      return Math.log(q[2]!) + 0.5 * h;
    };
    for (let i = 0; i < 4; i++) {
      const up = [...logits];
      const down = [...logits];
      up[i]! += 1e-5;
      down[i]! -= 1e-5;
      expect(grad[i]).toBeCloseTo((objective(up) - objective(down)) / 2e-5, 4);
    }
  });
});

describe('FedAvg', () => {
  it('is the sample-weighted mean of the client weights', () => {
    const a = [Float32Array.of(1, 2), Float32Array.of(10)];
    const b = [Float32Array.of(3, 6), Float32Array.of(20)];
    const c = [Float32Array.of(5, 0), Float32Array.of(40)];
    const avg = fedAvg([a, b, c], [1, 2, 1]);
    expect(Array.from(avg[0]!)).toEqual([(1 + 6 + 5) / 4, (2 + 12 + 0) / 4]);
    expect(Array.from(avg[1]!)).toEqual([(10 + 40 + 40) / 4]);
    expect(() => fedAvg([a], [0])).toThrow('fedAvg counts: got [0], expected sample counts with a positive sum');
  });
});

function small(): VnfScenario {
  const s = loadFamilyScenario('vnf-twin') as VnfScenario;
  return { ...s, name: 'vnf-small', episodeSteps: 12, training: { ...s.training, episodes: 3, evalEvery: 0, evalEpisodes: 1 } };
}

describe('the PPO agent and its run', () => {
  it('masks: a sampled move is always feasible', async () => {
    const scenario = small();
    const env = new VnfEnv(scenario, { seed: 2 });
    const agent = new PpoAgent(41, 1);
    await env.reset();
    for (let t = 0; t < 12; t++) {
      const moves = agent.act(env, true, true);
      const result = await env.step(movesToAction(scenario, moves));
      expect(result.info.refused).toBe(0);
      agent.observe(result.reward, result.truncated);
    }
    const metrics = agent.update();
    expect(Number.isFinite(metrics.policyLoss) && Number.isFinite(metrics.valueLoss)).toBe(true);
  });

  it('trains through train(), the same twice, and a resumed run equals an uninterrupted one', async () => {
    const base = { scenario: small(), agent: 'ppo', seed: 5, outDir: dir, progress: false, agentSettings: { predictor: 'seasonal' } } as const;
    const full = await train({ ...base, runId: 'full' });
    expect(full.finished).toBe(true);
    expect(full.agent).toBe('ppo');
    const again = await train({ ...base, runId: 'again' });
    const metrics = (run: string): string => readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8');
    expect(metrics('again')).toBe(metrics('full'));
    const cut = await train({ ...base, runId: 'cut', stopAfter: 1 });
    expect(cut.finished).toBe(false);
    // The resume builds the agent from the settings the run recorded (the predictor among them), not from its overrides.
    const configPath = join(dir, 'cut', 'config.json');
    writeFileSync(configPath, JSON.stringify({ ...(JSON.parse(readFileSync(configPath, 'utf8')) as object), agent: { id: 'ppo', settings: {} } }));
    const resumed = await train({ resume: join(dir, 'cut'), progress: false });
    expect(resumed.finished).toBe(true);
    expect(metrics('cut')).toBe(metrics('full'));
    const log = JSON.parse(readFileSync(join(dir, 'full', 'episode-log.json'), 'utf8')) as { steps: Array<Record<string, number>> };
    expect(log.steps).toHaveLength(12);
    expect(log.steps[0]).toHaveProperty('energyKWh');
    expect(log.steps[0]).toHaveProperty('twinEnergyKWh');
  });

  it("draws the run's episode figures: energy, utilisation variance and both, per policy", async () => {
    const model = await reportModel(join(dir, 'full'));
    const ids = model.figures.map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['vnf-energy', 'vnf-load-variance', 'vnf-combined']));
    const energy = model.figures.find((f) => f.id === 'vnf-energy')!;
    const policies = new Set(((energy.spec as { data: { values: Array<{ policy: string }> } }).data.values).map((r) => r.policy));
    expect([...policies]).toEqual(['ppo', 'baseline:none', 'baseline:threshold', 'baseline:ffd']);
  });

  it('refuses a slicing agent on vnf-migration with one line', async () => {
    await expect(train({ scenario: small(), agent: 'td3', outDir: dir, progress: false })).rejects.toThrow(
      'agent td3 acts in Box action spaces; scenario vnf-small (family vnf-migration) has a MultiDiscrete(',
    );
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DqnAgent, resolveDqnSettings } from '../../src/agents/index.js';
import { AttentionEncoder } from '../../src/agents/dqn/index.js';
import { checkAgentFits } from '../../src/agents/index.js';
import { SyntheticSfcEnv, loadFamilyScenario, type SfcObservation, type SfcScenario } from '../../src/families/index.js';
import { train } from '../../src/train/index.js';
import { Rng } from '../../src/util/index.js';

const scenario = loadFamilyScenario('sfc-synthetic') as SfcScenario;
/** A small network and an early start, so a test trains in seconds. */
const SMALL = { hidden: [32, 16], streamHidden: 8, embedDim: 16, attentionHeads: 8, learningStarts: 40, batchSize: 8, trainEvery: 1, targetUpdateEvery: 10 };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function encoder(seed = 1): AttentionEncoder {
  return new AttentionEncoder({ tokenWidth: 5, tokens: 4, fixedTokens: 2, embedDim: 8, heads: 2, learningRate: 1e-3, maxBatch: 4 }, new Rng(seed));
}

describe('the attention encoder', () => {
  const batch = 2;
  const rng = new Rng(9);
  const tokens = Float32Array.from({ length: batch * 4 * 5 }, () => rng.uniform(-1, 1));
  // Row 0: all four tokens real; row 1: its last token is padding.
  const mask = Float32Array.of(1, 1, 1, 1, 1, 1, 1, 0);

  it('encodes [B, T, F] into [B, (fixed + 1) d] with attention weights [B, H, T, T] that ignore padded keys', () => {
    const enc = encoder();
    const out = enc.forward(tokens, mask, batch);
    expect(out.length).toBe(batch * enc.outputSize);
    expect(enc.outputSize).toBe(3 * 8);
    const w = enc.lastAttention()!;
    expect(w.length).toBe(batch * 2 * 4 * 4);
    for (let h = 0; h < 2; h++) {
      for (let i = 0; i < 4; i++) {
        const row = w.subarray(((1 * 2 + h) * 4 + i) * 4, ((1 * 2 + h) * 4 + i + 1) * 4);
        expect(row[3]).toBe(0);
        expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 6);
      }
    }
  });

  it('does not see what a padded token holds', () => {
    const enc = encoder();
    const a = Float32Array.from(enc.forward(tokens, mask, batch));
    const changed = Float32Array.from(tokens);
    for (let k = (1 * 4 + 3) * 5; k < (1 * 4 + 4) * 5; k++) changed[k] = 42;
    const b = enc.forward(changed, mask, batch);
    expect(Array.from(b)).toEqual(Array.from(a));
    // A real token's change does reach the output.
    changed[(1 * 4 + 2) * 5] = 42;
    expect(Array.from(enc.forward(changed, mask, batch))).not.toEqual(Array.from(a));
  });

  it('back-propagates the gradient finite differences give', () => {
    const enc = encoder(3);
    const upstream = Float32Array.from({ length: batch * enc.outputSize }, (_, k) => Math.sin(k));
    const objective = (): number => {
      const out = enc.forward(tokens, mask, batch);
      let s = 0;
      for (let k = 0; k < out.length; k++) s += out[k]! * upstream[k]!;
      return s;
    };
    objective();
    enc.backward(upstream);
    const grads = enc.trainers().map((t) => Float32Array.from(t.grads));
    enc.trainers().forEach((t, i) => {
      for (const k of [0, 7, t.params.length - 1]) {
        const p = t.params[k]!;
        const h = 1e-2;
        t.params[k] = p + h;
        const up = objective();
        t.params[k] = p - h;
        const down = objective();
        t.params[k] = p;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - grads[i]![k]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
    });
  });
});

describe('the DQN agent', () => {
  it('resolves the ablations by settings and refuses unknown ones', () => {
    expect(resolveDqnSettings({ variant: 'dqn-plain' })).toMatchObject({ double: false, dueling: false, per: false, attention: false });
    expect(resolveDqnSettings({ variant: 'dqn+per' })).toMatchObject({ double: false, dueling: false, per: true, attention: false });
    expect(resolveDqnSettings()).toMatchObject({ double: true, dueling: true, per: true, attention: true, gamma: 0.99, batchSize: 32, memorySize: 10000, learningRate: 1e-3, targetUpdateEvery: 100, clipNorm: 1, dropout: 0.2, attentionHeads: 8, perAlpha: 0.6, perBetaStart: 0.4, epsilonDecay: 0.995, epsilonEnd: 0.01 });
    expect(() => resolveDqnSettings({ variant: 'rainbow' })).toThrow('agent.variant: got "rainbow", expected one of dqn, dqn-plain, dqn+double, dqn+dueling, dqn+per, dqn+attention');
    expect(() => resolveDqnSettings({ embedDim: 12 })).toThrow('agent.embedDim: got 12, expected a multiple of attentionHeads (8)');
    expect(() => resolveDqnSettings({ gama: 0.9 })).toThrow('agent.gama: got 0.9, expected a DQN setting');
  });

  it('a resumed run that predates a setting is built as the agent was before it: one-step targets, no masking, a constant rate, the last policy kept', () => {
    const recorded: Record<string, unknown> = { ...resolveDqnSettings(SMALL), nStep: 2 };
    for (const key of ['maskInvalid', 'learningRateFinalFactor', 'validateEvery']) delete recorded[key];
    const agent = new DqnAgent(scenario, { seed: 4, recordedSettings: recorded });
    expect(agent.config).toMatchObject({ nStep: 2, maskInvalid: false, learningRateFinalFactor: 1, validateEvery: 0, hidden: [32, 16] });
    delete recorded.nStep;
    expect(new DqnAgent(scenario, { seed: 4, recordedSettings: recorded }).config.nStep).toBe(1);
  });

  it('fits family sfc and only it', () => {
    expect(() => checkAgentFits('dqn', scenario)).not.toThrow();
    expect(() => checkAgentFits('td3', scenario)).toThrow('agent td3 acts in Box action spaces; scenario sfc-synthetic (family sfc) has a Discrete(15) action space');
  });

  /** Plays `steps` env steps with the agent's exploration, returning its last metrics and a probe's Q-values. */
  async function play(agent: DqnAgent, steps: number): Promise<{ metrics: unknown[]; q: number[] }> {
    const env = new SyntheticSfcEnv(scenario);
    let { obs } = await env.reset({ seed: 5 });
    const metrics: unknown[] = [];
    for (let s = 0; s < steps; s++) {
      const action = agent.actExplore(obs);
      const r = await env.step(action);
      metrics.push(agent.observe({ obs, action, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, episode: 0, envIndex: 0, step: s }));
      obs = r.truncated ? (await env.reset({ seed: 6 })).obs : r.obs;
    }
    return { metrics, q: Array.from(agent.online.q(obs.data, 1)) };
  }

  it('is deterministic: the same seed gives the same updates', async () => {
    const a = await play(new DqnAgent(scenario, { seed: 4, settings: SMALL }), 90);
    const b = await play(new DqnAgent(scenario, { seed: 4, settings: SMALL }), 90);
    expect(b).toEqual(a);
    expect(a.metrics.filter((m) => m !== null).length).toBe(90 - SMALL.learningStarts + 1);
    const c = await play(new DqnAgent(scenario, { seed: 5, settings: SMALL }), 90);
    expect(c.q).not.toEqual(a.q);
  });

  it('resumes exactly from its state: networks, target, optimizer moments, replay, epsilon, RNG', async () => {
    const fixed = await (async () => {
      const env = new SyntheticSfcEnv(scenario);
      const rng = new Rng(1);
      const out: Array<{ obs: SfcObservation; action: number; reward: number; nextObs: SfcObservation }> = [];
      let { obs } = await env.reset({ seed: 2 });
      for (let s = 0; s < 80; s++) {
        const action = rng.int(15);
        const r = await env.step(action);
        out.push({ obs, action, reward: r.reward, nextObs: r.obs });
        obs = r.obs;
      }
      return out;
    })();
    const feed = (agent: DqnAgent, from: number, to: number): unknown[] =>
      fixed.slice(from, to).map((t, s) => agent.observe({ ...t, terminated: false, truncated: false, info: {}, episode: 0, envIndex: 0, step: from + s }));
    const a = new DqnAgent(scenario, { seed: 8, settings: SMALL });
    feed(a, 0, 50);
    const state = a.getState();
    const b = new DqnAgent(scenario, { seed: 99, settings: SMALL });
    b.setState(structuredClone(state));
    expect(b.epsilon).toBe(a.epsilon);
    const ma = feed(a, 50, 80);
    const mb = feed(b, 50, 80);
    expect(mb).toEqual(ma);
    const probe = fixed[79]!.nextObs.data;
    expect(Array.from(b.online.q(probe, 1))).toEqual(Array.from(a.online.q(probe, 1)));
    expect(Array.from(b.target.q(probe, 1))).toEqual(Array.from(a.target.q(probe, 1)));
  });

  it('trains by default on sfc-synthetic through train(), and a stopped run resumes to the same metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sfc-train-'));
    dirs.push(dir);
    const common = { scenario: 'sfc-synthetic', episodes: 3, evalEvery: 3, evalEpisodes: 1, outDir: dir, agentSettings: SMALL, progress: false };
    const whole = await train({ ...common, runId: 'whole' });
    expect(whole.agent).toBe('dqn');
    expect(whole.finished).toBe(true);
    expect(whole.totalSteps).toBe(300);
    const stopped = await train({ ...common, runId: 'split', stopAfter: 2 });
    expect(stopped.finished).toBe(false);
    // The resume builds the agent from the settings the run recorded, not from its overrides and
    // today's defaults: without the overrides it still trains as it began.
    const configPath = join(dir, 'split', 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { agent: { settings: Record<string, unknown> } };
    config.agent.settings = {};
    writeFileSync(configPath, JSON.stringify(config));
    const resumed = await train({ resume: join(dir, 'split'), progress: false });
    expect(resumed.finished).toBe(true);
    expect(resumed.resumedFrom).toBe(2);
    const read = (id: string): string => readFileSync(join(dir, id, 'metrics.jsonl'), 'utf8');
    expect(read('split')).toBe(read('whole'));
    const lines = read('whole').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The last episode is evaluated and validated (keep-the-best): its validation line names the kept episode.
    expect(lines.map((l) => l.type)).toEqual(['train', 'train', 'train', 'eval', 'validation']);
    expect(lines[3]).toHaveProperty('acceptanceRate');
    expect(lines[4]).toMatchObject({ episode: 3, improved: true, bestEpisode: 3 });
  });

  it('the family loop takes the options of train(): onRunOpen before the first episode, a pruner stopping at an evaluation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sfc-options-'));
    dirs.push(dir);
    let opened: { runDir: string; metrics: boolean } | null = null;
    const evaluations: number[] = [];
    const summary = await train({
      scenario: 'sfc-synthetic',
      episodes: 6,
      evalEvery: 2,
      evalEpisodes: 1,
      outDir: dir,
      runId: 'pruned',
      agentSettings: SMALL,
      progress: false,
      onRunOpen: (runDir) => {
        opened = { runDir, metrics: existsSync(join(runDir, 'metrics.jsonl')) };
      },
      pruneAfterEvaluation: (evaluation) => {
        evaluations.push(evaluation.episode as number);
        return evaluation.episode === 4;
      },
    });
    expect(opened).toEqual({ runDir: summary.runDir, metrics: true });
    expect(evaluations).toEqual([2, 4]);
    expect(summary.finished).toBe(false);
    expect(summary.completedEpisodes).toBe(4);
    // The pruned run ends with a checkpoint it can be resumed from.
    const resumed = await train({ resume: summary.runDir, progress: false });
    expect(resumed.resumedFrom).toBe(4);
    expect(resumed.finished).toBe(true);
  });
});

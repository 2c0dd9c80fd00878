import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BEST_CHECKPOINT_FILE, dqnPolicyFromRun, readCheckpoint } from '../../src/agents/index.js';
import { evaluateFamilyPolicy } from '../../src/eval/index.js';
import { loadFamilyScenario, type SfcScenario } from '../../src/families/index.js';
import { evaluationSeed, train, validationSeed } from '../../src/train/index.js';

const scenario = loadFamilyScenario('sfc-synthetic') as SfcScenario;
/** A small network that starts learning in the first episode, validated every 2 episodes on 1 episode. */
const SMALL = { hidden: [32, 16], streamHidden: 8, embedDim: 16, attentionHeads: 8, learningStarts: 40, batchSize: 8, trainEvery: 1, targetUpdateEvery: 10, validateEvery: 2, validationEpisodes: 1 };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const meanReturn = (r: { episodeReturns: number[] }): number => r.episodeReturns.reduce((a, b) => a + b, 0) / r.episodeReturns.length;

describe('DQN keeps the policy that scores best on the validation episodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sfc-best-'));
  dirs.push(dir);
  const common = { scenario: 'sfc-synthetic', seed: 7, episodes: 6, evalEvery: 0, outDir: dir, agentSettings: SMALL, progress: false };

  it('writes best.bin with the best validation score, loads it by default and the last on request', async () => {
    const run = await train({ ...common, runId: 'whole' });
    const best = readCheckpoint(run.runDir, BEST_CHECKPOINT_FILE);
    const validation = best.meta.validation as { seed: number; episodes: number; episode: number; meanReturn: number };
    // A stream of its own: neither the evaluation seed nor a training episode's.
    expect(validation.seed).toBe(validationSeed(7));
    expect(validation.seed).not.toBe(evaluationSeed(7));
    expect(validation.episodes).toBe(1);
    expect([2, 4, 6]).toContain(validation.episode);
    const onValidation = { episodes: 1, seed: validation.seed };
    const bestScore = meanReturn(await evaluateFamilyPolicy(scenario, await dqnPolicyFromRun(run.runDir, scenario), onValidation));
    expect(bestScore).toBeCloseTo(validation.meanReturn, 9);
    // The last policy was validated at episode 6 too: it cannot score above the best.
    const lastScore = meanReturn(await evaluateFamilyPolicy(scenario, await dqnPolicyFromRun(run.runDir, scenario, 'last'), onValidation));
    expect(lastScore).toBeLessThanOrEqual(validation.meanReturn);
    expect(readCheckpoint(run.runDir).meta.best).toEqual({ episode: validation.episode, meanReturn: validation.meanReturn });
  });

  it('a stopped run resumes to the same best.bin, byte for byte', async () => {
    await train({ ...common, runId: 'split', stopAfter: 3 });
    await train({ resume: join(dir, 'split'), progress: false });
    expect(readFileSync(join(dir, 'split', BEST_CHECKPOINT_FILE))).toEqual(readFileSync(join(dir, 'whole', BEST_CHECKPOINT_FILE)));
    expect(readFileSync(join(dir, 'split', 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'whole', 'metrics.jsonl'), 'utf8'));
  });

  it('validateEvery 0 keeps no best.bin; the run is evaluated with its last policy', async () => {
    const run = await train({ ...common, episodes: 2, runId: 'last-only', agentSettings: { ...SMALL, validateEvery: 0 } });
    expect(existsSync(join(run.runDir, BEST_CHECKPOINT_FILE))).toBe(false);
    const policy = await dqnPolicyFromRun(run.runDir, scenario);
    expect(meanReturn(await evaluateFamilyPolicy(scenario, policy, { episodes: 1, seed: 11 }))).toBeCloseTo(
      meanReturn(await evaluateFamilyPolicy(scenario, await dqnPolicyFromRun(run.runDir, scenario, 'last'), { episodes: 1, seed: 11 })),
      9,
    );
  });
});

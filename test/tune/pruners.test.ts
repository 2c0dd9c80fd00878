import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ASHA_DEFAULTS, MEDIAN_DEFAULTS, promotable, pruneOnEvaluations, shouldPrune, type PrunerTrial } from '../../src/tune/index.js';
import { train } from '../../src/train/index.js';
import { tinyScenario } from '../agents/helpers.js';

/** A trial from a curve of losses at steps 1, 2, 3, ... */
const curve = (state: PrunerTrial['state'], values: number[], steps = values.map((_, i) => i + 1)): PrunerTrial => ({
  state,
  intermediate: new Map(values.map((v, i) => [steps[i]!, v])),
});

describe('median pruner (fixed curves)', () => {
  const complete = [curve('complete', [5, 4, 3]), curve('complete', [6, 5, 4]), curve('complete', [7, 6, 5]), curve('complete', [8, 7, 6]), curve('complete', [9, 8, 7])];

  it('prunes a trial whose best value so far is worse than the median of the complete trials at that step', () => {
    // Median at step 2 is 6: a trial at 6.5 goes, one at 5.5 stays, one exactly at the median stays.
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [9, 6.5]), 2, complete)).toBe(true);
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [9, 5.5]), 2, complete)).toBe(false);
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [9, 6]), 2, complete)).toBe(false);
    // Its best so far counts: 4 at step 1 keeps it although step 2 is bad.
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [4, 9]), 2, complete)).toBe(false);
  });

  it('waits for its startup trials and warm-up steps, and only at interval steps', () => {
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [20]), 1, complete.slice(0, 4))).toBe(false);
    // Running and pruned trials do not count as startup trials.
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [20]), 1, [...complete.slice(0, 4), curve('pruned', [1]), curve('running', [1])])).toBe(false);
    expect(shouldPrune({ ...MEDIAN_DEFAULTS, nWarmupSteps: 2 }, curve('running', [20]), 1, complete)).toBe(false);
    expect(shouldPrune({ ...MEDIAN_DEFAULTS, nWarmupSteps: 2 }, curve('running', [20, 20]), 2, complete)).toBe(true);
    expect(shouldPrune({ ...MEDIAN_DEFAULTS, intervalSteps: 2 }, curve('running', [20, 20, 20]), 3, complete)).toBe(false);
    expect(shouldPrune({ ...MEDIAN_DEFAULTS, intervalSteps: 2 }, curve('running', [20, 20, 20]), 2, complete)).toBe(true);
    // No complete trial reported this step: nothing to compare with.
    expect(shouldPrune(MEDIAN_DEFAULTS, curve('running', [20, 20, 20, 20]), 4, complete)).toBe(false);
    expect(shouldPrune({ ...MEDIAN_DEFAULTS, nMinTrials: 6 }, curve('running', [20]), 1, complete)).toBe(false);
  });
});

describe('successive halving / ASHA (fixed curves)', () => {
  const asha = { ...ASHA_DEFAULTS, minResource: 1, reductionFactor: 2 };

  it('promotes a trial at a rung only when it is within the best 1/eta there', () => {
    expect(promotable(1, [1, 2, 3, 4], 2)).toBe(true);
    expect(promotable(2, [1, 2, 3, 4], 2)).toBe(true);
    expect(promotable(3, [1, 2, 3, 4], 2)).toBe(false);
    // Fewer competitors than eta: only the best goes on.
    expect(promotable(2, [2, 1], 4)).toBe(false);
    expect(promotable(1, [2, 1], 4)).toBe(true);
  });

  it('decides at rung steps minResource * eta^k, each rung once, against every trial that reached it', () => {
    const others = [curve('complete', [1, 1, 1, 1]), curve('pruned', [2]), curve('running', [3, 3])];
    // Rung 0 at step 1: competitors 1, 2, 3 and this 2.5 -> top half is [1, 2]: pruned.
    expect(shouldPrune(asha, curve('running', [2.5]), 1, others)).toBe(true);
    expect(shouldPrune(asha, curve('running', [1.5]), 1, others)).toBe(false);
    // Step 3 is no rung step (rungs at 1, 2, 4): no decision.
    expect(shouldPrune(asha, curve('running', [1.5, 1.2, 9]), 3, others)).toBe(false);
    // Rung 1 at step 2: competitors 1 (complete), 3 (running) and this 2 -> index floor(3/2)-1 = 0: only 1 goes on.
    expect(shouldPrune(asha, curve('running', [1.5, 2]), 2, others)).toBe(true);
    // A trial that reports sparser steps is judged at its first step beyond the rung (step 4 for rungs 1 and 2).
    expect(shouldPrune(asha, curve('running', [1.5, 0.5], [1, 4]), 4, others)).toBe(false);
  });

  it("finds the first rung from the first complete trial's last step with minResource auto (as Optuna)", () => {
    const long = curve('complete', Array.from({ length: 400 }, () => 1));
    // max(1, 400 / 100) = 4: step 3 is before the first rung.
    expect(shouldPrune({ ...ASHA_DEFAULTS }, curve('running', [9, 9, 9]), 3, [long])).toBe(false);
    expect(shouldPrune({ ...ASHA_DEFAULTS }, curve('running', [9, 9, 9, 9]), 4, [long])).toBe(true);
    expect(shouldPrune({ ...ASHA_DEFAULTS }, curve('running', [9]), 1, [])).toBe(false);
  });
});

describe('in-process pruning callback on training evaluations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-tune-prune-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops train() at the evaluation the pruner rejects, leaving the run unfinished', async () => {
    const scenario = tinyScenario({ training: { episodes: 4, evalEvery: 1, evalEpisodes: 1 } });
    // Five complete trials that reached a return of 1e9 at every step (as losses: −1e9): any real return is worse.
    const others = Array.from({ length: 5 }, () => curve('complete', [-1e9, -1e9, -1e9, -1e9]));
    const seen: number[] = [];
    const prune = pruneOnEvaluations(MEDIAN_DEFAULTS, 'meanReturn', 'maximize', others);
    const summary = await train({
      scenario,
      outDir: dir,
      runId: 'pruned',
      seed: 1,
      backend: 'wasm',
      progress: false,
      pruneAfterEvaluation: (line) => {
        seen.push(line.episode as number);
        return prune(line);
      },
    });
    expect(seen).toEqual([1]);
    expect(summary.completedEpisodes).toBe(1);
    expect(summary.finished).toBe(false);
  }, 60_000);
});

import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IdlaAgent, IdlaPolicy, idlaAgentEntry, resolveIdlaSettings } from '../../src/agents/idla/index.js';
import { agentIds, loadPolicyFromRun } from '../../src/agents/index.js';
import { FEATURE, FEATURES_PER_SLICE, SyntheticSlicingEnv } from '../../src/families/index.js';
import { loadScenario, scenarioLayout } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** idla-12cell shortened: 40 steps, the fourth slice joining at step 30. */
function shortScenario() {
  const base = loadScenario('idla-12cell');
  return {
    ...base,
    episodeSteps: 40,
    slices: base.slices.map((s) => (s.joinStep > 0 ? { ...s, joinStep: 30 } : s)),
    training: { ...base.training, episodes: 1, evalEvery: 0 },
  };
}

describe('idla agent', () => {
  it('is registered and validates its settings', () => {
    expect(agentIds()).toContain('idla');
    expect(() => resolveIdlaSettings({ neighbours: -1 })).toThrow(/agent\.neighbours/);
    expect(() => resolveIdlaSettings({ bogus: 1 })).toThrow(/agent\.bogus/);
    expect(() => resolveIdlaSettings({ shareInput: 'prb' })).toThrow(/agent\.shareInput/);
    // The scenario's own keys pass.
    expect(resolveIdlaSettings({ id: 'idla', collectSteps: 1000, optimizeFrom: 1000, history: 5 }).collectSteps).toBe(1000);
  });

  it('a resumed run that predates a setting is built as the agent was before it: MAE fit, no relabelling, the paper\'s starts and plain result', () => {
    const scenario = loadScenario('slicing-synthetic');
    const recorded: Record<string, unknown> = { ...resolveIdlaSettings({ epochs: 7, relabel: 1 }) };
    for (const key of ['mseWarmup', 'gridPoints', 'fillSlack']) delete recorded[key];
    const agent = idlaAgentEntry.create(scenarioLayout(scenario), scenario, { seed: 1, recordedSettings: recorded }) as IdlaAgent;
    expect(agent.config).toMatchObject({ epochs: 7, relabel: 1, mseWarmup: 0, gridPoints: 0, fillSlack: 0, neighbours: 5 });
  });

  it('ns3ts train --agent idla: collects, fits, then acts; the run loads as checkpoint:<run> and every allocation is feasible', { timeout: 120_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'idla-train-'));
    dirs.push(outDir);
    const scenario = shortScenario();
    const summary = await train({
      scenario,
      agent: 'idla',
      seed: 4,
      episodes: 1,
      outDir,
      progress: false,
      agentSettings: { collectSteps: 20, epochs: 3 },
    });
    expect(summary.finished).toBe(true);
    expect(existsSync(join(summary.runDir, 'checkpoint.bin'))).toBe(true);
    const policy = await loadPolicyFromRun(summary.runDir);
    expect(policy).toBeInstanceOf(IdlaPolicy);

    // Play the whole episode (slice 3 joins at step 30) and check every allocation.
    const env = new SyntheticSlicingEnv(scenario, { seed: 9 });
    const C = env.cells;
    const S = env.sliceCount;
    const layout = scenarioLayout(scenario);
    let obs = env.resetSync(9);
    policy.reset?.();
    let joinedShare = 0;
    for (let t = 0; !env.episodeDone; t++) {
      const shares = await policy.act({ data: obs.slice(), shape: [C, S, FEATURES_PER_SLICE] }, { layout, step: t });
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let s = 0; s < S; s++) {
          const v = shares[c * S + s]!;
          expect(Number.isFinite(v) && v >= 0).toBe(true);
          if (obs[(c * S + s) * FEATURES_PER_SLICE + FEATURE.active]! < 0.5) expect(v).toBe(0);
          sum += v;
        }
        expect(sum).toBeLessThanOrEqual(1);
      }
      if (t >= 30) for (let c = 0; c < C; c++) joinedShare += shares[c * S + 2]!;
      env.stepSync(shares);
      expect(env.lastCapacityViolation).toBe(0);
      obs = env.obs;
    }
    // The joining slice gets resources without any retraining.
    expect(joinedShare).toBeGreaterThan(0);
  });

  it('load() names the problem when a run has no IDLA estimator', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'idla-empty-'));
    dirs.push(empty);
    await expect(idlaAgentEntry.load(empty)).rejects.toThrow(/an IDLA run/);
    await expect(idlaAgentEntry.load(join(empty, 'missing'))).rejects.toThrow(/run directory/);
  });

  it('a resumed run continues as the uninterrupted one, with the settings it recorded, writing its samples where the run now is', { timeout: 120_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'idla-resume-'));
    dirs.push(outDir);
    // Collecting ends and the estimator is fitted in the second episode, after the first resume;
    // the third episode, after the second resume, searches.
    const base = { scenario: shortScenario(), agent: 'idla', seed: 4, episodes: 3, outDir, progress: false, agentSettings: { collectSteps: 60, epochs: 3 } } as const;
    await train({ ...base, runId: 'whole' });
    await train({ ...base, runId: 'cut', stopAfter: 1 });
    // Moved, and without its overrides: the defaults would collect 1000 steps and fit nothing.
    const moved = join(outDir, 'moved');
    renameSync(join(outDir, 'cut'), moved);
    const configPath = join(moved, 'config.json');
    writeFileSync(configPath, JSON.stringify({ ...(JSON.parse(readFileSync(configPath, 'utf8')) as object), agent: { id: 'idla', settings: {} } }));
    await train({ resume: moved, progress: false, stopAfter: 1 });
    await train({ resume: moved, progress: false });
    const metrics = (runDir: string): string => readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
    expect(metrics(moved)).toBe(metrics(join(outDir, 'whole')));
    expect(existsSync(join(moved, 'idla-estimator.json'))).toBe(true);
    expect(existsSync(join(outDir, 'cut'))).toBe(false);
  });
});

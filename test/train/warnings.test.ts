import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicySpec } from '../../src/eval/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { runWarnings } from '../../src/train/warnings.js';
import { setLogSink } from '../../src/util/index.js';
import { TINY_MADDPG, tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-warnings-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oneEpisode = { training: { episodes: 1, evalEvery: 0, evalEpisodes: 1 } };

async function quietly<T>(run: () => Promise<T>): Promise<{ value: T; logged: string }> {
  let logged = '';
  const previous = setLogSink((text) => (logged += text));
  try {
    return { value: await run(), logged };
  } finally {
    setLogSink(previous);
  }
}

describe('runs that would learn nothing', () => {
  it('names the warm-up, the unfitted estimator and the missing constraints; nothing for a sound run', () => {
    const scenario = tinyScenario(); // 12 steps per episode
    const warm = runWarnings({ agentId: 'maddpg-admm', settings: { warmupSteps: 200 }, scenario, episodes: 15 });
    expect(warm).toEqual([expect.stringMatching(/^maddpg-admm: the budget \(15 episodes × 12 steps = 180 env steps\) ends inside the warm-up \(warmupSteps 200\): 0 updates/)]);
    const idla = runWarnings({ agentId: 'idla', settings: { collectSteps: 1000 }, scenario, episodes: 2 });
    expect(idla).toEqual([expect.stringMatching(/collectSteps 1000\): the estimator is never fitted and the checkpoint cannot be evaluated/)]);
    const bare = { ...scenario, constraints: [] };
    for (const agentId of ['maddpg-lagrangian', 'maddpg-rcpo']) {
      expect(runWarnings({ agentId, settings: {}, scenario: bare, episodes: 100 })).toEqual([
        `${agentId}: scenario tiny-synthetic has no constraints, so the constrained agent has nothing to enforce; add constraints or use maddpg-admm`,
      ]);
    }
    expect(runWarnings({ agentId: 'maddpg-admm', settings: { warmupSteps: 6 }, scenario: bare, episodes: 1 })).toEqual([]);
  });

  it('warns at start and records the warnings in config.json and summary.json', async () => {
    const scenario = tinyScenario({ ...oneEpisode, agent: { id: 'maddpg-admm', ...TINY_MADDPG, warmupSteps: 200 } });
    const { value: summary, logged } = await quietly(() => train({ scenario, outDir: dir, runId: 'warm', progress: false }));
    expect(summary.updates).toBe(0);
    expect(summary.warnings).toHaveLength(1);
    expect(logged).toContain(`warning: ${summary.warnings[0]}`);
    const config = JSON.parse(readFileSync(join(dir, 'warm', 'config.json'), 'utf8')) as { warnings: string[] };
    const written = JSON.parse(readFileSync(join(dir, 'warm', 'summary.json'), 'utf8')) as { warnings: string[] };
    expect(config.warnings).toEqual(summary.warnings);
    expect(written.warnings).toEqual(summary.warnings);
  }, 60_000);

  it('an idla run that never fitted its estimator is refused up front, naming the run and why', async () => {
    const scenario = tinyScenario({ ...oneEpisode, agent: { id: 'idla', collectSteps: 100 } });
    const { value: summary } = await quietly(() => train({ scenario, outDir: dir, runId: 'idla-short', progress: false }));
    expect(summary.warnings.join()).toContain('collectSteps 100');
    const runDir = join(dir, 'idla-short');
    await expect(evaluatePolicySpec(scenario, `checkpoint:${runDir}`, { episodes: 1 })).rejects.toThrow(
      `checkpoint:${runDir}: unusable: the IDLA run stopped during sample collection (12 samples, fewer than its collectSteps), so its estimator was never fitted`,
    );
  }, 60_000);

  it('a checkpoint evaluated on another layout names both layouts and its training scenario', async () => {
    const scenario = tinyScenario({ ...oneEpisode, agent: { id: 'maddpg-admm', ...TINY_MADDPG } });
    await quietly(() => train({ scenario, outDir: dir, runId: 'tiny', progress: false }));
    const other = loadScenario('slicing-synthetic');
    const error = await evaluatePolicySpec(other, `checkpoint:${join(dir, 'tiny')}`, { episodes: 1 }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(error).toContain('trained on scenario tiny-synthetic with 2 cells × 3 slices (embb, urllc, mmtc)');
    expect(error).toContain(`scenario slicing-synthetic's layout, ${other.cells} cells × 3 slices`);
  }, 60_000);
});

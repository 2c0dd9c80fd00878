import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ns3ts-train-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a long in-process training run', () => {
  it('keeps its memory flat: the rollout turns the event loop, where the addon frees what it dropped', async () => {
    // The agent reloads its actors' weights after every update, and each reload drops a native
    // network that the addon's finalizer frees in a turn of the event loop. A run called without
    // a stop signal used to run on resolved promises alone and grew by about 200 KB per step.
    const scenario = loadScenario('slicing-synthetic');
    let peak = 0;
    let base = 0;
    await train({
      scenario,
      agent: 'maddpg-admm',
      seed: 3,
      episodes: 30,
      evalEvery: 0,
      outDir: dir,
      runId: 'memory',
      progress: false,
      agentSettings: { warmupSteps: 200 },
      onEpisode: (line) => {
        const rss = process.memoryUsage().rss;
        if (line.episode === 3) base = rss;
        if ((line.episode as number) > 3) peak = Math.max(peak, rss - base);
      },
    });
    // 27 episodes of updates: about 520 MB without the event loop's turns, a few MB with them.
    expect(peak / 2 ** 20).toBeLessThan(150);
  }, 120_000);
});

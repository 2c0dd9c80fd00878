import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/agents/index.js';
import { SyncVectorEnv } from '../../src/env/index.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { train } from '../../src/train/index.js';
import { tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-train-sync-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('training on a SyncVectorEnv', () => {
  it('gives the same metrics whatever the autoreset mode (the runner plays rounds and ignores autoresets)', async () => {
    const scenario = tinyScenario({ training: { episodes: 3, evalEvery: 0, evalEpisodes: 1 } });
    const files: string[] = [];
    for (const autoresetMode of ['next-step', 'same-step', 'disabled'] as const) {
      const env = new SyncVectorEnv([new SyntheticSlicingEnv(scenario), new SyntheticSlicingEnv(scenario)], { autoresetMode });
      const summary = await train({ scenario, env, outDir: dir, runId: autoresetMode, seed: 2, backend: 'wasm', progress: false });
      expect(summary.finished).toBe(true);
      expect(summary.totalSteps).toBe(3 * scenario.episodeSteps);
      files.push(readFileSync(join(dir, autoresetMode, 'metrics.jsonl'), 'utf8'));
    }
    expect(files[0]!.trim().split('\n').map((l) => (JSON.parse(l) as { episode: number }).episode)).toEqual([1, 2, 3]);
    expect(files[1]).toBe(files[0]);
    expect(files[2]).toBe(files[0]);
  }, 60_000);
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFromRun, selectBackend } from '../../src/agents/index.js';
import { createEnv, type SlicingEnv } from '../../src/families/index.js';
import { ensureNs3Build } from '../../src/remote/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';
import { TINY_MADDPG } from '../agents/helpers.js';

// A short training run against the real ns-3 slicing-lte program, through the same env API.

const hasNs3 = checkRequirement(ns3Requirement());
const dir = mkdtempSync(join(tmpdir(), 'ns3ts-train-ns3-'));
let buildDir = '';

beforeAll(async () => {
  if (!hasNs3) return;
  buildDir = (await ensureNs3Build({ log: (line) => process.stderr.write(`build-ns3: ${line}\n`) })).buildDir;
  await selectBackend('wasm');
}, 20 * 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(hasNs3)('training against ns-3 (slicing-lte)', () => {
  it('trains maddpg-admm for a few ns-3 episodes, evaluates, checkpoints, never violates capacity', async () => {
    const base = loadScenario('slicing-lte');
    const scenario: Scenario = {
      ...base,
      episodeSteps: 6,
      agent: { id: 'maddpg-admm', ...TINY_MADDPG, warmupSteps: 3, batchSize: 16 },
      training: { ...base.training, episodes: 3, evalEvery: 3, evalEpisodes: 1 },
    };
    const env: SlicingEnv = await createEnv(scenario, { seed: 4, buildDir, build: false, logDir: dir });
    try {
      const summary = await train({ scenario, env, outDir: dir, runId: 'lte', seed: 4, backend: 'wasm', progress: false });
      expect(summary.finished).toBe(true);
      expect(summary.totalSteps).toBe(18);
      expect(summary.updates).toBeGreaterThan(5);
      const lines = readFileSync(join(dir, 'lte', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.filter((l) => l.type === 'train')).toHaveLength(3);
      expect(lines.filter((l) => l.type === 'eval')).toHaveLength(1);
      for (const l of lines) {
        expect(l.capacityViolation).toBe(0);
        if (l.type === 'train') expect(Number(l.return)).toBeGreaterThan(0);
      }
      const config = JSON.parse(readFileSync(join(dir, 'lte', 'config.json'), 'utf8'));
      expect(config.scenario.env.kind).toBe('ns3');
      expect(config.versions.ns3).toMatch(/^3\./);
      expect((await loadPolicyFromRun(join(dir, 'lte'))).id).toBe('maddpg-admm');
    } finally {
      await env.close();
    }
  }, 180_000);
});

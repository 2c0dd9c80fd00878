import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluatePolicy, resolvePolicies } from '../../src/eval/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';

describe('checkpoint:<run-dir> policies', () => {
  it('evaluates the policy of a run written by the training loop', async () => {
    const scenario = loadScenario('slicing-synthetic');
    const outDir = mkdtempSync(join(tmpdir(), 'ns3ts-ckpt-'));
    await train({ scenario, agent: 'td3', episodes: 1, evalEvery: 0, outDir, runId: 'r1', progress: false, backend: 'cpu' });
    const [named] = resolvePolicies(`checkpoint:${join(outDir, 'r1')}`, scenario);
    const result = await evaluatePolicy(scenario, named!.create, { episodes: 1, seed: 2 });
    expect(result.kpis.steps).toBe(96);
    expect(result.kpis.capacityViolation).toBe(0);
    expect(result.kpis.meanUtility).toBeGreaterThan(0);
    await expect(evaluatePolicy(scenario, resolvePolicies(`checkpoint:${join(outDir, 'missing')}`, scenario)[0]!.create, { episodes: 1 })).rejects.toThrow(
      /missing/,
    );
  }, 120_000);
});

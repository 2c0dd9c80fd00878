// `ns3ts eval --policy checkpoint:<run>` on a vnf-migration scenario: a PPO run (two short
// episodes) is evaluated through the generic family evaluation, as sfc's DQN runs are.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFamilyScenario, type VnfScenario } from '../../src/families/index.js';
import { scenarioToYaml } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { killChildren, runCli } from './helpers-scenarios.js';

let dir: string;
let scenarioFile: string;
let runDir: string;


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-eval-vnf-'));
  const base = loadFamilyScenario('vnf-twin') as VnfScenario;
  const scenario: VnfScenario = { ...base, name: 'vnf-short', episodeSteps: 12, training: { ...base.training, episodes: 2, evalEvery: 0, evalEpisodes: 1 } };
  scenarioFile = join(dir, 'vnf-short.yaml');
  writeFileSync(scenarioFile, scenarioToYaml(scenario));
  const summary = await train({ scenario, agent: 'ppo', seed: 3, outDir: dir, runId: 'ppo', progress: false, agentSettings: { predictor: 'seasonal' } });
  expect(summary.finished).toBe(true);
  runDir = summary.runDir;
}, 120_000);
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

describe('ns3ts eval --policy checkpoint:<run> on vnf-migration', () => {
  it("evaluates the PPO run's greedy policy and prints finite KPIs", async () => {
    const res = await runCli(['eval', '-s', scenarioFile, '-p', `checkpoint:${runDir}`, '-e', '2', '--json', '--no-progress'], 150_000);
    expect(res.code, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { family: string; policy: string; episodes: number; steps: number; episodeReturns: number[]; kpis: Record<string, number | null> };
    expect(result.family).toBe('vnf-migration');
    expect(result.episodes).toBe(2);
    expect(result.steps).toBe(24);
    expect(result.episodeReturns.every(Number.isFinite)).toBe(true);
    const kpis = Object.entries(result.kpis);
    expect(kpis.length).toBeGreaterThan(0);
    for (const [name, value] of kpis) expect(Number.isFinite(value), `${name} = ${value}`).toBe(true);
  }, 200_000);
});

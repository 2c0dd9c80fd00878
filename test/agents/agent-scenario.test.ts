import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { readCheckpoint, selectBackend, type AgentScenario } from '../../src/agents/index.js';
import type { Scenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { tinyScenario } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-agent-scenario-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AgentScenario', () => {
  it('is the resolved scenario as agents read it: a Scenario passes as it is', () => {
    expectTypeOf<Scenario>().toMatchTypeOf<AgentScenario>();
    const scenario: AgentScenario = tinyScenario();
    expect(scenario.slices.map((s) => s.name)).toEqual(['embb', 'urllc', 'mmtc']);
  });

  it('a checkpoint records just the fields agents read', async () => {
    const scenario = tinyScenario({ agent: { id: 'td3', hidden: [8, 8], warmupSteps: 6, batchSize: 8 }, training: { episodes: 1, evalEvery: 0, evalEpisodes: 1 } });
    await train({ scenario, outDir: dir, runId: 'td3', seed: 2, backend: 'wasm', progress: false });
    const recorded = readCheckpoint(join(dir, 'td3')).meta.scenario as AgentScenario;
    expect(Object.keys(recorded)).toEqual(['name', 'slices', 'constraints', 'agent', 'episodeSteps', 'stepSeconds']);
    expect(recorded.slices).toEqual(scenario.slices.map((s) => ({ name: s.name, minShare: s.minShare, maxShare: s.maxShare })));
    expect(recorded.agent).toEqual(scenario.agent);
    expect(recorded.episodeSteps).toBe(scenario.episodeSteps);
  });
});

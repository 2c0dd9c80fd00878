import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MADDPG_DEFAULTS, selectBackend } from '../../src/agents/index.js';
import { train } from '../../src/train/index.js';
import { TINY_MADDPG, tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-resume-settings-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const agent = 'maddpg-rcpo';
const scenario = tinyScenario({ agent: { id: agent, ...TINY_MADDPG }, training: { episodes: 3, evalEvery: 0, evalEpisodes: 1 } });

async function run(runId: string, stopAfter?: number): Promise<string> {
  await train({ scenario, agent, outDir: dir, runId, seed: 3, backend: 'wasm', progress: false, agentSettings: { constraintMargin: 0.9 }, ...(stopAfter ? { stopAfter } : {}) });
  return join(dir, runId);
}

const multiplierLines = (runDir: string): unknown[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((l) => [l.episode, l['lambda.urllc'], l.return]);

describe('a resumed maddpg run keeps the constraint margin it trained with', () => {
  it('even when the settings the resume reads no longer name it (a default that changed since the run began)', async () => {
    const straight = await run('straight');
    const resumed = await run('resumed', 1);
    // The run's overrides lose the margin, as for a run begun before the setting had its current default.
    const configPath = join(resumed, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { agent: { settings: Record<string, unknown> } };
    delete config.agent.settings.constraintMargin;
    writeFileSync(configPath, JSON.stringify(config));
    await train({ resume: resumed, progress: false });
    const lines = multiplierLines(straight);
    expect(lines).toHaveLength(3);
    expect(multiplierLines(resumed)).toEqual(lines);
    // The margin moved the multiplier: with the variant's default instead, the run differs.
    expect(MADDPG_DEFAULTS.constraintMargin).toBe(0);
    const withDefault = join(dir, 'default');
    await train({ scenario, agent, outDir: dir, runId: 'default', seed: 3, backend: 'wasm', progress: false });
    expect(multiplierLines(withDefault)).not.toEqual(lines);
  }, 60_000);
});

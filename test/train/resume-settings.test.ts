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

async function run(runId: string, stopAfter?: number, agentSettings: Record<string, unknown> = { constraintMargin: 0.9 }): Promise<string> {
  await train({ scenario, agent, outDir: dir, runId, seed: 3, backend: 'wasm', progress: false, agentSettings, ...(stopAfter ? { stopAfter } : {}) });
  return join(dir, runId);
}

/** Edits a run's config.json as an older release would have written it. */
function rewriteConfig(runDir: string, edit: (config: { agent: { settings: Record<string, unknown> }; agentSettingsResolved: Record<string, unknown> }) => void): void {
  const configPath = join(runDir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Parameters<typeof edit>[0];
  edit(config);
  writeFileSync(configPath, JSON.stringify(config));
}

const multiplierLines = (runDir: string): unknown[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((l) => [l.episode, l['lambda.urllc'], l.return]);

describe('a resumed maddpg run is built from the settings it recorded', () => {
  it('even when the settings the resume reads no longer name it (a default that changed since the run began)', async () => {
    const straight = await run('straight');
    const resumed = await run('resumed', 1);
    // The run's overrides lose the margin, as for a run begun before the setting had its current default.
    rewriteConfig(resumed, (config) => delete config.agent.settings.constraintMargin);
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

  it('and a run that predates a setting keeps training as the agent did before the setting existed', async () => {
    // Before them: no margin, no clock, one multiplier step per episode, training decisions at the deployed ADMM iterations.
    const before = { constraintMargin: 0, timeOfDay: false, lambdaEvery: 1e9, exploreAdmmIterations: 4, admmIterations: 4 };
    const straight = await run('before-straight', undefined, before);
    const resumed = await run('before-resumed', 1, before);
    rewriteConfig(resumed, (config) => {
      for (const key of ['constraintMargin', 'timeOfDay', 'lambdaEvery', 'exploreAdmmIterations']) {
        delete config.agent.settings[key];
        delete config.agentSettingsResolved[key];
      }
    });
    // Without the record of how the agent behaved before, the resumed agent would read the clock its checkpoint lacks.
    await train({ resume: resumed, progress: false });
    expect(multiplierLines(resumed)).toEqual(multiplierLines(straight));
  }, 60_000);
});

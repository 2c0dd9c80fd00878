/**
 * Checkpoints and determinism on the training engine (the default backend): the same seed gives
 * the same metrics; a run stopped and resumed from its checkpoint ends byte-identical to an
 * uninterrupted one (metrics.jsonl and checkpoint.bin); a TF.js run's checkpoint loads on the
 * engine; the TypeScript fallback selected by NS3TS_NATIVE=off in a child process trains exactly
 * as `--backend ts` does here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src/train/index.js';
import { packageRoot } from '../../src/util/index.js';
import { TINY_MADDPG, TINY_TD3, tinyScenario } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-engine-resume-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (runId: string, file: string): Buffer => readFileSync(join(dir, runId, file));

describe.each([
  ['maddpg-admm', TINY_MADDPG],
  ['td3', TINY_TD3],
])('%s on the training engine', (agent, settings) => {
  const scenario = tinyScenario({ agent: { id: agent, ...settings }, training: { episodes: 4, evalEvery: 2, evalEpisodes: 1 } });
  const options = () => ({ scenario, agent, outDir: dir, seed: 11, progress: false });

  it('same seed, same metrics; stopped and resumed ends byte-identical to an uninterrupted run', async () => {
    const full = await train({ ...options(), runId: `${agent}-full` });
    expect(full.backend).toMatch(/^(native|ts)$/);
    expect(full.updates).toBeGreaterThan(20);
    await train({ ...options(), runId: `${agent}-again` });
    expect(read(`${agent}-again`, 'metrics.jsonl').equals(read(`${agent}-full`, 'metrics.jsonl'))).toBe(true);
    const part = await train({ ...options(), runId: `${agent}-part`, stopAfter: 1 });
    expect(part.finished).toBe(false);
    const resumed = await train({ resume: join(dir, `${agent}-part`), progress: false });
    expect(resumed).toMatchObject({ finished: true, resumedFrom: 1 });
    expect(read(`${agent}-part`, 'metrics.jsonl').toString()).toBe(read(`${agent}-full`, 'metrics.jsonl').toString());
    expect(read(`${agent}-part`, 'checkpoint.bin').equals(read(`${agent}-full`, 'checkpoint.bin'))).toBe(true);
  }, 120_000);

  it('a checkpoint written on TF.js resumes on the engine (one array layout)', async () => {
    await train({ ...options(), runId: `${agent}-tfjs`, backend: 'wasm', stopAfter: 2 });
    const resumed = await train({ resume: join(dir, `${agent}-tfjs`), backend: 'auto', progress: false });
    expect(resumed).toMatchObject({ finished: true, resumedFrom: 2 });
    expect(resumed.backend).toMatch(/^(native|ts)$/);
    const lines = read(`${agent}-tfjs`, 'metrics.jsonl').toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.type === 'train')).toHaveLength(4);
    for (const l of lines) if (l.type === 'train') expect(l.capacityViolation).toBe(0);
  }, 120_000);
});

describe('the TypeScript fallback in a child process (NS3TS_NATIVE=off)', () => {
  it('is what auto selects without the addon, and trains exactly as --backend ts', async () => {
    const scenario = tinyScenario({ agent: { id: 'td3', ...TINY_TD3 }, training: { episodes: 2, evalEvery: 0, evalEpisodes: 1 } });
    await train({ scenario, agent: 'td3', outDir: dir, runId: 'ts-here', seed: 3, backend: 'ts', progress: false });
    const script = `
      import { train } from './src/train/index.ts';
      import { tinyScenario, TINY_TD3 } from './test/agents/helpers.ts';
      const scenario = tinyScenario({ agent: { id: 'td3', ...TINY_TD3 }, training: { episodes: 2, evalEvery: 0, evalEpisodes: 1 } });
      const summary = await train({ scenario, agent: 'td3', outDir: ${JSON.stringify(dir)}, runId: 'ts-child', seed: 3, progress: false });
      process.stdout.write(JSON.stringify({ backend: summary.backend }));
    `;
    const env = { ...process.env, NS3TS_NATIVE: 'off' };
    const text = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: packageRoot, env, encoding: 'utf8', timeout: 90_000 });
    expect(JSON.parse(text.trim().split('\n').pop()!)).toEqual({ backend: 'ts' });
    const config = JSON.parse(read('ts-child', 'config.json').toString()) as { backend: { name: string; requested: string; fallbacks: string[] } };
    expect(config.backend).toMatchObject({ name: 'ts', requested: 'auto' });
    expect(config.backend.fallbacks[0]).toMatch(/^native: .*NS3TS_NATIVE=off/);
    expect(read('ts-child', 'metrics.jsonl').toString()).toBe(read('ts-here', 'metrics.jsonl').toString());
    expect(read('ts-child', 'checkpoint.bin').equals(read('ts-here', 'checkpoint.bin'))).toBe(true);
  }, 120_000);
});

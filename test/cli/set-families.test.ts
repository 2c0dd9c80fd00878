// `--set path=value` on train and eval for scenarios of every family: the overrides go through the
// family's own scenario reader, so a valid one changes the run and an unknown key is the reader's
// one-line error (the field, the value, what is allowed).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfCommand } from '../../src/util/index.js';

const execFileAsync = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-set-families-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const self = selfCommand();
  try {
    const { stdout, stderr } = await execFileAsync(self.command, [...self.args, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('--set on scenarios of other families', () => {
  it('eval: a valid override changes the episodes (sfc, vnf-migration); an unknown key is one line naming it', async () => {
    const [sfc, vnf, sfcUnknown, vnfUnknown] = await Promise.all([
      cli(['eval', '-s', 'sfc-synthetic', '-p', 'baseline:static', '-e', '1', '--set', 'episodeSteps=5', '--set', 'sfc.arrivals.meanPerStep=0', '--json', '--no-progress']),
      cli(['eval', '-s', 'vnf-twin', '-p', 'baseline:none', '-e', '1', '--set', 'episodeSteps=4', '--json', '--no-progress']),
      cli(['eval', '-s', 'sfc-synthetic', '-p', 'baseline:static', '--set', 'sfc.bogus=1']),
      cli(['eval', '-s', 'vnf-twin', '-p', 'baseline:none', '--set', 'vnf.migrationsPerStep=-1']),
    ]);
    expect(sfc.code, sfc.stderr).toBe(0);
    const sfcResult = JSON.parse(sfc.stdout) as { family: string; steps: number; kpis: Record<string, number | null> };
    expect(sfcResult.family).toBe('sfc');
    expect(sfcResult.steps).toBe(5);
    expect(vnf.code, vnf.stderr).toBe(0);
    expect((JSON.parse(vnf.stdout) as { family: string; steps: number }).steps).toBe(4);

    expect(sfcUnknown.code).toBe(1);
    const sfcLine = sfcUnknown.stderr.split('\n')[0]!;
    expect(sfcLine).toMatch(/^ns3ts: --set sfc\.bogus: got 1, expected no such field; allowed: /);
    expect(sfcLine).toContain('stepMinutes');
    expect(vnfUnknown.code).toBe(1);
    expect(vnfUnknown.stderr.split('\n')[0]).toMatch(/^ns3ts: --set vnf\.migrationsPerStep: got -1, expected /);
  }, 120_000);

  it('train: the override reaches the run (config.json, steps); an unknown key fails before anything is written', async () => {
    const [trained, unknown] = await Promise.all([
      cli(['train', '-s', 'vnf-twin', '-e', '1', '--set', 'episodeSteps=6', '--set', 'vnf.migrationsPerStep=1', '--set', 'agent.predictor=seasonal', '--set', 'training.evalEvery=0', '--out', dir, '--run-id', 'vnf', '--no-progress', '--json']),
      cli(['train', '-s', 'sfc-synthetic', '-e', '1', '--set', 'sfc.nope=2', '--out', dir, '--run-id', 'refused', '--no-progress']),
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect((JSON.parse(trained.stdout) as { totalSteps: number }).totalSteps).toBe(6);
    const config = JSON.parse(readFileSync(join(dir, 'vnf', 'config.json'), 'utf8')) as { scenario: { episodeSteps: number; vnf: { migrationsPerStep: number } } };
    expect(config.scenario.episodeSteps).toBe(6);
    expect(config.scenario.vnf.migrationsPerStep).toBe(1);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr.split('\n')[0]).toMatch(/^ns3ts: --set sfc\.nope: got 2, expected no such field; allowed: /);
    expect(() => readFileSync(join(dir, 'refused', 'config.json'))).toThrow();
  }, 120_000);
});

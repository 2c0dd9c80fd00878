// `--set path=value` on train and eval for scenarios of every family: the overrides go through the
// family's own scenario reader, so a valid one changes the run and an unknown key is the reader's
// one-line error (the field, the value, what is allowed).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, runCli } from './helpers-scenarios.js';

// Each command takes a few seconds; the limits leave room for a loaded machine.
const CLI_TIMEOUT_MS = 150_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-set-families-'));
});
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

describe('--set on scenarios of other families', () => {
  it('eval: a valid override changes the episodes (sfc, vnf-migration); an unknown key is one line naming it', async () => {
    const [sfc, vnf, sfcUnknown, vnfUnknown] = await Promise.all([
      runCli(['eval', '-s', 'sfc-synthetic', '-p', 'baseline:static', '-e', '1', '--set', 'episodeSteps=5', '--set', 'sfc.arrivals.meanPerStep=0', '--json', '--no-progress'], CLI_TIMEOUT_MS),
      runCli(['eval', '-s', 'vnf-twin', '-p', 'baseline:none', '-e', '1', '--set', 'episodeSteps=4', '--json', '--no-progress'], CLI_TIMEOUT_MS),
      runCli(['eval', '-s', 'sfc-synthetic', '-p', 'baseline:static', '--set', 'sfc.bogus=1'], CLI_TIMEOUT_MS),
      runCli(['eval', '-s', 'vnf-twin', '-p', 'baseline:none', '--set', 'vnf.migrationsPerStep=-1'], CLI_TIMEOUT_MS),
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
  }, 200_000);

  it('train: the override reaches the run (config.json, steps); an unknown key fails before anything is written', async () => {
    const [trained, unknown] = await Promise.all([
      runCli(['train', '-s', 'vnf-twin', '-e', '1', '--set', 'episodeSteps=6', '--set', 'vnf.migrationsPerStep=1', '--set', 'agent.predictor=seasonal', '--set', 'training.evalEvery=0', '--out', dir, '--run-id', 'vnf', '--no-progress', '--json'], CLI_TIMEOUT_MS),
      runCli(['train', '-s', 'sfc-synthetic', '-e', '1', '--set', 'sfc.nope=2', '--out', dir, '--run-id', 'refused', '--no-progress'], CLI_TIMEOUT_MS),
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect((JSON.parse(trained.stdout) as { totalSteps: number }).totalSteps).toBe(6);
    const config = JSON.parse(readFileSync(join(dir, 'vnf', 'config.json'), 'utf8')) as { scenario: { episodeSteps: number; vnf: { migrationsPerStep: number } } };
    expect(config.scenario.episodeSteps).toBe(6);
    expect(config.scenario.vnf.migrationsPerStep).toBe(1);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr.split('\n')[0]).toMatch(/^ns3ts: --set sfc\.nope: got 2, expected no such field; allowed: /);
    expect(() => readFileSync(join(dir, 'refused', 'config.json'))).toThrow();
  }, 200_000);
});

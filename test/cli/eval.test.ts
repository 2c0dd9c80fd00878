import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildren, runCli } from './helpers-scenarios.js';

afterAll(killChildren);

describe('ns3ts eval', () => {
  it('--policy all-baselines prints the baseline table, and --out writes an array, one object per policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-eval-'));
    const out = join(dir, 'all.json');
    const { code, stdout, stderr } = await runCli(['eval', '--scenario', 'slicing-synthetic', '--policy', 'all-baselines', '--episodes', '1', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^scenario slicing-synthetic, 1 episode\(s\) from seed 1, 96 steps per policy/);
    for (const name of ['static', 'proportional', 'demand', 'oracle']) expect(stdout).toMatch(new RegExp(`^baseline:${name} .* 0 `, 'm'));
    expect(stdout).toContain('QoS urllc');
    expect(stderr).toContain('eval baseline:oracle'); // progress on stderr
    const results = JSON.parse(readFileSync(out, 'utf8')) as Array<{ policy: string; kpis: { capacityViolation: number } }>;
    expect(results.map((r) => r.policy)).toEqual(['baseline:static', 'baseline:proportional', 'baseline:demand', 'baseline:oracle']);
    for (const r of results) expect(r.kpis.capacityViolation).toBe(0);
  }, 120_000);

  it('--json prints one object for a policy and writes --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-eval-'));
    const out = join(dir, 'result.json');
    const { code, stdout } = await runCli(['eval', '-s', 'slicing-synthetic', '-p', 'shares:0.5,0.3,0.2', '-e', '1', '--seed', '4', '--json', '--out', out, '--no-progress']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ scenario: 'slicing-synthetic', policy: 'shares:0.5,0.3,0.2', episodes: 1, seed: 4 });
    expect(result.kpis.capacityViolation).toBe(0);
    expect(Object.keys(result.perSlice)).toEqual(['embb', 'urllc', 'mmtc']);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
  }, 120_000);

  it('rejects a bad policy spec in one line', async () => {
    const { code, stderr } = await runCli(['eval', '-p', 'shares:0.9,0.9,0.9', '-e', '1']);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe('ns3ts: policy shares: got "0.9,0.9,0.9", expected shares summing to at most 1');
  }, 120_000);
});

import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadScenario } from '../../src/scenario/index.js';
import { killChildren, runCli } from './helpers-scenarios.js';

afterAll(killChildren);

describe('ns3ts scenarios', () => {
  it('lists the shipped scenarios with one-line descriptions', async () => {
    const { code, stdout } = await runCli(['scenarios']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^name\s+env\s+description$/);
    const row = lines.find((l) => l.startsWith('slicing-synthetic '));
    expect(row).toContain(loadScenario('slicing-synthetic').description);
    expect(lines.some((l) => l.startsWith('idla-12cell '))).toBe(true);
  }, 120_000);

  it('shows a resolved scenario as YAML and JSON', async () => {
    const [yaml, json] = await Promise.all([
      runCli(['scenarios', 'show', 'slicing-synthetic']),
      runCli(['scenarios', 'show', 'idla-12cell', '--json']),
    ]);
    expect(yaml.code).toBe(0);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(JSON.stringify(loadScenario('slicing-synthetic'))));
    expect(JSON.parse(json.stdout).slices[2]).toMatchObject({ name: 's3', joinStep: 3000, phiTarget: 1.5 });
  }, 120_000);

  it('fails in one line naming the unknown scenario', async () => {
    const { code, stderr } = await runCli(['scenarios', 'show', 'nope']);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^ns3ts: scenario: got "nope", expected a scenario name \(one of .*\)/);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario, parseOverride } from '../../src/scenario/index.js';
import { selfCommand } from '../../src/util/index.js';

const execFileAsync = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-set-'));
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

describe('--set path=value overrides', () => {
  it('one parser: path and YAML value; each override validated by the scenario schema, errors naming the path', () => {
    expect(parseOverride('slices.urllc.delayTarget=5')).toEqual({ path: 'slices.urllc.delayTarget', value: 5 });
    expect(parseOverride('agent.hidden=[32, 32]')).toEqual({ path: 'agent.hidden', value: [32, 32] });
    const base = loadScenario('slicing-synthetic');
    const changed = applyOverrides(base, ['episodeSteps=6', 'slices.urllc.delayTarget=5']);
    expect(changed.episodeSteps).toBe(6);
    expect(changed.slices.find((s) => s.name === 'urllc')!.delayTarget).toBe(5);
    expect(() => applyOverrides(base, ['episodeSteps=-3'])).toThrow(/^--set episodeSteps: got -3, expected an integer >= 1/);
    expect(() => applyOverrides(base, ['nope.x=1'])).toThrow(/^--set nope\.x \(nope\): got \{"x":1\}, expected no such field/);
    expect(() => applyOverrides(base, ['cells'])).toThrow(/^--set: got "cells", expected path=value/);
  });

  it('train, eval and sim take --set', async () => {
    const trained = await cli(['train', '--set', 'episodeSteps=6', '--set', 'training.evalEvery=0', '-e', '1', '--out', dir, '--run-id', 'set', '--no-progress', '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    expect((JSON.parse(trained.stdout) as { totalSteps: number }).totalSteps).toBe(6);
    const config = JSON.parse(readFileSync(join(dir, 'set', 'config.json'), 'utf8')) as { scenario: { episodeSteps: number } };
    expect(config.scenario.episodeSteps).toBe(6);

    const evaluated = await cli(['eval', '-p', 'baseline:static', '-e', '1', '--set', 'episodeSteps=4', '--json', '--no-progress']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect((JSON.parse(evaluated.stdout) as { kpis: { steps: number } }).kpis.steps).toBe(4);

    const refused = await cli(['eval', '-p', 'baseline:static', '--set', 'episodeSteps=0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')[0]).toMatch(/^ns3ts: --set episodeSteps: got 0, expected an integer >= 1/);

    const sim = await cli(['sim', '--set', 'cells=zero', '--endpoint', 'ipc:///nonexistent/ns3ts-set-test']);
    expect(sim.code).toBe(1);
    expect(sim.stderr.split('\n')[0]).toMatch(/^ns3ts: --set cells: got "zero", expected /);

    const resumed = await cli(['train', '--resume', join(dir, 'set'), '--set', 'episodeSteps=8']);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr.split('\n')[0]).toContain('ns3ts: --set: got "episodeSteps=8", expected no --set with --resume');
  }, 120_000);
});

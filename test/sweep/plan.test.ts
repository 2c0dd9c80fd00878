import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/util/index.js';
import {
  canonicalJson,
  expandGrid,
  loadSweepFile,
  materializeSweep,
  parseAxisValues,
  parseSweep,
  planSweep,
  readRunRecord,
  readStatus,
  runDirOf,
  runId,
} from '../../src/sweep/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-sweep-plan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const minimal = {
  name: 't',
  base: 'slicing-synthetic',
  grid: { cells: [1, 2] },
  seeds: 2,
  command: { eval: { policy: 'baseline:static', episodes: 1 } },
};

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('sweep files', () => {
  it('expands ranges inclusively without floating-point drift', () => {
    expect(parseAxisValues('g', { from: 0.1, to: 0.3, step: 0.1 })).toEqual([0.1, 0.2, 0.3]);
    expect(parseAxisValues('g', { from: 3, to: 20 })).toHaveLength(18);
    expect(parseAxisValues('g', { from: 10, to: 0, step: -5 })).toEqual([10, 5, 0]);
    expect(parseAxisValues('g', ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('takes seeds as a count (1..n) or a list', () => {
    expect(parseSweep({ ...minimal, seeds: 3 }).seeds).toEqual([1, 2, 3]);
    expect(parseSweep({ ...minimal, seeds: [7, 11] }).seeds).toEqual([7, 11]);
  });

  it('names the path of the bad field', () => {
    expect(inputError(() => parseSweep({ ...minimal, grid: { cells: { from: 1, to: 4, step: 0 } } })).field).toBe('grid["cells"].step');
    expect(inputError(() => parseSweep({ ...minimal, grid: { cells: { from: 1, to: 4, by: 1 } } })).field).toBe('grid["cells"].by');
    expect(inputError(() => parseSweep({ ...minimal, seeds: [1, -2] })).field).toBe('seeds[1]');
    expect(inputError(() => parseSweep({ ...minimal, command: { eval: { policy: 'x', seed: 3 } } })).field).toBe('command.eval.seed');
    expect(inputError(() => parseSweep({ ...minimal, command: { run: {} } })).field).toBe('command.run');
    expect(inputError(() => parseSweep({ ...minimal, grids: {} })).field).toBe('grids');
    expect(inputError(() => parseSweep({ ...minimal, grid: { 'command.eval': [1] } })).field).toBe('grid["command.eval"]');
    expect(inputError(() => parseSweep({ ...minimal, grid: { 'slices.$count': [0] } })).field).toBe('grid["slices.$count"][0]');
    expect(inputError(() => parseSweep({ ...minimal, metrics: ['a*b'] })).field).toBe('metrics[0]');
  });

  it('prefixes errors with the file name', () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'name: bad\nbase: slicing-synthetic\nseeds: [1, 1]\ncommand: {eval: {policy: baseline:static}}\n');
    const err = inputError(() => loadSweepFile(file));
    expect(err.field).toBe('bad.yaml: seeds[1]');
    expect(err.message).toContain('a seed not already in the list');
  });

  it('rejects grid values the scenario schema rejects, naming the grid path', () => {
    const spec = parseSweep({ ...minimal, grid: { 'slices.urllc.delayTarget': [10, -1] } });
    const err = inputError(() => planSweep(spec));
    expect(err.field).toContain('slices.1.delayTarget');
    expect(err.field).toContain('slices.urllc.delayTarget=-1');
    const unknown = parseSweep({ ...minimal, grid: { 'slices.nosuch.users': [1] } });
    expect(inputError(() => planSweep(unknown)).field).toBe('grid["slices.nosuch.users"]');
  });

  it('validates the shipped sweeps', () => {
    const smoke = planSweep(loadSweepFile('scenarios/sweeps/smoke.yaml'));
    expect(smoke.runs).toHaveLength(8);
    const scaling = planSweep(loadSweepFile('scenarios/sweeps/slices-scaling.yaml'));
    expect(scaling.runs.length).toBe(18 * 4 * 2 * 5);
    const counts = new Set(scaling.runs.map((r) => r.config.scenario.slices.length));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 18 }, (_, i) => i + 3));
    const twenty = scaling.runs.find((r) => r.config.scenario.slices.length === 20 && r.point['slices.*.traffic.profile'] === 'burst')!;
    const names = twenty.config.scenario.slices.map((s) => s.name);
    expect(new Set(names).size).toBe(20);
    // The profile is set before defaults are filled in, so burst slices get the burst defaults.
    expect(twenty.config.scenario.slices.every((s) => s.traffic.profile === 'burst' && s.traffic.burstProbability > 0)).toBe(true);
  });
});

describe('grid expansion and run ids', () => {
  it('expands the grid in file order, last axis fastest', () => {
    expect(expandGrid([{ path: 'a', values: [1, 2] }, { path: 'b', values: ['x', 'y'] }])).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('hashes canonical JSON: key order does not matter, values do', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
    expect(runId({ a: 1, b: 2 })).toBe(runId({ b: 2, a: 1 }));
    // A golden value: ids must not change between versions, or re-runs would redo finished work.
    // printf '{"a":1,"b":[1,2]}' | sha256sum
    expect(runId({ a: 1, b: [1, 2] })).toBe('8baa73198470c7bb');
    expect(runId({ a: 1, b: 2 })).not.toBe(runId({ a: 1, b: 3 }));
  });

  it('gives the same config the same id, and any change a new id', () => {
    const a = planSweep(parseSweep(minimal));
    const b = planSweep(parseSweep(structuredClone(minimal)));
    expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id));
    expect(new Set(a.runs.map((r) => r.id)).size).toBe(4);
    const ids = new Set(a.runs.map((r) => r.id));
    const variants = [
      { ...minimal, seeds: [3] },
      { ...minimal, set: { episodeSteps: 5 } },
      { ...minimal, command: { eval: { policy: 'baseline:static', episodes: 2 } } },
      { ...minimal, command: { eval: { policy: 'baseline:demand', episodes: 1 } } },
    ];
    for (const v of variants) {
      for (const run of planSweep(parseSweep(v)).runs) expect(ids.has(run.id)).toBe(false);
    }
    // The same resolved config reached another way is the same run.
    const viaSet = planSweep(parseSweep({ ...minimal, grid: {}, set: { cells: 2 } }));
    expect(ids.has(viaSet.runs[0]!.id)).toBe(true);
  });

  it('creates run folders with config, scenario, repro.sh and a pending status, keeping existing ones', () => {
    const plan = planSweep(parseSweep(minimal));
    const dir = join(tmp, 'sweep');
    materializeSweep(dir, plan, ['/usr/bin/node', '/opt/ns3ts/main.js']);
    const run = plan.runs[3]!;
    const runDir = runDirOf(dir, run.id);
    expect(readRunRecord(runDir)!.config).toEqual(run.config);
    expect(runId(readRunRecord(runDir)!.config)).toBe(run.id);
    expect(readStatus(runDir).state).toBe('pending');
    const repro = readFileSync(join(runDir, 'repro.sh'), 'utf8');
    expect(repro).toContain("NS3TS=${NS3TS:-'/usr/bin/node /opt/ns3ts/main.js'}");
    expect(repro).toContain(`$NS3TS eval --scenario scenario.yaml --seed ${run.seed} --policy baseline:static --json --episodes 1 > eval.stdout`);
    writeFileSync(join(runDir, 'status.json'), JSON.stringify({ state: 'done', attempts: 1, updatedAt: 'x' }));
    materializeSweep(dir, plan, ['node']);
    expect(readStatus(runDir).state).toBe('done');
  });
});

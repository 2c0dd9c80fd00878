import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  listScenarios,
  loadScenario,
  parseOverrideValue,
  parseScenario,
  parseScenarioText,
  resolveScenario,
  scenarioLayout,
  scenarioToYaml,
  setByPath,
} from '../../src/scenario/index.js';
import { InputError } from '../../src/util/index.js';

const minimal = {
  name: 'mini',
  slices: [{ name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 100 }],
};

function rejects(doc: unknown, field: string, expected: RegExp): InputError {
  let caught: unknown;
  try {
    parseScenario(doc);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const error = caught as InputError;
  expect(error.field).toBe(field);
  expect(error.expected).toMatch(expected);
  expect(error.message).toContain(field);
  return error;
}

describe('scenario schema', () => {
  it('applies defaults to a minimal scenario', () => {
    const s = parseScenario(structuredClone(minimal));
    expect(s.env).toMatchObject({ kind: 'synthetic', bandwidthMHz: 20, prbs: 100 });
    expect(s.cells).toBe(1);
    expect(s.stepSeconds).toBe(900);
    expect(s.episodeSteps).toBe(96);
    expect(s.slices[0]).toMatchObject({ minShare: 0, maxShare: 1, joinStep: 0, leaveStep: null, traffic: { profile: 'diurnal' } });
    expect(s.agent.id).toBe('maddpg-admm');
    expect(s.training).toMatchObject({ episodes: 200, evalEvery: 10, evalEpisodes: 2 });
    expect(s.events).toEqual([]);
  });

  it('rejects unknown fields with the path, the value and the allowed fields', () => {
    const e = rejects({ ...minimal, cels: 3 }, 'cels', /no such field; allowed: .*cells/);
    expect(e.message).toContain('got 3');
    rejects({ ...minimal, slices: [{ ...minimal.slices[0], phiTraget: 2 }] }, 'slices.0.phiTraget', /allowed: .*phiTarget/);
    rejects({ ...minimal, env: { kind: 'synthetic', bandwith: 20 } }, 'env.bandwith', /allowed: kind, bandwidthMHz/);
  });

  it('rejects wrong values with what is allowed', () => {
    const e = rejects({ ...minimal, slices: [{ ...minimal.slices[0], type: 'eMBB2' }] }, 'slices.0.type', /one of eMBB, URLLC, mMTC/);
    expect(e.message).toContain('"eMBB2"');
    rejects({ ...minimal, cells: 0 }, 'cells', /integer >= 1/);
    rejects({ ...minimal, cells: 2.5 }, 'cells', /integer/);
    rejects({ ...minimal, slices: [{ ...minimal.slices[0], traffic: { profile: 'spiky' } }] }, 'slices.0.traffic.profile', /diurnal, burst, outage, constant/);
    rejects({ ...minimal, slices: [{ ...minimal.slices[0], phiTarget: '2' }] }, 'slices.0.phiTarget', /number/);
    rejects({ ...minimal, slices: [] }, 'slices', /non-empty list/);
    rejects({ ...minimal, slices: [{ name: 'a', type: 'eMBB', delayTarget: 1 }] }, 'slices.0.phiTarget', /required/);
    rejects({ ...minimal, env: { kind: 'ns4' } }, 'env.kind', /synthetic, ns3/);
    rejects({ ...minimal, env: { kind: 'ns3' } }, 'env.program', /required/);
    rejects({ ...minimal, env: { kind: 'ns3', program: 'slicing-lte', bandwidthMHz: 20 } }, 'env.bandwidthMHz', /no such field/);
    rejects({ ...minimal, description: 'two\nlines' }, 'description', /one line/);
    rejects({ ...minimal, slices: [minimal.slices[0], minimal.slices[0]] }, 'slices.1.name', /not used by another/);
    rejects({ ...minimal, slices: [{ ...minimal.slices[0], minShare: 0.5, maxShare: 0.2 }] }, 'slices.0.maxShare', />= 0.5/);
    rejects({ ...minimal, slices: [{ ...minimal.slices[0], joinStep: 10, leaveStep: 5 }] }, 'slices.0.leaveStep', />= 11/);
  });

  it('checks events and constraints against the cells and slices', () => {
    rejects({ ...minimal, cells: 2, events: [{ kind: 'burst', step: 3, cells: [2] }] }, 'events.0.cells.0', /<= 1/);
    rejects({ ...minimal, events: [{ kind: 'burst', step: 3, slices: ['b'] }] }, 'events.0.slices.0', /one of a/);
    rejects({ ...minimal, events: [{ kind: 'quake', step: 3 }] }, 'events.0.kind', /burst, outage/);
    rejects({ ...minimal, constraints: [{ slice: 'b', kind: 'delay-violation-rate', limit: 0.01 }] }, 'constraints.0.slice', /one of a/);
    rejects({ ...minimal, constraints: [{ slice: 'a', kind: 'latency', limit: 0.01 }] }, 'constraints.0.kind', /delay-violation-rate/);
    const s = parseScenario({ ...minimal, events: [{ kind: 'outage', step: 5, duration: 2 }] });
    expect(s.events[0]).toEqual({ kind: 'outage', step: 5, duration: 2, cells: 'all', slices: 'all', factor: 0.2 });
  });

  it('keeps agent and training settings as open, typed records', () => {
    const s = parseScenario({ ...minimal, agent: { id: 'td3', lr: 0.001, hidden: [64, 64], shared: true, act: 'relu' }, training: { episodes: 5, batch: 32 } });
    expect(s.agent).toEqual({ id: 'td3', lr: 0.001, hidden: [64, 64], shared: true, act: 'relu' });
    expect(s.training).toMatchObject({ episodes: 5, batch: 32, evalEvery: 10 });
    rejects({ ...minimal, agent: { lr: { nested: 1 } } }, 'agent.lr', /number, string, boolean or list of numbers/);
    rejects({ ...minimal, training: { episodes: -1 } }, 'training.episodes', /integer >= 0/);
  });

  it('names the file, line and column of a YAML syntax error', () => {
    expect(() => parseScenarioText('name: x\nslices: [\n', 'bad.yaml')).toThrow(/bad\.yaml: got "line \d+ column \d+", expected valid YAML/);
  });

  it('prefixes errors of a file with its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-scenario-'));
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'slices:\n  - { name: a, type: eMBB, phiTarget: 1, delayTarget: 10, users: -3 }\n');
    expect(() => loadScenario(path)).toThrow('broken.yaml: slices.0.users: got -3, expected a number >= 0');
  });
});

describe('shipped scenarios', () => {
  const shipped = listScenarios();

  it('includes the required scenarios', () => {
    const names = shipped.map((s) => s.name);
    for (const n of ['slicing-synthetic', 'idla-12cell', 'robustness-diurnal', 'robustness-burst', 'robustness-outage']) expect(names).toContain(n);
  });

  it.each(shipped.map((s) => [s.name, s.path] as const))('%s loads by name and path, named like its file, one-line description', (name, path) => {
    const byName = loadScenario(name);
    const byPath = loadScenario(path);
    expect(byName).toEqual(byPath);
    expect(path.endsWith(`${byName.name}.yaml`)).toBe(true);
    expect(byName.description.length).toBeGreaterThan(10);
    expect(byName.description).not.toContain('\n');
    // The resolved form is a valid scenario in its own right (runs record it).
    expect(resolveScenario(byName)).toEqual(byName);
    expect(parseScenarioText(scenarioToYaml(byName))).toEqual(byName);
  });

  it('idla-12cell follows the paper', () => {
    const s = loadScenario('idla-12cell');
    expect(s.cells).toBe(12);
    expect(s.stepSeconds).toBe(900);
    expect(s.slices.map((x) => x.phiTarget)).toEqual([2, 1, 1.5, 0.5]);
    expect(s.slices.map((x) => x.joinStep)).toEqual([0, 0, 3000, 0]);
    expect(scenarioLayout(s).slices).toHaveLength(4);
  });

  it('fails on an unknown name listing the known ones', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/expected a scenario name \(one of .*slicing-synthetic/);
  });
});

describe('setByPath', () => {
  const base = loadScenario('slicing-synthetic');

  it('sets nested fields by index or slice name and validates again', () => {
    const a = setByPath(base, 'slices.0.phiTarget', 3);
    expect(a.slices[0]!.phiTarget).toBe(3);
    expect(base.slices[0]!.phiTarget).toBe(2); // the input is not modified
    const b = setByPath(base, 'slices.urllc.delayTarget', 5);
    expect(b.slices[1]!.delayTarget).toBe(5);
    expect(setByPath(base, 'agent.lr', 0.01).agent.lr).toBe(0.01);
    expect(setByPath(base, 'env.interferenceDb', 0).env).toMatchObject({ interferenceDb: 0 });
    expect(setByPath(base, 'cells', parseOverrideValue('5')).cells).toBe(5);
  });

  it('rejects invalid results and bad paths with the field', () => {
    expect(() => setByPath(base, 'slices.0.phiTarget', -1)).toThrow(/slices\.0\.phiTarget: got -1/);
    expect(() => setByPath(base, 'slices.7.phiTarget', 1)).toThrow(/slices\.7/);
    expect(() => setByPath(base, 'slices.nope.phiTarget', 1)).toThrow(/or a name/);
    expect(() => setByPath(base, 'cellz', 3)).toThrow(/cellz: got 3, expected no such field/);
    expect(() => setByPath(base, '', 3)).toThrow(/override path/);
  });

  it('parses override values as YAML', () => {
    expect(parseOverrideValue('0.5')).toBe(0.5);
    expect(parseOverrideValue('true')).toBe(true);
    expect(parseOverrideValue('[1, 2]')).toEqual([1, 2]);
    expect(parseOverrideValue('td3')).toBe('td3');
  });
});

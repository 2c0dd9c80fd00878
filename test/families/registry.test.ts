import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLICING_SPACES, agentIds, checkAgentFits, getAgentEntry } from '../../src/agents/index.js';
import { evaluateFamilyPolicy, evaluatePolicy, resolveFamilyBaselines } from '../../src/eval/index.js';
import {
  SpaceMismatchError,
  checkAcceptedSpaces,
  createBaseline,
  describeSpace,
  familyIds,
  familyOf,
  getFamily,
  loadFamilyScenario,
  parseFamilyScenario,
  registerFamily,
  resolveFamilyScenario,
  slicingFamily,
  SyntheticSlicingEnv,
} from '../../src/families/index.js';
import { runEpisodes } from '../../src/rollout/index.js';
import { parseSweep, planSweep } from '../../src/sweep/index.js';
import { listScenarios, loadScenario, type Scenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { CorridorEnv, corridorFamily, randomWalker, type CorridorScenario } from './fixtures/corridor.js';

const corridorDocument = {
  name: 'corridor-7',
  family: 'corridor',
  description: 'a corridor of 7 cells',
  env: { kind: 'synthetic' },
  episodeSteps: 30,
  seed: 4,
  corridor: { length: 7 },
};

let dir: string;
beforeAll(() => {
  registerFamily(corridorFamily);
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-families-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corridor(): CorridorScenario {
  return parseFamilyScenario(structuredClone(corridorDocument)) as CorridorScenario;
}

describe('the family registry', () => {
  it('holds slicing first and the families registered after it', () => {
    expect(familyIds()).toEqual(['slicing', 'sfc', 'vnf-migration', 'corridor']);
    expect(getFamily('corridor')).toBe(corridorFamily);
  });

  it('refuses a duplicate id', () => {
    expect(() => registerFamily(corridorFamily)).toThrow(
      'family id: got "corridor", expected an id no registered family has (registered: slicing, sfc, vnf-migration, corridor)',
    );
    expect(() => registerFamily({ ...corridorFamily, id: 'slicing' })).toThrow('family id: got "slicing", expected an id no registered family has');
  });

  it('refuses a family without env kinds or with a malformed id', () => {
    expect(() => registerFamily({ ...corridorFamily, id: 'empty', envKinds: [] })).toThrow(
      'family empty: envKinds: got [], expected a non-empty list of env kinds',
    );
    expect(() => registerFamily({ ...corridorFamily, id: 'Two Words' })).toThrow('family id: got "Two Words", expected a lowercase name');
    expect(familyIds()).toEqual(['slicing', 'sfc', 'vnf-migration', 'corridor']);
  });

  it('refuses an unknown family and an env kind the family does not have', () => {
    expect(() => parseFamilyScenario({ ...corridorDocument, family: 'maze' })).toThrow(
      'family: got "maze", expected one of slicing, sfc, vnf-migration, corridor (the registered env families)',
    );
    expect(() => getFamily('vnf', '--family')).toThrow('--family: got "vnf", expected one of slicing, sfc, vnf-migration, corridor');
    expect(() => parseFamilyScenario({ ...corridorDocument, env: { kind: 'ns3' } })).toThrow('env.kind: got "ns3", expected one of synthetic');
    expect(() => familyOf({ ...corridor(), env: { kind: 'ns3' } })).toThrow(
      'env.kind: got "ns3", expected one of synthetic (the env kinds of family corridor)',
    );
  });

  it("validates a family's scenario sections with the path, the value and what is allowed", () => {
    expect(corridor()).toMatchObject({ name: 'corridor-7', family: 'corridor', env: { kind: 'synthetic' }, episodeSteps: 30, corridor: { length: 7 } });
    expect(() => parseFamilyScenario({ ...corridorDocument, corridor: { length: 1 } })).toThrow(
      'corridor.length: got 1, expected an integer >= 2 and <= 1000',
    );
    expect(() => parseFamilyScenario({ ...corridorDocument, slices: [] })).toThrow('slices: got [], expected no such field');
    expect(() => parseFamilyScenario({ ...corridorDocument, episodeSteps: 0 })).toThrow('episodeSteps: got 0, expected an integer >= 1');
  });

  it('loads a scenario file of a registered family by path', () => {
    const path = join(dir, 'corridor.yaml');
    writeFileSync(path, 'family: corridor\ncorridor: { length: 4 }\n');
    const scenario = loadFamilyScenario(path) as CorridorScenario;
    expect(scenario).toMatchObject({ name: 'corridor', family: 'corridor', episodeSteps: 20, corridor: { length: 4 } });
    writeFileSync(path, 'family: corridor\ncorridor: { length: 4.5 }\n');
    expect(() => loadFamilyScenario(path)).toThrow('corridor.yaml: corridor.length: got 4.5, expected an integer >= 2 and <= 1000');
  });
});

describe('slicing through the registry', () => {
  it('resolves every shipped scenario as before (no family field needed)', () => {
    for (const { name } of listScenarios()) {
      const scenario = loadFamilyScenario(name);
      expect(scenario).toEqual(loadScenario(name));
      expect(familyOf(scenario)).toBe(slicingFamily);
      expect(scenario.family).toBeUndefined();
    }
  });

  it('accepts family: slicing written out and keeps it', () => {
    const scenario = resolveFamilyScenario({ ...loadScenario('slicing-synthetic'), family: 'slicing' }) as Scenario;
    expect(scenario.family).toBe('slicing');
    expect({ ...scenario, family: undefined }).toEqual({ ...loadScenario('slicing-synthetic'), family: undefined });
  });

  it("declares the spaces its envs have", async () => {
    const scenario = loadScenario('slicing-synthetic');
    const spaces = slicingFamily.spaces(scenario);
    const env = new SyntheticSlicingEnv(scenario, { seed: 1 });
    expect(spaces.observation.toJSON()).toEqual(env.observationSpace.toJSON());
    expect(spaces.action.toJSON()).toEqual(env.actionSpace.toJSON());
    await env.close();
  });

  it('evaluates a baseline through the generic path with the KPIs of evaluatePolicy', async () => {
    const scenario = loadScenario('slicing-synthetic');
    const [named] = resolveFamilyBaselines('baseline:static', scenario);
    const generic = await evaluateFamilyPolicy(scenario, named!.create, { episodes: 1, maxSteps: 6 });
    const direct = await evaluatePolicy(scenario, createBaseline('static', scenario), { episodes: 1, maxSteps: 6 });
    expect(generic.family).toBe('slicing');
    expect(generic.policy).toBe('baseline:static');
    expect(generic.episodeReturns).toEqual(direct.episodeReturns);
    expect(generic.kpis.meanUtility).toBe(direct.kpis.meanUtility);
    expect(generic.kpis.qosSatisfaction).toBe(direct.kpis.qosSatisfaction);
    expect(resolveFamilyBaselines('all-baselines', scenario).map((p) => p.id)).toEqual([
      'baseline:static',
      'baseline:proportional',
      'baseline:demand',
      'baseline:oracle',
    ]);
  });
});

describe('agents declare the spaces they accept', () => {
  it('every registered agent declares valid space kinds, and the slicing agents fit the slicing scenarios', () => {
    const scenario = loadScenario('slicing-synthetic');
    for (const id of agentIds().filter((a) => getAgentEntry(a).accepts.families?.includes('slicing') ?? true)) {
      const entry = getAgentEntry(id);
      expect(() => checkAcceptedSpaces(id, entry.accepts)).not.toThrow();
      if (entry.accepts.families?.includes('slicing') === false) continue;
      expect(entry.accepts).toEqual(SLICING_SPACES);
      expect(checkAgentFits(id, scenario)).toBe(entry);
    }
  });

  it('refuses a declaration with an unknown space kind', () => {
    expect(() => checkAcceptedSpaces('dqn', { observation: ['Box'], action: ['Categorical' as 'Discrete'] })).toThrow(
      'agent dqn: accepts.action: got ["Categorical"], expected a non-empty list of Box, Discrete, MultiDiscrete, MultiBinary, Tuple, Dict',
    );
  });

  it.each(['td3', 'maddpg-admm', 'idla'])('refuses %s on a Discrete-action family with one line', (id) => {
    expect(() => checkAgentFits(id, corridor())).toThrow(
      new SpaceMismatchError(id, 'corridor-7', 'corridor', `agent ${id} acts in Box action spaces; scenario corridor-7 (family corridor) has a Discrete(3) action space`),
    );
  });

  it('names the observation space and the family layout when those are what does not fit', () => {
    expect(() => checkAgentFits('td3', { ...corridor(), family: 'corridor' }, '--agent')).toThrow('Discrete(3) action space');
    const boxActions = { ...corridorFamily, id: 'corridor-box', spaces: () => slicingFamily.spaces(loadScenario('slicing-synthetic')) };
    registerFamily(boxActions);
    const scenario = { ...corridor(), family: 'corridor-box' };
    expect(() => checkAgentFits('td3', scenario)).toThrow('agent td3 reads the slicing layout; scenario corridor-7 (family corridor-box) has the corridor-box layout');
    expect(describeSpace(corridorFamily.spaces(corridor()).observation)).toBe('Box(float32, [1])');
  });

  it.each(['td3', 'maddpg-admm'])('train refuses %s on the corridor before it writes or builds anything', async (id) => {
    const outDir = join(dir, `runs-${id}`);
    await expect(train({ scenario: corridor(), agent: id, outDir, progress: false, backend: 'wasm' })).rejects.toThrow(
      `agent ${id} acts in Box action spaces; scenario corridor-7 (family corridor) has a Discrete(3) action space`,
    );
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
  });

  it('train refuses the same from a scenario file, before any run directory exists', async () => {
    const path = join(dir, 'corridor-7.yaml');
    writeFileSync(path, 'family: corridor\ncorridor: { length: 7 }\nagent: { id: td3 }\n');
    const outDir = join(dir, 'runs-file');
    await expect(train({ scenario: path, outDir, progress: false, backend: 'wasm' })).rejects.toThrow(
      'agent td3 acts in Box action spaces; scenario corridor-7 (family corridor) has a Discrete(3) action space',
    );
    expect(existsSync(outDir)).toBe(false);
  });
});

describe('sweeps', () => {
  it('refuse a grid that trains an agent on a family whose spaces it does not accept, before any run', () => {
    const base = join(dir, 'corridor-sweep.yaml');
    writeFileSync(base, 'name: corridor-sweep\nfamily: corridor\ncorridor: { length: 5 }\n');
    const spec = parseSweep({ name: 'walks', base, grid: { 'corridor.length': [5, 9] }, seeds: [1], command: { train: { agent: 'td3' } } });
    expect(() => planSweep(spec)).toThrow(
      'agent td3 acts in Box action spaces; scenario corridor-sweep (family corridor) has a Discrete(3) action space',
    );
  });
});

describe('a Discrete-action family on the shared paths', () => {
  it('plays a random episode through the rollout runner', async () => {
    const scenario = corridor();
    const env = await corridorFamily.createEnv(scenario);
    const walker = randomWalker(9);
    const actions: number[] = [];
    const summary = await runEpisodes(env, (obs, at) => walker.act(obs, at), {
      episodes: 1,
      seed: () => 9,
      onRoundStart: () => walker.reset?.(),
      onStep: (t) => {
        expect(env.actionSpace.contains(t.action)).toBe(true);
        actions.push(t.action);
      },
    });
    expect(summary.episodes).toBe(1);
    expect(summary.steps).toBe(actions.length);
    expect(summary.steps).toBeGreaterThanOrEqual(6);
    expect(summary.steps).toBeLessThanOrEqual(30);
  });

  it("evaluates a random policy and a baseline through eval's generic path", async () => {
    const scenario = corridor();
    const random = await evaluateFamilyPolicy(scenario, randomWalker(3), { episodes: 3 });
    expect(random).toMatchObject({ scenario: 'corridor-7', family: 'corridor', policy: 'baseline:random', episodes: 3, seed: 4 });
    expect(random.episodeReturns).toHaveLength(3);
    expect(random.steps).toBe(random.kpis.meanLength! * 3);
    const again = await evaluateFamilyPolicy(scenario, randomWalker(3), { episodes: 3 });
    expect(again.episodeReturns).toEqual(random.episodeReturns);

    const [right] = resolveFamilyBaselines('baseline:right', scenario);
    const straight = await evaluateFamilyPolicy(scenario, right!.create, { episodes: 2 });
    // Six steps to the last of 7 cells: five cost 1, the sixth pays 7.
    expect(straight.episodeReturns).toEqual([2, 2]);
    expect(straight.kpis).toEqual({ goalRate: 1, meanLength: 6 });
    expect(() => resolveFamilyBaselines('baseline:static', scenario)).toThrow(
      'policy: got "baseline:static", expected all-baselines or baseline:<random|right> (the baselines of family corridor)',
    );
  });

  it('builds its env for the scenario (not a slicing env)', async () => {
    const env = await familyOf(corridor()).createEnv(corridor());
    expect(env).toBeInstanceOf(CorridorEnv);
    expect(describeSpace(env.actionSpace)).toBe('Discrete(3)');
  });
});

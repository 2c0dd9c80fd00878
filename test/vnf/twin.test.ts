// The twin of family vnf-migration against hand-computed numbers: the power model, migration time
// and energy, capacity masks and refusals, the scenario reader's errors, and determinism.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateFamilyPolicy, resolveFamilyBaselines } from '../../src/eval/index.js';
import {
  VnfEnv,
  buildNodes,
  familyOf,
  loadFamilyScenario,
  migrationCost,
  movesToAction,
  nodePower,
  parseFamilyScenario,
  vnfFamily,
  type VnfScenario,
} from '../../src/families/index.js';
import { Rng } from '../../src/util/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ns3ts-vnf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two edge nodes under one fog node, no cloud; two VNFs with a constant demand trace. */
function tiny(extra: Record<string, unknown> = {}): VnfScenario {
  const trace = join(dir, 'trace.csv');
  writeFileSync(trace, `a,b\n${Array.from({ length: 40 }, () => '2,3').join('\n')}\n`);
  return parseFamilyScenario({
    name: 'vnf-tiny',
    family: 'vnf-migration',
    episodeSteps: 4,
    vnf: {
      tiers: {
        edge: { count: 2, capacity: 4, idleWatts: 30, maxWatts: 80, sleepWatts: 5 },
        fog: { count: 1, capacity: 10, idleWatts: 100, maxWatts: 250, sleepWatts: 15 },
        cloud: { count: 0 },
      },
      links: { edgeFog: { bandwidthMbps: 1000, latencyMs: 2, energyNjPerBit: 20 } },
      vnfs: 2,
      stateMbMin: 100,
      stateMbMax: 100,
      stepSeconds: 3600,
      stepsPerDay: 8,
      historyDays: 2,
      window: 4,
      migrationsPerStep: 1,
      lambda: 2,
      migrationCost: 0.01,
      downtimeCost: 0.001,
      overloadCost: 0,
      trace,
      ...extra,
    },
  }) as VnfScenario;
}

describe('the power model and migrations', () => {
  it('draws idle + (max − idle)·u, and sleep watts when empty', () => {
    const [edge] = buildNodes(tiny().vnf);
    expect(nodePower(edge!, 0.5, true, true)).toBe(55);
    expect(nodePower(edge!, 1.4, true, true)).toBe(80);
    expect(nodePower(edge!, 0, false, true)).toBe(5);
    expect(nodePower(edge!, 0, false, false)).toBe(30);
  });

  it('moves state over the tree path: time = bits / bottleneck + latency, energy = bits × Σ nJ/bit', () => {
    const nodes = buildNodes(tiny().vnf);
    // edge 0 -> fog 2 -> edge 1: two edge-fog links.
    const cost = migrationCost(nodes, 0, 1, 100);
    expect(cost.hops).toBe(2);
    expect(cost.seconds).toBeCloseTo(8e8 / 1e9 + 0.004, 12);
    expect(cost.downtimeSeconds).toBe(cost.seconds);
    expect(cost.energyJoules).toBeCloseTo(8e8 * 40e-9, 9);
    expect(migrationCost(nodes, 0, 0, 100)).toEqual({ seconds: 0, downtimeSeconds: 0, energyJoules: 0, hops: 0 });
  });

  it('computes a step’s energy, variance and cost by hand', async () => {
    const scenario = tiny();
    const env = new VnfEnv(scenario, { seed: 1 });
    await env.reset();
    // Demand 2 and 3 (peak reserved = the demand of a trace... the first fit from each site):
    // VNF 0 at edge 0 (site 0), VNF 1 at edge 1 (site 1).
    expect(Array.from(env.twin.placement)).toEqual([0, 1]);
    const step = await env.step(movesToAction(scenario, []));
    const u = [2 / 4, 3 / 4, 0];
    const watts = 30 + 50 * u[0]! + (30 + 50 * u[1]!) + 15;
    const energy = (watts * 3600) / 3.6e6;
    const mean = (u[0]! + u[1]! + u[2]!) / 3;
    const variance = u.reduce((a, x) => a + (x - mean) ** 2, 0) / 3;
    expect(step.info.energyKWh).toBeCloseTo(energy, 12);
    expect(step.info.loadVariance).toBeCloseTo(variance, 12);
    expect(step.reward).toBeCloseTo(-(energy + 2 * variance), 12);
  });

  it('counts a migration’s cost in the reward', async () => {
    const scenario = tiny();
    const env = new VnfEnv(scenario, { seed: 1 });
    await env.reset();
    // VNF 0 to the fog node (one edge-fog hop).
    const step = await env.step(movesToAction(scenario, [{ vnf: 0, target: 2 }]));
    const seconds = 8e8 / 1e9 + 0.002;
    const u = [0, 3 / 4, 2 / 10];
    const watts = 5 + (30 + 50 * u[1]!) + (100 + 150 * u[2]!);
    const energy = (watts * 3600) / 3.6e6;
    const mean = (u[0]! + u[1]! + u[2]!) / 3;
    const variance = u.reduce((a, x) => a + (x - mean) ** 2, 0) / 3;
    const migrationJ = 8e8 * 20e-9;
    expect(step.info.migrations).toBe(1);
    expect(step.info.downtimeSeconds).toBeCloseTo(seconds, 12);
    expect(step.info.migrationEnergyJ).toBeCloseTo(migrationJ, 9);
    expect(step.reward).toBeCloseTo(-(energy + 2 * variance + 0.01 + 0.001 * seconds + migrationJ / 3.6e6), 12);
  });
});

describe('capacity masks', () => {
  it('masks and refuses a target without room, and never plans a node beyond its capacity', async () => {
    const scenario = tiny();
    const env = new VnfEnv(scenario, { seed: 1 });
    await env.reset();
    const { vnf, load, planning, placement } = env.masksAfter([]);
    // VNF 1 (3 CPU) does not fit edge 0 (2 of 4 used); VNF 0 (2 CPU) does not fit edge 1 (3 of 4).
    expect(Array.from(env.twin.targetMask(1, load, planning, placement))).toEqual([0, 0, 1]);
    expect(Array.from(env.twin.targetMask(0, load, planning, placement))).toEqual([0, 0, 1]);
    expect(Array.from(vnf)).toEqual([1, 1, 1]);
    const step = await env.step(movesToAction(scenario, [{ vnf: 1, target: 0 }]));
    expect(step.info.refused).toBe(1);
    expect(step.info.migrations).toBe(0);
    expect(Array.from(env.twin.placement)).toEqual([0, 1]);
  });

  it('keeps every node within capacity under random masked moves on vnf-twin', async () => {
    const scenario = loadFamilyScenario('vnf-twin') as VnfScenario;
    const env = new VnfEnv({ ...scenario, episodeSteps: 24 }, { seed: 3 });
    await env.reset();
    const rng = new Rng(5);
    for (let t = 0; t < 24; t++) {
      const moves = [];
      for (let k = 0; k < scenario.vnf.migrationsPerStep; k++) {
        const m = env.masksAfter(moves);
        const candidates = Array.from(m.vnf.slice(0, -1).keys()).filter((v) => m.vnf[v]);
        if (candidates.length === 0) break;
        const v = candidates[rng.int(candidates.length)]!;
        const targets = Array.from(env.twin.targetMask(v, m.load, m.planning, m.placement).keys()).filter((n) => env.twin.targetMask(v, m.load, m.planning, m.placement)[n]);
        moves.push({ vnf: v, target: targets[rng.int(targets.length)]! });
      }
      // The plan the moves leave fits every node that received a VNF.
      const after = env.masksAfter(moves);
      for (const m of moves) expect(after.load[m.target]!).toBeLessThanOrEqual(env.twin.nodes[m.target]!.capacity + 1e-9);
      const step = await env.step(movesToAction(scenario, moves));
      expect(step.info.refused).toBe(0);
      expect(step.info.migrations).toBe(moves.length);
    }
  });
});

describe('scenarios, baselines and determinism', () => {
  it('reads vnf-twin and vnf-large through the family registry', () => {
    const twin = loadFamilyScenario('vnf-twin') as VnfScenario;
    expect(familyOf(twin)).toBe(vnfFamily);
    expect(twin.vnf.vnfs).toBe(40);
    const large = loadFamilyScenario('vnf-large') as VnfScenario;
    expect(large.vnf.vnfs).toBe(500);
    expect(large.vnf.tiers.edge.count + large.vnf.tiers.fog.count + large.vnf.tiers.cloud.count).toBe(50);
    expect(vnfFamily.spaces(twin).action.kind).toBe('MultiDiscrete');
  });

  it('refuses a bad field with its path, value and what is allowed', () => {
    expect(() => parseFamilyScenario({ name: 'x', family: 'vnf-migration', vnf: { lambda: -1 } })).toThrow('vnf.lambda: got -1, expected a number >= 0 and <= 1000000');
    expect(() => parseFamilyScenario({ name: 'x', family: 'vnf-migration', vnf: { tiers: { edge: { cores: 3 } } } })).toThrow('vnf.tiers.edge.cores: got 3, expected no such field');
    expect(() => parseFamilyScenario({ name: 'x', family: 'vnf-migration', vnf: { vnfs: 1000 } })).toThrow('vnf.vnfs: got 1000, expected at most 115');
  });

  it('evaluates every baseline the same way twice', async () => {
    const scenario = { ...(loadFamilyScenario('vnf-twin') as VnfScenario), episodeSteps: 24 };
    for (const policy of resolveFamilyBaselines('all-baselines', scenario)) {
      const a = await evaluateFamilyPolicy(scenario, policy.create, { episodes: 1, seed: 7 });
      const b = await evaluateFamilyPolicy(scenario, policy.create, { episodes: 1, seed: 7 });
      expect(a.kpis).toEqual(b.kpis);
      expect(a.kpis.objective).toBeCloseTo(-a.episodeReturns[0]!, 9);
    }
  });
});

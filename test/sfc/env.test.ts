import { describe, expect, it } from 'vitest';
import { evaluateFamilyPolicy, resolveFamilyBaselines } from '../../src/eval/index.js';
import {
  MAX_INSTANCE_GAP,
  SFC_REWARD,
  SyntheticSfcEnv,
  getFamily,
  loadFamilyScenario,
  parseFamilyScenario,
  sfcObservationLayout,
  sfcReward,
  TYPE_CAPACITY,
  TYPE_INSTANCE_GAP,
  TYPE_PENDING_MBPS,
  TYPE_TRAFFIC,
  type SfcScenario,
  type SfcStepEvents,
} from '../../src/families/index.js';
import { encodeSfcAction } from '../../src/scenario/index.js';

const scenario = loadFamilyScenario('sfc-synthetic') as SfcScenario;

function small(overrides: Record<string, unknown> = {}): SfcScenario {
  return parseFamilyScenario({
    name: 'sfc-small',
    family: 'sfc',
    episodeSteps: 10,
    seed: 1,
    sfc: {
      dataCentres: [{ name: 'dc-a', cpuCores: 8, memoryGb: 16, bandwidthMbps: 1000 }],
      initialInstances: 0,
      arrivals: { meanPerStep: 0 },
      loadJitter: 0,
      ...overrides,
    },
  }) as SfcScenario;
}

const none: SfcStepEvents = { accepted: 0, dropped: 0, invalid: 0, unnecessaryUninstall: 0, slaViolations: 0, efficiency: 0 };

describe('the six reward rules', () => {
  it('each rule on its own', () => {
    expect(sfcReward({ ...none, accepted: 1 }, 0.8)).toBe(2.0);
    expect(sfcReward({ ...none, dropped: 1 }, 0.8)).toBe(-1.5);
    expect(sfcReward({ ...none, invalid: 1 }, 0.8)).toBe(-1.0);
    expect(sfcReward({ ...none, unnecessaryUninstall: 1 }, 0.8)).toBe(-0.5);
    expect(sfcReward({ ...none, efficiency: 0.81 }, 0.8)).toBe(0.3);
    expect(sfcReward({ ...none, efficiency: 0.8 }, 0.8)).toBe(0);
    expect(sfcReward({ ...none, slaViolations: 1 }, 0.8)).toBe(-0.8);
    expect(sfcReward({ accepted: 2, dropped: 1, invalid: 1, unnecessaryUninstall: 1, slaViolations: 2, efficiency: 0.9 }, 0.8)).toBeCloseTo(4 - 1.5 - 1 - 0.5 + 0.3 - 1.6, 10);
    expect(SFC_REWARD).toEqual({ satisfied: 2.0, dropped: -1.5, invalid: -1.0, unnecessaryUninstall: -0.5, efficiencyBonus: 0.3, slaViolation: -0.8 });
  });
});

describe('the synthetic SFC env', () => {
  it('has the design\'s spaces: a fixed-size observation in three parts and Discrete(15)', async () => {
    const env = new SyntheticSfcEnv(scenario);
    const spaces = getFamily('sfc').spaces(scenario);
    expect(spaces.action.toJSON()).toEqual(env.actionSpace.toJSON());
    const layout = sfcObservationLayout(3, 32, 8);
    expect(layout.size).toBe(3 + (3 + 5) * 18 + 32 * 8 + 8 * 18);
    const { obs } = await env.reset({ seed: 3 });
    expect(obs.shape).toEqual([layout.size]);
    expect(env.observationSpace.contains(obs)).toBe(true);
    // Data-centre token 0: free CPU / 100, one instance per type spread round-robin, kind flag "data centre".
    expect(obs.data[layout.resources.offset]).toBeLessThanOrEqual(16 / 100);
    expect(Array.from(obs.data.subarray(layout.resources.offset + 15, layout.resources.offset + 18))).toEqual([1, 0, 0]);
    // VNF-type token 0 (firewall): its one-hot, whether it can scale out (room left) and in (an idle instance), kind "VNF type".
    const firewall = layout.resources.offset + 3 * 18;
    expect(Array.from(obs.data.subarray(firewall + 4, firewall + 11))).toEqual([1, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(obs.data.subarray(firewall + 15, firewall + 18))).toEqual([0, 1, 0]);
  });

  it('shows each VNF type\'s capacity against the traffic and pending requests that need it', async () => {
    const env = new SyntheticSfcEnv(small({ dataCentres: [{ name: 'dc-a', cpuCores: 16, memoryGb: 32, bandwidthMbps: 1000 }] }));
    await env.reset({ seed: 1 });
    const model = env.model;
    // Two NATs (500 Mbit/s each), one serving 300 Mbit/s; one firewall (400 Mbit/s), idle.
    await env.step(encodeSfcAction(1, 'allocate'));
    await env.step(encodeSfcAction(1, 'allocate'));
    await env.step(encodeSfcAction(0, 'allocate'));
    model.instances[0]!.currentMbps = 300;
    // Pending: 200 Mbit/s through firewall and NAT, 700 Mbit/s through IDS (none installed).
    model.pending.push({ id: 1, chain: [0, 1], bandwidthMbps: 200, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    model.pending.push({ id: 2, chain: [2], bandwidthMbps: 700, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    const obs = model.observe();
    const L = model.layout;
    const type = (t: number): number[] => {
      const o = L.resources.offset + (L.dataCentres + t) * L.tokenWidth;
      return [TYPE_CAPACITY, TYPE_TRAFFIC, TYPE_PENDING_MBPS, TYPE_INSTANCE_GAP].map((k) => obs[o + k]!);
    };
    const close = (got: number[], want: number[]): void => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));
    // NAT: 1000 installed, 300 through it, 200 pending; (300 + 200) / 500 − 2 = −1 instance: in excess.
    close(type(1), [1.0, 0.3, 0.2, -1 / MAX_INSTANCE_GAP]);
    // Firewall: 400 installed, idle, 200 pending; 200 / 400 − 1 = −0.5.
    close(type(0), [0.4, 0, 0.2, -0.5 / MAX_INSTANCE_GAP]);
    // IDS: nothing installed, 700 pending; 700 / 250 − 0 = 2.8 instances short.
    close(type(2), [0, 0, 0.7, 2.8 / MAX_INSTANCE_GAP]);
    // Load balancer: nothing installed, nothing needed.
    close(type(3), [0, 0, 0, 0]);
    // The gap is clipped at ±MAX_INSTANCE_GAP instances.
    model.pending.push({ id: 3, chain: [4], bandwidthMbps: 300 * 12, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    expect(model.observe()[L.resources.offset + (L.dataCentres + 4) * L.tokenWidth + TYPE_INSTANCE_GAP]).toBe(1);
    expect(env.observationSpace.contains({ data: model.observe(), shape: [L.size] })).toBe(true);
  });

  it('refuses an action outside Discrete(15) and a step before reset', async () => {
    const env = new SyntheticSfcEnv(scenario);
    await expect(env.step(0)).rejects.toThrow('step: got "before reset", expected reset() first');
    await env.reset({ seed: 1 });
    await expect(env.step(15)).rejects.toThrow('action: got 15, expected an integer in [0, 14]');
  });

  it('an impossible action is invalid (-1): scaling in with nothing installed, scaling out with no room', async () => {
    const env = new SyntheticSfcEnv(small());
    await env.reset({ seed: 1 });
    let r = await env.step(encodeSfcAction(2, 'uninstall'));
    expect(r.info.invalid).toBe(1);
    expect(r.reward).toBe(-1);
    // IDS needs 4 cores: two fit in 8, the third does not.
    expect((await env.step(encodeSfcAction(2, 'allocate'))).info.invalid).toBe(0);
    expect((await env.step(encodeSfcAction(2, 'allocate'))).info.invalid).toBe(0);
    r = await env.step(encodeSfcAction(2, 'allocate'));
    expect(r.info.invalid).toBe(1);
    expect(r.reward).toBe(-1);
    expect((r.info.instances as number[])[2]).toBe(2);
    // Waiting is always valid and, with nothing happening, worth 0.
    expect((await env.step(encodeSfcAction(0, 'wait'))).reward).toBe(0);
  });

  it('accepts a request whose chain fits its budget (+2), drops one past its patience (-1.5), penalises scaling in what it waits for (-0.5)', async () => {
    const env = new SyntheticSfcEnv(small({ requests: { chainLength: [1, 1], patienceSteps: 1, lifetimeSteps: [5, 5], latencyBudgetMs: [50, 50] } }));
    await env.reset({ seed: 1 });
    const model = env.model;
    model.pending.push({ id: 99, chain: [1], bandwidthMbps: 50, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    // No NAT instance yet: the request waits one step ...
    let r = await env.step(encodeSfcAction(0, 'wait'));
    expect(r.info.accepted).toBe(0);
    expect(r.info.pending).toBe(1);
    // ... scaling in the type it waits for is invalid (none idle) — install one, and it is placed.
    r = await env.step(encodeSfcAction(1, 'allocate'));
    expect(r.info.accepted).toBe(1);
    expect(r.reward).toBeCloseTo(2, 10);
    expect(model.active[0]!.delayMs).toBeCloseTo(0.5 / (1 - 50 / 500), 10);
    // A second request for NAT waits; uninstalling an idle NAT while it waits is unnecessary.
    model.pending.push({ id: 100, chain: [1], bandwidthMbps: 480, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    await env.step(encodeSfcAction(1, 'allocate'));
    // The new instance took it: check the drop rule with a request nothing can serve.
    model.pending.push({ id: 101, chain: [3], bandwidthMbps: 900, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    r = await env.step(encodeSfcAction(4, 'wait'));
    expect(r.info.dropped).toBe(0);
    r = await env.step(encodeSfcAction(4, 'wait'));
    expect(r.info.dropped).toBe(1);
    model.pending.push({ id: 102, chain: [0], bandwidthMbps: 10, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    await env.step(encodeSfcAction(0, 'allocate'));
    model.pending.push({ id: 103, chain: [0, 1], bandwidthMbps: 900, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    r = await env.step(encodeSfcAction(0, 'uninstall'));
    // The firewall instance serves request 102: nothing idle to remove → invalid, not unnecessary.
    expect(r.info.invalid).toBe(1);
    await env.step(encodeSfcAction(0, 'allocate'));
    model.pending.push({ id: 104, chain: [0, 1], bandwidthMbps: 900, latencyBudgetMs: 50, priority: 5, lifetimeSteps: 5, waited: 0 });
    r = await env.step(encodeSfcAction(0, 'uninstall'));
    expect(r.info.unnecessaryUninstall).toBe(1);
    expect(r.info.invalid).toBe(0);
  });

  it('counts an SLA violation (-0.8) when load pushes an SFC past its budget, and the efficiency bonus above 80%', async () => {
    const env = new SyntheticSfcEnv(small({ requests: { chainLength: [1, 1], lifetimeSteps: [9, 9], latencyBudgetMs: [50, 50] } }));
    await env.reset({ seed: 1 });
    await env.step(encodeSfcAction(2, 'allocate'));
    const model = env.model;
    // IDS: 3 ms at idle, capacity 250 Mbit/s. 240 Mbit/s: 3 / (1 − 0.96) = 75 ms > the 70 ms budget.
    model.pending.push({ id: 1, chain: [2], bandwidthMbps: 240, latencyBudgetMs: 80, priority: 5, lifetimeSteps: 9, waited: 0 });
    let r = await env.step(encodeSfcAction(0, 'wait'));
    expect(r.info.accepted).toBe(1);
    expect(r.info.efficiency).toBeCloseTo(0.96, 10);
    expect(r.reward).toBeCloseTo(2 + 0.3, 10);
    model.active[0]!.latencyBudgetMs = 70;
    r = await env.step(encodeSfcAction(0, 'wait'));
    expect(r.info.slaViolations).toBe(1);
    expect(r.reward).toBeCloseTo(0.3 - 0.8, 10);
    // Counted once per SFC.
    expect((await env.step(encodeSfcAction(0, 'wait'))).info.slaViolations).toBe(0);
  });

  it('is deterministic: the same seed gives the same episode and the same KPIs', async () => {
    const [threshold] = resolveFamilyBaselines('baseline:threshold', scenario);
    const a = await evaluateFamilyPolicy(scenario, threshold!.create, { episodes: 2, seed: 11 });
    const b = await evaluateFamilyPolicy(scenario, threshold!.create, { episodes: 2, seed: 11 });
    const c = await evaluateFamilyPolicy(scenario, threshold!.create, { episodes: 2, seed: 12 });
    expect(b.kpis).toEqual(a.kpis);
    expect(b.episodeReturns).toEqual(a.episodeReturns);
    expect(c.episodeReturns).not.toEqual(a.episodeReturns);
  });

  it('evaluates every baseline with the family\'s KPIs', async () => {
    const policies = resolveFamilyBaselines('all-baselines', scenario);
    expect(policies.map((p) => p.id)).toEqual(['baseline:threshold', 'baseline:greedy', 'baseline:static']);
    const result = await evaluateFamilyPolicy(scenario, policies[0]!.create, { episodes: 1, seed: 5 });
    expect(Object.keys(result.kpis)).toEqual(['acceptanceRate', 'utilisation', 'cpuHours', 'meanDelayMs', 'p95DelayMs', 'slaViolations', 'dropped', 'invalidActions', 'meanReward']);
    expect(result.kpis.acceptanceRate).toBeGreaterThan(0.3);
    expect(result.steps).toBe(100);
  });

  it('refuses a bad scenario field with one line naming it', () => {
    expect(() => small({ maxPending: 0 })).toThrow('sfc.maxPending: got 0, expected an integer >= 1 and <= 64');
    expect(() => small({ requests: { chainLength: [3, 2] } })).toThrow('sfc.requests.chainLength[1]: got 2, expected an integer >= 3 and <= 4');
    expect(() => small({ vnfs: { router: {} } })).toThrow('sfc.vnfs.router: got {}, expected no such field; allowed: firewall, nat, ids, load-balancer, wan-optimizer');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ns3SfcEnv } from '../../src/families/sfc/ns3-env.js';
import { getFamily, loadFamilyScenario, parseFamilyScenario, sfcObservationLayout, thresholdPolicy, type SfcScenario } from '../../src/families/index.js';
import { ensureNs3Build, processAlive } from '../../src/remote/index.js';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';

// The sfc-ns3 program end to end: a short episode with the threshold autoscaler, delays and loads
// measured in ns-3, and the simulator gone after close().

const hasNs3 = checkRequirement(ns3Requirement());
const logDir = mkdtempSync(join(tmpdir(), 'ns3ts-sfc-ns3-test-'));

beforeAll(async () => {
  if (hasNs3) await ensureNs3Build();
}, 20 * 60_000);

afterAll(() => rmSync(logDir, { recursive: true, force: true }));

/** The sfc-ns3 scenario, shortened, with more arrivals so that loads reach the queueing region. */
function shortScenario(steps: number, meanPerStep: number): SfcScenario {
  const base = loadFamilyScenario('sfc-ns3') as SfcScenario;
  return parseFamilyScenario({ ...base, episodeSteps: steps, sfc: { ...base.sfc, arrivals: { ...base.sfc.arrivals, meanPerStep } } }) as SfcScenario;
}

/** Base delay of a chain without queueing: the instances' processing times and the inter-DC hops, ms. */
function baseDelayMs(scenario: SfcScenario, instances: readonly { type: number; dc: number }[]): number {
  let d = 0;
  instances.forEach((instance, k) => {
    d += scenario.sfc.vnfs[instance.type]!.processingMs;
    if (k > 0 && instances[k - 1]!.dc !== instance.dc) d += scenario.sfc.interDcDelayMs;
  });
  return d;
}

describe.skipIf(!hasNs3)('sfc-ns3: the SFC family co-simulated in ns-3', () => {
  it('a 15-step episode: observation layout, delays measured in ns-3 and growing with load, clean exit', async () => {
    const scenario = shortScenario(15, 6);
    const family = getFamily('sfc');
    const env = (await family.createEnv(scenario, { seed: 3, runDir: logDir })) as Ns3SfcEnv;
    expect(env).toBeInstanceOf(Ns3SfcEnv);
    const layout = sfcObservationLayout(scenario.sfc.dataCentres.length, scenario.sfc.maxActive, scenario.sfc.maxPending);
    const policy = thresholdPolicy(scenario);
    const excess: { load: number; excessMs: number }[] = [];
    let measured = 0;
    let pid = 0;
    try {
      const reset = await env.reset({ seed: 3 });
      let obs = reset.obs;
      pid = reset.info.simProcessId as number;
      expect(pid).toBeGreaterThan(0);
      expect(obs.shape).toEqual([layout.size]);
      let truncated = false;
      let steps = 0;
      while (!truncated) {
        const action = await policy.act(obs, { step: steps, episode: 0 } as never);
        const result = await env.step(action);
        obs = result.obs;
        truncated = result.truncated;
        steps++;
        expect(obs.shape).toEqual([layout.size]);
        expect(obs.data.every((v) => Number.isFinite(v))).toBe(true);
        expect(result.info.reason).toBeUndefined();
        measured += result.info.measuredDelays as number;
        for (const sfc of env.model.active) {
          // Every measured delay covers at least the processing and propagation it cannot avoid.
          const base = baseDelayMs(scenario, sfc.instances);
          expect(sfc.delayMs).toBeGreaterThan(0.9 * base);
          const load = Math.max(...sfc.instances.map((i) => env.model.load(i)));
          excess.push({ load, excessMs: sfc.delayMs - base });
        }
      }
      expect(steps).toBe(15);
    } finally {
      await env.close();
    }
    expect(processAlive(pid), `simulator ${pid} still runs`).toBe(false);
    expect(measured).toBeGreaterThan(10);
    // Queueing: SFCs through busy instances wait longer than those through lightly loaded ones.
    excess.sort((a, b) => a.load - b.load);
    const third = Math.floor(excess.length / 3);
    const mean = (xs: { excessMs: number }[]): number => xs.reduce((s, x) => s + x.excessMs, 0) / xs.length;
    const light = mean(excess.slice(0, third));
    const busy = mean(excess.slice(-third));
    expect(third).toBeGreaterThan(5);
    expect(busy).toBeGreaterThan(light);
  }, 60_000);

  it('same seed, same actions: the same episode (model and simulator seeded alike)', async () => {
    const scenario = shortScenario(6, 4);
    const env = (await getFamily('sfc').createEnv(scenario, { seed: 5, runDir: logDir })) as Ns3SfcEnv;
    const actions = [0, 14, 6, 2, 9, 14];
    const play = async (): Promise<Float32Array[]> => {
      await env.reset({ seed: 5 });
      const out: Float32Array[] = [];
      for (const a of actions) out.push((await env.step(a)).obs.data.slice());
      return out;
    };
    try {
      const first = await play();
      const second = await play();
      expect(second).toEqual(first);
      expect(first.some((obs) => obs.some((v, i) => i >= env.model.layout.active.offset && v > 0))).toBe(true);
    } finally {
      await env.close();
    }
  }, 30_000);
});

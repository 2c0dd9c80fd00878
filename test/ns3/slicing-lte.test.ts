import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NdArray } from '../../src/env/index.js';
import { FEATURE, FEATURES_PER_SLICE, createEnv, rewardFromObservation, type SlicingEnv } from '../../src/families/index.js';
import { ensureNs3Build, processAlive } from '../../src/remote/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';

// Real ns-3 episodes of the slicing-lte program through the TypeScript env.

const hasNs3 = checkRequirement(ns3Requirement());
const logDir = mkdtempSync(join(tmpdir(), 'ns3ts-ns3-test-'));
const simPids = new Set<number>();
let buildDir = '';

type Obs = NdArray<Float32Array>;

/** slicing-lte with `cells` cells (1 site) and `steps` steps; other fields as in the scenario file. */
function scenario(cells: number, steps: number, args: Record<string, number | string> = {}): Scenario {
  const base = loadScenario('slicing-lte');
  const env = base.env.kind === 'ns3' ? base.env : (undefined as never);
  return { ...base, cells, episodeSteps: steps, env: { ...env, args: { ...env.args, sites: 1, sectors: cells, ...args } } };
}

async function open(s: Scenario, seed = 1): Promise<SlicingEnv> {
  return createEnv(s, { seed, buildDir, build: false, logDir });
}

function action(cells: number, perCell: number[]): Obs {
  const data = new Float32Array(cells * perCell.length);
  for (let c = 0; c < cells; c++) data.set(perCell, c * perCell.length);
  return { data, shape: [cells, perCell.length] };
}

function feature(obs: Obs, cell: number, slice: number, name: keyof typeof FEATURE): number {
  const slices = obs.shape[1]!;
  return obs.data[(cell * slices + slice) * FEATURES_PER_SLICE + FEATURE[name]]!;
}

function track(info: Record<string, unknown>): void {
  if (typeof info.simProcessId === 'number') simPids.add(info.simProcessId);
}

/** Runs an episode with a fixed action; returns the observations after each step. */
async function runEpisode(env: SlicingEnv, perCell: number[], cells: number, seed?: number): Promise<Obs[]> {
  const reset = await env.reset(seed === undefined ? {} : { seed });
  track(reset.info);
  const out: Obs[] = [];
  for (;;) {
    const step = await env.step(action(cells, perCell));
    out.push(step.obs);
    if (step.truncated || step.terminated) return out;
  }
}

beforeAll(async () => {
  if (!hasNs3) return;
  const result = await ensureNs3Build({ log: (line) => process.stderr.write(`build-ns3: ${line}\n`) });
  buildDir = result.buildDir;
  expect(result.programs).toContain('slicing-lte');
}, 20 * 60_000);

afterAll(() => {
  // No simulator left behind by any test.
  for (const pid of simPids) expect(processAlive(pid), `simulator ${pid} still runs`).toBe(false);
  rmSync(logDir, { recursive: true, force: true });
});

describe.runIf(hasNs3)('slicing-lte (ns-3)', () => {
  it('runs an episode end to end: spaces, observation features, reward, info, SimulationEnd', async () => {
    const s = loadScenario('slicing-lte');
    const env = await createEnv(s, { seed: 3, buildDir, build: false, logDir });
    try {
      expect(env.observationSpace.toJSON()).toMatchObject({ shape: [s.cells, 3, FEATURES_PER_SLICE] });
      const reset = await env.reset();
      track(reset.info);
      expect(reset.obs.shape).toEqual([s.cells, 3, FEATURES_PER_SLICE]);
      expect(reset.info).toMatchObject({ slices: ['embb', 'urllc', 'mmtc'], sliceTypes: ['eMBB', 'URLLC', 'mMTC'], cells: s.cells, step: 0 });
      // First step ran under equal shares; every slice has users in every cell.
      for (let c = 0; c < s.cells; c++) {
        for (let k = 0; k < 3; k++) {
          expect(feature(reset.obs, c, k, 'share')).toBeCloseTo(1 / 3, 5);
          expect(feature(reset.obs, c, k, 'active')).toBe(1);
          expect(feature(reset.obs, c, k, 'phiTarget')).toBeCloseTo(s.slices[k]!.phiTarget, 5);
          expect(feature(reset.obs, c, k, 'delayTarget')).toBeCloseTo(s.slices[k]!.delayTarget, 5);
        }
        // eMBB is active, offers about 2 users x 3 Mbit/s, receives something.
        expect(feature(reset.obs, c, 0, 'offeredLoad')).toBeGreaterThan(4);
        expect(feature(reset.obs, c, 0, 'throughput')).toBeGreaterThan(0);
        expect(feature(reset.obs, c, 0, 'meanCqi')).toBeGreaterThan(0);
        expect(feature(reset.obs, c, 0, 'prbUtilization')).toBeGreaterThan(0.3);
        expect(feature(reset.obs, c, 0, 'p95Delay')).toBeGreaterThanOrEqual(feature(reset.obs, c, 0, 'meanDelay'));
      }
      let steps = 0;
      for (;;) {
        const step = await env.step(action(s.cells, [0.6, 0.2, 0.2]));
        steps++;
        expect(step.reward).toBeCloseTo(rewardFromObservation(step.obs.data, s.cells, 3), 4);
        expect(feature(step.obs, 0, 0, 'share')).toBeCloseTo(0.6, 5);
        expect(step.info.projected).toBe(false);
        const kpis = step.info.kpis as Record<string, number[][]>;
        expect(kpis.throughput![0]![0]).toBeCloseTo(feature(step.obs, 0, 0, 'throughput'), 3);
        // 25 RBs = 12 RBGs of 2 RBs: 0.6/0.2/0.2 -> 7.2/2.4/2.4 -> 7, 3, 2 (largest remainder, tie to the lower index).
        expect((step.info.rbgs as number[][])[0]).toEqual([7, 3, 2]);
        if (step.truncated || step.terminated) {
          expect(step.truncated).toBe(true);
          expect(step.info.reason).toBe('SimulationEnd');
          break;
        }
      }
      expect(steps).toBe(s.episodeSteps);
    } finally {
      await env.close();
    }
  }, 60_000);

  it('giving the saturated eMBB slice a larger share raises its throughput (the FFR hook works)', async () => {
    const mean = async (embbShare: number): Promise<number> => {
      // 20 Mbit/s per eMBB user: more than the whole cell carries, at every share.
      const env = await open(scenario(1, 5, { embbRate: 20 }));
      try {
        const rest = (1 - embbShare) / 2;
        const obs = await runEpisode(env, [embbShare, rest, rest], 1);
        // Skip the first step after the change (HARQ/CQI transients); eMBB stays saturated.
        const values = obs.slice(1).map((o) => feature(o, 0, 0, 'throughput'));
        for (const o of obs) {
          expect(feature(o, 0, 0, 'offeredLoad')).toBeGreaterThan(feature(o, 0, 0, 'throughput') * 2);
          expect(feature(o, 0, 0, 'share')).toBeCloseTo(embbShare, 5);
        }
        return values.reduce((a, b) => a + b, 0) / values.length;
      } finally {
        await env.close();
      }
    };
    const none = await mean(0);
    const low = await mean(0.2);
    const high = await mean(0.8);
    // No RBGs, no data: the scheduler keeps the slice's UEs out of the other slices' RBGs.
    expect(none).toBe(0);
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(2 * low);
  }, 90_000);

  it('is deterministic for a seed, and another seed gives another network', async () => {
    // The first observation and those after two steps with the same actions.
    const first = async (seed: number): Promise<number[]> => {
      const env = await open(scenario(1, 3));
      try {
        const reset = await env.reset({ seed });
        track(reset.info);
        expect(reset.info.seed).toBe(seed);
        const out = [...reset.obs.data];
        for (const shares of [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]) out.push(...(await env.step(action(1, shares))).obs.data);
        return out;
      } finally {
        await env.close();
      }
    };
    const a = await first(7);
    const b = await first(7);
    const c = await first(8);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  }, 60_000);

  it('projects an infeasible action on the simulator side and logs it', async () => {
    const env = await open(scenario(1, 3));
    try {
      track((await env.reset()).info);
      const step = await env.step(action(1, [0.9, 0.9, 0.2]));
      expect(step.info.projected).toBe(true);
      const shares = [0, 1, 2].map((k) => feature(step.obs, 0, k, 'share'));
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // The Euclidean projection of 0.9/0.9/0.2 onto the simplex (theta 0.4), not a rescale.
      expect(shares[0]).toBeCloseTo(0.5, 5);
      expect(shares[2]).toBeCloseTo(0, 5);
      const next = await env.step(action(1, [0.5, 0.3, 0.2]));
      expect(next.info.projected).toBe(false);
    } finally {
      await env.close();
    }
    const logs = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8'));
    expect(logs.some((text) => text.includes('infeasible shares'))).toBe(true);
  }, 60_000);

  it('a simulator killed mid-episode is detected (truncated, reason), the next reset restarts it, none is left', async () => {
    const env = await open(scenario(1, 20));
    try {
      const reset = await env.reset();
      track(reset.info);
      const pid = reset.info.simProcessId as number;
      expect(processAlive(pid)).toBe(true);
      expect((await env.step(action(1, [0.4, 0.3, 0.3]))).truncated).toBe(false);
      process.kill(pid, 'SIGKILL');
      const cut = await env.step(action(1, [0.4, 0.3, 0.3]));
      expect(cut.truncated).toBe(true);
      expect(cut.info.reason).toBe('simulator-exited');
      expect(String(cut.info.error)).toContain('SIGKILL');
      expect(cut.info).toMatchObject({ exitCode: null, exitSignal: 'SIGKILL' });
      const again = await env.reset();
      track(again.info);
      expect(again.info.simProcessId).not.toBe(pid);
      expect((await env.step(action(1, [0.4, 0.3, 0.3]))).truncated).toBe(false);
    } finally {
      await env.close();
    }
    for (const pid of simPids) expect(processAlive(pid)).toBe(false);
  }, 60_000);
});

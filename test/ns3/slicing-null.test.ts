import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NdArray } from '../../src/env/index.js';
import { FEATURES_PER_SLICE, createEnv, type SlicingEnv } from '../../src/families/index.js';
import { createNs3VectorEnv, ensureNs3Build, processAlive } from '../../src/remote/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { selfCommand } from '../../src/util/index.js';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';

// The slicing-null program (same spaces, no network), a hung simulator, and `ns3ts eval` on slicing-lte.

const hasNs3 = checkRequirement(ns3Requirement());
const logDir = mkdtempSync(join(tmpdir(), 'ns3ts-ns3-null-test-'));
const simPids = new Set<number>();
let buildDir = '';

type Obs = NdArray<Float32Array>;

function nullScenario(steps: number): Scenario {
  return { ...loadScenario('slicing-null'), episodeSteps: steps };
}

function action(cells: number, perCell: number[]): Obs {
  const data = new Float32Array(cells * perCell.length);
  for (let c = 0; c < cells; c++) data.set(perCell, c * perCell.length);
  return { data, shape: [cells, perCell.length] };
}

beforeAll(async () => {
  if (!hasNs3) return;
  buildDir = (await ensureNs3Build()).buildDir;
}, 20 * 60_000);

afterAll(() => {
  for (const pid of simPids) expect(processAlive(pid), `simulator ${pid} still runs`).toBe(false);
  rmSync(logDir, { recursive: true, force: true });
});

describe.runIf(hasNs3)('slicing-null (ns-3)', () => {
  it('has the slicing spaces and partitions 12 RBGs by largest remainder', async () => {
    const s = nullScenario(9);
    const env: SlicingEnv = await createEnv(s, { buildDir, build: false, logDir });
    try {
      const reset = await env.reset();
      simPids.add(reset.info.simProcessId as number);
      expect(reset.obs.shape).toEqual([s.cells, 3, FEATURES_PER_SLICE]);
      expect(reset.info).toMatchObject({ slices: ['embb', 'urllc', 'mmtc'], cells: s.cells });
      // shares -> RBG counts of 12 (floor, then the rest to the largest remainders, ties to the lower index)
      const cases: Array<[number[], number[]]> = [
        [[0.6, 0.2, 0.2], [7, 3, 2]],
        [[0.34, 0.33, 0.33], [4, 4, 4]],
        [[0.1, 0.1, 0.1], [1, 1, 1]],
        [[0.5, 0.25, 0.25], [6, 3, 3]],
        [[0, 0, 1], [0, 0, 12]],
        [[0.05, 0.05, 0.05], [1, 0, 0]],
        [[0, 0, 0], [0, 0, 0]],
        [[0.3, 0.3, 0.3], [4, 3, 3]],
      ];
      for (const [shares, rbgs] of cases) {
        const step = await env.step(action(s.cells, shares));
        expect((step.info.rbgs as number[][])[0], `shares ${shares.join(',')}`).toEqual(rbgs);
      }
      const last = await env.step(action(s.cells, [0.4, 0.3, 0.3]));
      expect(last.truncated).toBe(true);
      expect(last.info.reason).toBe('SimulationEnd');
    } finally {
      await env.close();
    }
  }, 30_000);

  it('a hung simulator (SIGSTOP) ends its episode truncated after the step timeout and is replaced on reset', async () => {
    const s = nullScenario(50);
    const env: SlicingEnv = await createEnv(s, { buildDir, build: false, logDir, stepTimeoutMs: 3000 });
    try {
      const reset = await env.reset();
      const pid = reset.info.simProcessId as number;
      simPids.add(pid);
      process.kill(pid, 'SIGSTOP');
      const cut = await env.step(action(s.cells, [0.4, 0.3, 0.3]));
      expect(cut.truncated).toBe(true);
      expect(typeof cut.info.reason).toBe('string');
      const again = await env.reset();
      simPids.add(again.info.simProcessId as number);
      expect(again.info.simProcessId).not.toBe(pid);
      expect(processAlive(pid)).toBe(false);
      expect((await env.step(action(s.cells, [0.4, 0.3, 0.3]))).truncated).toBe(false);
    } finally {
      await env.close();
    }
  }, 30_000);

  it('serves several simulators as one vector env on one endpoint (env i seeded seed + i)', async () => {
    const s = nullScenario(3);
    const venv = await createNs3VectorEnv(s, { numEnvs: 2, seed: 20, buildDir, build: false, logDir });
    try {
      const reset = await venv.reset();
      const pids = reset.info.map((i) => i.simProcessId as number);
      pids.forEach((pid) => simPids.add(pid));
      expect(new Set(pids).size).toBe(2);
      expect(reset.info.map((i) => i.seed)).toEqual([20, 21]);
      expect(reset.obs[0]!.shape).toEqual([s.cells, 3, FEATURES_PER_SLICE]);
      const step = await venv.step([action(s.cells, [0.5, 0.3, 0.2]), action(s.cells, [0.2, 0.3, 0.5])]);
      expect(step.truncated).toEqual([false, false]);
      expect((step.info[0]!.rbgs as number[][])[0]).toEqual([6, 4, 2]);
      expect((step.info[1]!.rbgs as number[][])[0]).toEqual([2, 4, 6]);
    } finally {
      await venv.close();
    }
  }, 30_000);

  it('a simulator that dies during set-up fails reset at once with its exit status and log (not after the connect timeout)', async () => {
    const base = nullScenario(3);
    if (base.env.kind !== 'ns3') throw new Error('ns3');
    const bad = { ...base, env: { ...base.env, args: { ...base.env.args, bandwidth: 7 } } };
    const env: SlicingEnv = await createEnv(bad, { buildDir, build: false, logDir, initTimeoutMs: 120_000 });
    try {
      await expect(env.reset()).rejects.toThrow(/exited \(signal SIGABRT\) before its first state[\s\S]*--bandwidth: got 7/);
    } finally {
      await env.close();
    }
  }, 20_000);

  it('ns3ts eval runs a shares policy on slicing-lte and prints per-slice KPIs as JSON', async () => {
    const self = selfCommand();
    const { stdout } = await promisify(execFile)(
      self.command,
      [...self.args, 'eval', '--scenario', 'slicing-lte', '--policy', 'shares:0.6,0.2,0.2', '--episodes', '1', '--json'],
      { env: { ...process.env, NS3TS_BUILD_DIR: buildDir }, timeout: 120_000 },
    );
    const result = JSON.parse(stdout) as { scenario: string; episodes: number; perSlice: Record<string, { meanShare: number; meanThroughput: number }> };
    expect(result.scenario).toBe('slicing-lte');
    expect(result.episodes).toBe(1);
    expect(Object.keys(result.perSlice)).toEqual(['embb', 'urllc', 'mmtc']);
    expect(result.perSlice.embb!.meanShare).toBeCloseTo(0.6, 4);
    expect(result.perSlice.embb!.meanThroughput).toBeGreaterThan(0);
  }, 150_000);
});

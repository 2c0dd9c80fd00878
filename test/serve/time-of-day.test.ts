// Serving policies that read the time of day (agent setting timeOfDay, the default): a request's
// `secondsOfDay` reaches the actors, so checkpoint:<run> answers with the policy's own allocation at
// that time, and another time gives another allocation; without the field the server acts for its
// local time. A run trained with timeOfDay: false serves, and exports, as before: the field changes
// nothing. (ONNX exports of time-of-day runs against checkpoint:<run>: onnx-source.test.ts.)
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmmPolicy, CellActorPolicy, loadPolicyFromRun } from '../../src/agents/index.js';
import { exportRun, readOnnxMetadata } from '../../src/export/index.js';
import { FEATURES_PER_SLICE, SLICE_FEATURES } from '../../src/families/index.js';
import { localSecondsOfDay, ServeApp } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, SLICES, sliceRow, trainRun } from './fixtures.js';

const AGENTS = ['td3', 'maddpg-admm'] as const;
const clockRuns: Record<string, string> = {};
const plainRuns: Record<string, string> = {};
const servers: ServeApp[] = [];

beforeAll(async () => {
  for (const agent of AGENTS) {
    clockRuns[agent] = await trainRun(agent);
    plainRuns[agent] = await trainRun(agent, undefined, undefined, { timeOfDay: false });
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(policy: string): Promise<ServeApp> {
  const server = await ServeApp.create({ policy, processMetrics: false });
  servers.push(server);
  return server;
}

type Allocations = { allocations: Array<{ shares: number[] }> };

async function allocate(server: ServeApp, cells: number[][][], secondsOfDay?: number): Promise<number[][]> {
  const res = await server.app.inject({ method: 'POST', url: '/v1/allocate', payload: secondsOfDay === undefined ? { cells } : { cells, secondsOfDay } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as Allocations).allocations.map((a) => a.shares);
}

/** The loaded policy's own allocation of `cells` (its training layout) at a time of day, from a cold ADMM start. */
async function policyShares(runDir: string, cells: number[][][], secondsOfDay?: number): Promise<number[][]> {
  const policy = await loadPolicyFromRun(runDir);
  if (!(policy instanceof AdmmPolicy || policy instanceof CellActorPolicy)) throw new Error(`unexpected policy ${policy.id}`);
  if (policy instanceof AdmmPolicy) policy.reset();
  const obs = { data: Float32Array.from(cells.flat(2)), shape: [cells.length, SLICES, FEATURES_PER_SLICE] };
  const act = policy.act(obs, { layout: policy.layout, step: 0, ...(secondsOfDay === undefined ? {} : { secondsOfDay }) });
  return cells.map((_, c) => Array.from(act.subarray(c * SLICES, (c + 1) * SLICES)));
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, c) => row.forEach((v, s) => (worst = Math.max(worst, Math.abs(v - b[c]![s]!)))));
  return worst;
}

/** Cells of the training layout (3), one slice inactive. */
function layoutCells(seed: number): number[][][] {
  const rng = new Rng(seed);
  const cells = randomCells(rng, 3);
  cells[1]![2] = sliceRow(rng, 0);
  return cells;
}

describe('serve: time of day', () => {
  for (const agent of AGENTS) {
    it(`${agent}: /v1/allocate at secondsOfDay gives policy.act at that time, and another time another allocation`, async () => {
      const server = await serve(`checkpoint:${clockRuns[agent]}`);
      expect(server.metadata.timeOfDay).toBe(true);
      // The time is a field of its own, not a feature of a row: rows keep their 12 features.
      expect(server.metadata.features).toEqual(SLICE_FEATURES);
      const cells = layoutCells(agent.length);
      const at: Record<number, number[][]> = {};
      for (const secondsOfDay of [3 * 3600, 15 * 3600 + 1800.5]) {
        at[secondsOfDay] = await allocate(server, cells, secondsOfDay);
        expect(maxAbsDiff(at[secondsOfDay]!, await policyShares(clockRuns[agent]!, cells, secondsOfDay)), `${secondsOfDay} s`).toBeLessThanOrEqual(1e-6);
      }
      // The clock matters to these actors (else the agreement above would say nothing about it).
      expect(maxAbsDiff(at[3 * 3600]!, at[15 * 3600 + 1800.5]!)).toBeGreaterThan(1e-4);
    }, 30_000);
  }

  it('without secondsOfDay, a model with a clock acts for the server local time', async () => {
    const server = await serve(`checkpoint:${clockRuns.td3}`);
    const cells = layoutCells(9);
    // Retried when the clock turns a second during the request.
    for (let attempt = 0; ; attempt++) {
      const before = localSecondsOfDay();
      const served = await allocate(server, cells);
      if (localSecondsOfDay() !== before && attempt < 3) continue;
      expect(served).toEqual(await allocate(server, cells, before));
      break;
    }
  });

  for (const agent of AGENTS) {
    it(`${agent} trained with timeOfDay: false serves and exports as before; secondsOfDay changes nothing`, async () => {
      const runDir = plainRuns[agent]!;
      const model = join(runDir, '..', `${agent}-plain.onnx`);
      await exportRun(runDir, { format: 'onnx', out: model });
      const exported = readOnnxMetadata(model);
      expect(exported.schemaVersion).toBe(1);
      expect('clock' in exported).toBe(false);
      expect(exported.normFeatures).toBe(15);
      expect(exported.inputs.map((i) => i.name)).toEqual(agent === 'td3' ? ['obs'] : ['obs', 'target', 'rho']);
      const checkpoint = await serve(`checkpoint:${runDir}`);
      const onnx = await serve(`onnx:${model}`);
      expect(checkpoint.metadata.timeOfDay).toBe(false);
      expect(onnx.metadata.timeOfDay).toBe(false);
      const cells = layoutCells(agent.length + 1);
      const shares = await allocate(checkpoint, cells);
      expect(maxAbsDiff(shares, await policyShares(runDir, cells))).toBeLessThanOrEqual(1e-6);
      for (const secondsOfDay of [undefined, 0, 50_000]) {
        expect(await allocate(checkpoint, cells, secondsOfDay)).toEqual(shares);
        expect(maxAbsDiff(await allocate(onnx, cells, secondsOfDay), shares)).toBeLessThanOrEqual(1e-5);
      }
    }, 30_000);
  }
});

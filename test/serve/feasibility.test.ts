// Feasibility by construction: 10,000 random and adversarial cells through /v1/allocate of a td3
// and a maddpg-admm model trained with share floors and caps, and a model whose raw outputs are
// themselves adversarial (NaN, ±Infinity, huge, negative) under over-subscribed floors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE, FEATURES_PER_SLICE, SLICE_FEATURES } from '../../src/families/index.js';
import { DEFAULT_ADMM_SETTINGS } from '../../src/constraints/index.js';
import { SERVE_BUDGET, ServeApp, type ModelMetadata, type PolicySource } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { sliceRow, SLICES, trainRun } from './fixtures.js';

const BOUNDS = { minShare: [0.2, 0.1, 0.05], maxShare: [0.7, 0.5, 0.3] };
const CELLS = 10_000;
const BATCH = 1000;

/** Observations: 2/3 random, 1/3 adversarial (extreme, zero, tiny and borderline-active values; negatives are a 400). */
function observations(rng: Rng): number[][][] {
  const extremes = [0, -0, 1, 3.4e38, 1e-45, 1e30, 0.5, 0.49999997, 15, 1e6, 1e-300];
  const pick = (): number => extremes[Math.floor(rng.uniform() * extremes.length)]!;
  return Array.from({ length: CELLS }, (_, c) =>
    Array.from({ length: SLICES }, () => {
      if (c % 3 !== 2) return sliceRow(rng, rng.uniform() < 0.85 ? 1 : 0);
      const row = Array.from({ length: FEATURES_PER_SLICE }, pick);
      row[FEATURE.active] = [0, 1, 0.5, 0.49999997, 1e-45][Math.floor(rng.uniform() * 5)]!;
      return row;
    }),
  );
}

/** Every served cell: finite, >= 0, inactive 0, active within [scaled floor, cap], sum <= 1. */
function checkFeasible(cells: number[][][], shares: number[][], lower: number[], upper: number[]): void {
  cells.forEach((cell, c) => {
    const x = shares[c]!;
    const active = cell.map((row) => row[FEATURE.active]! >= 0.5);
    const floorSum = lower.reduce((sum, l, s) => sum + (active[s] ? l : 0), 0);
    const scale = floorSum > SERVE_BUDGET ? SERVE_BUDGET / floorSum : 1;
    let sum = 0;
    x.forEach((v, s) => {
      if (!(Number.isFinite(v) && v >= 0)) throw new Error(`cell ${c} slice ${s}: share ${v}`);
      if (!active[s] && v !== 0) throw new Error(`cell ${c} slice ${s}: inactive slice got ${v}`);
      if (active[s] && (v > upper[s]! + 1e-12 || v < lower[s]! * scale - 1e-9)) throw new Error(`cell ${c} slice ${s}: ${v} outside [${lower[s]! * scale}, ${upper[s]}]`);
      sum += v;
    });
    if (sum > 1) throw new Error(`cell ${c}: shares sum to ${sum}`);
  });
}

async function serveAll(server: ServeApp, cells: number[][][]): Promise<number[][]> {
  const shares: number[][] = [];
  for (let first = 0; first < cells.length; first += BATCH) {
    const res = await server.app.inject({ method: 'POST', url: '/v1/allocate', payload: { cells: cells.slice(first, first + BATCH) } });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    for (const a of (res.json() as { allocations: Array<{ shares: number[] }> }).allocations) shares.push(a.shares);
  }
  return shares;
}

const options = { bodyLimit: 16 << 20, maxCells: BATCH, processMetrics: false };

describe('serve: every allocation is feasible', () => {
  let runs: Record<string, string>;
  beforeAll(async () => {
    runs = { td3: await trainRun('td3', BOUNDS), 'maddpg-admm': await trainRun('maddpg-admm', BOUNDS) };
  });

  for (const agent of ['td3', 'maddpg-admm']) {
    it(`${agent}: ${CELLS} random and adversarial cells`, async () => {
      const server = await ServeApp.create({ policy: `checkpoint:${runs[agent]}`, ...options });
      try {
        expect(server.metadata.bounds).toEqual({ lower: BOUNDS.minShare, upper: BOUNDS.maxShare });
        const cells = observations(new Rng(agent.length));
        checkFeasible(cells, await serveAll(server, cells), BOUNDS.minShare, BOUNDS.maxShare);
      } finally {
        await server.close();
      }
    }, 60_000);
  }

  it('a model whose raw outputs are NaN, ±Infinity, huge or negative, under floors that over-subscribe the cell', async () => {
    const lower = [0.5, 0.4, 0.3];
    const upper = [0.9, 0.8, 0.6];
    const rawValues = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e30, -1e30, -0.5, 0, 0.3, 2];
    const metadata: ModelMetadata = {
      source: 'test:adversarial',
      kind: 'checkpoint',
      agent: 'adversarial',
      hash: '0'.repeat(64),
      version: 'adversarial@000000000000',
      scenario: null,
      trainedCells: 1,
      slices: [
        { name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 100 },
        { name: 'b', type: 'URLLC', phiTarget: 1, delayTarget: 10 },
        { name: 'c', type: 'mMTC', phiTarget: 1, delayTarget: 200 },
      ],
      features: SLICE_FEATURES,
      timeOfDay: false,
      bounds: { lower, upper },
      admm: { ...DEFAULT_ADMM_SETTINGS, budget: SERVE_BUDGET },
      decisionAdmmIterations: null,
      loadedAt: new Date().toISOString(),
    };
    const rng = new Rng(3);
    const source: PolicySource = {
      metadata,
      predict: (_obs, cells) => Float32Array.from({ length: cells * SLICES }, () => rawValues[Math.floor(rng.uniform() * rawValues.length)]!),
    };
    const server = await ServeApp.create({ policy: 'checkpoint:unused', loadSource: async () => source, ...options });
    try {
      const cells = observations(new Rng(11));
      checkFeasible(cells, await serveAll(server, cells), lower, upper);
    } finally {
      await server.close();
    }
  }, 60_000);
});

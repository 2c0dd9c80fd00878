// onnx:<file> serves what `ns3ts export --format onnx` wrote as checkpoint:<run> serves the run it
// came from: side by side behind two servers, the raw outputs and the guarded shares agree to 1e-5
// (td3: one graph run; maddpg-admm with share floors and caps: the ADMM loop around the exported
// actors). Plus the model's metadata, one-line errors for a missing or corrupt file, hot reload.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../src/agents/index.js';
import { exportRun } from '../../src/export/index.js';
import { loadPolicySource, ServeApp, type ModelMetadata } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, sliceRow, trainRun } from './fixtures.js';

const AGENTS = ['td3', 'maddpg-admm'] as const;
const runs: Record<string, string> = {};
const models: Record<string, string> = {};
const servers: ServeApp[] = [];

beforeAll(async () => {
  runs.td3 = await trainRun('td3');
  runs['maddpg-admm'] = await trainRun('maddpg-admm', { minShare: [0.1, 0.05, 0.1], maxShare: [0.7, 0.6, 0.8] });
  for (const agent of AGENTS) {
    models[agent] = join(runs[agent]!, '..', `${agent}.onnx`);
    await exportRun(runs[agent]!, { format: 'onnx', out: models[agent]! });
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(policy: string, watch = false, admmIterations?: number): Promise<ServeApp> {
  const server = await ServeApp.create({ policy, processMetrics: false, watch, ...(admmIterations === undefined ? {} : { admmIterations }) });
  servers.push(server);
  return server;
}

/** A request at one time of day (the runs' actors read it: without it the two servers would read their clocks). */
function post(server: ServeApp, url: string, cells: number[][][], secondsOfDay = 43_200) {
  return server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ cells, secondsOfDay }) });
}

/** Random cells, with some slices inactive (and one cell with none active). */
function requestCells(rng: Rng, n: number): number[][][] {
  const cells = randomCells(rng, n);
  cells.forEach((cell, c) => {
    if (c % 4 === 1) cell[c % cell.length] = sliceRow(rng, 0);
  });
  if (n > 6) cells[6] = cells[6]!.map(() => sliceRow(rng, 0));
  return cells;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, c) => row.forEach((v, s) => (worst = Math.max(worst, Math.abs(v - b[c]![s]!)))));
  return worst;
}

describe('serve: onnx source', () => {
  for (const agent of AGENTS) {
    it(`${agent}: /v1/predict and /v1/allocate agree with checkpoint:<run> to 1e-5`, async () => {
      const onnx = await serve(`onnx:${models[agent]}`);
      const checkpoint = await serve(`checkpoint:${runs[agent]}`);
      const rng = new Rng(agent.length);
      for (const [n, secondsOfDay] of [
        [1, 0],
        [3, 21_600],
        [17, 50_400],
        [70, 86_399],
      ] as const) {
        const cells = requestCells(rng, n);
        const [pOnnx, pCkpt] = await Promise.all([post(onnx, '/v1/predict', cells, secondsOfDay), post(checkpoint, '/v1/predict', cells, secondsOfDay)]);
        expect(pOnnx.statusCode, pOnnx.body).toBe(200);
        const rawOnnx = (pOnnx.json() as { outputs: number[][] }).outputs;
        const rawCkpt = (pCkpt.json() as { outputs: number[][] }).outputs;
        expect(rawOnnx).toHaveLength(n);
        expect(maxAbsDiff(rawOnnx, rawCkpt), `${n} cells, raw outputs`).toBeLessThanOrEqual(1e-5);

        const [aOnnx, aCkpt] = await Promise.all([post(onnx, '/v1/allocate', cells, secondsOfDay), post(checkpoint, '/v1/allocate', cells, secondsOfDay)]);
        expect(aOnnx.statusCode, aOnnx.body).toBe(200);
        const shares = (res: typeof aOnnx): number[][] => (res.json() as { allocations: Array<{ shares: number[] }> }).allocations.map((a) => a.shares);
        expect(maxAbsDiff(shares(aOnnx), shares(aCkpt)), `${n} cells, shares`).toBeLessThanOrEqual(1e-5);
        for (const row of shares(aOnnx)) expect(row.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(1 + 1e-9);
      }
    }, 30_000);
  }

  it('maddpg-admm: --admm-iterations caps the decision as it does for checkpoint:<run>', async () => {
    const onnx = await serve(`onnx:${models['maddpg-admm']}`, false, 2);
    const checkpoint = await serve(`checkpoint:${runs['maddpg-admm']}`, false, 2);
    const uncapped = await serve(`onnx:${models['maddpg-admm']}`);
    expect(onnx.metadata.decisionAdmmIterations).toBe(2);
    expect(uncapped.metadata.decisionAdmmIterations).toBe(100);
    const cells = requestCells(new Rng(31), 17);
    const raw = async (server: ServeApp) => ((await post(server, '/v1/predict', cells)).json() as { outputs: number[][] }).outputs;
    const capped = await raw(onnx);
    expect(maxAbsDiff(capped, await raw(checkpoint))).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(capped, await raw(uncapped)), 'two ADMM iterations decide otherwise than up to 100').toBeGreaterThan(1e-4);
  });

  it('GET /v1/model shows the export metadata and the SHA-256 of the file', async () => {
    const onnx = await serve(`onnx:${models['maddpg-admm']}`);
    const checkpoint = await serve(`checkpoint:${runs['maddpg-admm']}`);
    const res = await onnx.app.inject({ method: 'GET', url: '/v1/model' });
    expect(res.statusCode).toBe(200);
    const meta = res.json() as ModelMetadata;
    const hash = createHash('sha256').update(readFileSync(models['maddpg-admm']!)).digest('hex');
    expect(meta).toMatchObject({ source: `onnx:${models['maddpg-admm']}`, kind: 'onnx', agent: 'maddpg-admm', hash, version: `maddpg-admm@${hash.slice(0, 12)}`, scenario: 'slicing-synthetic' });
    const ckpt = checkpoint.metadata;
    expect(meta.slices).toEqual(ckpt.slices);
    expect(meta.features).toEqual(ckpt.features);
    expect(meta.bounds).toEqual(ckpt.bounds);
    expect(meta.bounds.lower).toEqual([0.1, 0.05, 0.1]);
    expect(meta.admm).toEqual(ckpt.admm);
    expect(meta.trainedCells).toBe(ckpt.trainedCells);
    const checkpointHash = createHash('sha256').update(readFileSync(join(runs['maddpg-admm']!, CHECKPOINT_FILE))).digest('hex');
    expect(meta.timeOfDay).toBe(true);
    expect(ckpt.timeOfDay).toBe(true);
    expect(meta.export).toMatchObject({ schemaVersion: 2, agentId: 'maddpg-admm', arrangement: 'admm', checkpointSha256: checkpointHash, quantization: null, clock: { stepSeconds: 900 } });
    expect(meta.export?.outputs.map((o) => o.name).sort()).toEqual([...new Set(ckpt.slices.map((s) => `x_${s.type}`))].sort());
  });

  it('serves an int8 export (QDQ graph) with its quantization in /v1/model, close to the float model', async () => {
    const file = join(runs['maddpg-admm']!, '..', 'int8.onnx');
    await exportRun(runs['maddpg-admm']!, { format: 'onnx', out: file, quantize: 'int8', calibrationEpisodes: 1 });
    const int8 = await serve(`onnx:${file}`);
    const float = await serve(`onnx:${models['maddpg-admm']}`);
    expect(int8.metadata.export?.quantization?.scheme).toBe('int8-symmetric');
    const cells = requestCells(new Rng(11), 9);
    const [a, b] = await Promise.all([post(int8, '/v1/allocate', cells), post(float, '/v1/allocate', cells)]);
    expect(a.statusCode, a.body).toBe(200);
    const shares = (res: typeof a): number[][] => (res.json() as { allocations: Array<{ shares: number[] }> }).allocations.map((x) => x.shares);
    // docs/export.md: the int8 actor is within 0.02 of the float one on the actors' own inputs.
    expect(maxAbsDiff(shares(a), shares(b))).toBeLessThanOrEqual(0.05);
  }, 30_000);

  it('a missing or corrupt file is one line naming it', async () => {
    const missing = join(runs.td3!, '..', 'missing.onnx');
    await expect(loadPolicySource(`onnx:${missing}`)).rejects.toThrow(new RegExp(`^onnx:${missing}: cannot read ${missing} \\(ENOENT\\), expected an ONNX file written by \`ns3ts export --format onnx\`$`));
    const corrupt = join(runs.td3!, '..', 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff)));
    const err = await loadPolicySource(`onnx:${corrupt}`).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(new RegExp(`^${corrupt}: (not a readable ONNX model|no ns3ts\\.metadata entry)`));
    expect(err?.message).not.toContain('\n');
    await expect(ServeApp.create({ policy: `onnx:${missing}`, processMetrics: false })).rejects.toThrow(/ENOENT/);
  });

  it('reloads when the file is replaced (by ns3ts export, i.e. by rename)', async () => {
    const file = join(runs.td3!, '..', 'served.onnx');
    await exportRun(runs.td3!, { format: 'onnx', out: file });
    const server = await serve(`onnx:${file}`, true);
    expect(server.metadata.agent).toBe('td3');
    await exportRun(runs['maddpg-admm']!, { format: 'onnx', out: file });
    const deadline = Date.now() + 10_000;
    while (server.metadata.agent !== 'maddpg-admm' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(server.metadata.agent).toBe('maddpg-admm');
    const res = await post(server, '/v1/allocate', requestCells(new Rng(3), 2));
    expect(res.statusCode).toBe(200);
    expect((res.json() as { model: string }).model).toBe(server.metadata.version);
  }, 20_000);
});

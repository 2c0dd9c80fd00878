// The cap on a maddpg model's own ADMM decision when served (`ns3ts serve --admm-iterations`). A
// served request solves from a cold start, so the cap bounds its latency. The agent setting
// admmIterations only caps deployed decisions (training's are exploreAdmmIterations), so two runs
// that differ in it alone train the same weights: serving one with the other's cap must answer
// exactly as the other does.
import { copyFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, readCheckpoint } from '../../src/agents/index.js';
import { ServeApp } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, trainRun } from './fixtures.js';

const TRAINED = { warmupSteps: 48 };
let run: string;
let runCappedAt1: string;
const servers: ServeApp[] = [];

beforeAll(async () => {
  run = await trainRun('maddpg-admm', undefined, undefined, TRAINED);
  runCappedAt1 = await trainRun('maddpg-admm', undefined, undefined, { ...TRAINED, admmIterations: 1 });
}, 120_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(policy: string, admmIterations?: number): Promise<ServeApp> {
  const server = await ServeApp.create({ policy, processMetrics: false, ...(admmIterations === undefined ? {} : { admmIterations }) });
  servers.push(server);
  return server;
}

async function predict(server: ServeApp, cells: number[][][]): Promise<number[][]> {
  const res = await server.app.inject({ method: 'POST', url: '/v1/predict', payload: { cells, secondsOfDay: 3600 } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { outputs: number[][] }).outputs;
}

describe('serve --admm-iterations', () => {
  it('trains the same weights whatever the deployed cap', () => {
    const a = readCheckpoint(run).arrays;
    const b = readCheckpoint(runCappedAt1).arrays;
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const key of Object.keys(a).filter((k) => k.startsWith('agent/actor'))) expect(b[key], key).toEqual(a[key]);
  });

  it("serves with the run's cap by default and with the option's when given, answering as a run with that cap", async () => {
    const byDefault = await serve(`checkpoint:${run}`);
    const capped = await serve(`checkpoint:${run}`, 1);
    const reference = await serve(`checkpoint:${runCappedAt1}`);
    expect(byDefault.metadata.decisionAdmmIterations).toBe(100);
    expect(capped.metadata.decisionAdmmIterations).toBe(1);
    expect(reference.metadata.decisionAdmmIterations).toBe(1);
    const model = (await capped.app.inject({ method: 'GET', url: '/v1/model' })).json() as { decisionAdmmIterations: number };
    expect(model.decisionAdmmIterations).toBe(1);
    // 70 cells: the 64-, 4- and 1-cell chunks of the source all take the cap.
    const cells = randomCells(new Rng(5), 70);
    const cappedOutputs = await predict(capped, cells);
    expect(cappedOutputs).toEqual(await predict(reference, cells));
    const defaultOutputs = await predict(byDefault, cells);
    const moved = defaultOutputs.flat().some((v, i) => Math.abs(v - cappedOutputs.flat()[i]!) > 1e-6);
    expect(moved, 'one ADMM iteration decides otherwise than up to 100').toBe(true);
  });

  it('refuses a cap that is not a positive integer, in one line', async () => {
    await expect(ServeApp.create({ policy: `checkpoint:${run}`, processMetrics: false, admmIterations: 0 })).rejects.toThrow(/^admmIterations: got 0, expected an integer >= 1$/);
  });

  it("keeps the option's cap across a reload of a run with another setting", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-serve-cap-'));
    cpSync(run, dir, { recursive: true });
    const server = await serve(`checkpoint:${dir}`, 7);
    const before = server.metadata.version;
    copyFileSync(join(runCappedAt1, CHECKPOINT_FILE), join(dir, CHECKPOINT_FILE));
    expect(await server.reload()).toBe(true);
    expect(server.metadata.version).not.toBe(before);
    expect(server.metadata.decisionAdmmIterations).toBe(7);
  });
});

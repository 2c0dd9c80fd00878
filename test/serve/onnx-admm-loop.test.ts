// The ONNX maddpg server's ADMM loop awaits one onnxruntime run per iteration: for fixed requests
// the number of runs is the loop's iteration count, and the decision is bit for bit the
// synchronous admmSolve answered with the same graph outputs (what replaying the loop computed).
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { admmSolve, createAdmmState } from '../../src/constraints/index.js';
import { exportRun, readOnnxMetadata, type ExportMetadata } from '../../src/export/index.js';
import { FEATURE, FEATURES_PER_SLICE } from '../../src/families/index.js';
import { loadPolicySource } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, SLICES, sliceRow, trainRun } from './fixtures.js';

let model: string;
let exported: ExportMetadata;

beforeAll(async () => {
  const run = await trainRun('maddpg-admm', { minShare: [0.1, 0.05, 0.1], maxShare: [0.7, 0.6, 0.8] });
  model = join(run, '..', 'admm.onnx');
  await exportRun(run, { format: 'onnx', out: model });
  exported = readOnnxMetadata(model);
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
});

interface GraphRun {
  target: Float32Array;
  rho: Float32Array;
  outputs: Record<string, Float32Array>;
}

function observations(rng: Rng, cells: number): Float32Array {
  const rows = randomCells(rng, cells);
  rows[1 % cells]![2] = sliceRow(rng, 0);
  return Float32Array.from(rows.flat(2));
}

describe('serve: onnx maddpg ADMM loop', () => {
  it('runs the graph once per ADMM iteration, deciding as admmSolve does on the same graph outputs', async () => {
    const source = await loadPolicySource(`onnx:${model}`);
    const runs: GraphRun[] = [];
    // The sessions' shared prototype (the type declarations only describe the factory).
    const probe = await ort.InferenceSession.create(model);
    const sessions = Object.getPrototypeOf(probe) as Pick<ort.InferenceSession, 'run'>;
    await probe.release();
    const original = sessions.run;
    vi.spyOn(sessions, 'run').mockImplementation(async function (this: ort.InferenceSession, ...args: Parameters<ort.InferenceSession['run']>) {
      const feeds = args[0] as Record<string, ort.Tensor>;
      const result = await (original as (...a: typeof args) => Promise<ort.InferenceSession.OnnxValueMapType>).apply(this, args);
      const outputs: Record<string, Float32Array> = {};
      for (const [name, tensor] of Object.entries(result)) outputs[name] = Float32Array.from((tensor as ort.Tensor).data as Float32Array);
      runs.push({ target: Float32Array.from(feeds.target!.data as Float32Array), rho: Float32Array.from(feeds.rho!.data as Float32Array), outputs });
      return result;
    });
    const settings = exported.admm!;
    const bounds = { lower: exported.shareFloors, upper: exported.shareCaps };
    const rng = new Rng(5);
    for (const cells of [1, 4, 23]) {
      runs.length = 0;
      const obs = observations(rng, cells);
      const z = await source.predict(obs, cells);
      // The same loop, synchronous, its x-step answered by the recorded graph runs in order.
      const active = Float64Array.from({ length: cells * SLICES }, (_, i) => obs[i * FEATURES_PER_SLICE + FEATURE.active]!);
      const rows = [...active.keys()].filter((i) => active[i] !== 0);
      let step = 0;
      const expected = admmSolve(
        createAdmmState(cells, SLICES, settings.rho),
        (target, rho, x) => {
          const recorded = runs[step++]!;
          rows.forEach((i, j) => {
            expect(recorded.target[j]).toBe(Math.fround(target[i]!));
            expect(recorded.rho[j]).toBe(Math.fround(rho[Math.floor(i / SLICES)]!));
            const type = exported.sliceTypes[exported.sliceTypeOf[i % SLICES]!]!;
            x[i] = recorded.outputs[exported.outputs.find((o) => o.sliceType === type)!.name]![j]!;
          });
        },
        settings,
        active,
        bounds,
      );
      expect(runs.length, `${cells} cells`).toBe(step);
      expect(runs.length, `${cells} cells`).toBe(Math.max(...expected.iterations));
      expect(runs.length).toBeGreaterThan(1);
      expect(Array.from(z), `${cells} cells`).toEqual(Array.from(Float32Array.from(expected.z)));
    }
    await source.close?.();
  }, 30_000);
});

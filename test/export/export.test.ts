import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { actorNetworksOfRun, type RunActors } from '../../src/agents/index.js';
import { normalizeSliceRow, NORM_FEATURES } from '../../src/agents/core/features.js';
import * as tf from '../../src/agents/tf.js';
import { collectCalibration, exportRun, readJsonExport, readOnnxMetadata, ONNX_METADATA_KEY, type ExportMetadata } from '../../src/export/index.js';
import { createMlpRunner, createQuantizedMlpRunner, type QuantizedMlpSpec } from '../../src/native/index.js';
import { FEATURE, FEATURES_PER_SLICE, loadScenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { Rng } from '../../src/util/index.js';

const scenario = loadScenario('slicing-synthetic');
let root: string;
let admmRun: string;
let cellRun: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ns3ts-export-'));
  // Enough episodes that the agents update their networks (the warm-up alone leaves the initial weights).
  await train({ scenario, agent: 'maddpg-admm', episodes: 2, evalEvery: 0, outDir: root, runId: 'admm', progress: false, backend: 'cpu', agentSettings: { warmupSteps: 96, hidden: [32, 32] } });
  await train({ scenario, agent: 'td3', episodes: 1, evalEvery: 0, outDir: root, runId: 'td3', progress: false, backend: 'cpu', agentSettings: { warmupSteps: 48 } });
  admmRun = join(root, 'admm');
  cellRun = join(root, 'td3');
}, 120_000);

/** Raw observation rows: realistic ranges plus the edge cases the normalization branches on. */
function rawRows(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const rows = new Float32Array(count * FEATURES_PER_SLICE);
  for (let r = 0; r < count; r++) {
    const at = r * FEATURES_PER_SLICE;
    const v = (k: keyof typeof FEATURE, x: number): void => void (rows[at + FEATURE[k]] = x);
    v('share', rng.uniform(0, 1));
    v('throughput', rng.uniform(-1, 40));
    v('meanDelay', rng.uniform(0, 200));
    v('p95Delay', rng.uniform(0, 400));
    v('prbUtilization', rng.uniform(0, 1));
    v('activeUsers', Math.floor(rng.uniform(0, 30)));
    v('meanCqi', rng.uniform(0, 15));
    v('offeredLoad', rng.uniform(0, 100));
    v('backlog', rng.uniform(0, 5000));
    v('phiTarget', r % 5 === 0 ? 0 : rng.uniform(0.1, 20));
    v('delayTarget', r % 7 === 0 ? 0 : rng.uniform(1, 100));
    v('active', r % 11 === 0 ? 0 : 1);
    if (r % 13 === 0) rows[at + FEATURE.meanDelay] = Number.NaN;
    if (r % 17 === 0) rows[at + FEATURE.backlog] = Number.POSITIVE_INFINITY;
  }
  return rows;
}

function normalized(raw: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * NORM_FEATURES);
  for (let r = 0; r < rows; r++) normalizeSliceRow(raw, r * FEATURES_PER_SLICE, out, r * NORM_FEATURES);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** The admm actors' inputs as the policy builds them: normalized features, target v, log10 rho. */
function admmInputs(raw: Float32Array, rows: number, target: Float32Array, rho: Float32Array): Float32Array {
  const feats = normalized(raw, rows);
  const width = NORM_FEATURES + 2;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    out.set(feats.subarray(r * NORM_FEATURES, (r + 1) * NORM_FEATURES), r * width);
    out[r * width + NORM_FEATURES] = target[r]!;
    out[r * width + NORM_FEATURES + 1] = Math.log10(rho[r]!);
  }
  return out;
}

function admmFeeds(rows: number, seed: number) {
  const rng = new Rng(seed);
  const raw = rawRows(rows, seed);
  const target = Float32Array.from({ length: rows }, () => rng.uniform(-0.2, 1.2));
  const rho = Float32Array.from({ length: rows }, () => 10 ** rng.uniform(-2, 2));
  return { raw, target, rho };
}

async function runOnnx(path: string, feeds: Record<string, { data: Float32Array; width: number }>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(readFileSync(path));
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, { data, width }] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', data, [data.length / width, width]);
  const result = await session.run(tensors);
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('ns3ts export --format onnx', () => {
  it('runs the maddpg-admm actors with their input normalization in onnxruntime, agreeing with the native runner to 1e-5', async () => {
    const out = join(root, 'admm.onnx');
    const result = await exportRun(admmRun, { format: 'onnx', out });
    const run = await actorNetworksOfRun(admmRun);
    const rows = 500;
    const { raw, target, rho } = admmFeeds(rows, 7);
    const got = await runOnnx(out, { obs: { data: raw, width: FEATURES_PER_SLICE }, target: { data: target, width: 1 }, rho: { data: rho, width: 1 } });
    const inputs = admmInputs(raw, rows, target, rho);
    run.actors.forEach((actor, t) => {
      const expected = createMlpRunner(actor.spec).forward(inputs, rows);
      const output = result.metadata.outputs[t]!;
      expect(output.sliceType).toBe(actor.sliceType);
      expect(maxAbsDiff(got[output.name]!, expected)).toBeLessThanOrEqual(1e-5);
    });
  });

  it('runs the td3 cell actor (per-cell rows, reshaped in the graph) in onnxruntime, agreeing to 1e-5', async () => {
    const out = join(root, 'td3.onnx');
    await exportRun(cellRun, { format: 'onnx', out });
    const run = await actorNetworksOfRun(cellRun);
    const S = run.layout.slices.length;
    const cells = 40;
    const raw = rawRows(cells * S, 3);
    const got = await runOnnx(out, { obs: { data: raw, width: S * FEATURES_PER_SLICE } });
    const expected = createMlpRunner(run.actors[0]!.spec).forward(normalized(raw, cells * S), cells);
    expect(maxAbsDiff(got.raw_shares!, expected)).toBeLessThanOrEqual(1e-5);
  });

  it('stores the metadata a server needs under ns3ts.metadata, read back by readOnnxMetadata', async () => {
    const out = join(root, 'meta.onnx');
    const result = await exportRun(admmRun, { format: 'onnx', out });
    const meta: ExportMetadata = readOnnxMetadata(out);
    expect(meta).toEqual(result.metadata);
    expect(ONNX_METADATA_KEY).toBe('ns3ts.metadata');
    expect(meta.agentId).toBe('maddpg-admm');
    expect(meta.scenario).toBe('slicing-synthetic');
    expect(meta.layout.cells).toBe(scenario.cells);
    expect(meta.features).toHaveLength(FEATURES_PER_SLICE);
    expect(meta.sliceTypes.length).toBeGreaterThan(0);
    expect(meta.shareFloors).toHaveLength(scenario.slices.length);
    expect(meta.shareCaps).toHaveLength(scenario.slices.length);
    expect(meta.admm?.maxIterations).toBeGreaterThan(0);
    expect(meta.checkpointSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.ns3tsVersion).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    expect(meta.quantization).toBeNull();
  });
});

describe('ns3ts export --format tfjs', () => {
  it('loads with tf.loadLayersModel and agrees with the native runner', async () => {
    const out = join(root, 'tfjs');
    await exportRun(admmRun, { format: 'tfjs', out });
    const run = await actorNetworksOfRun(admmRun);
    const rows = 200;
    const { raw, target, rho } = admmFeeds(rows, 11);
    const inputs = admmInputs(raw, rows, target, rho);
    for (const actor of run.actors) {
      const dir = join(out, actor.name);
      // A file-system IOHandler: the tfjs-node file:// handler is not part of the packages in use.
      const handler: tf.io.IOHandler = {
        load: async () => {
          const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
          const bin = readFileSync(join(dir, 'weights.bin'));
          return tf.io.getModelArtifactsForJSONSync(json, json.weightsManifest[0]!.weights, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
        },
      };
      const model = await tf.loadLayersModel(handler);
      const y = model.predict(tf.tensor2d(inputs, [rows, inputs.length / rows])) as tf.Tensor;
      const expected = createMlpRunner(actor.spec).forward(inputs, rows);
      expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThanOrEqual(1e-5);
      y.dispose();
      model.dispose();
    }
    expect(existsSync(join(out, 'metadata.json'))).toBe(true);
  });
});

describe('ns3ts export --quantize int8', () => {
  let run: RunActors;
  let quantized: QuantizedMlpSpec[];
  const rows = 400;
  let inputs: Float32Array;
  /** Actor inputs of episodes other than the calibration ones (the distribution the actors act on). */
  let played: Float32Array[];

  beforeAll(async () => {
    const out = join(root, 'admm-int8.json');
    const result = await exportRun(admmRun, { format: 'json', out, quantize: 'int8', calibrationEpisodes: 1 });
    expect(result.metadata.quantization?.calibrationRows).toBeGreaterThan(0);
    run = await actorNetworksOfRun(admmRun);
    const loaded = readJsonExport(out);
    expect(loaded.metadata).toEqual(result.metadata);
    quantized = loaded.actors.map((a) => a.spec as QuantizedMlpSpec);
    const { raw, target, rho } = admmFeeds(rows, 5);
    inputs = admmInputs(raw, rows, target, rho);
    played = (await collectCalibration(run, scenario, 1, scenario.seed + 100)).inputs;
  }, 60_000);

  it('stays within the documented tolerance of the float actors on the inputs they act on (0.02 absolute, outputs in [0, 1])', () => {
    run.actors.forEach((actor, t) => {
      const n = played[t]!.length / actor.spec.layers[0]!.inSize;
      const float = createMlpRunner(actor.spec).forward(played[t]!, n);
      const int8 = createQuantizedMlpRunner(quantized[t]!).forward(played[t]!, n);
      expect(maxAbsDiff(int8, float)).toBeLessThanOrEqual(0.02);
    });
  });

  it('computes the same integers natively and in TypeScript (one quantum apart at most)', () => {
    quantized.forEach((spec) => {
      const native = createQuantizedMlpRunner(spec);
      const ts = createQuantizedMlpRunner(spec, { impl: 'ts' });
      const last = spec.layers[spec.layers.length - 1]!;
      // A float epilogue an ulp apart may move one requantized input by one step: at most
      // 127 sw[j] on the last layer's pre-activation.
      const quantum = 127 * Math.max(...last.weightScales);
      expect(maxAbsDiff(native.forward(inputs, rows), ts.forward(inputs, rows))).toBeLessThanOrEqual(quantum);
    });
  });

  it('writes QDQ nodes to ONNX that onnxruntime runs, agreeing with the int8 runner', async () => {
    const out = join(root, 'admm-int8.onnx');
    const result = await exportRun(admmRun, { format: 'onnx', out, quantize: 'int8', calibrationEpisodes: 1 });
    const { raw, target, rho } = admmFeeds(rows, 5);
    const got = await runOnnx(out, { obs: { data: raw, width: FEATURES_PER_SLICE }, target: { data: target, width: 1 }, rho: { data: rho, width: 1 } });
    expect(readOnnxMetadata(out).quantization?.scheme).toBe('int8-symmetric');
    result.metadata.outputs.forEach((output, t) => {
      const int8 = createQuantizedMlpRunner(quantized[t]!, { impl: 'ts' }).forward(inputs, rows);
      // Same integers; float rounding of the products may flip a requantization by one quantum.
      expect(maxAbsDiff(got[output.name]!, int8)).toBeLessThanOrEqual(5e-3);
    });
  });
});

describe('ns3ts export errors', () => {
  it('names the run dir without a checkpoint, the unknown format and tfjs with --quantize', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ns3ts-export-empty-'));
    await expect(exportRun(empty, { format: 'onnx', out: join(root, 'x.onnx') })).rejects.toThrow(/<run-dir>: got .*expected a run directory with a checkpoint\.bin/);
    await expect(exportRun(join(root, 'missing'), { format: 'onnx', out: join(root, 'x.onnx') })).rejects.toThrow(/<run-dir>: got .*missing/);
    await expect(exportRun(admmRun, { format: 'torchscript' as 'onnx', out: join(root, 'x.pt') })).rejects.toThrow(/--format: got "torchscript", expected one of onnx, tfjs, json/);
    await expect(exportRun(admmRun, { format: 'tfjs', out: join(root, 'q'), quantize: 'int8' })).rejects.toThrow(/--quantize: got "int8", expected no quantization with --format tfjs/);
    expect(existsSync(join(root, 'x.onnx'))).toBe(false);
  });

  it('refuses a file that is not an ns3ts ONNX export', () => {
    const path = join(root, 'bare.onnx');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => readOnnxMetadata(path)).toThrow(/bare\.onnx: not a readable ONNX model|no ns3ts\.metadata entry/);
  });
});

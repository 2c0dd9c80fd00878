import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { actorNetworksOfRun, CellActorPolicy, type RunActors } from '../../src/agents/index.js';
import { encodeObservation, normalizeSliceRow, NORM_FEATURES } from '../../src/agents/core/features.js';
import { writeActorInput } from '../../src/agents/maddpg/policy.js';
import * as tf from '../../src/agents/tf.js';
import { clockColumns, collectCalibration, exportRun, readJsonExport, readOnnxMetadata, spanTheDay, ONNX_METADATA_KEY, type ExportMetadata } from '../../src/export/index.js';
import { onnx } from '../../src/export/onnx-proto.js';
import { createMlpRunner, createQuantizedMlpRunner, type QuantizedMlpSpec } from '../../src/native/index.js';
import { FEATURE, FEATURES_PER_SLICE, loadScenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { Rng } from '../../src/util/index.js';

const scenario = loadScenario('slicing-synthetic');
let root: string;
/** Runs whose actors read the time of day (the agents' default), and the same agents without it. */
let admmRun: string;
let cellRun: string;
let plainAdmmRun: string;
let plainCellRun: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ns3ts-export-'));
  // Enough episodes that the agents update their networks (the warm-up alone leaves the initial weights).
  await train({ scenario, agent: 'maddpg-admm', episodes: 2, evalEvery: 0, outDir: root, runId: 'admm', progress: false, backend: 'cpu', agentSettings: { warmupSteps: 96, hidden: [32, 32] } });
  await train({ scenario, agent: 'td3', episodes: 1, evalEvery: 0, outDir: root, runId: 'td3', progress: false, backend: 'cpu', agentSettings: { warmupSteps: 48 } });
  // The run the int8 tolerance was measured on (below): no clock, gamma 0.5, one update per step.
  await train({ scenario, agent: 'maddpg-admm', episodes: 2, evalEvery: 0, outDir: root, runId: 'admm-plain', progress: false, backend: 'cpu', agentSettings: { warmupSteps: 96, hidden: [32, 32], timeOfDay: false, gamma: 0.5, updatesPerStep: 1 } });
  await train({ scenario, agent: 'td3', episodes: 1, evalEvery: 0, outDir: root, runId: 'td3-plain', progress: false, backend: 'cpu', agentSettings: { warmupSteps: 48, timeOfDay: false } });
  admmRun = join(root, 'admm');
  cellRun = join(root, 'td3');
  plainAdmmRun = join(root, 'admm-plain');
  plainCellRun = join(root, 'td3-plain');
}, 180_000);

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

/**
 * The admm actors' inputs as the policy builds them (encodeObservation, writeActorInput): each row's
 * features (with the clock pair at `secondsOfDay` when the run reads the clock), target v, log10 rho.
 */
function admmInputs(run: RunActors, raw: Float32Array, rows: number, target: Float32Array, rho: Float32Array, secondsOfDay = 0): Float32Array {
  const feats = encodeObservation(raw, rows, 1, run.clock, { step: 0, secondsOfDay });
  const width = run.normFeatures + 2;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) writeActorInput(feats, run.normFeatures, r, target[r]!, rho[r]!, out, r * width);
  return out;
}

function admmFeeds(rows: number, seed: number, secondsOfDay = 0) {
  const rng = new Rng(seed);
  const raw = rawRows(rows, seed);
  const target = Float32Array.from({ length: rows }, () => rng.uniform(-0.2, 1.2));
  const rho = Float32Array.from({ length: rows }, () => 10 ** rng.uniform(-2, 2));
  // The graph's `seconds_of_day`: one time for every row, as a server feeds it.
  const seconds = new Float32Array(rows).fill(secondsOfDay);
  return { raw, target, rho, seconds };
}

/** The ONNX feeds of admmFeeds (`seconds_of_day` only for a run with a clock). */
function admmOnnxFeeds(run: RunActors, feeds: ReturnType<typeof admmFeeds>): Record<string, { data: Float32Array; width: number }> {
  return {
    obs: { data: feeds.raw, width: FEATURES_PER_SLICE },
    target: { data: feeds.target, width: 1 },
    rho: { data: feeds.rho, width: 1 },
    ...(run.clock ? { seconds_of_day: { data: feeds.seconds, width: 1 } } : {}),
  };
}

/** The ONNX file at `path` with its ns3ts.metadata replaced by `metadata`. */
function rewriteMetadata(path: string, metadata: unknown): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(path));
  model.metadataProps = model.metadataProps.map((p) => (p.key === ONNX_METADATA_KEY ? onnx.StringStringEntryProto.create({ key: p.key, value: JSON.stringify(metadata) }) : p));
  return onnx.ModelProto.encode(model).finish();
}

async function runOnnx(path: string, feeds: Record<string, { data: Float32Array; width: number }>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(readFileSync(path));
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, { data, width }] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', data, [data.length / width, width]);
  const result = await session.run(tensors);
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('ns3ts export --format onnx', () => {
  it('runs the maddpg-admm actors with their input normalization and clock in onnxruntime, agreeing with the native runner to 1e-5 at two times of day', async () => {
    const out = join(root, 'admm.onnx');
    const result = await exportRun(admmRun, { format: 'onnx', out });
    const run = await actorNetworksOfRun(admmRun);
    expect(run.clock).toEqual({ stepSeconds: scenario.stepSeconds });
    expect(result.metadata.inputs.map((i) => i.name)).toEqual(['obs', 'target', 'rho', 'seconds_of_day']);
    const rows = 500;
    const outputs: Array<Record<string, Float32Array>> = [];
    for (const secondsOfDay of [6 * 3600, 20 * 3600 + 900]) {
      const feeds = admmFeeds(rows, 7, secondsOfDay);
      const got = await runOnnx(out, admmOnnxFeeds(run, feeds));
      const inputs = admmInputs(run, feeds.raw, rows, feeds.target, feeds.rho, secondsOfDay);
      run.actors.forEach((actor, t) => {
        const expected = createMlpRunner(actor.spec).forward(inputs, rows);
        const output = result.metadata.outputs[t]!;
        expect(output.sliceType).toBe(actor.sliceType);
        expect(maxAbsDiff(got[output.name]!, expected), `${output.name} at ${secondsOfDay} s`).toBeLessThanOrEqual(1e-5);
      });
      outputs.push(got);
    }
    // The same rows at another time: other outputs (the graph does read seconds_of_day).
    for (const output of result.metadata.outputs) expect(maxAbsDiff(outputs[0]![output.name]!, outputs[1]![output.name]!)).toBeGreaterThan(1e-4);
  });

  it('runs the td3 cell actor (per-cell rows, reshaped in the graph, one time per cell) in onnxruntime, agreeing with the policy to 1e-5', async () => {
    const out = join(root, 'td3.onnx');
    const result = await exportRun(cellRun, { format: 'onnx', out });
    const run = await actorNetworksOfRun(cellRun);
    expect(result.metadata.inputs.map((i) => i.name)).toEqual(['obs', 'seconds_of_day']);
    expect(result.metadata.normFeatures).toBe(NORM_FEATURES + 2);
    const S = run.layout.slices.length;
    const cells = 40;
    const raw = rawRows(cells * S, 3);
    // The policy as the agent's loader builds it, sized for the batch: its raw shares at a time of day.
    const policy = run.policy as CellActorPolicy;
    const sized = new CellActorPolicy(policy.id, { ...run.layout, cells }, run.actors[0]!.spec, policy.bounds, 'auto', run.clock);
    const outputs: Float32Array[] = [];
    for (const secondsOfDay of [2 * 3600, 13 * 3600 + 45]) {
      const got = await runOnnx(out, { obs: { data: raw, width: S * FEATURES_PER_SLICE }, seconds_of_day: { data: new Float32Array(cells).fill(secondsOfDay), width: 1 } });
      const expected = sized.raw({ data: raw, shape: [cells, S, FEATURES_PER_SLICE] }, { step: 0, secondsOfDay });
      expect(maxAbsDiff(got.raw_shares!, expected), `${secondsOfDay} s`).toBeLessThanOrEqual(1e-5);
      outputs.push(got.raw_shares!);
    }
    expect(maxAbsDiff(outputs[0]!, outputs[1]!)).toBeGreaterThan(1e-4);
    // Each cell reads its own row of seconds_of_day.
    const mixed = Float32Array.from({ length: cells }, (_, c) => (c % 2 === 0 ? 2 * 3600 : 13 * 3600 + 45));
    const got = await runOnnx(out, { obs: { data: raw, width: S * FEATURES_PER_SLICE }, seconds_of_day: { data: mixed, width: 1 } });
    for (let c = 0; c < cells; c++) {
      const from = outputs[c % 2]!.subarray(c * S, (c + 1) * S);
      expect(maxAbsDiff(got.raw_shares!.subarray(c * S, (c + 1) * S), from)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('stores the metadata a server needs under ns3ts.metadata, read back by readOnnxMetadata', async () => {
    const out = join(root, 'meta.onnx');
    const result = await exportRun(admmRun, { format: 'onnx', out });
    const meta: ExportMetadata = readOnnxMetadata(out);
    expect(meta).toEqual(result.metadata);
    expect(ONNX_METADATA_KEY).toBe('ns3ts.metadata');
    expect(meta.schemaVersion).toBe(2);
    expect(meta.clock).toEqual({ stepSeconds: scenario.stepSeconds });
    expect(meta.normFeatures).toBe(NORM_FEATURES + 2);
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

  it('exports runs trained with timeOfDay: false as before: no clock, no seconds_of_day, version 1', async () => {
    for (const runDir of [plainAdmmRun, plainCellRun]) {
      const out = join(root, 'plain.onnx');
      const result = await exportRun(runDir, { format: 'onnx', out });
      const run = await actorNetworksOfRun(runDir);
      const meta = readOnnxMetadata(out);
      expect(meta).toEqual(result.metadata);
      // The fields (and their order) of the metadata earlier versions wrote.
      expect(Object.keys(meta)).toEqual([
        'schemaVersion', 'ns3tsVersion', 'checkpointSha256', 'agentId', 'arrangement', 'scenario', 'layout', 'features',
        'sliceTypes', 'sliceTypeOf', 'shareFloors', 'shareCaps', 'admm', 'normFeatures', 'inputs', 'outputs', 'quantization',
      ]);
      expect(meta.schemaVersion).toBe(1);
      expect(meta.normFeatures).toBe(NORM_FEATURES);
      const session = await ort.InferenceSession.create(readFileSync(out));
      expect(session.inputNames).toEqual(run.arrangement === 'admm' ? ['obs', 'target', 'rho'] : ['obs']);
      await session.release();
      if (run.arrangement === 'admm') {
        const feeds = admmFeeds(300, 9);
        const got = await runOnnx(out, admmOnnxFeeds(run, feeds));
        const inputs = admmInputs(run, feeds.raw, 300, feeds.target, feeds.rho);
        run.actors.forEach((actor, t) => expect(maxAbsDiff(got[meta.outputs[t]!.name]!, createMlpRunner(actor.spec).forward(inputs, 300))).toBeLessThanOrEqual(1e-5));
      } else {
        const S = run.layout.slices.length;
        const raw = rawRows(20 * S, 4);
        const got = await runOnnx(out, { obs: { data: raw, width: S * FEATURES_PER_SLICE } });
        expect(maxAbsDiff(got.raw_shares!, createMlpRunner(run.actors[0]!.spec).forward(normalized(raw, 20 * S), 20))).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('refuses metadata whose clock a reader could not feed', () => {
    const out = join(root, 'meta.onnx');
    const meta = readOnnxMetadata(out);
    const edited = join(root, 'edited.onnx');
    const write = (m: unknown): void => writeFileSync(edited, rewriteMetadata(out, m));
    write({ ...meta, schemaVersion: 1 });
    expect(() => readOnnxMetadata(edited)).toThrow(/edited\.onnx: ns3ts\.metadata\.schemaVersion is 1, expected 2 for an export with a clock$/);
    write({ ...meta, clock: { stepSeconds: 0 } });
    expect(() => readOnnxMetadata(edited)).toThrow(/ns3ts\.metadata\.clock is \{"stepSeconds":0\}, expected \{ stepSeconds > 0 \}, or no clock$/);
    write({ ...meta, schemaVersion: 3 });
    expect(() => readOnnxMetadata(edited)).toThrow(/ns3ts\.metadata\.schemaVersion is 3, expected 1 or 2 \(this ns3ts reads only those versions\)$/);
  });
});

describe('ns3ts export --format tfjs', () => {
  it('loads with tf.loadLayersModel and agrees with the native runner', async () => {
    const out = join(root, 'tfjs');
    await exportRun(admmRun, { format: 'tfjs', out });
    const run = await actorNetworksOfRun(admmRun);
    const rows = 200;
    const { raw, target, rho } = admmFeeds(rows, 11);
    // TF.js models take the actors' own inputs: the clock pair is one of the caller's columns.
    const inputs = admmInputs(run, raw, rows, target, rho, 9 * 3600);
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
    const metadata = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8')) as ExportMetadata;
    expect(metadata.clock).toEqual({ stepSeconds: scenario.stepSeconds });
    expect(metadata.inputs).toHaveLength(1);
    expect(metadata.inputs[0]!.shape).toEqual([null, NORM_FEATURES + 2 + 2]);
    expect(metadata.inputs[0]!.description).toMatch(/the 15 normalized features, then sin and cos of 2 pi secondsOfDay \/ 86400 .*then the ADMM target v and log10 rho/);
  });
});

for (const clock of [true, false]) {
  describe(`ns3ts export --quantize int8 (maddpg-admm ${clock ? 'with' : 'without'} a clock)`, () => {
    let run: RunActors;
    let runDir: string;
    let quantized: QuantizedMlpSpec[];
    const rows = 400;
    let inputs: Float32Array;
    /** Actor inputs of episodes other than the calibration ones (the distribution the actors act on). */
    let played: Float32Array[];

    beforeAll(async () => {
      runDir = clock ? admmRun : plainAdmmRun;
      const out = join(root, `admm-int8-${clock}.json`);
      const result = await exportRun(runDir, { format: 'json', out, quantize: 'int8', calibrationEpisodes: 1 });
      expect(result.metadata.quantization?.calibrationRows).toBeGreaterThan(0);
      run = await actorNetworksOfRun(runDir);
      const loaded = readJsonExport(out);
      expect(loaded.metadata).toEqual(result.metadata);
      quantized = loaded.actors.map((a) => a.spec as QuantizedMlpSpec);
      const { raw, target, rho } = admmFeeds(rows, 5, 10 * 3600);
      inputs = admmInputs(run, raw, rows, target, rho, 10 * 3600);
      played = (await collectCalibration(run, scenario, 1, scenario.seed + 100)).inputs;
    }, 60_000);

    // The network of the run this tolerance was measured on (trained as before the clock existed,
    // with maddpg-admm's settings of then: gamma 0.5, one update per step).
    // The error depends on the run (hidden-layer ranges), not on the clock: see docs/export.md.
    if (!clock) it('stays within the documented tolerance of the float actors on the inputs they act on (0.02 absolute, outputs in [0, 1])', () => {
      run.actors.forEach((actor, t) => {
        const n = played[t]!.length / actor.spec.layers[0]!.inSize;
        const float = createMlpRunner(actor.spec).forward(played[t]!, n);
        const int8 = createQuantizedMlpRunner(quantized[t]!).forward(played[t]!, n);
        expect(maxAbsDiff(int8, float)).toBeLessThanOrEqual(0.02);
      });
    });

    if (clock) it('quantizes the clock columns over the whole day (sin and cos in [-1, 1])', () => {
      for (const spec of quantized) for (const c of clockColumns(run)) expect(spec.layers[0]!.inputScales[c]).toBe(Math.fround(1 / 127));
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
      const out = join(root, `admm-int8-${clock}.onnx`);
      const result = await exportRun(runDir, { format: 'onnx', out, quantize: 'int8', calibrationEpisodes: 1 });
      const got = await runOnnx(out, admmOnnxFeeds(run, admmFeeds(rows, 5, 10 * 3600)));
      expect(readOnnxMetadata(out).quantization?.scheme).toBe('int8-symmetric');
      result.metadata.outputs.forEach((output, t) => {
        const spec = quantized[t]!;
        const int8 = createQuantizedMlpRunner(spec, { impl: 'ts' }).forward(inputs, rows);
        // Same integers; onnxruntime's float rounding of the dequantized products may flip a
        // requantization by one step. On the last layer that moves an output by at most one quantum
        // (127 sw[j]); a flip in a hidden layer carries into the next one. So: almost every row
        // within one quantum, every row within two.
        const quantum = 127 * Math.max(...spec.layers[spec.layers.length - 1]!.weightScales);
        const onnx = got[output.name]!;
        let overOne = 0;
        for (let i = 0; i < int8.length; i++) if (Math.abs(onnx[i]! - int8[i]!) > quantum) overOne++;
        expect(overOne / int8.length).toBeLessThanOrEqual(0.02);
        expect(maxAbsDiff(onnx, int8)).toBeLessThanOrEqual(2 * quantum);
      });
    });
  });
}

describe('int8 calibration of actors that read the time of day', () => {
  it('records the clock pair where the policy puts it, and spans the day when the episodes do not', async () => {
    const admm = await actorNetworksOfRun(admmRun);
    const cell = await actorNetworksOfRun(cellRun);
    expect(clockColumns(admm)).toEqual([15, 16]);
    expect(clockColumns(cell)).toEqual([15, 16, 32, 33, 49, 50]);
    expect(clockColumns(await actorNetworksOfRun(plainAdmmRun))).toEqual([]);
    // The recorded rows: every actor input carries sin and cos of its step's time of day.
    const recorded = (await collectCalibration(admm, scenario, 1, scenario.seed)).inputs[0]!;
    const width = admm.actors[0]!.spec.layers[0]!.inSize;
    for (let r = 0; r < recorded.length / width; r++) {
      const sin = recorded[r * width + 15]!;
      const cos = recorded[r * width + 16]!;
      expect(Math.abs(sin * sin + cos * cos - 1)).toBeLessThan(1e-5);
    }
    // slicing-synthetic's episode is one day (96 steps of 900 s): its rows reach +-1 already.
    expect(spanTheDay(recorded, width, clockColumns(admm))).toBe(recorded);
    // Rows of a few seconds after midnight only (a short episode): one more copy at the quarter days.
    const morning = Float32Array.from({ length: 8 * width }, (_, k) => (k % width === 15 ? 1e-4 : k % width === 16 ? 1 : k));
    const spanned = spanTheDay(morning, width, clockColumns(admm));
    expect(spanned).toHaveLength(2 * morning.length);
    expect(spanned.subarray(0, morning.length)).toEqual(morning);
    const pairs = Array.from({ length: 8 }, (_, r) => [spanned[(8 + r) * width + 15], spanned[(8 + r) * width + 16]]);
    expect(pairs.slice(0, 4)).toEqual([
      [0, 1],
      [1, 0],
      [0, -1],
      [-1, 0],
    ]);
    expect(spanned[8 * width + 3]).toBe(morning[3]);
  }, 60_000);
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

/**
 * `onnx:<file>`: the actors exported by `ns3ts export --format onnx` (docs/export.md), run in
 * onnxruntime-node. The input normalization is in the graph, so the source feeds raw observation
 * rows. Raw outputs mean the same as for `checkpoint:<run-dir>` (checkpoint-source.ts):
 *  - `cell` exports (td3 / ddpg): `raw_shares`, the actor's shares before their projection;
 *  - `admm` exports (maddpg-*): the agent's ADMM decision z from a cold start, its x-step the
 *    exported actors (one batched run of the graph per iteration over every active (cell, slice)
 *    row, each row reading the output of its slice's type).
 *
 * onnxruntime runs a graph asynchronously, so the ADMM loop is constraints/ admmSolveAsync: the
 * agent's loop (the same step functions as admmSolve) awaiting one graph run per x-step, at most
 * maxIterations runs per request.
 *
 * An export of actors that read the time of day (metadata `clock`) takes one more input,
 * `seconds_of_day`: the source feeds the request's time (or the server's, servedSecondsOfDay) on
 * every row.
 *
 * onnxruntime-node is imported when the first ONNX model is loaded, so other commands never load it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as Ort from 'onnxruntime-node';
import { admmSolveAsync, createAdmmState, DEFAULT_ADMM_SETTINGS } from '../constraints/index.js';
import { readOnnxMetadata, SECONDS_OF_DAY_INPUT, type ExportMetadata } from '../export/index.js';
import { FEATURES_PER_SLICE, SLICE_FEATURES, type SliceType } from '../families/index.js';
import { Ns3tsError } from '../util/index.js';
import { activeFlags, SERVE_BUDGET } from './allocate.js';
import { servedSecondsOfDay, type ModelMetadata, type PolicySource, type PolicySourceOptions } from './source.js';

type OrtModule = typeof Ort;

let ortModule: Promise<OrtModule> | undefined;

/** onnxruntime-node, imported once; a missing install is one line. */
function loadOrt(spec: string): Promise<OrtModule> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => (m as unknown as { default?: OrtModule }).default ?? (m as unknown as OrtModule),
    (err: unknown) => {
      ortModule = undefined;
      throw new Ns3tsError(`${spec}: onnxruntime-node could not be loaded (${(err as Error).message.split('\n')[0]}); expected it installed with ns3ts (npm install onnxruntime-node)`);
    },
  );
  return ortModule;
}

export async function loadOnnxSource(file: string, spec = `onnx:${file}`, options: PolicySourceOptions = {}): Promise<PolicySource> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Ns3tsError(`${spec}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}), expected an ONNX file written by \`ns3ts export --format onnx\``);
  }
  const exported = readOnnxMetadata(file);
  if (exported.features.length !== SLICE_FEATURES.length || exported.features.some((f, i) => f !== SLICE_FEATURES[i])) {
    throw new Ns3tsError(`${spec}: ns3ts.metadata.features is ${JSON.stringify(exported.features)}, expected this ns3ts's observation features ${JSON.stringify(SLICE_FEATURES)}`);
  }
  const ort = await loadOrt(spec);
  let session: Ort.InferenceSession;
  try {
    // One thread per run: the server already runs requests side by side on a small machine.
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new Ns3tsError(`${spec}: onnxruntime cannot load the graph (${(err as Error).message.split('\n')[0]})`);
  }
  const missing = exported.outputs.map((o) => o.name).filter((name) => !session.outputNames.includes(name));
  if (missing.length > 0) {
    await session.release();
    throw new Ns3tsError(`${spec}: graph outputs ${JSON.stringify(session.outputNames)} lack ${missing.join(', ')}, expected the outputs named in ns3ts.metadata.outputs`);
  }
  // The inputs the source feeds: a graph that wants another one would fail every request instead.
  const fed = ['obs', ...(exported.arrangement === 'admm' ? ['target', 'rho'] : []), ...(exported.clock ? [SECONDS_OF_DAY_INPUT] : [])];
  if (session.inputNames.length !== fed.length || fed.some((name) => !session.inputNames.includes(name))) {
    await session.release();
    throw new Ns3tsError(`${spec}: graph inputs are ${JSON.stringify(session.inputNames)}, expected ${JSON.stringify(fed)} for ${exported.arrangement} actors ${exported.clock ? 'with' : 'without'} a clock (ns3ts.metadata.clock)`);
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const metadata = servedMetadata(exported, spec, hash, options);
  return exported.arrangement === 'admm' ? new OnnxAdmmSource(metadata, exported, ort, session) : new OnnxCellSource(metadata, exported, ort, session);
}

function servedMetadata(exported: ExportMetadata, spec: string, hash: string, options: PolicySourceOptions): ModelMetadata {
  return {
    source: spec,
    kind: 'onnx',
    agent: exported.agentId,
    hash,
    version: `${exported.agentId}@${hash.slice(0, 12)}`,
    scenario: exported.scenario,
    trainedCells: exported.layout.cells,
    slices: exported.layout.slices.map((s) => ({ name: s.name, type: s.type as SliceType, phiTarget: s.phiTarget, delayTarget: s.delayTarget })),
    features: exported.features,
    timeOfDay: exported.clock !== undefined,
    bounds: { lower: [...exported.shareFloors], upper: [...exported.shareCaps] },
    admm: { ...DEFAULT_ADMM_SETTINGS, budget: SERVE_BUDGET },
    decisionAdmmIterations: exported.admm ? (options.admmIterations ?? exported.admm.maxIterations) : null,
    loadedAt: new Date().toISOString(),
    export: exported,
  };
}

/** `seconds_of_day` [n, 1] for n rows of one request (the feeds of an export with a clock), else nothing. */
function clockFeeds(ort: OrtModule, metadata: ModelMetadata, rows: number, secondsOfDay: number | undefined): Record<string, Ort.Tensor> {
  if (!metadata.timeOfDay) return {};
  return { [SECONDS_OF_DAY_INPUT]: new ort.Tensor('float32', new Float32Array(rows).fill(servedSecondsOfDay(secondsOfDay)), [rows, 1]) };
}

/** td3 / ddpg: `obs` [cells, slices × features] (and `seconds_of_day` [cells, 1]) → `raw_shares` [cells, slices], one run. */
class OnnxCellSource implements PolicySource {
  constructor(
    readonly metadata: ModelMetadata,
    private readonly exported: ExportMetadata,
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
  ) {}

  async predict(observations: Float32Array, cells: number, secondsOfDay?: number): Promise<Float32Array> {
    const S = this.metadata.slices.length;
    const obs = new this.ort.Tensor('float32', observations.slice(0, cells * S * FEATURES_PER_SLICE), [cells, S * FEATURES_PER_SLICE]);
    const output = this.exported.outputs[0]!.name;
    const result = await this.session.run({ obs, ...clockFeeds(this.ort, this.metadata, cells, secondsOfDay) }, [output]);
    return Float32Array.from(result[output]!.data as Float32Array);
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** maddpg-*: the ADMM decision with the exported actors as its x-step (see the file comment). */
class OnnxAdmmSource implements PolicySource {
  private readonly slices: number;
  /** Output name of each slice's type. */
  private readonly outputOf: string[];
  private readonly outputs: string[];
  /** The exported decision's ADMM settings with the cap in force (the export's, or the server's). */
  private readonly admm: NonNullable<ExportMetadata['admm']>;

  constructor(
    readonly metadata: ModelMetadata,
    private readonly exported: ExportMetadata,
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
  ) {
    this.slices = metadata.slices.length;
    this.admm = { ...exported.admm!, maxIterations: metadata.decisionAdmmIterations! };
    this.outputs = exported.outputs.map((o) => o.name);
    this.outputOf = exported.sliceTypeOf.map((t) => {
      const type = exported.sliceTypes[t];
      const output = exported.outputs.find((o) => o.sliceType === type);
      if (!output) throw new Ns3tsError(`${metadata.source}: ns3ts.metadata.outputs has no output of slice type ${type}, expected one per type of sliceTypes`);
      return output.name;
    });
  }

  async predict(observations: Float32Array, cells: number, secondsOfDay?: number): Promise<Float32Array> {
    const S = this.slices;
    const active = activeFlags(observations, cells, S);
    const rows: number[] = [];
    for (let i = 0; i < cells * S; i++) if (active[i]) rows.push(i);
    const m = rows.length;
    const obs = new Float32Array(m * FEATURES_PER_SLICE);
    rows.forEach((i, j) => obs.set(observations.subarray(i * FEATURES_PER_SLICE, (i + 1) * FEATURES_PER_SLICE), j * FEATURES_PER_SLICE));
    const obsTensor = new this.ort.Tensor('float32', obs, [m, FEATURES_PER_SLICE]);
    // The same for every iteration: the time of day is the request's.
    const clock = clockFeeds(this.ort, this.metadata, m, secondsOfDay);
    const settings = this.admm;
    const bounds = this.boundsOrNull();
    const target = new Float32Array(m);
    const rho = new Float32Array(m);
    const result = await admmSolveAsync(
      createAdmmState(cells, S, settings.rho),
      async (v, penalty, x) => {
        rows.forEach((i, j) => {
          target[j] = v[i]!;
          rho[j] = penalty[Math.floor(i / S)]!;
        });
        const run = await this.session.run(
          { obs: obsTensor, target: new this.ort.Tensor('float32', target, [m, 1]), rho: new this.ort.Tensor('float32', rho, [m, 1]), ...clock },
          this.outputs,
        );
        rows.forEach((i, j) => {
          x[i] = (run[this.outputOf[i % S]!]!.data as Float32Array)[j]!;
        });
      },
      settings,
      active,
      bounds,
    );
    return Float32Array.from(result.z);
  }

  /** The floors and caps of the agent's own ADMM z-step (none when they are [0, 1]). */
  private boundsOrNull(): { lower: number[]; upper: number[] } | null {
    const { shareFloors: lower, shareCaps: upper } = this.exported;
    return lower.every((v) => v === 0) && upper.every((v) => v >= 1) ? null : { lower, upper };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

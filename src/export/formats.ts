/**
 * The three export formats of a run's actors (docs/export.md):
 *
 *   onnx  one model: input normalization + every actor, metadata under `ns3ts.metadata`
 *   tfjs  one TF.js layers model per actor (<out>/<actor>/model.json + weights.bin) on the
 *         normalized inputs, metadata in each model.json's userDefinedMetadata and <out>/metadata.json
 *   json  one plain JSON document: metadata and every actor's layers (float or int8)
 */
import type { RunActors } from '../agents/index.js';
import type { MlpSpec, QuantizedMlpSpec } from '../native/index.js';
import { FEATURES_PER_SLICE } from '../scenario/index.js';
import { ONNX_METADATA_KEY, SECONDS_OF_DAY_INPUT, type ExportMetadata } from './metadata.js';
import { addClockPair, addMlp, addSliceNormalization, encodeOnnxModel, GraphBuilder, valueInfo } from './onnx.js';

export type ActorWeights = MlpSpec | QuantizedMlpSpec;

/**
 * The ONNX model of a run's actors with the input normalization in the graph. A run whose actors
 * read the time of day also takes `seconds_of_day`, whose sin and cos follow each row's 15
 * normalized features, where encodeObservation (src/agents/core/features.ts) puts them.
 */
export function policyToOnnx(run: RunActors, specs: readonly ActorWeights[], metadata: ExportMetadata): Uint8Array {
  const g = new GraphBuilder();
  const S = run.layout.slices.length;
  let inputs;
  if (run.arrangement === 'admm') {
    const normalized = addSliceNormalization(g, 'obs');
    // Every row has its own time (one value per row, as obs, target and rho): no broadcast needed.
    const clock = run.clock ? addClockPair(g, SECONDS_OF_DAY_INPUT) : [];
    const logRho = g.node('Div', [g.node('Log', ['rho']), g.scalar(Math.LN10)]);
    const actorInput = g.node('Concat', [normalized, ...clock, 'target', logRho], [{ name: 'axis', i: 1 }], 'actor_input');
    run.actors.forEach((actor, t) => addMlp(g, specs[t]!, actorInput, actor.name, metadata.outputs[t]!.name));
    inputs = [valueInfo('obs', FEATURES_PER_SLICE, 'rows'), valueInfo('target', 1, 'rows'), valueInfo('rho', 1, 'rows')];
    if (run.clock) inputs.push(valueInfo(SECONDS_OF_DAY_INPUT, 1, 'rows'));
  } else {
    const rows = g.node('Reshape', ['obs', g.int64Tensor('slice_rows_shape', [2], [-1, FEATURES_PER_SLICE])]);
    let normalized = addSliceNormalization(g, rows);
    if (run.clock) {
      // One time per cell: its (sin, cos) [cells, 2] tiled to [cells, S x 2], i.e. one pair per (cell, slice) row.
      const pair = g.node('Concat', addClockPair(g, SECONDS_OF_DAY_INPUT), [{ name: 'axis', i: 1 }]);
      const tiled = g.node('Tile', [pair, g.int64Tensor('clock_repeats', [2], [1, S])]);
      const perRow = g.node('Reshape', [tiled, g.int64Tensor('clock_rows_shape', [2], [-1, 2])]);
      normalized = g.node('Concat', [normalized, perRow], [{ name: 'axis', i: 1 }]);
    }
    const perCell = g.node('Reshape', [normalized, g.int64Tensor('cell_rows_shape', [2], [-1, S * run.normFeatures])], [], 'actor_input');
    addMlp(g, specs[0]!, perCell, run.actors[0]!.name, metadata.outputs[0]!.name);
    inputs = [valueInfo('obs', S * FEATURES_PER_SLICE, 'cells')];
    if (run.clock) inputs.push(valueInfo(SECONDS_OF_DAY_INPUT, 1, 'cells'));
  }
  const outputs = metadata.outputs.map((o) => valueInfo(o.name, o.shape[1] as number, run.arrangement === 'admm' ? 'rows' : 'cells'));
  return encodeOnnxModel({
    graphName: `ns3ts_${run.agentId.replace(/[^A-Za-z0-9_]/g, '_')}`,
    builder: g,
    inputs,
    outputs,
    metadata: { [ONNX_METADATA_KEY]: JSON.stringify(metadata) },
    docString: `ns3ts ${run.agentId} actors (${metadata.scenario ?? 'unknown scenario'}); metadata: the JSON under ${ONNX_METADATA_KEY}`,
    producerVersion: metadata.ns3tsVersion,
  });
}

/** The files of one TF.js layers model: model.json (topology + manifest) and its weights. */
export interface TfjsModelFiles {
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
}

/** A Sequential model of Dense layers with `spec`'s weights, in the TF.js layers format. */
export function mlpToTfjs(spec: MlpSpec, name: string, userDefinedMetadata: Record<string, unknown>): TfjsModelFiles {
  const layers = spec.layers.map((layer, l) => ({
    class_name: 'Dense',
    config: {
      name: `dense_${l}`,
      trainable: false,
      dtype: 'float32',
      units: layer.outSize,
      activation: layer.activation,
      use_bias: true,
      ...(l === 0 ? { batch_input_shape: [null, layer.inSize] } : {}),
    },
  }));
  const manifest: Array<{ name: string; shape: number[]; dtype: 'float32' }> = [];
  const parts: Float32Array[] = [];
  spec.layers.forEach((layer, l) => {
    manifest.push({ name: `dense_${l}/kernel`, shape: [layer.inSize, layer.outSize], dtype: 'float32' });
    manifest.push({ name: `dense_${l}/bias`, shape: [layer.outSize], dtype: 'float32' });
    parts.push(layer.weights, layer.bias);
  });
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'ns3ts export',
      convertedBy: null,
      modelTopology: { class_name: 'Sequential', config: { name, layers }, keras_version: 'tfjs-layers', backend: 'tensor_flow.js' },
      weightsManifest: [{ paths: ['weights.bin'], weights: manifest }],
      userDefinedMetadata,
    },
    weights,
  };
}

/** Format tag and version of the JSON export. */
export const JSON_EXPORT_FORMAT = 'ns3ts-policy';
export const JSON_EXPORT_VERSION = 1;

export interface JsonExportLayer {
  inSize: number;
  outSize: number;
  activation: string;
  /** Row-major [inSize, outSize]: float32 values, or int8 values when quantized. */
  weights: number[];
  bias: number[];
  /** Quantized layers only: per-output-channel weight scales and the input scale of each input channel. */
  weightScales?: number[];
  inputScales?: number[];
}

export interface JsonExport {
  format: typeof JSON_EXPORT_FORMAT;
  version: number;
  metadata: ExportMetadata;
  actors: Array<{ name: string; sliceType?: string; output: string; layers: JsonExportLayer[] }>;
}

export function policyToJson(run: RunActors, specs: readonly ActorWeights[], metadata: ExportMetadata): JsonExport {
  return {
    format: JSON_EXPORT_FORMAT,
    version: JSON_EXPORT_VERSION,
    metadata,
    actors: run.actors.map((actor, t) => ({
      name: actor.name,
      ...(actor.sliceType === undefined ? {} : { sliceType: actor.sliceType }),
      output: metadata.outputs[t]!.name,
      layers: specs[t]!.layers.map((layer) => ({
        inSize: layer.inSize,
        outSize: layer.outSize,
        activation: layer.activation,
        weights: Array.from(layer.weights),
        bias: Array.from(layer.bias),
        ...('inputScales' in layer ? { weightScales: Array.from(layer.weightScales), inputScales: Array.from(layer.inputScales) } : {}),
      })),
    })),
  };
}

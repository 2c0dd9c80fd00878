/**
 * What an exported policy carries besides its weights: everything a server needs to turn per-cell
 * observations into feasible shares with it (layout, feature order, slice types, share floors and
 * caps, ADMM settings) and to say which model it serves (ns3ts version, checkpoint hash). ONNX
 * files store it as one JSON string under `ns3ts.metadata` in metadata_props; the JSON and TF.js
 * exports embed the same object.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx, type OnnxTypes } from './onnx-proto.js';
import { CHECKPOINT_FILE, type RunActors } from '../agents/index.js';
import { FEATURES_PER_SLICE, SLICE_FEATURES, type SlicingLayout } from '../scenario/index.js';
import { Ns3tsError, packageRoot } from '../util/index.js';

/** The metadata_props key of the ns3ts metadata in an exported ONNX model. */
export const ONNX_METADATA_KEY = 'ns3ts.metadata';
/**
 * Bumped when a field changes meaning; readers refuse versions they do not know. 2 added `clock`
 * and the `seconds_of_day` input of policies that read the time of day; an export without a clock
 * is still written as version 1 (the same file as before), so readers of version 1 serve it and
 * refuse only what they could not feed.
 */
export const EXPORT_SCHEMA_VERSION = 2;
const SCHEMA_VERSION_WITHOUT_CLOCK = 1;

/** The graph input of the time of day (exports of policies with a clock). */
export const SECONDS_OF_DAY_INPUT = 'seconds_of_day';

/** One graph input or output: name, shape (null = batch dimension) and meaning. */
export interface ExportTensorInfo {
  name: string;
  shape: Array<number | null>;
  description: string;
}

/** Int8 quantization of an exported model (see docs/export.md, "Quantization"). */
export interface QuantizationInfo {
  scheme: 'int8-symmetric';
  /** Weights: one scale per output channel; inputs: one calibrated scale per channel of the first layer, one per hidden layer (folded into the weights). */
  weights: 'per-output-channel';
  activations: 'per-channel-first-layer';
  /** Observation rows (ADMM-iteration inputs) the activation ranges were calibrated on. */
  calibrationRows: number;
  calibrationEpisodes: number;
}

export interface ExportMetadata {
  schemaVersion: number;
  ns3tsVersion: string;
  /** SHA-256 (hex) of the run's checkpoint.bin. */
  checkpointSha256: string;
  agentId: string;
  /** `admm`: one actor per slice type inside the ADMM loop; `cell`: one actor per cell before the projection. */
  arrangement: RunActors['arrangement'];
  scenario: string | null;
  layout: SlicingLayout;
  /** Raw features of one (cell, slice) row of an observation, in order (the `obs` input's columns). */
  features: string[];
  /** Slice types in the order of the actors (admm); `sliceTypeOf[s]` is the type index of slice s. */
  sliceTypes: string[];
  sliceTypeOf: number[];
  /** Share floor and cap of each slice (the scenario's minShare / maxShare). */
  shareFloors: number[];
  shareCaps: number[];
  /** The ADMM settings of the deployed decision (admm only, else null). */
  admm: RunActors['admm'] | null;
  /**
   * Inputs per slice row (what the input-normalization nodes produce): the 15 normalized features,
   * then, with a clock, sin and cos of the time of day (17).
   */
  normFeatures: number;
  /**
   * Present when the actors read the time of day (agent setting timeOfDay): the training scenario's
   * seconds per step. The graph then takes `seconds_of_day`, the time at the start of the step.
   */
  clock?: { stepSeconds: number };
  inputs: ExportTensorInfo[];
  outputs: Array<ExportTensorInfo & { sliceType?: string }>;
  quantization: QuantizationInfo | null;
}

function ns3tsVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The time-of-day input of an export with a clock, for the rows of one step (`of`: whose step). */
function secondsOfDayInfo(of: string): ExportTensorInfo {
  return {
    name: SECONDS_OF_DAY_INPUT,
    shape: [null, 1],
    description: `seconds since midnight (0 <= x < 86400) at the start of the step ${of} allocated for; the graph appends sin and cos of 2 pi x / 86400 to each slice row's 15 normalized features`,
  };
}

/** The graph inputs and outputs of an export (shared by every format; TF.js takes normalized rows). */
export function tensorInfo(run: RunActors): { inputs: ExportTensorInfo[]; outputs: ExportMetadata['outputs'] } {
  const S = run.layout.slices.length;
  if (run.arrangement === 'admm') {
    return {
      inputs: [
        { name: 'obs', shape: [null, FEATURES_PER_SLICE], description: 'one raw observation row per (cell, slice) pair, features in `features` order' },
        { name: 'target', shape: [null, 1], description: 'the ADMM target v = z - u of the pair' },
        { name: 'rho', shape: [null, 1], description: "the ADMM penalty rho of the pair's cell (> 0)" },
        ...(run.clock ? [secondsOfDayInfo("the pair's cell is")] : []),
      ],
      outputs: run.actors.map((a) => ({
        name: `x_${a.sliceType!}`,
        shape: [null, 1],
        sliceType: a.sliceType!,
        description: `x-step of a ${a.sliceType!} slice in [0, 1] (use the rows whose slice has this type)`,
      })),
    };
  }
  return {
    inputs: [
      { name: 'obs', shape: [null, S * FEATURES_PER_SLICE], description: "one cell's raw observation per row: its slices' rows concatenated" },
      ...(run.clock ? [secondsOfDayInfo('the cell is')] : []),
    ],
    outputs: [{ name: 'raw_shares', shape: [null, S], description: 'actor output per slice in [0, 1], before the projection onto the feasible shares' }],
  };
}

/**
 * The input of the TF.js models, which have no normalization in them: the actor's own input, whose
 * columns the caller computes as src/agents/core/features.ts does. Without a clock, the text
 * earlier versions wrote (so the export is the same file).
 */
export function normalizedInputInfo(run: RunActors): ExportTensorInfo {
  const shape = [null, run.actors[0]!.spec.layers[0]!.inSize];
  if (!run.clock) return { name: 'actor_input', shape, description: 'normalized inputs (docs/export.md, "Input normalization")' };
  const row = 'the 15 normalized features, then sin and cos of 2 pi secondsOfDay / 86400 (secondsOfDay: the time of day at the start of the step)';
  const description =
    run.arrangement === 'admm'
      ? `one (cell, slice) pair per row: ${row}, then the ADMM target v and log10 rho (docs/export.md, "Input normalization")`
      : `one cell per row: each slice's ${row}, slices concatenated (docs/export.md, "Input normalization")`;
  return { name: 'actor_input', shape, description };
}

export function checkpointSha256(runDir: string): string {
  return createHash('sha256').update(readFileSync(join(runDir, CHECKPOINT_FILE))).digest('hex');
}

export function buildMetadata(run: RunActors, runDir: string, quantization: QuantizationInfo | null): ExportMetadata {
  const { types, typeOf } = run.sliceTypes;
  const scenarioName = run.scenario.name;
  return {
    schemaVersion: run.clock ? EXPORT_SCHEMA_VERSION : SCHEMA_VERSION_WITHOUT_CLOCK,
    ns3tsVersion: ns3tsVersion(),
    checkpointSha256: checkpointSha256(runDir),
    agentId: run.agentId,
    arrangement: run.arrangement,
    scenario: typeof scenarioName === 'string' ? scenarioName : null,
    layout: run.layout,
    features: [...SLICE_FEATURES],
    sliceTypes: types,
    sliceTypeOf: typeOf,
    shareFloors: run.bounds.lower,
    shareCaps: run.bounds.upper,
    admm: run.admm ?? null,
    normFeatures: run.normFeatures,
    // Only with a clock: the metadata of a run without one stays what earlier versions wrote.
    ...(run.clock ? { clock: { stepSeconds: run.clock.stepSeconds } } : {}),
    ...tensorInfo(run),
    quantization,
  };
}

/** Checks the fields a server relies on; throws one line naming the first bad field. */
export function checkMetadata(value: unknown, source: string): ExportMetadata {
  const fail = (field: string, got: unknown, expected: string): never => {
    throw new Ns3tsError(`${source}: ${ONNX_METADATA_KEY}.${field} is ${JSON.stringify(got) ?? 'missing'}, expected ${expected}`);
  };
  if (typeof value !== 'object' || value === null) return fail('', value, 'a JSON object');
  const m = value as Partial<ExportMetadata>;
  if (m.schemaVersion !== SCHEMA_VERSION_WITHOUT_CLOCK && m.schemaVersion !== EXPORT_SCHEMA_VERSION) {
    fail('schemaVersion', m.schemaVersion, `${SCHEMA_VERSION_WITHOUT_CLOCK} or ${EXPORT_SCHEMA_VERSION} (this ns3ts reads only those versions)`);
  }
  if (m.arrangement !== 'admm' && m.arrangement !== 'cell') fail('arrangement', m.arrangement, "'admm' or 'cell'");
  if (!m.layout || !Number.isInteger(m.layout.cells) || !Array.isArray(m.layout.slices)) fail('layout', m.layout, '{ cells, slices }');
  if (!Array.isArray(m.outputs) || m.outputs.length === 0) fail('outputs', m.outputs, 'a non-empty list of outputs');
  if (m.arrangement === 'admm' && (typeof m.admm !== 'object' || m.admm === null)) fail('admm', m.admm, 'the ADMM settings of an admm export');
  if (m.clock !== undefined && !(typeof m.clock === 'object' && m.clock !== null && m.clock.stepSeconds > 0)) fail('clock', m.clock, '{ stepSeconds > 0 }, or no clock');
  if (m.clock !== undefined && m.schemaVersion !== EXPORT_SCHEMA_VERSION) fail('schemaVersion', m.schemaVersion, `${EXPORT_SCHEMA_VERSION} for an export with a clock`);
  return m as ExportMetadata;
}

/** The ns3ts metadata of an exported ONNX file (for `ns3ts serve --policy onnx:<file>`). */
export function readOnnxMetadata(path: string): ExportMetadata {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(readFileSync(path));
  } catch (err) {
    throw new Ns3tsError(`${path}: not a readable ONNX model (${(err as Error).message.split('\n')[0]})`);
  }
  const entry = model.metadataProps.find((p) => p.key === ONNX_METADATA_KEY);
  if (!entry) throw new Ns3tsError(`${path}: no ${ONNX_METADATA_KEY} entry in metadata_props (expected a model written by \`ns3ts export --format onnx\`)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value ?? '');
  } catch (err) {
    throw new Ns3tsError(`${path}: ${ONNX_METADATA_KEY} is not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return checkMetadata(parsed, path);
}

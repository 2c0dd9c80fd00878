/**
 * `ns3ts export`: a run's actor networks in a format other runtimes load (ONNX, TF.js layers,
 * plain JSON), optionally int8-quantized with activation ranges calibrated on evaluation episodes.
 * Every file is written atomically (temp + rename; a TF.js directory is built aside and renamed in).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { actorNetworksOfRun, CHECKPOINT_FILE, type RunActors } from '../agents/index.js';
import { quantizeMlpSpec, type MlpSpec, type QuantizedMlpSpec } from '../native/index.js';
import { loadScenario, type Scenario } from '../scenario/index.js';
import { InputError, Ns3tsError, writeFileAtomic } from '../util/index.js';
import { clockColumns, collectCalibration, spanTheDay, type CalibrationData } from './calibrate.js';
import { mlpToTfjs, policyToJson, policyToOnnx, JSON_EXPORT_FORMAT, JSON_EXPORT_VERSION, type ActorWeights, type JsonExport } from './formats.js';
import { buildMetadata, checkMetadata, normalizedInputInfo, type ExportMetadata, type QuantizationInfo } from './metadata.js';

export const EXPORT_FORMATS = ['onnx', 'tfjs', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const QUANTIZE_CHOICES = ['int8'] as const;
export type QuantizeChoice = (typeof QUANTIZE_CHOICES)[number];

/** Evaluation episodes played to calibrate the activation ranges (default of --calibration-episodes). */
export const DEFAULT_CALIBRATION_EPISODES = 2;

export interface ExportOptions {
  format: ExportFormat;
  /** The file (onnx, json) or directory (tfjs) to write. */
  out: string;
  quantize?: QuantizeChoice;
  /** Scenario the calibration episodes are played on (default: the one the run was trained on). */
  scenario?: Scenario;
  calibrationEpisodes?: number;
  /** Seed of the first calibration episode (default: the scenario's seed). */
  seed?: number;
}

export interface ExportResult {
  format: ExportFormat;
  /** Every file written. */
  files: string[];
  metadata: ExportMetadata;
  /** The calibration (quantized exports only). */
  calibration?: Omit<CalibrationData, 'inputs'>;
}

export function parseExportFormat(value: unknown, field = '--format'): ExportFormat {
  if (!EXPORT_FORMATS.includes(value as ExportFormat)) throw new InputError(field, value, `one of ${EXPORT_FORMATS.join(', ')}`);
  return value as ExportFormat;
}

export function parseQuantize(value: unknown, field = '--quantize'): QuantizeChoice {
  if (!QUANTIZE_CHOICES.includes(value as QuantizeChoice)) throw new InputError(field, value, `one of ${QUANTIZE_CHOICES.join(', ')}`);
  return value as QuantizeChoice;
}

/** The run's scenario, for calibration: the checkpoint names it. */
function trainingScenario(run: RunActors, runDir: string): Scenario {
  const name = run.scenario.name;
  if (typeof name !== 'string') throw new Ns3tsError(`${runDir}: the checkpoint does not name its scenario; pass the scenario to calibrate on`);
  return loadScenario(name);
}

/** Quantizes every actor on the inputs it sees over calibration episodes (with the whole day on its clock columns: spanTheDay). */
export async function quantizeRunActors(
  run: RunActors,
  scenario: Scenario,
  episodes = DEFAULT_CALIBRATION_EPISODES,
  seed = scenario.seed,
): Promise<{ specs: QuantizedMlpSpec[]; calibration: CalibrationData }> {
  if (!Number.isInteger(episodes) || episodes < 1) throw new InputError('--calibration-episodes', episodes, 'an integer >= 1');
  const calibration = await collectCalibration(run, scenario, episodes, seed);
  calibration.rows.forEach((rows, t) => {
    if (rows === 0) throw new Ns3tsError(`${run.actors[t]!.name}: no calibration rows over ${episodes} episodes of ${scenario.name} (its slice type was never active)`);
  });
  const clock = clockColumns(run);
  return { specs: run.actors.map((a, t) => quantizeMlpSpec(a.spec, spanTheDay(calibration.inputs[t]!, a.spec.layers[0]!.inSize, clock))), calibration };
}

/** Exports the actors of the MLP agent trained in `runDir`. */
export async function exportRun(runDir: string, options: ExportOptions): Promise<ExportResult> {
  const format = parseExportFormat(options.format);
  if (options.quantize !== undefined) parseQuantize(options.quantize);
  if (typeof options.out !== 'string' || options.out === '') throw new InputError('--out', options.out, 'a path to write the export to');
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new InputError('<run-dir>', runDir, 'a run directory written by `ns3ts train`');
  if (!existsSync(join(runDir, CHECKPOINT_FILE))) throw new InputError('<run-dir>', runDir, `a run directory with a ${CHECKPOINT_FILE} (this one has none: the run saved no checkpoint yet)`);
  if (format === 'tfjs' && options.quantize) {
    throw new InputError('--quantize', options.quantize, 'no quantization with --format tfjs (the TF.js layers format stores float32 weights; use onnx or json)');
  }
  const run = await actorNetworksOfRun(runDir);
  let specs: ActorWeights[] = run.actors.map((a) => a.spec);
  let quantization: QuantizationInfo | null = null;
  let calibration: CalibrationData | undefined;
  if (options.quantize === 'int8') {
    const scenario = options.scenario ?? trainingScenario(run, runDir);
    const quantized = await quantizeRunActors(run, scenario, options.calibrationEpisodes, options.seed);
    specs = quantized.specs;
    calibration = quantized.calibration;
    quantization = {
      scheme: 'int8-symmetric',
      weights: 'per-output-channel',
      activations: 'per-channel-first-layer',
      calibrationRows: calibration.rows.reduce((a, b) => a + b, 0),
      calibrationEpisodes: calibration.episodes,
    };
  }
  const metadata = buildMetadata(run, runDir, quantization);
  let files: string[];
  if (format === 'onnx') {
    writeFileAtomic(options.out, policyToOnnx(run, specs, metadata));
    files = [options.out];
  } else if (format === 'json') {
    writeFileAtomic(options.out, `${JSON.stringify(policyToJson(run, specs, metadata))}\n`);
    files = [options.out];
  } else {
    files = writeTfjsDirectory(options.out, run, metadata);
  }
  return { format, files, metadata, ...(calibration ? { calibration: { rows: calibration.rows, episodes: calibration.episodes, meanUtility: calibration.meanUtility } } : {}) };
}

/** The TF.js export: metadata.json and one model directory per actor, swapped in as a whole. */
function writeTfjsDirectory(out: string, run: RunActors, metadata: ExportMetadata): string[] {
  const tfjsMetadata: ExportMetadata = {
    ...metadata,
    // TF.js models take the normalized rows (the layers format has no op for the normalization).
    inputs: [normalizedInputInfo(run)],
  };
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  const files: string[] = [];
  try {
    writeFileSync(join(tmp, 'metadata.json'), `${JSON.stringify(tfjsMetadata, null, 2)}\n`);
    files.push(join(out, 'metadata.json'));
    run.actors.forEach((actor, t) => {
      const model = mlpToTfjs(actor.spec, actor.name, { ns3ts: { ...tfjsMetadata, outputs: [tfjsMetadata.outputs[t]] } });
      mkdirSync(join(tmp, actor.name));
      writeFileSync(join(tmp, actor.name, 'model.json'), `${JSON.stringify(model.modelJson)}\n`);
      writeFileSync(join(tmp, actor.name, 'weights.bin'), model.weights);
      files.push(join(out, actor.name, 'model.json'), join(out, actor.name, 'weights.bin'));
    });
    const old = existsSync(out) ? `${out}.old-${process.pid}-${randomBytes(4).toString('hex')}` : undefined;
    if (old) {
      if (!statSync(out).isDirectory()) throw new InputError('--out', out, 'a directory (or a new path) for --format tfjs; this is a file');
      renameSync(out, old);
    }
    mkdirSync(dirname(out), { recursive: true });
    renameSync(tmp, out);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return files;
}

/** An actor of a JSON export, back as a float or quantized spec. */
export interface LoadedJsonActor {
  name: string;
  sliceType?: string;
  output: string;
  spec: ActorWeights;
}

/** Reads a `--format json` export back (metadata checked, layers as MlpSpec or QuantizedMlpSpec). */
export function readJsonExport(path: string): { metadata: ExportMetadata; actors: LoadedJsonActor[] } {
  let doc: JsonExport;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as JsonExport;
  } catch (err) {
    throw new Ns3tsError(`${path}: not a readable JSON export (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc?.format !== JSON_EXPORT_FORMAT || doc.version !== JSON_EXPORT_VERSION) {
    throw new InputError(`${path}: format/version`, `${String(doc?.format)}/${String(doc?.version)}`, `${JSON_EXPORT_FORMAT}/${JSON_EXPORT_VERSION}`);
  }
  const metadata = checkMetadata(doc.metadata, path);
  const actors = doc.actors.map((actor) => {
    const layers = actor.layers.map((l) => {
      const common = { inSize: l.inSize, outSize: l.outSize, activation: l.activation as MlpSpec['layers'][number]['activation'], bias: Float32Array.from(l.bias) };
      return l.inputScales === undefined
        ? { ...common, weights: Float32Array.from(l.weights) }
        : { ...common, weights: Int8Array.from(l.weights), weightScales: Float32Array.from(l.weightScales ?? []), inputScales: Float32Array.from(l.inputScales) };
    });
    return { name: actor.name, ...(actor.sliceType === undefined ? {} : { sliceType: actor.sliceType }), output: actor.output, spec: { layers } as ActorWeights };
  });
  return { metadata, actors };
}

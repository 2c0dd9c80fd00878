/**
 * Where a served policy comes from. A `PolicySource` is a loaded model: what it was trained on
 * (its metadata) and its raw actor outputs for a batch of cells. The server never turns raw
 * outputs into allocations itself through the source: every allocation goes through the
 * constraint layer (allocate.ts), whatever the source.
 *
 *   checkpoint:<run-dir>   a run written by `ns3ts train` (checkpoint-source.ts)
 *   onnx:<file>            an exported actor with its JSON metadata (onnx-source.ts)
 */
import type { AdmmSettings } from '../constraints/index.js';
import type { ExportMetadata } from '../export/index.js';
import type { SliceType } from '../families/index.js';
import { SECONDS_PER_DAY } from '../agents/index.js';
import { InputError } from '../util/index.js';

export { SECONDS_PER_DAY };

/** One slice of the layout a model was trained on (the order of a request's slices). */
export interface ServedSlice {
  name: string;
  type: SliceType;
  phiTarget: number;
  delayTarget: number;
}

/** What `GET /v1/model` returns, and what the constraint layer needs to know about a model. */
/** How a model is loaded for serving. */
export interface PolicySourceOptions {
  /**
   * Caps the ADMM iterations of a maddpg model's decision per request instead of the run's own
   * setting: each request solves from a cold start, so the cap bounds its latency.
   */
  admmIterations?: number;
}

export interface ModelMetadata {
  /** The --policy spec it was loaded from, e.g. "checkpoint:runs/r1". */
  source: string;
  kind: 'checkpoint' | 'onnx';
  /** The agent that trained it, e.g. "td3", "maddpg-admm". */
  agent: string;
  /** SHA-256 of the model file (checkpoint.bin or the .onnx file), hex. */
  hash: string;
  /** "<agent>@<first 12 hex digits of the hash>": changes whenever the weights change. */
  version: string;
  /** Training scenario, when the model records it. */
  scenario: string | null;
  /** Cells of the training layout (requests may send any number of cells). */
  trainedCells: number;
  slices: ServedSlice[];
  /**
   * Names of the features of one (cell, slice) row of a request, in order. The time of day is not
   * one of them: a request gives it once, as `secondsOfDay` (see `timeOfDay`).
   */
  features: readonly string[];
  /**
   * Whether the model reads the time of day (agent setting timeOfDay): its actors also take sin and
   * cos of the request's `secondsOfDay`, or of the server's local time when a request has none.
   */
  timeOfDay: boolean;
  /** Per-slice share floors and caps of the scenario (index = slice). */
  bounds: { lower: number[]; upper: number[] };
  /** Settings of the constraint layer's ADMM decision. */
  admm: AdmmSettings;
  /**
   * The cap on the ADMM iterations of the model's own decision (maddpg agents, whose actors are
   * ADMM's x-step): the run's setting `admmIterations`, or `ns3ts serve --admm-iterations`. null for
   * models that decide in one pass (td3, ddpg).
   */
  decisionAdmmIterations: number | null;
  /** When this model was loaded (ISO 8601). */
  loadedAt: string;
  /** onnx: the file's `ns3ts.metadata` as written by `ns3ts export` (checkpoint hash, arrangement, quantization, ...). */
  export?: ExportMetadata;
}

export interface PolicySource {
  readonly metadata: ModelMetadata;
  /**
   * Raw actor outputs [cells, slices] (row-major) for observations [cells, slices, features]. A
   * synchronous result may be a view into the source's own scratch space (the server reads it
   * before anything else runs); a promised one must be an array of its own, since other requests
   * run while it is pending. `secondsOfDay`: the time of day at the start of the step the outputs
   * are for, read by models with `metadata.timeOfDay` (servedSecondsOfDay: the local time when
   * not given) and ignored by the others.
   */
  predict(observations: Float32Array, cells: number, secondsOfDay?: number): Float32Array | Promise<Float32Array>;
  /** Releases what the source holds (native sessions); the server calls it after a swap. */
  close?(): void | Promise<void>;
}

/** What a request's `secondsOfDay` may be, in the words of its errors. */
export const SECONDS_OF_DAY_EXPECTED = `seconds since midnight, a number >= 0 and < ${SECONDS_PER_DAY}`;

/** Seconds since midnight of `now` on this machine's local clock (whole seconds). */
export function localSecondsOfDay(now: Date = new Date()): number {
  return now.getHours() * 3600 + now.getMinutes() * 60 + now.getSeconds();
}

/**
 * The time of day a model that reads the clock acts for: the caller's, checked, or this machine's
 * local time at the call (a controller that sends no time asks for the step starting now).
 */
export function servedSecondsOfDay(secondsOfDay: number | undefined, field = 'secondsOfDay'): number {
  if (secondsOfDay === undefined) return localSecondsOfDay();
  if (!(typeof secondsOfDay === 'number' && secondsOfDay >= 0 && secondsOfDay < SECONDS_PER_DAY)) throw new InputError(field, secondsOfDay, SECONDS_OF_DAY_EXPECTED);
  return secondsOfDay;
}

export type PolicySpec = { kind: 'checkpoint'; path: string } | { kind: 'onnx'; path: string };

export const POLICY_SOURCE_HELP = 'checkpoint:<run-dir> (a run of `ns3ts train`) or onnx:<file> (an `ns3ts export` ONNX model)';

/** Parses `checkpoint:<run-dir>` or `onnx:<file>`. */
export function parsePolicySpec(spec: string, field = '--policy'): PolicySpec {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const path = spec.slice(colon + 1);
  if ((kind === 'checkpoint' || kind === 'onnx') && path.length > 0) return { kind, path };
  throw new InputError(field, spec, POLICY_SOURCE_HELP);
}

/**
 * IDLA training samples: per (cell, slice, step) the share in force, the PRB utilization, the
 * history known before the step, the targets, and the achieved QoS level r with the achieved
 * throughput and delay (needed by augmentation rule 1). Stored in the run directory as a raw
 * little-endian Float32 matrix plus a JSON header, both written atomically.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE, FEATURES_PER_SLICE, qosLevel } from '../../families/index.js';
import { InputError, writeFileAtomic, writeJsonAtomic } from '../../util/index.js';
import {
  type FeatureSet,
  HISTORY,
  IDLA_INPUTS,
  INPUT_BACKLOG,
  INPUT_CQI,
  INPUT_DELAY_TARGET,
  INPUT_LOAD,
  INPUT_PHI_TARGET,
  INPUT_USERS,
  INPUT_X,
  SliceHistory,
  inputWidth,
} from './features.js';

/** Columns of a stored sample row. */
export const SAMPLE_FIELDS = [
  'share',
  'prbUtilization',
  ...Array.from({ length: HISTORY }, (_, h) => `users${h}`),
  ...Array.from({ length: HISTORY }, (_, h) => `cqi${h}`),
  'phiTarget',
  'delayTarget',
  'r',
  'throughput',
  'delay',
  'lastBacklog',
  'lastOfferedLoad',
] as const;
export const SAMPLE_WIDTH = SAMPLE_FIELDS.length;
const COL_SHARE = 0;
const COL_PRB = 1;
const COL_USERS = 2;
const COL_CQI = 2 + HISTORY;
const COL_PHI_TARGET = 2 + 2 * HISTORY;
const COL_DELAY_TARGET = COL_PHI_TARGET + 1;
const COL_R = COL_PHI_TARGET + 2;
const COL_THROUGHPUT = COL_PHI_TARGET + 3;
const COL_DELAY = COL_PHI_TARGET + 4;
/** The slice's backlog and offered load of the step before, log(1 + value) (extended features). */
const COL_LAST_BACKLOG = COL_PHI_TARGET + 5;
const COL_LAST_LOAD = COL_PHI_TARGET + 6;

/**
 * What x is in training: the share in force ('share'), or the share actually used (share x PRB
 * utilization, 'used') — a slice that left RBs idle reached its QoS with what it used. 'used'
 * puts every satisfied sample exactly at its demand, right on the edge where r jumps, which makes
 * the estimator's task harder on the synthetic env; 'share' is the default.
 */
export type ShareInput = 'share' | 'used';

/** A growable matrix of sample rows. */
export class SampleSet {
  private buffer: Float32Array;
  private count = 0;

  constructor(initialRows = 1024) {
    this.buffer = new Float32Array(Math.max(1, initialRows) * SAMPLE_WIDTH);
  }

  get size(): number {
    return this.count;
  }

  /** The rows as one Float32Array [size, SAMPLE_WIDTH] (a view; copy before mutating). */
  get data(): Float32Array {
    return this.buffer.subarray(0, this.count * SAMPLE_WIDTH);
  }

  /** Appends a row of SAMPLE_WIDTH values. */
  add(row: ArrayLike<number>): void {
    if (row.length !== SAMPLE_WIDTH) throw new InputError('sample row length', row.length, `${SAMPLE_WIDTH}`);
    if ((this.count + 1) * SAMPLE_WIDTH > this.buffer.length) {
      const grown = new Float32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer.set(row, this.count * SAMPLE_WIDTH);
    this.count += 1;
  }

  /** Row i (a copy). */
  row(i: number): Float32Array {
    return this.buffer.slice(i * SAMPLE_WIDTH, (i + 1) * SAMPLE_WIDTH);
  }

  static fromData(data: Float32Array): SampleSet {
    if (data.length % SAMPLE_WIDTH !== 0) throw new InputError('sample data length', data.length, `a multiple of ${SAMPLE_WIDTH}`);
    const set = new SampleSet(data.length / SAMPLE_WIDTH);
    set.buffer.set(data);
    set.count = data.length / SAMPLE_WIDTH;
    return set;
  }
}

/** Field accessors of a stored row, by name rather than by column number. */
export const sampleColumns = {
  share: COL_SHARE,
  prbUtilization: COL_PRB,
  users: COL_USERS,
  cqi: COL_CQI,
  phiTarget: COL_PHI_TARGET,
  delayTarget: COL_DELAY_TARGET,
  r: COL_R,
  throughput: COL_THROUGHPUT,
  delay: COL_DELAY,
  lastBacklog: COL_LAST_BACKLOG,
  lastOfferedLoad: COL_LAST_LOAD,
} as const;

/**
 * Turns a stream of observations from any slicing env into samples. Call `observe(obs, true)` with
 * the reset observation and `observe(obs)` after every step.
 */
export class SampleCollector {
  readonly samples: SampleSet;
  private readonly history: SliceHistory;
  private readonly row = new Float32Array(SAMPLE_WIDTH);

  constructor(
    readonly cells: number,
    readonly slices: number,
    samples?: SampleSet,
  ) {
    this.samples = samples ?? new SampleSet(cells * slices * 64);
    this.history = new SliceHistory(cells, slices);
  }

  observe(obs: ArrayLike<number>, isReset = false): void {
    const expected = this.cells * this.slices * FEATURES_PER_SLICE;
    if (obs.length !== expected) throw new InputError('observation length', obs.length, `${expected} (cells x slices x features)`);
    if (isReset) {
      this.history.clear();
    } else {
      const n = this.cells * this.slices;
      for (let i = 0; i < n; i++) {
        const base = i * FEATURES_PER_SLICE;
        if (obs[base + FEATURE.active]! < 0.5 || !this.history.known(i)) continue;
        const throughput = obs[base + FEATURE.throughput]!;
        const delay = obs[base + FEATURE.meanDelay]!;
        const phiTarget = obs[base + FEATURE.phiTarget]!;
        const delayTarget = obs[base + FEATURE.delayTarget]!;
        const row = this.row;
        row[COL_SHARE] = obs[base + FEATURE.share]!;
        row[COL_PRB] = obs[base + FEATURE.prbUtilization]!;
        for (let h = 0; h < HISTORY; h++) {
          row[COL_USERS + h] = this.history.users[i * HISTORY + h]!;
          row[COL_CQI + h] = this.history.cqi[i * HISTORY + h]!;
        }
        row[COL_PHI_TARGET] = phiTarget;
        row[COL_DELAY_TARGET] = delayTarget;
        row[COL_R] = qosLevel(throughput, phiTarget, delay, delayTarget, obs[base + FEATURE.activeUsers]!);
        row[COL_THROUGHPUT] = throughput;
        row[COL_DELAY] = delay;
        row[COL_LAST_BACKLOG] = this.history.backlog[i]!;
        row[COL_LAST_LOAD] = this.history.load[i]!;
        if (row.every((v) => Number.isFinite(v))) this.samples.add(row);
      }
    }
    this.history.push(obs);
  }
}

/** Estimator inputs [n, width] (13 for 'paper', 15 for 'extended') and labels [n] of stored rows. */
export function samplesToInputs(
  samples: SampleSet,
  shareInput: ShareInput = 'share',
  features: FeatureSet = 'paper',
): { inputs: Float32Array; labels: Float32Array } {
  const n = samples.size;
  const data = samples.data;
  const width = inputWidth(features);
  const inputs = new Float32Array(n * width);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = i * SAMPLE_WIDTH;
    const o = i * width;
    if (width > IDLA_INPUTS) {
      inputs[o + INPUT_BACKLOG] = data[s + COL_LAST_BACKLOG]!;
      inputs[o + INPUT_LOAD] = data[s + COL_LAST_LOAD]!;
    }
    const share = data[s + COL_SHARE]!;
    inputs[o + INPUT_X] = shareInput === 'used' ? share * Math.min(Math.max(data[s + COL_PRB]!, 0), 1) : share;
    for (let h = 0; h < HISTORY; h++) {
      inputs[o + INPUT_USERS + h] = data[s + COL_USERS + h]!;
      inputs[o + INPUT_CQI + h] = data[s + COL_CQI + h]!;
    }
    inputs[o + INPUT_PHI_TARGET] = data[s + COL_PHI_TARGET]!;
    inputs[o + INPUT_DELAY_TARGET] = data[s + COL_DELAY_TARGET]!;
    labels[i] = data[s + COL_R]!;
  }
  return { inputs, labels };
}

const SAMPLES_BIN = 'idla-samples.f32';
const SAMPLES_META = 'idla-samples.json';

/** Writes the samples into `dir` (binary rows + JSON header, each atomically). */
export function saveSamples(dir: string, samples: SampleSet): void {
  const data = samples.data;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  writeFileAtomic(join(dir, SAMPLES_BIN), littleEndian() ? bytes : swap32(bytes));
  writeJsonAtomic(join(dir, SAMPLES_META), { format: 'float32-le', fields: SAMPLE_FIELDS, rows: samples.size });
}

/** Reads samples written by `saveSamples`; throws InputError when they are missing or cut off. */
export function loadSamples(dir: string): SampleSet {
  const metaPath = join(dir, SAMPLES_META);
  if (!existsSync(metaPath)) throw new InputError('IDLA samples', metaPath, 'a file written by saveSamples');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { rows: number; fields: string[] };
  if (JSON.stringify(meta.fields) !== JSON.stringify(SAMPLE_FIELDS)) {
    throw new InputError(`${metaPath} fields`, meta.fields, JSON.stringify(SAMPLE_FIELDS));
  }
  const raw = readFileSync(join(dir, SAMPLES_BIN));
  if (raw.byteLength !== meta.rows * SAMPLE_WIDTH * 4) {
    throw new InputError(`${SAMPLES_BIN} size`, raw.byteLength, `${meta.rows * SAMPLE_WIDTH * 4} bytes (${meta.rows} rows)`);
  }
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const ordered = littleEndian() ? bytes : swap32(bytes);
  return SampleSet.fromData(new Float32Array(ordered.buffer, ordered.byteOffset, ordered.byteLength / 4));
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function swap32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3]!;
    out[i + 1] = bytes[i + 2]!;
    out[i + 2] = bytes[i + 1]!;
    out[i + 3] = bytes[i]!;
  }
  return out;
}

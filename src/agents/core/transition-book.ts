/**
 * The replay bookkeeping of the off-policy agents (MADDPG, DDPG/TD3), written once: each env step
 * becomes one replay row per cell (weights are shared across cells), the env-step counter drives
 * the warm-up of random feasible allocations, the decaying exploration noise and when update
 * rounds are due, and all of it round-trips through the agent's checkpoint.
 */
import type { NdArray } from '../../env/index.js';
import { stepQos } from '../../families/index.js';
import type { Rng } from '../../util/index.js';
import type { AgentMetrics, AgentState, Transition } from '../agent.js';
import { projectAllocation, randomAllocation, type ShareBounds } from './allocation.js';
import { activeMask, encodeObservation, featuresPerRow, type StepClock } from './features.js';
import { addGaussian, noiseStd } from './noise.js';
import { ReplayBuffer, type ReplayField } from './replay.js';
import { WorkArrays } from './work-arrays.js';

/** The agent settings the book reads (a subset of every off-policy agent's settings). */
export interface ReplayScheduleSettings {
  batchSize: number;
  bufferCapacity: number;
  /** Env steps of random feasible allocations before learning starts. */
  warmupSteps: number;
  /** Updates per update round. */
  updatesPerStep: number;
  /** Env steps between update rounds. */
  updateEvery: number;
  noiseStart: number;
  noiseEnd: number;
  noiseDecaySteps: number;
}

/** Valid ranges of the book's settings, as `checkRanges` rules ([key, min, max, integer?]). */
export const REPLAY_SCHEDULE_RANGES: ReadonlyArray<[keyof ReplayScheduleSettings, number, number, boolean?]> = [
  ['batchSize', 1, 1e6, true],
  ['bufferCapacity', 1, 1e8, true],
  ['warmupSteps', 0, 1e9, true],
  ['updatesPerStep', 0, 1000, true],
  ['updateEvery', 1, 1e6, true],
  ['noiseStart', 0, 10],
  ['noiseEnd', 0, 10],
];

/** One env step as the book stored it, [cells, ...] row-major. */
export interface RecordedStep {
  /** Normalized features of the state and of the next state. */
  feats: Float32Array;
  next: Float32Array;
  /** Active (cell, slice) entries of the state and of the next state. */
  mask: Float32Array;
  nextMask: Float32Array;
  /** QoS level per (cell, slice); NaN where the slice has none. */
  qos: Float64Array;
}

/** Replay rows gathered for one update, [batch, width] per field. */
export interface ReplayBatch {
  /** Rows in the batch. */
  size: number;
  obs: Float32Array;
  act: Float32Array;
  qos: Float32Array;
  next: Float32Array;
  mask: Float32Array;
  nextMask: Float32Array;
  done: Float32Array;
  /** The agent's extra fields, by name. */
  extra: Record<string, Float32Array>;
}

/** The book's part of a checkpoint's meta (the agent places these keys in its own meta). */
export interface TransitionBookMeta {
  envSteps: number;
  exploreRng: number[];
  replay: { head: number; size: number };
}

export class TransitionBook {
  readonly buffer: ReplayBuffer;
  /** Inputs per (cell, slice) row of the stored features (featuresPerRow of the agent's clock). */
  readonly rowFeatures: number;
  private envSteps = 0;
  /** The arrays batch() fills, reused from update to update. */
  private readonly work = new WorkArrays();

  /**
   * `extraFields`: the agent's own per-cell fields, stored after obs, act and qos (the field
   * order is the order of the replay arrays in a checkpoint). `clock`: the agent's, when it reads
   * the time of day (the stored features then carry it).
   */
  constructor(
    private readonly cfg: ReplayScheduleSettings,
    private readonly cells: number,
    private readonly slices: number,
    readonly exploreRng: Rng,
    private readonly extraFields: readonly ReplayField[] = [],
    private readonly clock: StepClock | null = null,
  ) {
    this.rowFeatures = featuresPerRow(clock);
    const F = slices * this.rowFeatures;
    this.buffer = new ReplayBuffer(cfg.bufferCapacity, [
      { name: 'obs', width: F },
      { name: 'act', width: slices },
      { name: 'qos', width: slices },
      ...extraFields,
      { name: 'next', width: F },
      { name: 'mask', width: slices },
      { name: 'nextMask', width: slices },
      { name: 'done', width: 1 },
    ]);
  }

  get steps(): number {
    return this.envSteps;
  }

  /** Whether actions are still random feasible allocations (no learning yet). */
  get warmingUp(): boolean {
    return this.envSteps < this.cfg.warmupSteps;
  }

  /** Exploration noise std: decays with the env steps after warm-up. */
  noise(): number {
    const schedule = { start: this.cfg.noiseStart, end: this.cfg.noiseEnd, decaySteps: this.cfg.noiseDecaySteps };
    return noiseStd(schedule, Math.max(0, this.envSteps - this.cfg.warmupSteps));
  }

  /**
   * The exploring action: a random feasible allocation during warm-up, else the agent's greedy
   * proposal (`greedy(mask)`, [cells, slices], changed in place) plus the scheduled Gaussian
   * noise, projected back onto the feasible set.
   */
  explore(obs: NdArray<Float32Array>, bounds: ShareBounds, greedy: (mask: Float32Array) => Float32Array | Float64Array): Float32Array {
    const { cells, slices } = this;
    const mask = activeMask(obs.data, cells, slices);
    if (this.warmingUp) return randomAllocation(mask, cells, slices, bounds, () => this.exploreRng.next());
    const proposal = greedy(mask);
    addGaussian(proposal, this.noise(), this.exploreRng);
    return projectAllocation(proposal, mask, cells, slices, bounds);
  }

  /**
   * Stores one env step as one row per cell and counts it. `extra(c)` gives cell c's values of the
   * agent's extra fields. QoS with no level (NaN) is stored as met (1).
   */
  record(tr: Transition, extra?: (cell: number) => Record<string, ArrayLike<number>>): RecordedStep {
    const { cells, slices } = this;
    const F = slices * this.rowFeatures;
    const step: RecordedStep = {
      // The state is what the action of tr.step saw; the next state, what the next action sees.
      feats: encodeObservation(tr.obs.data, cells, slices, this.clock, { step: tr.step }),
      next: encodeObservation(tr.nextObs.data, cells, slices, this.clock, { step: tr.step + 1 }),
      mask: activeMask(tr.obs.data, cells, slices),
      nextMask: activeMask(tr.nextObs.data, cells, slices),
      // The env's exact QoS levels when it reports them (info.qos), else recomputed from the features.
      qos: stepQos(tr.info.qos, tr.nextObs.data, cells, slices),
    };
    const done = [tr.terminated ? 1 : 0];
    for (let c = 0; c < cells; c++) {
      const q = new Float32Array(slices);
      for (let s = 0; s < slices; s++) q[s] = Number.isNaN(step.qos[c * slices + s]!) ? 1 : step.qos[c * slices + s]!;
      this.buffer.push({
        ...extra?.(c),
        obs: step.feats.subarray(c * F, (c + 1) * F),
        act: tr.action.subarray(c * slices, (c + 1) * slices),
        qos: q,
        next: step.next.subarray(c * F, (c + 1) * F),
        mask: step.mask.subarray(c * slices, (c + 1) * slices),
        nextMask: step.nextMask.subarray(c * slices, (c + 1) * slices),
        done,
      });
    }
    this.envSteps += 1;
    return step;
  }

  /**
   * Runs `update` updatesPerStep times when a round is due — after warm-up, with a full batch in
   * the buffer, every updateEvery env steps — and returns the last round's metrics (null: none).
   */
  updateIfDue(update: () => AgentMetrics): AgentMetrics | null {
    const { cfg } = this;
    if (this.warmingUp || this.buffer.size < Math.min(cfg.batchSize, cfg.bufferCapacity)) return null;
    if (this.envSteps % Math.max(1, Math.round(cfg.updateEvery)) !== 0) return null;
    let metrics: AgentMetrics | null = null;
    for (let k = 0; k < cfg.updatesPerStep; k++) metrics = update();
    return metrics;
  }

  /**
   * `size` rows drawn uniformly with `rng`, or the rows at `indices` when given (tests pin them).
   * The batch's arrays are the book's work arrays: valid until its next batch() (one update).
   */
  batch(size: number, rng: Rng, indices?: Int32Array): ReplayBatch {
    const idx = indices ?? this.buffer.sampleIndices(size, rng, this.work.i32('indices', size));
    const rows = (name: string, width: number): Float32Array => this.buffer.gather(name, idx, this.work.f32(name, idx.length * width));
    const extra: Record<string, Float32Array> = {};
    for (const f of this.extraFields) extra[f.name] = rows(f.name, f.width);
    const { slices } = this;
    const F = slices * this.rowFeatures;
    const standard = {
      obs: rows('obs', F),
      act: rows('act', slices),
      qos: rows('qos', slices),
      next: rows('next', F),
      mask: rows('mask', slices),
      nextMask: rows('nextMask', slices),
      done: rows('done', 1),
    };
    return { size: idx.length, ...standard, extra };
  }

  /**
   * The book's part of a checkpoint: its meta keys (the agent places them in its own meta) and the
   * stored replay rows as arrays `replay/<field>`, in field order.
   */
  checkpoint(): { meta: TransitionBookMeta; arrays: Record<string, Float32Array> } {
    const replay = this.buffer.getState();
    const arrays: Record<string, Float32Array> = {};
    for (const [name, a] of Object.entries(replay.arrays)) arrays[`replay/${name}`] = a;
    const meta = { envSteps: this.envSteps, exploreRng: this.exploreRng.getState(), replay: { head: replay.head, size: replay.size } };
    return { meta, arrays };
  }

  /** Restores what `checkpoint` saved. */
  restore(meta: TransitionBookMeta, arrays: AgentState['arrays']): void {
    const replayArrays: Record<string, Float32Array> = {};
    for (const f of this.buffer.fields) replayArrays[f.name] = arrays[`replay/${f.name}`] as Float32Array;
    this.buffer.setState(meta.replay.head, meta.replay.size, replayArrays);
    this.exploreRng.setState(meta.exploreRng);
    this.envSteps = meta.envSteps;
  }
}

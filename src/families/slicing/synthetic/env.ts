import { InputError, Ns3tsError, Rng, deriveSeed } from '../../../util/index.js';
import type { Scenario, SliceSpec, SyntheticEnvSpec } from '../../../scenario/index.js';
import { FEATURE, FEATURES_PER_SLICE, qosLevel, sliceUtility, type SliceType, type SlicingLayout } from '../slicing.js';
import { Box, unwrap, type Env, type GymSpace, type Info, type NdArray, type ResetOptions, type ResetResult, type StepResult } from '../../../env/index.js';
import { cqiToSpectralEfficiency, sinrToCqi } from './radio.js';
import { SLOT_SECONDS, trafficBase } from './traffic.js';

/** 95th percentile of an exponential sojourn time = ln(20) x its mean. */
const P95_FACTOR = Math.log(20);
/** Utilization at which the M/M/1 term stops growing (the backlog term takes over beyond it). */
const RHO_CAP = 0.99;

/**
 * The synthetic env's true model of the coming step, for policies that plan with it (the
 * oracle): which (cell, slice) are active and the utility a share would give, without changing
 * any state. Valid between a reset/step and the next step.
 */
export interface SlicingModel {
  readonly cells: number;
  readonly sliceCount: number;
  /** Active flags of the coming step, [cells * slices] (a view; do not modify). */
  readonly activeMask: Uint8Array;
  /** log(r + 1) of one (cell, slice) at `share` in the coming step; NaN if the slice is inactive. */
  evaluateSliceUtility(cell: number, slice: number, share: number): number;
  /**
   * The observation row (FEATURES_PER_SLICE values) one (cell, slice) would report after the
   * coming step at `share`, written to `out` from `offset`; false (nothing written) if inactive.
   * For policies that check constraints on the outcome (the constrained oracle).
   */
  evaluateSliceRow(cell: number, slice: number, share: number, out: Float32Array, offset?: number): boolean;
  /**
   * Draws the coming step again from the state before its draw, with `rng` in place of the env's
   * generator, and calls `visit` while the model shows that draw; afterwards the real draw is back
   * and the env's generator untouched (the expected-model oracle averages over such draws).
   */
  resampleComingStep(rng: Rng, visit: () => void): void;
}

/**
 * The model of the coming step of `env` (under any wrappers) when it has one — the synthetic
 * env — else null (an ns-3 env has no model to consult).
 */
export function slicingModelOf(env: Env<NdArray<Float32Array>, NdArray<Float32Array>>): SlicingModel | null {
  const inner = unwrap(env);
  return inner instanceof SyntheticSlicingEnv ? inner : null;
}

export interface SyntheticEnvOptions {
  /** Seed of the first reset without a seed (default: the scenario's seed). */
  seed?: number;
}

/**
 * The built-in synthetic slicing env (the layout of `src/families/slicing/slicing.ts`).
 *
 * Step t: the traffic of step t (active users per cell and slice from the seeded daily mask,
 * bursts and outages) and the radio state (CQI from SINR, lowered by the neighbours' load of step
 * t-1) are drawn before the action, so `evaluateShares` can score any allocation for the coming
 * step with the true model (the oracle) without advancing anything. `stepSync` then applies the
 * shares: slice capacity `x C(CQI)`, served traffic `min(x C, offered + backlog)`, throughput per
 * user = served / users, M/M/1-like delay `base + (packet / x C) / (1 - rho)` plus the time to
 * drain the backlog, QoS level r = min(phi / phi*, d* / d, 1) and reward sum log(r + 1).
 *
 * The hot path (`stepSync`, `evaluateShares`) allocates nothing: results live in the preallocated
 * arrays `obs`, `qos`, `usedPrbs`, `shares`.
 */
export class SyntheticSlicingEnv implements Env<NdArray<Float32Array>, NdArray<Float32Array>>, SlicingModel {
  readonly scenario: Scenario;
  readonly layout: SlicingLayout;
  readonly cells: number;
  readonly sliceCount: number;
  readonly episodeSteps: number;
  readonly observationSpace: GymSpace<NdArray<Float32Array>>;
  readonly actionSpace: GymSpace<NdArray<Float32Array>>;
  /** Resource blocks per cell. */
  readonly prbs: number;

  /** Observation of the last step (or reset), [cells, slices, FEATURES_PER_SLICE]. */
  readonly obs: Float32Array;
  /** r per (cell, slice) of the last step; NaN for inactive slices. */
  readonly qos: Float64Array;
  /** Used resource blocks per (cell, slice) of the last step. */
  readonly usedPrbs: Float64Array;
  /** Shares applied in the last step (after clipping; inactive = 0). */
  readonly shares: Float64Array;
  /** Reward of the last step. */
  lastReward = 0;
  /** mean_c max(0, sum_s x - 1) of the last action as received (before the env rescaled it). */
  lastCapacityViolation = 0;
  /** Steps taken in the current episode. */
  stepCount = 0;

  private readonly spec: SyntheticEnvSpec;
  private readonly slices: readonly SliceSpec[];
  private readonly defaultSeed: number;
  private rng: Rng;
  private seeded = false;
  private started = false;
  private startSlot = 0;

  // The world (fixed for the env's lifetime, from the scenario seed).
  private readonly cellSinrDb: Float64Array;
  private readonly cellLoadScale: Float64Array;
  /** Neighbour lists: offsets into `neighbourIndex` per cell. */
  private readonly neighbourStart: Int32Array;
  private readonly neighbourIndex: Int32Array;
  /** Scheduled events as flat masks over (cell, slice). */
  private readonly eventMasks: Uint8Array[];

  // State of the coming step, [cells * slices] unless noted.
  private readonly users: Float64Array;
  private readonly offered: Float64Array;
  private readonly capacity: Float64Array;
  private readonly cqi: Float64Array;
  private readonly active: Uint8Array;
  private readonly backlog: Float64Array;
  private readonly burstLeft: Int32Array;
  private readonly outageLeft: Int32Array;
  /** burstLeft / outageLeft before the coming step's draw, and that step (resampleComingStep). */
  private readonly burstBefore: Int32Array;
  private readonly outageBefore: Int32Array;
  private preparedStep = 0;
  /** The float arrays prepare() writes, and their copies: the real draw while resampleComingStep shows another. */
  private readonly drawn: Float64Array[];
  private readonly drawSaved: { floats: Float64Array[]; ints: Int32Array[]; active: Uint8Array };
  private readonly userFactor: Float64Array;
  private readonly capacityFactor: Float64Array;
  /** Per cell: used PRB fraction of the last step (drives the neighbours' interference). */
  private readonly cellUtilization: Float64Array;
  /** Per slice: the noise-free traffic level of the coming step. */
  private readonly sliceLevel: Float64Array;

  // Results of the last evalSlice call (kept in fields so the hot path allocates nothing).
  private kThroughput = 0;
  private kDelay = 0;
  private kP95 = 0;
  private kUtil = 0;
  private kBacklog = 0;
  private kR = 1;

  constructor(scenario: Scenario, options: SyntheticEnvOptions = {}) {
    if (scenario.env.kind !== 'synthetic') {
      throw new InputError('scenario.env.kind', scenario.env.kind, "'synthetic' for the synthetic env");
    }
    this.scenario = scenario;
    this.spec = scenario.env;
    this.slices = scenario.slices;
    this.cells = scenario.cells;
    this.sliceCount = scenario.slices.length;
    this.episodeSteps = scenario.episodeSteps;
    this.prbs = this.spec.prbs;
    this.layout = {
      cells: this.cells,
      slices: this.slices.map((s) => ({ name: s.name, type: s.type, phiTarget: s.phiTarget, delayTarget: s.delayTarget })),
    };
    this.defaultSeed = options.seed ?? scenario.seed;
    this.rng = new Rng(this.defaultSeed);
    const n = this.cells * this.sliceCount;
    // The same spaces the ns-3 slicing programs declare.
    this.observationSpace = new Box({
      dtype: 'float32',
      shape: [this.cells, this.sliceCount, FEATURES_PER_SLICE],
      low: 0,
      high: Number.POSITIVE_INFINITY,
    }) as unknown as GymSpace<NdArray<Float32Array>>;
    this.actionSpace = new Box({ dtype: 'float32', shape: [this.cells, this.sliceCount], low: 0, high: 1 }) as unknown as GymSpace<
      NdArray<Float32Array>
    >;
    this.obs = new Float32Array(n * FEATURES_PER_SLICE);
    this.qos = new Float64Array(n);
    this.usedPrbs = new Float64Array(n);
    this.shares = new Float64Array(n);
    this.users = new Float64Array(n);
    this.offered = new Float64Array(n);
    this.capacity = new Float64Array(n);
    this.cqi = new Float64Array(n);
    this.active = new Uint8Array(n);
    this.backlog = new Float64Array(n);
    this.burstLeft = new Int32Array(n);
    this.outageLeft = new Int32Array(n);
    this.burstBefore = new Int32Array(n);
    this.outageBefore = new Int32Array(n);
    this.userFactor = new Float64Array(n);
    this.capacityFactor = new Float64Array(n);
    this.cellUtilization = new Float64Array(this.cells);
    this.sliceLevel = new Float64Array(this.sliceCount);
    this.drawn = [this.sliceLevel, this.userFactor, this.capacityFactor, this.users, this.offered, this.cqi, this.capacity, this.backlog];
    this.drawSaved = {
      floats: this.drawn.map((a) => new Float64Array(a.length)),
      ints: [new Int32Array(n), new Int32Array(n)],
      active: new Uint8Array(n),
    };

    const world = new Rng(deriveSeed(scenario.seed, 'synthetic-world'));
    const [sinrMin, sinrMax] = this.spec.sinrDb;
    this.cellSinrDb = new Float64Array(this.cells);
    this.cellLoadScale = new Float64Array(this.cells);
    for (let c = 0; c < this.cells; c++) {
      this.cellSinrDb[c] = world.uniform(sinrMin, sinrMax);
      this.cellLoadScale[c] = world.uniform(1 - this.spec.cellLoadSpread, 1 + this.spec.cellLoadSpread);
    }
    // Cells in a ring of three-sector sites: a cell interferes with the other sectors of its site
    // and with the facing sectors of the adjacent sites (the ring neighbours).
    const start: number[] = [];
    const index: number[] = [];
    for (let c = 0; c < this.cells; c++) {
      start.push(index.length);
      const neighbours = new Set<number>();
      const site = Math.floor(c / 3);
      for (let k = site * 3; k < Math.min(site * 3 + 3, this.cells); k++) if (k !== c) neighbours.add(k);
      if (this.cells > 1) {
        neighbours.add((c + 1) % this.cells);
        neighbours.add((c - 1 + this.cells) % this.cells);
      }
      neighbours.delete(c);
      index.push(...[...neighbours].sort((a, b) => a - b));
    }
    start.push(index.length);
    this.neighbourStart = Int32Array.from(start);
    this.neighbourIndex = Int32Array.from(index);

    const names = this.slices.map((s) => s.name);
    this.eventMasks = scenario.events.map((event) => {
      const mask = new Uint8Array(n);
      const cellList = event.cells === 'all' ? [...Array(this.cells).keys()] : event.cells;
      const sliceList = event.slices === 'all' ? [...Array(this.sliceCount).keys()] : event.slices.map((s) => names.indexOf(s));
      for (const c of cellList) for (const s of sliceList) if (s >= 0) mask[c * this.sliceCount + s] = 1;
      return mask;
    });
  }

  /** Whether slice s is active at step t of an episode (join/leave times). */
  sliceActiveAt(slice: number, step: number): boolean {
    const s = this.slices[slice]!;
    return step >= s.joinStep && (s.leaveStep === null || step < s.leaveStep);
  }

  /** Active flags of the coming step, [cells * slices] (a view; do not modify). */
  get activeMask(): Uint8Array {
    return this.active;
  }

  /** Whether the episode has reached its step limit. */
  get episodeDone(): boolean {
    return this.stepCount >= this.episodeSteps;
  }

  /**
   * Starts an episode. A seed reseeds the traffic and fading; without one the random stream goes
   * on (the first reset uses the constructor's or the scenario's seed). Returns `obs`, the state
   * of step 0 under equal shares over the active slices.
   */
  resetSync(seed?: number): Float32Array {
    if (seed !== undefined) {
      if (!Number.isFinite(seed)) throw new InputError('seed', seed, 'a finite number');
      this.rng = new Rng(seed);
      this.seeded = true;
    } else if (!this.seeded) {
      this.rng = new Rng(this.defaultSeed);
      this.seeded = true;
    }
    // Episodes start at midnight of a random day of the week.
    this.startSlot = this.rng.int(7) * 96;
    this.stepCount = 0;
    this.backlog.fill(0);
    this.burstLeft.fill(0);
    this.outageLeft.fill(0);
    this.cellUtilization.fill(0.5);
    this.started = true;
    // The observation at reset: the traffic of the slot before step 1 under equal shares.
    this.prepare(0);
    const equal = this.shares;
    for (let c = 0; c < this.cells; c++) {
      let k = 0;
      for (let s = 0; s < this.sliceCount; s++) k += this.active[c * this.sliceCount + s]!;
      for (let s = 0; s < this.sliceCount; s++) {
        const i = c * this.sliceCount + s;
        equal[i] = this.active[i] && k > 0 ? 1 / k : 0;
      }
    }
    this.apply(equal, 0);
    this.prepare(1);
    this.announceActive();
    return this.obs;
  }

  /**
   * One step with shares [cells * slices] (row-major). Values must be finite; they are clipped to
   * [0, 1], inactive slices get 0, and a cell whose shares sum above 1 is scaled down to 1 (the
   * excess is recorded in `lastCapacityViolation`). Returns the reward; the results are in `obs`,
   * `qos`, `usedPrbs` and `shares`.
   */
  stepSync(action: ArrayLike<number>): number {
    if (!this.started) throw new Ns3tsError('step before reset: call reset() first');
    if (this.stepCount >= this.episodeSteps) throw new Ns3tsError('step after the episode ended: call reset() first');
    const S = this.sliceCount;
    if (action.length !== this.cells * S) {
      throw new InputError('action', `${action.length} values`, `${this.cells * S} values (shape [${this.cells}, ${S}])`);
    }
    let violation = 0;
    const x = this.shares;
    for (let c = 0; c < this.cells; c++) {
      let sum = 0;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        const v = action[i]!;
        if (!Number.isFinite(v)) throw new InputError(`action[${c}][${s}]`, v, 'a finite share in [0, 1]');
        const clipped = this.active[i] ? (v < 0 ? 0 : v > 1 ? 1 : v) : 0;
        x[i] = clipped;
        sum += clipped;
      }
      if (sum > 1) {
        violation += sum - 1;
        for (let s = 0; s < S; s++) x[c * S + s]! /= sum;
      }
    }
    this.lastCapacityViolation = violation / this.cells;
    this.stepCount++;
    const reward = this.apply(x, this.stepCount);
    if (this.stepCount < this.episodeSteps) {
      this.prepare(this.stepCount + 1);
      this.announceActive();
    }
    return reward;
  }

  /**
   * Utility sum_s log(r + 1) over the active slices of `cell` if `shares` (one per slice) were
   * applied in the coming step — the env's true model, no state changes. For the oracle.
   */
  evaluateShares(cell: number, shares: ArrayLike<number>): number {
    let total = 0;
    for (let s = 0; s < this.sliceCount; s++) {
      const i = cell * this.sliceCount + s;
      if (!this.active[i]) continue;
      this.evalSlice(i, shares[s]!);
      total += sliceUtility(this.kR);
    }
    return total;
  }

  /** log(r + 1) of one (cell, slice) at `share` in the coming step; NaN if the slice is inactive. */
  evaluateSliceUtility(cell: number, slice: number, share: number): number {
    const i = cell * this.sliceCount + slice;
    if (!this.active[i]) return Number.NaN;
    this.evalSlice(i, share);
    return sliceUtility(this.kR);
  }

  /** The observation row of one (cell, slice) at `share` in the coming step (see SlicingModel). */
  evaluateSliceRow(cell: number, slice: number, share: number, out: Float32Array, offset = 0): boolean {
    const i = cell * this.sliceCount + slice;
    if (!this.active[i]) return false;
    this.evalSlice(i, share);
    this.writeRow(out, offset, i, share);
    return true;
  }

  async reset(options: ResetOptions = {}): Promise<ResetResult<NdArray<Float32Array>>> {
    this.resetSync(options.seed);
    return { obs: this.copyObs(), info: this.info() };
  }

  async step(action: NdArray<Float32Array>): Promise<StepResult<NdArray<Float32Array>>> {
    const data = (action as NdArray<Float32Array> | Float32Array) instanceof Float32Array ? (action as unknown as Float32Array) : action.data;
    const reward = this.stepSync(data);
    const truncated = this.stepCount >= this.episodeSteps;
    const info = this.info();
    if (truncated) info.reason = 'time-limit';
    return { obs: this.copyObs(), reward, terminated: false, truncated, info };
  }

  async close(): Promise<void> {
    this.started = false;
  }

  /** Info of the last step: the layout keys plus raw KPIs per (cell, slice), row-major. */
  info(): Info {
    // Plain loops: info is built on every step() (the Gymnasium path evaluation and training use).
    const n = this.qos.length;
    const qos = new Array<number | null>(n);
    const usedPrbs = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const r = this.qos[i]!;
      qos[i] = Number.isNaN(r) ? null : r;
      usedPrbs[i] = this.usedPrbs[i]!;
    }
    return {
      slices: this.slices.map((s) => s.name),
      sliceTypes: this.slices.map((s) => s.type) as SliceType[],
      cells: this.cells,
      step: this.stepCount,
      simTime: this.stepCount * this.scenario.stepSeconds,
      qos,
      usedPrbs,
      prbs: this.prbs,
      capacityViolation: this.lastCapacityViolation,
    };
  }

  private copyObs(): NdArray<Float32Array> {
    return { data: this.obs.slice(), shape: [this.cells, this.sliceCount, FEATURES_PER_SLICE] };
  }

  /**
   * The `active` feature announces the slices admitted for the coming step (admission precedes
   * the allocation), so a policy gives a joining slice resources in its first step and none to a
   * slice that has left. A row that turns inactive is cleared (targets kept), per the layout.
   */
  private announceActive(): void {
    const F = FEATURES_PER_SLICE;
    const obs = this.obs;
    for (let i = 0; i < this.active.length; i++) {
      const row = i * F;
      const next = this.active[i]!;
      if (obs[row + FEATURE.active] === next) continue;
      if (!next) {
        for (let f = 0; f < F; f++) {
          if (f !== FEATURE.phiTarget && f !== FEATURE.delayTarget) obs[row + f] = 0;
        }
      }
      obs[row + FEATURE.active] = next;
    }
  }

  /** Draws the traffic and radio state of episode step `t` (1-based; 0 = the reset state). */
  private prepare(t: number): void {
    const S = this.sliceCount;
    const rng = this.rng;
    this.burstBefore.set(this.burstLeft);
    this.outageBefore.set(this.outageLeft);
    this.preparedStep = t;
    const spec = this.spec;
    const slot = this.startSlot + ((t - 1) * this.scenario.stepSeconds) / SLOT_SECONDS;
    for (let s = 0; s < S; s++) this.sliceLevel[s] = trafficBase(this.slices[s]!.traffic, slot);
    this.userFactor.fill(1);
    this.capacityFactor.fill(1);
    const events = this.scenario.events;
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!;
      if (t < event.step || t >= event.step + event.duration) continue;
      const mask = this.eventMasks[e]!;
      const target = event.kind === 'burst' ? this.userFactor : this.capacityFactor;
      for (let i = 0; i < mask.length; i++) if (mask[i]) target[i]! *= event.factor;
    }
    const bandwidthFactor = spec.bandwidthMHz * (1 - spec.overhead);
    for (let c = 0; c < this.cells; c++) {
      // Interference: the neighbours' load in the last step lowers this cell's SINR.
      let neighbourLoad = 0;
      const from = this.neighbourStart[c]!;
      const to = this.neighbourStart[c + 1]!;
      for (let k = from; k < to; k++) neighbourLoad += this.cellUtilization[this.neighbourIndex[k]!]!;
      if (to > from) neighbourLoad /= to - from;
      const cellSinr = this.cellSinrDb[c]! - spec.interferenceDb * neighbourLoad;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        const slice = this.slices[s]!;
        const traffic = slice.traffic;
        const isActive = t >= slice.joinStep && (slice.leaveStep === null || t < slice.leaveStep) ? 1 : 0;
        this.active[i] = isActive;
        // Random surges and outages of the burst/outage profiles (state carried across steps).
        if (traffic.burstProbability > 0) {
          if (this.burstLeft[i]! > 0) this.burstLeft[i]!--;
          else if (rng.nextUint32() * UINT32_SCALE < traffic.burstProbability) this.burstLeft[i] = traffic.burstSteps;
        }
        if (traffic.outageProbability > 0) {
          if (this.outageLeft[i]! > 0) this.outageLeft[i]!--;
          else if (rng.nextUint32() * UINT32_SCALE < traffic.outageProbability) this.outageLeft[i] = traffic.outageSteps;
        }
        let tau = this.sliceLevel[s]!;
        if (traffic.noise > 0) tau += traffic.noise * rng.normal();
        tau = tau < 0 ? 0 : tau > 1 ? 1 : tau;
        let mean = slice.users * tau * this.cellLoadScale[c]! * this.userFactor[i]!;
        if (this.burstLeft[i]! > 0) mean *= traffic.burstFactor;
        const k = spec.userSamples;
        const n = isActive ? (k > 1 ? poisson(rng, mean * k) / k : poisson(rng, mean)) : 0;
        this.users[i] = n;
        this.offered[i] = n * slice.demand;
        const sinr = cellSinr + slice.sinrOffsetDb + (spec.fadingDb > 0 ? spec.fadingDb * rng.normal() : 0);
        const cqi = sinrToCqi(sinr);
        this.cqi[i] = cqi;
        let cap = bandwidthFactor * cqiToSpectralEfficiency(cqi) * this.capacityFactor[i]!;
        if (this.outageLeft[i]! > 0) cap *= traffic.outageFactor;
        this.capacity[i] = cap;
        if (!isActive) this.backlog[i] = 0;
      }
    }
  }

  resampleComingStep(rng: Rng, visit: () => void): void {
    if (!this.started) throw new Ns3tsError('resampleComingStep before reset: call reset() first');
    // Every array prepare() writes, then the surge/outage state and the flags.
    const floats = this.drawn;
    const saved = this.drawSaved;
    for (let k = 0; k < floats.length; k++) saved.floats[k]!.set(floats[k]!);
    saved.ints[0]!.set(this.burstLeft);
    saved.ints[1]!.set(this.outageLeft);
    saved.active.set(this.active);
    const own = this.rng;
    this.burstLeft.set(this.burstBefore);
    this.outageLeft.set(this.outageBefore);
    this.rng = rng;
    try {
      this.prepare(this.preparedStep);
      visit();
    } finally {
      this.rng = own;
      for (let k = 0; k < floats.length; k++) floats[k]!.set(saved.floats[k]!);
      this.burstLeft.set(saved.ints[0]!);
      this.outageLeft.set(saved.ints[1]!);
      this.active.set(saved.active);
    }
  }

  /** The KPIs of (cell, slice) index i at share x in the coming step, into the k* fields. */
  private evalSlice(i: number, x: number): void {
    const slice = this.slices[i % this.sliceCount]!;
    const n = this.users[i]!;
    const T = this.scenario.stepSeconds * 1000; // kbit per (Mbit/s) over one step
    const capS = x * this.capacity[i]!;
    const offered = this.offered[i]!;
    const before = this.backlog[i]!;
    let after = before + (offered - capS) * T;
    after = after < 0 ? 0 : after > this.spec.bufferKbit ? this.spec.bufferKbit : after;
    const maxDelay = this.spec.maxDelayMs;
    if (capS <= 0) {
      this.kThroughput = 0;
      this.kUtil = 0;
      this.kDelay = offered > 0 || before > 0 ? maxDelay : this.spec.baseDelayMs;
      this.kP95 = this.kDelay;
    } else {
      const served = Math.min(capS, offered + before / T);
      // Per user: the fair share of the slice, or what the user offers (plus its part of the
      // backlog) when that is less. Computed per user so that demand == phi* gives r = 1 exactly.
      this.kThroughput = n > 0 ? Math.min(capS / n, slice.demand + before / T / n) : 0;
      this.kUtil = served / capS;
      let rho = offered / capS;
      if (rho > RHO_CAP) rho = RHO_CAP;
      // Queueing: M/M/1 sojourn of a packet, plus the time to drain the step's mean backlog.
      const queueing = slice.packetKbit / capS / (1 - rho) + meanBacklog(before, after, (offered - capS) * T, this.spec.bufferKbit) / capS;
      const delay = this.spec.baseDelayMs + queueing;
      const p95 = this.spec.baseDelayMs + P95_FACTOR * queueing;
      this.kDelay = delay > maxDelay ? maxDelay : delay;
      this.kP95 = p95 > maxDelay ? maxDelay : p95;
    }
    this.kBacklog = after;
    this.kR = qosLevel(this.kThroughput, slice.phiTarget, this.kDelay, slice.delayTarget, n);
  }

  /** The observation row of active (cell, slice) index i at `share` from the k* fields of evalSlice. */
  private writeRow(obs: Float32Array, row: number, i: number, share: number): void {
    const slice = this.slices[i % this.sliceCount]!;
    obs[row + FEATURE.share] = share;
    obs[row + FEATURE.throughput] = this.kThroughput;
    obs[row + FEATURE.meanDelay] = this.kDelay;
    obs[row + FEATURE.p95Delay] = this.kP95;
    obs[row + FEATURE.prbUtilization] = this.kUtil;
    obs[row + FEATURE.activeUsers] = this.users[i]!;
    obs[row + FEATURE.meanCqi] = this.cqi[i]!;
    obs[row + FEATURE.offeredLoad] = this.offered[i]!;
    obs[row + FEATURE.backlog] = this.kBacklog;
    obs[row + FEATURE.phiTarget] = slice.phiTarget;
    obs[row + FEATURE.delayTarget] = slice.delayTarget;
    obs[row + FEATURE.active] = 1;
  }

  /** Applies shares x to the prepared step: writes obs, qos, usedPrbs; returns the reward. */
  private apply(x: Float64Array, t: number): number {
    const S = this.sliceCount;
    const F = FEATURES_PER_SLICE;
    const obs = this.obs;
    let reward = 0;
    void t;
    for (let c = 0; c < this.cells; c++) {
      let used = 0;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        const slice = this.slices[s]!;
        const row = i * F;
        if (!this.active[i]) {
          for (let f = 0; f < F; f++) obs[row + f] = 0;
          obs[row + FEATURE.phiTarget] = slice.phiTarget;
          obs[row + FEATURE.delayTarget] = slice.delayTarget;
          this.qos[i] = Number.NaN;
          this.usedPrbs[i] = 0;
          continue;
        }
        const share = x[i]!;
        this.evalSlice(i, share);
        this.backlog[i] = this.kBacklog;
        const prbsUsed = share * this.prbs * this.kUtil;
        this.usedPrbs[i] = prbsUsed;
        used += prbsUsed;
        this.qos[i] = this.kR;
        reward += sliceUtility(this.kR);
        this.writeRow(obs, row, i, share);
      }
      this.cellUtilization[c] = used / this.prbs;
    }
    this.lastReward = reward;
    return reward;
  }
}

/**
 * Time-average over a step of a backlog that moves linearly from `before` by `drift` (kbit over
 * the whole step) and stays within [0, buffer]: a queue that empties (or fills the buffer) early
 * in the step sits at 0 (or at the buffer) for the rest of it. With long steps (15 minutes) a
 * backlog left by an overloaded step drains in milliseconds once capacity suffices, so charging
 * half of it for the whole step (the plain (before + after) / 2) would make the next step's delay
 * depend on a state no KPI shows.
 */
function meanBacklog(before: number, after: number, drift: number, buffer: number): number {
  if (drift < 0 && after <= 0) {
    // Drains to 0 at fraction f = before / -drift of the step.
    const f = before / -drift;
    return 0.5 * before * f;
  }
  if (drift > 0 && after >= buffer && buffer > before) {
    // Reaches the buffer at fraction f of the step and stays there.
    const f = (buffer - before) / drift;
    return 0.5 * (before + buffer) * f + buffer * (1 - f);
  }
  return 0.5 * (before + after);
}

/** 2^-32: turns a uint32 into a uniform in [0, 1) (32 bits are plenty for traffic draws). */
const UINT32_SCALE = 2.3283064365386963e-10;

/**
 * Poisson sample: inversion (one uniform, a walk up the CDF) for small means, a rounded normal
 * for large ones.
 */
function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean >= 12) {
    const v = Math.round(mean + Math.sqrt(mean) * rng.normal());
    return v < 0 ? 0 : v;
  }
  const u = rng.nextUint32() * UINT32_SCALE;
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  while (u > cdf && k < 200) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

import { type Info } from '../../env/index.js';
import type { ConstraintSpec } from '../../scenario/index.js';
import { rowViolates } from './rules.js';
import { FEATURE, FEATURES_PER_SLICE, rowQos, type SlicingLayout } from './slicing.js';

/**
 * The KPIs of docs/algorithms.md#kpis-and-evaluation over an evaluation run.
 *
 * - qosSatisfaction: fraction of active (step, cell, slice) with r >= 1 - eps.
 * - meanR, rCdf (fraction of r <= 0, 0.1, ..., 1).
 * - slaViolationRate: violating (step, slice) pairs / all pairs with the slice active; a pair
 *   violates when the slice misses its target (r < 1 - eps) in at least one cell. Over the whole
 *   run, and `slaViolationRateConverged` over the steps of each episode from `convergedFrom` on.
 * - allocatedShare: mean over (step, cell) of sum_s x; utilization: used PRBs / allocated PRBs.
 * - capacityViolation: mean over (step, cell) of max(0, sum_s x - 1) of the policy's output (must
 *   be exactly 0); maxCapacityViolation the largest single excess.
 * - jainFairness: mean over (step, cell) of (sum r)^2 / (S sum r^2) over the active slices.
 * - meanUtility: mean reward (sum log(r + 1)) per step; meanReturn: mean per episode.
 * - recoverySteps (scenarios with scheduled events): per event and episode, the steps after the
 *   event ends until the step's QoS ratio (satisfied / active (cell, slice)) is back within 5% of
 *   its mean over the 8 steps before the event; the mean over recovered events, null when none
 *   recovered or there are no events. unrecoveredEvents: events not recovered by the episode end.
 */
export interface EvalKpis {
  steps: number;
  qosSatisfaction: number;
  meanR: number;
  rCdf: number[];
  slaViolationRate: number;
  slaViolationRateConverged: number;
  allocatedShare: number;
  utilization: number;
  capacityViolation: number;
  maxCapacityViolation: number;
  jainFairness: number;
  meanUtility: number;
  meanReturn: number;
  recoverySteps: number | null;
  unrecoveredEvents: number;
}

export interface SliceKpis {
  qosSatisfaction: number;
  meanR: number;
  slaViolationRate: number;
  meanShare: number;
  utilization: number;
  /** Mean throughput per user, Mbit/s. */
  meanThroughput: number;
  /** Mean delay, ms. */
  meanDelay: number;
  /** Fraction of active (step, cell) with delay > d* (0 without a delay target). */
  delayViolationRate: number;
  /** Fraction of active (step, cell) with throughput < phi* and users > 0 (0 without a target). */
  throughputViolationRate: number;
}

/** Per-cell KPIs (the allocated share and utilization of docs/algorithms.md#kpis-and-evaluation are per cell). */
export interface CellKpis {
  allocatedShare: number;
  utilization: number;
  qosSatisfaction: number;
  meanR: number;
}

/** A scenario constraint with the value measured in the run. */
export interface ConstraintResult extends ConstraintSpec {
  value: number;
  satisfied: boolean;
}

export interface KpiOptions {
  /** QoS counts as met when r >= 1 - eps (default 0). */
  eps?: number;
  /** First step of each episode counted in slaViolationRateConverged (default: half the episode). */
  convergedFrom?: number;
  /** Scheduled events (first step, duration) to measure the recovery after. */
  events?: ReadonlyArray<{ step: number; duration: number }>;
}

/** Steps before an event whose QoS ratio is its reference, and the tolerance to be back. */
const RECOVERY_WINDOW = 8;
const RECOVERY_TOLERANCE = 0.05;

/**
 * Accumulates KPIs step by step from what every slicing env provides: the policy's allocation,
 * the observation after the step (features of the step just done) and, when the env reports them,
 * the exact per-(cell, slice) QoS levels (info.qos). Allocates nothing per step.
 */
export class KpiAccumulator {
  private readonly S: number;
  private readonly C: number;
  private readonly eps: number;
  private readonly convergedFrom: number;
  private steps = 0;
  private episodes = 0;
  private episodeReturn = 0;
  private returnSum = 0;
  private rewardSum = 0;
  private cellSteps = 0;
  private shareSum = 0;
  private allocatedSum = 0;
  private usedSum = 0;
  private violationSum = 0;
  private violationMax = 0;
  private jainSum = 0;
  private jainCount = 0;
  private readonly cdf = new Float64Array(11);
  private readonly slice: {
    count: Float64Array;
    satisfied: Float64Array;
    rSum: Float64Array;
    slaPairs: Float64Array;
    slaViolations: Float64Array;
    slaPairsConverged: Float64Array;
    slaViolationsConverged: Float64Array;
    shareSum: Float64Array;
    usedSum: Float64Array;
    throughputSum: Float64Array;
    delaySum: Float64Array;
    delayViolations: Float64Array;
    throughputViolations: Float64Array;
  };
  private readonly stepActive: Uint8Array;
  private readonly stepViolated: Uint8Array;
  private readonly cell: { share: Float64Array; used: Float64Array; steps: Float64Array; count: Float64Array; satisfied: Float64Array; rSum: Float64Array };
  private readonly events: ReadonlyArray<{ step: number; duration: number }>;
  /** QoS ratio per step of the current episode (index = 1-based step); NaN = no active slice. */
  private readonly episodeRatio: Float64Array;
  private recoverySum = 0;
  private recovered = 0;
  private unrecovered = 0;

  constructor(
    readonly layout: SlicingLayout,
    private readonly episodeSteps: number,
    options: KpiOptions = {},
  ) {
    this.S = layout.slices.length;
    this.C = layout.cells;
    this.eps = options.eps ?? 0;
    this.convergedFrom = options.convergedFrom ?? Math.floor(episodeSteps / 2);
    const f = (): Float64Array => new Float64Array(this.S);
    this.slice = {
      count: f(),
      satisfied: f(),
      rSum: f(),
      slaPairs: f(),
      slaViolations: f(),
      slaPairsConverged: f(),
      slaViolationsConverged: f(),
      shareSum: f(),
      usedSum: f(),
      throughputSum: f(),
      delaySum: f(),
      delayViolations: f(),
      throughputViolations: f(),
    };
    this.stepActive = new Uint8Array(this.S);
    this.stepViolated = new Uint8Array(this.S);
    const g = (): Float64Array => new Float64Array(this.C);
    this.cell = { share: g(), used: g(), steps: g(), count: g(), satisfied: g(), rSum: g() };
    this.events = options.events ?? [];
    this.episodeRatio = new Float64Array(this.events.length > 0 ? episodeSteps + 1 : 0).fill(Number.NaN);
  }

  /** Scores the recovery after each event of the episode just played. */
  private closeEpisode(): void {
    for (const event of this.events) {
      const recovery = recoveryAfter(this.episodeRatio, event);
      if (!recovery.covered) continue;
      if (recovery.steps !== null) {
        this.recoverySum += recovery.steps;
        this.recovered++;
      } else this.unrecovered++;
    }
    this.episodeRatio.fill(Number.NaN);
  }

  /** Marks the start of an episode. */
  beginEpisode(): void {
    if (this.episodes > 0 && this.events.length > 0) this.closeEpisode();
    this.returnSum += this.episodeReturn;
    this.episodes++;
    this.episodeReturn = 0;
  }

  /**
   * One step: `shares` is what the policy returned, `obs` the observation after the step, `qos`
   * the env's r per (cell, slice) (NaN/null = inactive) if it reports them, `step` the 1-based
   * step index within the episode, `reward` the env's reward.
   */
  addStep(shares: ArrayLike<number>, obs: Float32Array, reward: number, step: number, qos?: ArrayLike<number | null>): void {
    const S = this.S;
    const F = FEATURES_PER_SLICE;
    const sl = this.slice;
    const threshold = 1 - this.eps;
    const converged = step > this.convergedFrom;
    this.steps++;
    this.rewardSum += reward;
    this.episodeReturn += reward;
    this.stepActive.fill(0);
    this.stepViolated.fill(0);
    let stepCount = 0;
    let stepSatisfied = 0;
    for (let c = 0; c < this.C; c++) {
      let cellShare = 0;
      let rSum = 0;
      let rSq = 0;
      let k = 0;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        const x = shares[i]!;
        cellShare += x;
        const row = i * F;
        const used = x * obs[row + FEATURE.prbUtilization]!;
        this.allocatedSum += x;
        this.usedSum += used;
        this.cell.used[c]! += used;
        let r: number;
        if (qos) {
          const q = qos[i];
          r = q === null || q === undefined || Number.isNaN(q) ? Number.NaN : q;
        } else {
          r = rowQos(obs, i);
        }
        if (Number.isNaN(r)) continue;
        k++;
        rSum += r;
        rSq += r * r;
        this.cell.count[c]!++;
        this.cell.rSum[c]! += r;
        if (r >= threshold) this.cell.satisfied[c]!++;
        sl.count[s]!++;
        sl.rSum[s]! += r;
        sl.shareSum[s]! += x;
        sl.usedSum[s]! += used;
        sl.throughputSum[s]! += obs[row + FEATURE.throughput]!;
        sl.delaySum[s]! += obs[row + FEATURE.meanDelay]!;
        if (rowViolates(obs, i, 'delay-violation-rate')) sl.delayViolations[s]!++;
        if (rowViolates(obs, i, 'throughput-violation-rate')) sl.throughputViolations[s]!++;
        this.stepActive[s] = 1;
        stepCount++;
        if (r >= threshold) {
          sl.satisfied[s]!++;
          stepSatisfied++;
        } else this.stepViolated[s] = 1;
        for (let b = 0; b <= 10; b++) if (r <= b / 10 + 1e-12) this.cdf[b]!++;
      }
      this.cellSteps++;
      this.shareSum += cellShare;
      this.cell.steps[c]!++;
      this.cell.share[c]! += cellShare;
      const excess = cellShare > 1 ? cellShare - 1 : 0;
      this.violationSum += excess;
      if (excess > this.violationMax) this.violationMax = excess;
      if (k > 0) {
        this.jainSum += rSq > 0 ? (rSum * rSum) / (k * rSq) : 1;
        this.jainCount++;
      }
    }
    if (step >= 0 && step < this.episodeRatio.length) this.episodeRatio[step] = stepCount > 0 ? stepSatisfied / stepCount : Number.NaN;
    for (let s = 0; s < S; s++) {
      if (!this.stepActive[s]) continue;
      sl.slaPairs[s]!++;
      sl.slaViolations[s]! += this.stepViolated[s]!;
      if (converged) {
        sl.slaPairsConverged[s]!++;
        sl.slaViolationsConverged[s]! += this.stepViolated[s]!;
      }
    }
  }

  /**
   * One env step as the env reported it: addStep with the exact QoS levels of info.qos when the
   * env gives one per (cell, slice), else the levels recomputed from the observation.
   */
  addEnvStep(shares: ArrayLike<number>, obs: Float32Array, reward: number, step: number, info: Info): void {
    const size = this.C * this.S;
    const qos = Array.isArray(info.qos) && info.qos.length === size ? (info.qos as Array<number | null>) : undefined;
    this.addStep(shares, obs, reward, step, qos);
  }

  /** The KPIs so far, overall and per slice (keyed by slice name). */
  result(): { kpis: EvalKpis; perSlice: Record<string, SliceKpis>; perCell: CellKpis[] } {
    const sl = this.slice;
    // The episode in progress counts for recovery as far as it went (without closing it).
    const saved = { sum: this.recoverySum, recovered: this.recovered, unrecovered: this.unrecovered };
    const ratioCopy = this.episodeRatio.slice();
    if (this.events.length > 0 && this.episodes > 0) this.closeEpisode();
    const recovery = { sum: this.recoverySum, recovered: this.recovered, unrecovered: this.unrecovered };
    this.recoverySum = saved.sum;
    this.recovered = saved.recovered;
    this.unrecovered = saved.unrecovered;
    this.episodeRatio.set(ratioCopy);
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
    const ratio = (a: number, b: number, empty = 0): number => (b > 0 ? a / b : empty);
    const count = sum(sl.count);
    const episodes = Math.max(this.episodes, 1);
    const kpis: EvalKpis = {
      steps: this.steps,
      qosSatisfaction: ratio(sum(sl.satisfied), count),
      meanR: ratio(sum(sl.rSum), count),
      rCdf: Array.from(this.cdf, (v) => ratio(v, count)),
      slaViolationRate: ratio(sum(sl.slaViolations), sum(sl.slaPairs)),
      slaViolationRateConverged: ratio(sum(sl.slaViolationsConverged), sum(sl.slaPairsConverged)),
      allocatedShare: ratio(this.shareSum, this.cellSteps),
      utilization: ratio(this.usedSum, this.allocatedSum),
      capacityViolation: ratio(this.violationSum, this.cellSteps),
      maxCapacityViolation: this.violationMax,
      jainFairness: ratio(this.jainSum, this.jainCount, 1),
      meanUtility: ratio(this.rewardSum, this.steps),
      meanReturn: (this.returnSum + this.episodeReturn) / episodes,
      recoverySteps: recovery.recovered > 0 ? recovery.sum / recovery.recovered : null,
      unrecoveredEvents: recovery.unrecovered,
    };
    const perSlice: Record<string, SliceKpis> = {};
    this.layout.slices.forEach((slice, s) => {
      const n = sl.count[s]!;
      perSlice[slice.name] = {
        qosSatisfaction: ratio(sl.satisfied[s]!, n),
        meanR: ratio(sl.rSum[s]!, n),
        slaViolationRate: ratio(sl.slaViolations[s]!, sl.slaPairs[s]!),
        meanShare: ratio(sl.shareSum[s]!, n),
        utilization: ratio(sl.usedSum[s]!, sl.shareSum[s]!),
        meanThroughput: ratio(sl.throughputSum[s]!, n),
        meanDelay: ratio(sl.delaySum[s]!, n),
        delayViolationRate: ratio(sl.delayViolations[s]!, n),
        throughputViolationRate: ratio(sl.throughputViolations[s]!, n),
      };
    });
    const cl = this.cell;
    const perCell: CellKpis[] = Array.from({ length: this.C }, (_, c) => ({
      allocatedShare: ratio(cl.share[c]!, cl.steps[c]!),
      utilization: ratio(cl.used[c]!, cl.share[c]!),
      qosSatisfaction: ratio(cl.satisfied[c]!, cl.count[c]!),
      meanR: ratio(cl.rSum[c]!, cl.count[c]!),
    }));
    return { kpis, perSlice, perCell };
  }
}

/**
 * The recovery after one scheduled event in a per-step series of an episode (index = 1-based
 * step; NaN = nothing measured that step), the rule behind EvalKpis.recoverySteps: the reference
 * is the series' mean over the `window` steps before the event, and the recovery is the number of
 * steps from the event's end until the series is back within `tolerance` (relative) of it — 0
 * when the first step after the event already is. `covered` is false when the episode did not
 * cover the event (no measured step before it, or it ends at or after the series' end); `steps`
 * is null when the series never came back before the episode ended.
 */
export function recoveryAfter(
  series: ArrayLike<number>,
  event: { step: number; duration: number },
  window = RECOVERY_WINDOW,
  tolerance = RECOVERY_TOLERANCE,
): { covered: boolean; steps: number | null } {
  let pre = 0;
  let n = 0;
  for (let t = Math.max(1, event.step - window); t < event.step && t < series.length; t++) {
    if (!Number.isNaN(series[t]!)) {
      pre += series[t]!;
      n++;
    }
  }
  const end = event.step + event.duration;
  if (n === 0 || end >= series.length) return { covered: false, steps: null };
  pre /= n;
  for (let t = end; t < series.length; t++) {
    if (!Number.isNaN(series[t]!) && series[t]! >= pre * (1 - tolerance)) return { covered: true, steps: t - end };
  }
  return { covered: true, steps: null };
}

/** Whether a constraint's measured rate keeps its limit (the rate may equal it). */
export function withinLimit(value: number, limit: number): boolean {
  return value <= limit;
}

/** The measured value of each scenario constraint, from per-slice KPIs. */
export function evaluateConstraints(constraints: readonly ConstraintSpec[], perSlice: Record<string, SliceKpis>): ConstraintResult[] {
  return constraints.map((c) => {
    const k = perSlice[c.slice];
    const value = !k
      ? 0
      : c.kind === 'delay-violation-rate'
        ? k.delayViolationRate
        : c.kind === 'throughput-violation-rate'
          ? k.throughputViolationRate
          : 1 - k.qosSatisfaction;
    return { ...c, value, satisfied: withinLimit(value, c.limit) };
  });
}

/**
 * Per-step cost of each constraint (the fraction of the slice's active cells violating it in this
 * observation), for constrained agents: the long-run mean of cost_j must stay <= limit_j.
 */
export function constraintCosts(constraints: readonly ConstraintSpec[], layout: SlicingLayout, obs: Float32Array): Float64Array {
  const out = new Float64Array(constraints.length);
  const S = layout.slices.length;
  const F = FEATURES_PER_SLICE;
  constraints.forEach((con, j) => {
    const s = layout.slices.findIndex((x) => x.name === con.slice);
    if (s < 0) return;
    let active = 0;
    let violating = 0;
    for (let c = 0; c < layout.cells; c++) {
      const i = c * S + s;
      if (obs[i * F + FEATURE.active]! < 0.5) continue;
      active++;
      if (rowViolates(obs, i, con.kind)) violating++;
    }
    out[j] = active > 0 ? violating / active : 0;
  });
  return out;
}

/**
 * Convergence (docs/algorithms.md#kpis-and-evaluation): the first index after which the moving average (window 20) of a
 * series of evaluation returns stays within 5% of its final plateau (the last moving average).
 * Indices before a full window use the mean of what is there. null for an empty series.
 */
export function convergenceIndex(returns: readonly number[], window = 20, tolerance = 0.05): number | null {
  const n = returns.length;
  if (n === 0) return null;
  const average = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += returns[i]!;
    if (i >= window) sum -= returns[i - window]!;
    average[i] = sum / Math.min(i + 1, window);
  }
  const plateau = average[n - 1]!;
  const band = tolerance * Math.abs(plateau);
  let first = n - 1;
  for (let i = n - 1; i >= 0; i--) {
    if (Math.abs(average[i]! - plateau) > band) break;
    first = i;
  }
  return first;
}

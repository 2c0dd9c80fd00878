/**
 * The SFC provisioning model (docs/sfc.md#dynamics): data centres with CPU, memory and uplink
 * bandwidth; VNF instances with a CPU/memory cost and a processing capacity; SFC requests that
 * arrive (Poisson with a daily profile), wait for a placement up to their patience, are placed
 * chain link by chain link on instances within their latency budget, and leave when their lifetime
 * ends. Delay grows with instance load (an M/M/1-like 1/(1 − ρ) factor on the processing time) and
 * with every hop between data centres. One decision step: the action, departures, arrivals,
 * placements, patience, loads and delays, in that order. Seeded: the same seed gives the same
 * episode for the same actions.
 */
import { SFC_NORMALISATION, VNF_TYPES, decodeSfcAction } from '../../../scenario/index.js';
import { Rng } from '../../../util/index.js';
import {
  MAX_INSTANCE_GAP,
  TYPE_CAPACITY,
  TYPE_INSTANCE_GAP,
  TYPE_PENDING_MBPS,
  TYPE_SCALE_IN_FLAG,
  TYPE_SCALE_OUT_FLAG,
  TYPE_TRAFFIC,
  sfcObservationLayout,
  type SfcObservationLayout,
} from '../observation.js';
import { sfcReward, type SfcStepEvents } from '../rules.js';
import type { SfcSection } from '../scenario.js';

/** Highest load a delay is computed at: an overloaded instance counts as 98% loaded. */
const MAX_LOAD = 0.98;

export interface VnfInstance {
  type: number;
  dc: number;
  /** Nominal traffic of the SFCs it serves, Mbit/s. */
  nominalMbps: number;
  /** This step's traffic (nominal with each SFC's jitter), Mbit/s. */
  currentMbps: number;
  /** SFCs it serves. */
  sfcs: number;
}

export interface SfcRequest {
  id: number;
  /** VNF types in chain order. */
  chain: number[];
  bandwidthMbps: number;
  latencyBudgetMs: number;
  priority: number;
  lifetimeSteps: number;
  /** Steps it has waited. */
  waited: number;
}

export interface ActiveSfc extends SfcRequest {
  instances: VnfInstance[];
  remainingSteps: number;
  /** This step's traffic, Mbit/s. */
  currentMbps: number;
  delayMs: number;
  violated: boolean;
}

/** Delays and loads measured outside the model (the ns-3 env) for one step. */
export interface SfcMeasurement {
  /** Busy fraction of instances over the step's window. */
  loads: ReadonlyMap<VnfInstance, number>;
  /** End-to-end delay of active SFCs, ms. */
  delaysMs: ReadonlyMap<ActiveSfc, number>;
}

/** What a step did beyond the reward's events (the KPIs read them from the step's info). */
export interface SfcStepInfo extends SfcStepEvents {
  /** Reward of the step (the sum of the six rules). */
  reward: number;
  /** CPU cores of every installed instance. */
  cpuCores: number;
  /** End-to-end delay of every active SFC after the step, ms. */
  delaysMs: number[];
  /** Active SFCs and pending requests after the step. */
  active: number;
  pending: number;
  /** Instances per VNF type after the step. */
  instances: number[];
}

/** Hour of day of a step. */
export function hourOfStep(section: SfcSection, step: number): number {
  return (section.startHour + (step * section.stepMinutes) / 60) % 24;
}

/** Mean arrivals per step at an hour: the daily profile, 1 + amplitude × cos(2π (hour − peak) / 24). */
export function arrivalRate(section: SfcSection, hour: number): number {
  const a = section.arrivals;
  return Math.max(0, a.meanPerStep * (1 + a.dailyAmplitude * Math.cos((2 * Math.PI * (hour - a.peakHour)) / 24)));
}

/**
 * How popular each VNF type is in new chains at an hour: daytime chains lean on inspection (IDS,
 * firewall), night-time ones on WAN optimisation (backups) — so the right instance mix shifts over
 * the day.
 */
export function typeWeights(hour: number): number[] {
  const day = 0.5 + 0.5 * Math.cos((2 * Math.PI * (hour - 14)) / 24);
  return [1.0 + 0.5 * day, 1.0, 0.4 + 1.2 * day, 0.8, 1.4 - 1.0 * day];
}

function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit && k < 1000) {
    k++;
    p *= rng.next();
  }
  return k;
}

function uniformInt(rng: Rng, [lo, hi]: [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

/** The delay of an instance's processing at a load: processingMs / (1 − ρ). */
export function processingDelayMs(processingMs: number, load: number): number {
  return processingMs / (1 - Math.min(Math.max(load, 0), MAX_LOAD));
}

export class SfcModel {
  readonly layout: SfcObservationLayout;
  step = 0;
  instances: VnfInstance[] = [];
  pending: SfcRequest[] = [];
  active: ActiveSfc[] = [];
  private rng: Rng;
  private nextId = 0;
  /** Uplink bandwidth in use per data centre, Mbit/s (nominal). */
  private dcBandwidth: number[];

  constructor(readonly section: SfcSection, seed: number) {
    this.layout = sfcObservationLayout(section.dataCentres.length, section.maxActive, section.maxPending);
    this.rng = new Rng(seed);
    this.dcBandwidth = section.dataCentres.map(() => 0);
    this.reset(seed);
  }

  /** A new episode: the initial instances, nothing active or pending. */
  reset(seed: number): void {
    this.rng = new Rng(seed);
    this.step = 0;
    this.nextId = 0;
    this.pending = [];
    this.active = [];
    this.instances = [];
    this.dcBandwidth = this.section.dataCentres.map(() => 0);
    let dc = 0;
    for (let i = 0; i < this.section.initialInstances; i++) {
      for (let t = 0; t < VNF_TYPES.length; t++) {
        // Round-robin over the data centres that have room.
        for (let tries = 0; tries < this.section.dataCentres.length; tries++) {
          const d = (dc + tries) % this.section.dataCentres.length;
          if (this.fits(t, d)) {
            this.install(t, d);
            dc = d + 1;
            break;
          }
        }
      }
    }
    this.updateLoads(false);
  }

  cpuUsed(dc: number): number {
    let s = 0;
    for (const i of this.instances) if (i.dc === dc) s += this.section.vnfs[i.type]!.cpuCores;
    return s;
  }

  memoryUsed(dc: number): number {
    let s = 0;
    for (const i of this.instances) if (i.dc === dc) s += this.section.vnfs[i.type]!.memoryGb;
    return s;
  }

  private fits(type: number, dc: number): boolean {
    const vnf = this.section.vnfs[type]!;
    const spec = this.section.dataCentres[dc]!;
    return this.cpuUsed(dc) + vnf.cpuCores <= spec.cpuCores + 1e-9 && this.memoryUsed(dc) + vnf.memoryGb <= spec.memoryGb + 1e-9;
  }

  private install(type: number, dc: number): VnfInstance {
    const instance: VnfInstance = { type, dc, nominalMbps: 0, currentMbps: 0, sfcs: 0 };
    this.instances.push(instance);
    return instance;
  }

  /** The data centre a new instance of `type` goes to: the one with the most free CPU that fits it; -1 if none. */
  scaleOutTarget(type: number): number {
    let best = -1;
    let bestFree = -Infinity;
    this.section.dataCentres.forEach((spec, d) => {
      if (!this.fits(type, d)) return;
      const free = spec.cpuCores - this.cpuUsed(d);
      if (free > bestFree) {
        best = d;
        bestFree = free;
      }
    });
    return best;
  }

  /** The instance a scale-in of `type` removes: its idle instance installed last; null if none is idle. */
  scaleInTarget(type: number): VnfInstance | null {
    for (let i = this.instances.length - 1; i >= 0; i--) {
      const instance = this.instances[i]!;
      if (instance.type === type && instance.sfcs === 0) return instance;
    }
    return null;
  }

  /** Pending requests whose chain has a VNF of `type`. */
  pendingDemand(type: number): number {
    let n = 0;
    for (const r of this.pending) if (r.chain.includes(type)) n++;
    return n;
  }

  /** Bandwidth of the pending requests whose chain holds a VNF type, Mbit/s. */
  pendingDemandMbps(type: number): number {
    let mbps = 0;
    for (const r of this.pending) if (r.chain.includes(type)) mbps += r.bandwidthMbps;
    return mbps;
  }

  /** Plays one decision step; returns the reward's events and the step's figures. */
  advance(action: number): SfcStepInfo {
    return this.endStep(this.beginStep(action));
  }

  /**
   * The bookkeeping half of a step: the action, departures, arrivals, placements, patience and
   * this step's traffic. An env that measures delays and loads elsewhere (the ns-3 env) simulates
   * the resulting deployment between beginStep and endStep.
   */
  beginStep(action: number): SfcStepEvents {
    const events: SfcStepEvents = { accepted: 0, dropped: 0, invalid: 0, unnecessaryUninstall: 0, slaViolations: 0, efficiency: 0 };
    this.applyAction(action, events);
    this.depart();
    this.arrive(events);
    this.place(events);
    this.wait(events);
    this.drawTraffic(true);
    return events;
  }

  /**
   * The measuring half of a step: delays (the model's queueing formula, or `measured` values),
   * SLA violations, efficiency and reward. `measured` loads replace the instances' traffic
   * (load × capacity); `measured` delays replace the SFCs' computed ones.
   */
  endStep(events: SfcStepEvents, measured?: SfcMeasurement): SfcStepInfo {
    if (measured) {
      for (const [instance, load] of measured.loads) instance.currentMbps = load * this.section.vnfs[instance.type]!.capacityMbps;
    }
    events.slaViolations = this.updateDelays(measured?.delaysMs);
    events.efficiency = this.efficiency();
    this.step += 1;
    const reward = sfcReward(events, this.section.efficiencyThreshold);
    return {
      ...events,
      reward,
      cpuCores: this.instances.reduce((s, i) => s + this.section.vnfs[i.type]!.cpuCores, 0),
      delaysMs: this.active.map((s) => s.delayMs),
      active: this.active.length,
      pending: this.pending.length,
      instances: VNF_TYPES.map((_, t) => this.instances.filter((i) => i.type === t).length),
    };
  }

  private applyAction(action: number, events: SfcStepEvents): void {
    const { type, operation } = decodeSfcAction(action);
    if (operation === 'allocate') {
      const dc = this.scaleOutTarget(type);
      if (dc < 0) events.invalid = 1;
      else this.install(type, dc);
    } else if (operation === 'uninstall') {
      const target = this.scaleInTarget(type);
      if (!target) {
        events.invalid = 1;
        return;
      }
      if (this.pendingDemand(type) > 0) events.unnecessaryUninstall = 1;
      this.instances.splice(this.instances.indexOf(target), 1);
    }
  }

  /** SFCs whose lifetime ended leave and free their instances' capacity and the data centres' bandwidth. */
  private depart(): void {
    const staying: ActiveSfc[] = [];
    for (const sfc of this.active) {
      sfc.remainingSteps -= 1;
      if (sfc.remainingSteps > 0) {
        staying.push(sfc);
        continue;
      }
      for (const instance of sfc.instances) {
        instance.nominalMbps -= sfc.bandwidthMbps;
        instance.sfcs -= 1;
      }
      for (const dc of new Set(sfc.instances.map((i) => i.dc))) this.dcBandwidth[dc]! -= sfc.bandwidthMbps;
    }
    this.active = staying;
  }

  private arrive(events: SfcStepEvents): void {
    const r = this.section.requests;
    const hour = hourOfStep(this.section, this.step);
    const n = poisson(this.rng, arrivalRate(this.section, hour));
    const weights = typeWeights(hour);
    for (let k = 0; k < n; k++) {
      const length = uniformInt(this.rng, r.chainLength);
      const chain: number[] = [];
      const w = weights.slice();
      for (let j = 0; j < length; j++) {
        const total = w.reduce((a, b) => a + b, 0);
        let u = this.rng.next() * total;
        let t = 0;
        while (t < w.length - 1 && u >= w[t]!) u -= w[t++]!;
        chain.push(t);
        w[t] = 0; // a chain has each type at most once
      }
      const request: SfcRequest = {
        id: this.nextId++,
        chain,
        bandwidthMbps: this.rng.uniform(r.bandwidthMbps[0], r.bandwidthMbps[1]),
        latencyBudgetMs: this.rng.uniform(r.latencyBudgetMs[0], r.latencyBudgetMs[1]),
        priority: uniformInt(this.rng, r.priority),
        lifetimeSteps: uniformInt(this.rng, r.lifetimeSteps),
        waited: 0,
      };
      if (this.pending.length >= this.section.maxPending) events.dropped += 1;
      else this.pending.push(request);
    }
  }

  /**
   * Places pending requests, highest priority first (then oldest): link by link, the instance of
   * the link's type with room for the request's bandwidth that adds the least delay (its
   * processing at the load after placement, plus a hop when it changes data centre). Accepted when
   * the chain's delay is within the budget and the data centres' uplinks have the bandwidth.
   */
  private place(events: SfcStepEvents): void {
    const order = this.pending.map((r, i) => ({ r, i })).sort((a, b) => b.r.priority - a.r.priority || a.r.id - b.r.id);
    const placed = new Set<SfcRequest>();
    for (const { r } of order) {
      const route = this.route(r);
      if (!route) continue;
      placed.add(r);
      events.accepted += 1;
      for (const instance of route.instances) {
        instance.nominalMbps += r.bandwidthMbps;
        instance.sfcs += 1;
      }
      for (const dc of new Set(route.instances.map((i) => i.dc))) this.dcBandwidth[dc]! += r.bandwidthMbps;
      this.active.push({ ...r, instances: route.instances, remainingSteps: r.lifetimeSteps, currentMbps: r.bandwidthMbps, delayMs: route.delayMs, violated: false });
    }
    this.pending = this.pending.filter((r) => !placed.has(r));
  }

  /** The instances and nominal delay of a request's chain, or null when it cannot be served now. */
  route(r: SfcRequest): { instances: VnfInstance[]; delayMs: number } | null {
    const instances: VnfInstance[] = [];
    let delayMs = 0;
    let prevDc = -1;
    const dcs = new Set<number>();
    for (const type of r.chain) {
      const vnf = this.section.vnfs[type]!;
      let best: VnfInstance | null = null;
      let bestDelay = Infinity;
      for (const instance of this.instances) {
        if (instance.type !== type || instance.nominalMbps + r.bandwidthMbps > vnf.capacityMbps + 1e-9) continue;
        const d = processingDelayMs(vnf.processingMs, (instance.nominalMbps + r.bandwidthMbps) / vnf.capacityMbps) + (prevDc >= 0 && instance.dc !== prevDc ? this.section.interDcDelayMs : 0);
        if (d < bestDelay) {
          best = instance;
          bestDelay = d;
        }
      }
      if (!best) return null;
      instances.push(best);
      delayMs += bestDelay;
      prevDc = best.dc;
      dcs.add(best.dc);
    }
    if (delayMs > r.latencyBudgetMs) return null;
    for (const dc of dcs) if (this.dcBandwidth[dc]! + r.bandwidthMbps > this.section.dataCentres[dc]!.bandwidthMbps + 1e-9) return null;
    return { instances, delayMs };
  }

  /** Requests still pending wait one more step; past their patience they are dropped. */
  private wait(events: SfcStepEvents): void {
    const keep: SfcRequest[] = [];
    for (const r of this.pending) {
      r.waited += 1;
      if (r.waited > this.section.requests.patienceSteps) events.dropped += 1;
      else keep.push(r);
    }
    this.pending = keep;
  }

  /**
   * This step's traffic (each active SFC's nominal bandwidth times a jitter), the instances' loads
   * and every active SFC's end-to-end delay; returns how many SFCs exceeded their budget for the
   * first time.
   */
  private updateLoads(jitter: boolean): number {
    this.drawTraffic(jitter);
    return this.updateDelays();
  }

  /** This step's traffic of every active SFC and instance. */
  private drawTraffic(jitter: boolean): void {
    const j = this.section.loadJitter;
    for (const instance of this.instances) instance.currentMbps = 0;
    for (const sfc of this.active) {
      sfc.currentMbps = sfc.bandwidthMbps * (jitter && j > 0 ? this.rng.uniform(1 - j, 1 + j) : 1);
      for (const instance of sfc.instances) instance.currentMbps += sfc.currentMbps;
    }
  }

  /** Every active SFC's delay (measured where given, else at the instances' loads); returns the new SLA violations. */
  private updateDelays(measuredMs?: ReadonlyMap<ActiveSfc, number>): number {
    let violations = 0;
    for (const sfc of this.active) {
      sfc.delayMs = measuredMs?.get(sfc) ?? this.chainDelayMs(sfc.instances);
      if (!sfc.violated && sfc.delayMs > sfc.latencyBudgetMs) {
        sfc.violated = true;
        violations += 1;
      }
    }
    return violations;
  }

  /** The end-to-end delay of a chain at the instances' current loads, ms. */
  chainDelayMs(instances: readonly VnfInstance[]): number {
    let d = 0;
    for (let k = 0; k < instances.length; k++) {
      const instance = instances[k]!;
      const vnf = this.section.vnfs[instance.type]!;
      d += processingDelayMs(vnf.processingMs, instance.currentMbps / vnf.capacityMbps);
      if (k > 0 && instances[k - 1]!.dc !== instance.dc) d += this.section.interDcDelayMs;
    }
    return d;
  }

  /** Traffic carried over processing capacity installed (0 with nothing installed). */
  efficiency(): number {
    let used = 0;
    let capacity = 0;
    for (const instance of this.instances) {
      used += Math.min(instance.currentMbps, this.section.vnfs[instance.type]!.capacityMbps);
      capacity += this.section.vnfs[instance.type]!.capacityMbps;
    }
    return capacity > 0 ? used / capacity : 0;
  }

  /** Load of one instance this step (traffic over capacity). */
  load(instance: VnfInstance): number {
    return instance.currentMbps / this.section.vnfs[instance.type]!.capacityMbps;
  }

  /** The observation (layout in observation.ts), written into `out`. */
  observe(out: Float32Array = new Float32Array(this.layout.size)): Float32Array {
    out.fill(0);
    const L = this.layout;
    const N = SFC_NORMALISATION;
    const W = L.tokenWidth;
    const K = W - 3; // first kind flag
    const hour = hourOfStep(this.section, this.step);
    out[0] = Math.sin((2 * Math.PI * hour) / 24);
    out[1] = Math.cos((2 * Math.PI * hour) / 24);
    out[2] = this.pending.length / this.section.maxPending;
    // Part 1: data centres, then VNF types.
    this.section.dataCentres.forEach((spec, d) => {
      const o = L.resources.offset + d * W;
      out[o] = (spec.cpuCores - this.cpuUsed(d)) / N.cpuCores;
      out[o + 1] = (spec.memoryGb - this.memoryUsed(d)) / N.memoryGb;
      out[o + 2] = (spec.bandwidthMbps - this.dcBandwidth[d]!) / N.bandwidthMbps;
      let used = 0;
      let capacity = 0;
      for (const instance of this.instances) {
        if (instance.dc !== d) continue;
        out[o + 3 + instance.type]! += 1 / N.instances;
        used += instance.currentMbps;
        capacity += this.section.vnfs[instance.type]!.capacityMbps;
      }
      out[o + 8] = capacity > 0 ? used / capacity : 0;
      out[o + K] = 1;
    });
    for (let t = 0; t < L.vnfTypes; t++) {
      const o = L.resources.offset + (L.dataCentres + t) * W;
      let count = 0;
      let idle = 0;
      let load = 0;
      let trafficMbps = 0;
      for (const instance of this.instances) {
        if (instance.type !== t) continue;
        count += 1;
        if (instance.sfcs === 0) idle += 1;
        load += this.load(instance);
        trafficMbps += instance.currentMbps;
      }
      const instanceMbps = this.section.vnfs[t]!.capacityMbps;
      const pendingMbps = this.pendingDemandMbps(t);
      const gap = (trafficMbps + pendingMbps) / instanceMbps - count;
      out[o] = count / N.instances;
      out[o + 1] = idle / N.instances;
      out[o + 2] = count > 0 ? load / count : 0;
      out[o + 3] = this.pendingDemand(t) / this.section.maxPending;
      out[o + 4 + t] = 1;
      // Whether a scale-out and a scale-in of the type would be carried out (else they are invalid).
      out[o + TYPE_SCALE_OUT_FLAG] = this.scaleOutTarget(t) >= 0 ? 1 : 0;
      out[o + TYPE_SCALE_IN_FLAG] = idle > 0 ? 1 : 0;
      // Supply against demand: which type is short and which in excess.
      out[o + TYPE_CAPACITY] = (count * instanceMbps) / N.bandwidthMbps;
      out[o + TYPE_TRAFFIC] = trafficMbps / N.bandwidthMbps;
      out[o + TYPE_PENDING_MBPS] = pendingMbps / N.bandwidthMbps;
      out[o + TYPE_INSTANCE_GAP] = Math.min(Math.max(gap, -MAX_INSTANCE_GAP), MAX_INSTANCE_GAP) / MAX_INSTANCE_GAP;
      out[o + K + 1] = 1;
    }
    // Part 2: active SFCs, oldest first.
    const hoursPerStep = this.section.stepMinutes / 60;
    this.active.slice(0, L.maxActive).forEach((sfc, s) => {
      const o = L.active.offset + s * L.active.width;
      out[o] = 1;
      sfc.chain.forEach((type, k) => (out[o + 1 + k] = (type + 1) / L.vnfTypes));
      out[o + 5] = sfc.remainingSteps * hoursPerStep;
      out[o + 6] = sfc.delayMs / 1000;
      out[o + 7] = sfc.latencyBudgetMs / 1000;
    });
    // Part 3: pending requests, oldest first.
    this.pending.slice(0, L.maxPending).forEach((r, p) => {
      const o = L.pending.offset + p * W;
      out[o] = r.bandwidthMbps / N.bandwidthMbps;
      out[o + 1] = r.latencyBudgetMs / 1000;
      out[o + 2] = r.priority / N.priority;
      out[o + 3] = r.waited / (this.section.requests.patienceSteps + 1);
      for (const type of r.chain) out[o + 4 + type] = 1;
      out[o + K + 2] = 1;
    });
    return out;
  }
}

/**
 * Observations from the kernel: the counters of each slice's leaf qdisc (bytes and packets sent,
 * drops, backlog) over one period become the slicing observation row of that slice
 * (src/scenario/slicing.ts), so a policy trained on the slicing layout acts on measured traffic.
 *
 *   throughput   = 8 Δbytes / Δt                                   Mbit/s
 *   offeredLoad  = throughput + 8 Δdrops · (Δbytes / Δpackets) / Δt  (sent + dropped)
 *   dropRate     = Δdrops / (Δpackets + Δdrops)                     (info only: no feature for it)
 *   meanDelay    = 8 backlog / max(throughput, guaranteed rate)     ms, Little's law on the queue
 *   p95Delay     = meanDelay (no per-packet timing in the counters)
 *   prbUtilization = throughput / guaranteed rate, in [0, 1]        (used / allocated capacity)
 *
 * A wire has no radio: activeUsers is 1 when the slice sent or queued anything, meanCqi is 15.
 */
import { FEATURE, FEATURES_PER_SLICE } from '../scenario/index.js';
import { classId } from './plan.js';
import type { EnforceMapping } from './mapping.js';
import type { QdiscStats } from './tc.js';

export interface SliceCounters {
  bytes: number;
  packets: number;
  drops: number;
  /** Bytes queued now. */
  backlog: number;
}

/** Counters of every slice, in mapping order, at one instant. */
export interface KernelSample {
  /** Seconds, monotonic. */
  at: number;
  slices: SliceCounters[];
}

export interface SliceMeasurement {
  throughputMbit: number;
  offeredMbit: number;
  dropRate: number;
  backlogKbit: number;
  delayMs: number;
}

/** The slices' counters out of `tc -s -j qdisc show` (each slice's leaf qdisc has its class as parent). */
export function sampleFromQdiscs(mapping: EnforceMapping, qdiscs: readonly QdiscStats[], at: number): KernelSample {
  const byParent = new Map(qdiscs.filter((q) => q.parent !== undefined).map((q) => [q.parent!, q]));
  return {
    at,
    slices: mapping.slices.map((slice) => {
      const q = byParent.get(classId(slice.classMinor));
      return q ? { bytes: q.bytes, packets: q.packets, drops: q.drops, backlog: q.backlog } : { bytes: 0, packets: 0, drops: 0, backlog: 0 };
    }),
  };
}

/** What each slice did between two samples; `guaranteedBps` is each slice's rate in force. */
export function measure(prev: KernelSample, cur: KernelSample, guaranteedBps: readonly number[]): SliceMeasurement[] {
  const dt = Math.max(1e-6, cur.at - prev.at);
  return cur.slices.map((c, i) => {
    const p = prev.slices[i]!;
    const bytes = Math.max(0, c.bytes - p.bytes);
    const packets = Math.max(0, c.packets - p.packets);
    const drops = Math.max(0, c.drops - p.drops);
    const meanPacketBytes = packets > 0 ? bytes / packets : 1500;
    const throughputBps = (8 * bytes) / dt;
    const serviceBps = Math.max(throughputBps, guaranteedBps[i] ?? 0, 1);
    return {
      throughputMbit: throughputBps / 1e6,
      offeredMbit: (throughputBps + (8 * drops * meanPacketBytes) / dt) / 1e6,
      dropRate: packets + drops > 0 ? drops / (packets + drops) : 0,
      backlogKbit: (8 * c.backlog) / 1e3,
      delayMs: ((8 * c.backlog) / serviceBps) * 1e3,
    };
  });
}

/** The slicing observation [1, slices, FEATURES_PER_SLICE] of one period (one cell: the link). */
export function slicingObservation(mapping: EnforceMapping, shares: readonly number[], measured: readonly SliceMeasurement[], linkBps: number): Float32Array {
  const obs = new Float32Array(mapping.slices.length * FEATURES_PER_SLICE);
  mapping.slices.forEach((slice, i) => {
    const m = measured[i]!;
    const row = i * FEATURES_PER_SLICE;
    const allocatedMbit = ((shares[i] ?? 0) * linkBps) / 1e6;
    obs[row + FEATURE.share] = shares[i] ?? 0;
    obs[row + FEATURE.throughput] = m.throughputMbit;
    obs[row + FEATURE.meanDelay] = m.delayMs;
    obs[row + FEATURE.p95Delay] = m.delayMs;
    obs[row + FEATURE.prbUtilization] = allocatedMbit > 0 ? Math.min(1, m.throughputMbit / allocatedMbit) : 0;
    obs[row + FEATURE.activeUsers] = m.throughputMbit > 0 || m.backlogKbit > 0 ? 1 : 0;
    obs[row + FEATURE.meanCqi] = 15;
    obs[row + FEATURE.offeredLoad] = m.offeredMbit;
    obs[row + FEATURE.backlog] = m.backlogKbit;
    obs[row + FEATURE.phiTarget] = slice.phiTarget;
    obs[row + FEATURE.delayTarget] = slice.delayTarget;
    obs[row + FEATURE.active] = 1;
  });
  return obs;
}

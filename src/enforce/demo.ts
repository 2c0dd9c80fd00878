/**
 * `ns3ts enforce demo`: the enforcer against real packets. A testbed (two namespaces, a veth pair)
 * with a link of `linkMbit` shaped by HTB, three UDP flows (one per slice, each offering the whole
 * link) and the allocation `shares`; after a warm-up the per-class throughput is measured, then
 * the allocation changes to `nextShares` and the time until every slice's measured share is back
 * within the tolerance of its new share is the convergence time.
 */
import type { EnforceMapping } from './mapping.js';
import { Enforcer } from './enforcer.js';
import type { KernelSample } from './observe.js';
import type { LeafQdisc } from './plan.js';
import { Testbed, type TrafficFlow } from './testbed.js';

/** The demo's slices: eMBB by port, URLLC by DSCP EF (46), mMTC by port. */
export const DEMO_MAPPING: EnforceMapping = {
  linkMbit: 100,
  slices: [
    { name: 'embb', type: 'eMBB', classMinor: 0x10, phiTarget: 0, delayTarget: 0, match: [{ protocol: 'udp', dstPort: 5301 }] },
    { name: 'urllc', type: 'URLLC', classMinor: 0x11, phiTarget: 0, delayTarget: 0, match: [{ dscp: 46 }] },
    { name: 'mmtc', type: 'mMTC', classMinor: 0x12, phiTarget: 0, delayTarget: 0, match: [{ protocol: 'udp', dstPort: 5303 }] },
  ],
};

/** One flow per demo slice, each offering `mbit`. */
export function demoFlows(mbit: number): TrafficFlow[] {
  return [
    { port: 5301, protocol: 'udp', mbit },
    { port: 5302, protocol: 'udp', mbit, dscp: 46 },
    { port: 5303, protocol: 'udp', mbit },
  ];
}

export interface DemoOptions {
  /** Names the namespaces (ns3ts-<tag>-tx/rx); unique per run. */
  tag: string;
  linkMbit: number;
  shares: number[];
  nextShares: number[];
  /** Seconds of traffic before measuring. */
  warmupSeconds: number;
  /** Seconds over which measuredShares is computed. */
  measureSeconds: number;
  /** Seconds observed after the change. */
  afterSeconds: number;
  /** Converged when every slice's windowed share is within this fraction of its target share. */
  tolerance: number;
  /** Window of the convergence measurement, seconds. */
  windowSeconds: number;
  leaf: LeafQdisc | 'auto';
  signal?: AbortSignal;
}

export const DEMO_DEFAULTS: Omit<DemoOptions, 'tag'> = {
  linkMbit: 100,
  shares: [0.6, 0.3, 0.1],
  nextShares: [0.2, 0.3, 0.5],
  warmupSeconds: 1,
  measureSeconds: 3,
  afterSeconds: 2,
  tolerance: 0.1,
  windowSeconds: 0.2,
  leaf: 'auto',
};

export interface DemoResult {
  linkMbit: number;
  leaf: LeafQdisc;
  shares: number[];
  measuredShares: number[];
  measuredMbit: number[];
  maxAbsError: number;
  nextShares: number[];
  nextMeasuredShares: number[];
  /** Seconds from the tc batch of the change to the end of the first window after which every window is within tolerance; null if it never settled. */
  convergeSeconds: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sharesBetween(a: KernelSample, b: KernelSample): { shares: number[]; mbit: number[] } {
  const bytes = b.slices.map((s, i) => Math.max(0, s.bytes - a.slices[i]!.bytes));
  const total = bytes.reduce((x, y) => x + y, 0);
  const dt = Math.max(1e-6, b.at - a.at);
  return { shares: bytes.map((x) => (total > 0 ? x / total : 0)), mbit: bytes.map((x) => (8 * x) / dt / 1e6) };
}

const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

function within(measured: readonly number[], target: readonly number[], tolerance: number): boolean {
  return measured.every((m, i) => Math.abs(m - target[i]!) <= tolerance * target[i]!);
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('enforce demo: interrupted');
}

/** Runs the experiment; the testbed and the tree are removed before it returns or throws. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const totalSeconds = options.warmupSeconds + options.measureSeconds + options.afterSeconds + 3;
  const bed = await Testbed.create(options.tag);
  let enforcer: Enforcer | null = null;
  try {
    const mapping: EnforceMapping = { ...DEMO_MAPPING, linkMbit: options.linkMbit };
    enforcer = await Enforcer.start({ ...bed.target, mapping, linkBps: options.linkMbit * 1e6, borrow: false, leaf: options.leaf, initialShares: options.shares });
    // Each flow offers the whole link, so every class is saturated and gets exactly its rate.
    await bed.startTraffic(demoFlows(options.linkMbit), totalSeconds);
    await sleep(options.warmupSeconds * 1000);
    checkAborted(options.signal);
    const start = await enforcer.sample();
    await sleep(options.measureSeconds * 1000);
    const end = await enforcer.sample();
    const before = sharesBetween(start, end);
    checkAborted(options.signal);

    const changedAt = performance.now() / 1000;
    await enforcer.apply(options.nextShares);
    const windows: Array<{ end: number; shares: number[] }> = [];
    let prev = await enforcer.sample();
    let first = prev;
    while (prev.at - changedAt < options.afterSeconds) {
      await sleep(options.windowSeconds * 1000);
      const cur = await enforcer.sample();
      windows.push({ end: cur.at - changedAt, shares: sharesBetween(prev, cur).shares });
      prev = cur;
      if (windows.length === 1) first = cur;
    }
    // The first window after which every window is within tolerance.
    let settled: number | null = null;
    for (let i = windows.length - 1; i >= 0 && within(windows[i]!.shares, options.nextShares, options.tolerance); i--) settled = i;
    const after = sharesBetween(first, prev);
    return {
      linkMbit: options.linkMbit,
      leaf: enforcer.leaf,
      shares: options.shares,
      measuredShares: before.shares.map((x) => round(x)),
      measuredMbit: before.mbit.map((x) => round(x, 2)),
      maxAbsError: round(Math.max(...before.shares.map((m, i) => Math.abs(m - options.shares[i]!)))),
      nextShares: options.nextShares,
      nextMeasuredShares: after.shares.map((x) => round(x)),
      convergeSeconds: settled === null ? null : round(windows[settled]!.end, 3),
    };
  } finally {
    await enforcer?.stop().catch(() => undefined);
    await bed.destroy();
  }
}

/**
 * One enforcement on one interface: checks (privileges, interface, the root qdisc in place),
 * cleans a stale tree of a crashed run, installs the HTB tree, changes the class rates per period,
 * reads the counters, and takes the tree down again (the kernel's default qdisc comes back).
 */
import { execFileSync } from 'node:child_process';
import { InputError, log, Ns3tsError } from '../util/index.js';
import type { EnforceMapping } from './mapping.js';
import { measure, sampleFromQdiscs, slicingObservation, type KernelSample, type SliceMeasurement } from './observe.js';
import { allocationLines, checkShares, classRates, MARKER_HANDLE, setupLines, teardownLine, type LeafQdisc } from './plan.js';
import { processAlive, readState, removeState, statePath, writeState } from './state.js';
import { describeTarget, hasNetAdmin, interfaceExists, netnsExists, readQdiscs, readRootQdisc, runTc, runTcBatch, type TcTarget } from './tc.js';

export interface EnforcerOptions extends TcTarget {
  mapping: EnforceMapping;
  linkBps: number;
  borrow: boolean;
  /** Leaf qdisc per class; 'auto' = fq_codel, or pfifo when the kernel has no fq_codel. */
  leaf: LeafQdisc | 'auto';
  /** Shares in force from the start (default: equal shares). */
  initialShares?: readonly number[];
}

/** What one period measured. */
export interface PeriodObservation {
  shares: number[];
  seconds: number;
  slices: SliceMeasurement[];
  /** The slicing observation, [1, slices, features] row-major. */
  observation: Float32Array;
}

/** The root qdisc is the kernel's default when its handle is 0: (noqueue, pfifo_fast, fq_codel, mq, ...). */
function isKernelDefault(root: { handle: string } | null): boolean {
  return root === null || root.handle === '0:';
}

/** Refuses, in one line, what cannot work: no CAP_NET_ADMIN, no such namespace or interface. */
export async function checkTarget(target: TcTarget): Promise<void> {
  if (!hasNetAdmin()) throw new Ns3tsError(`enforce on ${describeTarget(target)}: this process lacks CAP_NET_ADMIN (run as root or grant the capability)`);
  if (target.netns !== undefined && !netnsExists(target.netns)) throw new InputError('--netns', target.netns, 'an existing network namespace (ip netns list)');
  if (!(await interfaceExists(target))) throw new InputError('--interface', target.dev, `an existing network interface${target.netns ? ` in netns ${target.netns}` : ''} (ip link show)`);
}

/**
 * Takes down what a previous enforcer left on the target: a state file whose process is gone, or
 * a root qdisc with our marker handle. Refuses when the owner still runs. Returns what it did.
 */
export async function cleanStale(target: TcTarget): Promise<'none' | 'cleaned'> {
  const state = readState(target);
  if (state !== null && state !== 'unreadable' && processAlive(state.pid)) {
    throw new Ns3tsError(`enforce on ${describeTarget(target)}: already enforced by pid ${state.pid} (state file ${statePath(target)})`);
  }
  const root = await readRootQdisc(target);
  const ours = root?.handle === MARKER_HANDLE;
  if (ours) await runTc(target, teardownLine(target.dev).split(' '));
  if (state !== null) removeState(target);
  if (ours || state !== null) {
    log.warn(`enforce on ${describeTarget(target)}: removed the stale setup of an enforcer that is gone${state !== null && state !== 'unreadable' ? ` (pid ${state.pid})` : ''}`);
    return 'cleaned';
  }
  return 'none';
}

export class Enforcer {
  private shares: number[];
  private last: KernelSample | null = null;
  private active = true;

  private constructor(
    readonly options: EnforcerOptions,
    readonly leaf: LeafQdisc,
    shares: number[],
  ) {
    this.shares = shares;
  }

  get target(): TcTarget {
    return this.options.netns === undefined ? { dev: this.options.dev } : { dev: this.options.dev, netns: this.options.netns };
  }

  /** The allocation in force. */
  get currentShares(): number[] {
    return [...this.shares];
  }

  /** Checks, cleans a stale setup, installs the tree and records the state file. */
  static async start(options: EnforcerOptions): Promise<Enforcer> {
    const target: TcTarget = options.netns === undefined ? { dev: options.dev } : { dev: options.dev, netns: options.netns };
    await checkTarget(target);
    await cleanStale(target);
    const root = await readRootQdisc(target);
    if (!isKernelDefault(root)) {
      throw new Ns3tsError(
        `enforce on ${describeTarget(target)}: the root qdisc is ${root!.kind} ${root!.handle}, not the kernel's default; remove it first (tc qdisc del dev ${target.dev} root) so it is not lost`,
      );
    }
    const S = options.mapping.slices.length;
    const shares = checkShares('initial shares', options.initialShares ?? new Array<number>(S).fill(1 / S), S);
    const plan = { dev: target.dev, linkBps: options.linkBps, borrow: options.borrow };
    let leaf: LeafQdisc = options.leaf === 'auto' ? 'fq_codel' : options.leaf;
    // The state file goes first: a crash between here and the end of the setup still leaves a trace.
    writeState(target, { version: 1, pid: process.pid, dev: target.dev, ...(target.netns ? { netns: target.netns } : {}), handle: MARKER_HANDLE, original: root, startedAt: new Date().toISOString() });
    try {
      try {
        await runTcBatch(target, setupLines(options.mapping, shares, { ...plan, leaf }));
      } catch (err) {
        if (options.leaf !== 'auto' || !/qdisc kind is unknown/i.test((err as Error).message)) throw err;
        log.warn(`enforce on ${describeTarget(target)}: this kernel has no fq_codel; the slice classes get pfifo leaves`);
        await runTc(target, teardownLine(target.dev).split(' ')).catch(() => undefined);
        leaf = 'pfifo';
        await runTcBatch(target, setupLines(options.mapping, shares, { ...plan, leaf }));
      }
    } catch (err) {
      await runTc(target, teardownLine(target.dev).split(' ')).catch(() => undefined);
      removeState(target);
      throw err;
    }
    log.debug(`enforce on ${describeTarget(target)}: HTB tree ${MARKER_HANDLE} installed, ${leaf} leaves, shares ${shares.join(',')}`);
    return new Enforcer(options, leaf, shares);
  }

  /** Applies an allocation: every class's rate in one tc batch. */
  async apply(shares: readonly number[]): Promise<void> {
    if (!this.active) throw new Ns3tsError(`enforce on ${describeTarget(this.target)}: already stopped`);
    const checked = checkShares('shares', shares, this.options.mapping.slices.length);
    await runTcBatch(this.target, allocationLines(this.options.mapping, checked, { dev: this.options.dev, linkBps: this.options.linkBps, borrow: this.options.borrow }));
    this.shares = checked;
  }

  /** The slices' counters now. */
  async sample(): Promise<KernelSample> {
    return sampleFromQdiscs(this.options.mapping, await readQdiscs(this.target), performance.now() / 1000);
  }

  /** What happened since the previous call (the first call measures from the start of the period it opens). */
  async observe(): Promise<PeriodObservation> {
    const cur = await this.sample();
    const prev = this.last ?? cur;
    this.last = cur;
    const guaranteed = classRates(this.shares, this.options).map((r) => r.rateBps);
    const slices = measure(prev, cur, guaranteed);
    return { shares: [...this.shares], seconds: cur.at - prev.at, slices, observation: slicingObservation(this.options.mapping, this.shares, slices, this.options.linkBps) };
  }

  /** Starts a new measurement period now (drops what was counted so far). */
  async mark(): Promise<void> {
    this.last = await this.sample();
  }

  /** Takes the tree down (the kernel's default root qdisc returns) and removes the state file. Idempotent. */
  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    try {
      const root = await readRootQdisc(this.target);
      if (root?.handle === MARKER_HANDLE) await runTc(this.target, teardownLine(this.options.dev).split(' '));
    } finally {
      removeState(this.target);
    }
    log.debug(`enforce on ${describeTarget(this.target)}: tree removed, default qdisc restored`);
  }
}

/**
 * The last resort of a second Ctrl-C: takes our tree down synchronously (no awaiting) before the
 * process exits, so even an impatient exit leaves the interface as it was.
 */
export function teardownSync(target: TcTarget): void {
  const ns = target.netns ? ['-n', target.netns] : [];
  try {
    // Only our tree: a qdisc someone else installed is never deleted.
    const qdiscs = JSON.parse(execFileSync('tc', [...ns, '-j', 'qdisc', 'show', 'dev', target.dev], { encoding: 'utf8' }) || '[]') as Array<{ handle?: string; root?: boolean }>;
    if (!qdiscs.some((q) => q.root === true && q.handle === MARKER_HANDLE)) return;
    execFileSync('tc', [...ns, ...teardownLine(target.dev).split(' ')], { stdio: 'ignore' });
    removeState(target);
  } catch {
    // The interface is gone, and the tree with it.
  }
}

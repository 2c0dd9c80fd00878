/**
 * The `linux-tc` env kind: the slicing env contract (src/families/slicing/slicing.ts) on a real
 * kernel data plane. One cell, the link; each slice one HTB class on the sender's end of a veth
 * pair between two namespaces, fed by one iperf3 UDP flow (udp dport 5301 + slice index) at the
 * scenario's offered rate. A step applies the action's shares, waits stepSeconds of wall-clock
 * time and observes the kernel's counters of that time. Traffic runs from the first reset until
 * close(); nothing is seeded (real traffic has no seed).
 */
import { Box, type Env, type GymSpace, type NdArray, type ResetResult, type StepResult } from '../env/index.js';
import { FEATURES_PER_SLICE, type Scenario } from '../scenario/index.js';
import { InputError } from '../util/index.js';
import { Enforcer } from './enforcer.js';
import type { EnforceMapping } from './mapping.js';
import { FIRST_SLICE_MINOR } from './mapping.js';
import { Testbed } from './testbed.js';

type Shares = NdArray<Float32Array>;

/** The first flow's port; slice i's flow goes to port FIRST_PORT + i. */
const FIRST_PORT = 5301;
/** How long the iperf3 flows are started for: longer than any episode run by hand. */
const TRAFFIC_SECONDS = 86_400;

let instances = 0;

export class LinuxTcSlicingEnv implements Env<Shares, Shares> {
  readonly observationSpace: GymSpace<Shares>;
  readonly actionSpace: GymSpace<Shares>;
  private readonly mapping: EnforceMapping;
  private readonly offeredMbit: number[];
  private readonly tag = `env-${process.pid}-${instances++}`;
  private bed: Testbed | null = null;
  private enforcer: Enforcer | null = null;
  private steps = 0;

  constructor(
    private readonly scenario: Scenario,
    /** The slicing reward of an observation (sum of log(r + 1)); passed in by the slicing family. */
    private readonly reward: (obs: Float32Array) => number,
  ) {
    const env = scenario.env;
    if (env.kind !== 'linux-tc') throw new InputError('scenario.env.kind', env.kind, "'linux-tc' for the linux-tc env");
    if (scenario.cells !== 1) throw new InputError('cells', scenario.cells, '1 (a linux-tc env shapes one link)');
    const S = scenario.slices.length;
    if (env.offeredMbit !== null && env.offeredMbit.length !== S) throw new InputError('env.offeredMbit', env.offeredMbit, `${S} rates, one per slice`);
    this.offeredMbit = env.offeredMbit ?? new Array<number>(S).fill(env.linkMbit);
    this.mapping = {
      linkMbit: env.linkMbit,
      slices: scenario.slices.map((s, i) => ({
        name: s.name,
        type: s.type,
        classMinor: FIRST_SLICE_MINOR + i,
        phiTarget: s.phiTarget,
        delayTarget: s.delayTarget,
        match: [{ protocol: 'udp' as const, dstPort: FIRST_PORT + i }],
      })),
    };
    // The spaces of every slicing env (float32 Boxes), typed as the Float32Array values they hold.
    this.observationSpace = new Box({ dtype: 'float32', shape: [1, S, FEATURES_PER_SLICE], low: 0, high: Number.POSITIVE_INFINITY }) as unknown as GymSpace<Shares>;
    this.actionSpace = new Box({ dtype: 'float32', shape: [1, S], low: 0, high: 1 }) as unknown as GymSpace<Shares>;
  }

  private info(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { slices: this.scenario.slices.map((s) => s.name), sliceTypes: this.scenario.slices.map((s) => s.type), cells: 1, step: this.steps, ...extra };
  }

  /** Waits one step of wall-clock time and reads what the kernel did in it. */
  private async period(): Promise<{ obs: Shares; info: Record<string, unknown> }> {
    await this.enforcer!.mark();
    await new Promise((r) => setTimeout(r, this.scenario.stepSeconds * 1000));
    const observed = await this.enforcer!.observe();
    return {
      obs: { data: observed.observation, shape: [1, this.mapping.slices.length, FEATURES_PER_SLICE] },
      info: this.info({ throughputMbit: observed.slices.map((m) => m.throughputMbit), dropRate: observed.slices.map((m) => m.dropRate), delayMs: observed.slices.map((m) => m.delayMs) }),
    };
  }

  async reset(): Promise<ResetResult<Shares>> {
    if (this.bed === null) {
      this.bed = await Testbed.create(this.tag);
      const S = this.mapping.slices.length;
      this.enforcer = await Enforcer.start({ ...this.bed.target, mapping: this.mapping, linkBps: this.mapping.linkMbit * 1e6, borrow: this.scenario.env.kind === 'linux-tc' && this.scenario.env.borrow, leaf: 'auto' });
      await this.bed.startTraffic(this.offeredMbit.map((mbit, i) => ({ port: FIRST_PORT + i, protocol: 'udp' as const, mbit })), TRAFFIC_SECONDS);
      await this.enforcer.apply(new Array<number>(S).fill(1 / S));
    }
    this.steps = 0;
    return this.period();
  }

  async step(action: Shares): Promise<StepResult<Shares>> {
    if (this.enforcer === null) throw new InputError('step', 'before reset', 'reset() first');
    // Feasible actions sum to at most 1; rounding beyond that is scaled away, never passed to tc.
    const shares = Array.from(action.data, (x) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0));
    const sum = shares.reduce((a, b) => a + b, 0);
    await this.enforcer.apply(sum > 1 ? shares.map((x) => x / sum) : shares);
    this.steps++;
    const { obs, info } = await this.period();
    return { obs, reward: this.reward(obs.data), terminated: false, truncated: this.steps >= this.scenario.episodeSteps, info };
  }

  /** Restores the qdisc, stops the flows and deletes the namespaces. */
  async close(): Promise<void> {
    try {
      await this.enforcer?.stop();
    } finally {
      this.enforcer = null;
      await this.bed?.destroy();
      this.bed = null;
    }
  }
}

import type { SliceType } from './slicing.js';

/**
 * The fields every scenario has, whatever its env family (docs/families.md). A family's scenario
 * adds its own sections to these; the slicing scenario below is one.
 */
export interface ScenarioBase {
  name: string;
  /** One line. */
  description: string;
  /** The env family the scenario belongs to; absent means slicing (every shipped slicing scenario). */
  family?: string;
  env: { kind: string };
  /** Decision steps per episode. */
  episodeSteps: number;
  /** Default seed of the env (and of runs that do not set one). */
  seed: number;
  agent: AgentSpec;
  training: TrainingSpec;
}

/**
 * A resolved slicing scenario: every field present, defaults applied. This is what `loadScenario` returns,
 * what runs record, and what `ns3ts scenarios show` prints. Units: Mbit/s, ms, seconds, kbit.
 */
export interface Scenario extends ScenarioBase {
  /** Written only when the file names it (`family: slicing`). */
  family?: 'slicing';
  env: EnvSpec;
  cells: number;
  slices: SliceSpec[];
  /** Simulated seconds per decision step (900 = the 15-minute slots of the traffic mask). */
  stepSeconds: number;
  /** Decision steps per episode. */
  episodeSteps: number;
  /** Default seed of the env (and of runs that do not set one). */
  seed: number;
  events: EventSpec[];
  constraints: ConstraintSpec[];
  agent: AgentSpec;
  training: TrainingSpec;
  /** Extra settings for ns-3 scenarios (open record, read by the ns-3 env). */
  ns3: Settings;
}

export type EnvSpec = SyntheticEnvSpec | Ns3EnvSpec | LinuxTcEnvSpec;

/** The built-in synthetic slicing env and its radio model. */
export interface SyntheticEnvSpec {
  kind: 'synthetic';
  /** Cell bandwidth, MHz (20 MHz = 100 PRBs in LTE). */
  bandwidthMHz: number;
  /** Resource blocks per cell. */
  prbs: number;
  /** Fraction of resources lost to control channels and reference signals. */
  overhead: number;
  /** Range [min, max] of the cells' interference-free mean SINR in dB (drawn per cell from the seed). */
  sinrDb: [number, number];
  /** SINR loss in dB when every neighbour is fully loaded (inter-cell interference coupling). */
  interferenceDb: number;
  /** Standard deviation of the per-step SINR fluctuation (shadowing/fading), dB. */
  fadingDb: number;
  /** Spread of the per-cell traffic scale: cells carry load × U[1 - spread, 1 + spread]. */
  cellLoadSpread: number;
  /** Fixed part of the delay (scheduling, HARQ, core), ms. */
  baseDelayMs: number;
  /** Delays are capped here (a packet older than this counts as lost), ms. */
  maxDelayMs: number;
  /** Per-slice buffer, kbit; traffic beyond it is dropped. */
  bufferKbit: number;
  /**
   * Snapshots of the active-user count averaged into one step's count. 1: a step sees one
   * Poisson draw (an integer). K > 1: the mean of K independent snapshots, Poisson(K mean) / K,
   * as a KPI averaged over a long step reports it (15 = once a minute over a 15-minute step).
   */
  userSamples: number;
}

/** An ns-3 scenario program (see ns3-patch/examples) and its command-line arguments. */
export interface Ns3EnvSpec {
  kind: 'ns3';
  program: string;
  args: Settings;
}

/**
 * A real kernel data plane (docs/enforce.md): the slices' shares become HTB rates on a veth link
 * between two network namespaces that carry one iperf3 UDP flow per slice; observations are the
 * kernel's counters. One cell (the link); a step lasts stepSeconds of wall-clock time.
 */
export interface LinuxTcEnvSpec {
  kind: 'linux-tc';
  /** Link rate, Mbit/s. */
  linkMbit: number;
  /** Offered UDP rate per slice, Mbit/s (default: the link rate each, every slice saturated). */
  offeredMbit: number[] | null;
  /** Slices may borrow capacity the others leave unused (HTB ceil = link). */
  borrow: boolean;
}

export type TrafficProfile = 'diurnal' | 'burst' | 'outage' | 'constant';
export const TRAFFIC_PROFILES: readonly TrafficProfile[] = ['diurnal', 'burst', 'outage', 'constant'];

/**
 * The daily traffic mask of a slice (docs/algorithms.md#traffic-model): 96 slots of 15 minutes,
 * tau(t) = clip(level + amplitude sin(2 pi (t - phase)/96) + harmonic sin(4 pi (t - phase2)/96) + noise, 0, 1),
 * the periodic part scaled by `weekendScale` on Saturdays and Sundays. `burst` adds random
 * multiplicative surges, `outage` random drops of the slice's capacity; `constant` is tau = level.
 */
export interface TrafficSpec {
  profile: TrafficProfile;
  level: number;
  amplitude: number;
  harmonic: number;
  /** Phases in 15-minute slots (0..96). */
  phase: number;
  phase2: number;
  /** Standard deviation of the per-step noise on tau. */
  noise: number;
  weekendScale: number;
  /** Per step and cell, the probability that a surge starts (`burst` profile). */
  burstProbability: number;
  burstFactor: number;
  burstSteps: number;
  /** Per step and cell, the probability that the slice's capacity drops (`outage` profile). */
  outageProbability: number;
  /** Capacity multiplier during an outage (0 = nothing gets through). */
  outageFactor: number;
  outageSteps: number;
}

export interface SliceSpec {
  name: string;
  type: SliceType;
  /** Throughput target phi* per active user, Mbit/s (0 = none). */
  phiTarget: number;
  /** Delay target d*, ms (0 = none). */
  delayTarget: number;
  /** Mean number of active users per cell at traffic level tau = 1. */
  users: number;
  /** Offered traffic per active user, Mbit/s. */
  demand: number;
  /** Mean packet size, kbit (sets the service time in the queueing delay). */
  packetKbit: number;
  /** SINR offset of this slice's users vs the cell mean, dB (mMTC devices deep indoors: negative). */
  sinrOffsetDb: number;
  traffic: TrafficSpec;
  /** Floor and cap of the slice's share (baselines and agents project onto them). */
  minShare: number;
  maxShare: number;
  /** First step (within an episode) at which the slice is active. */
  joinStep: number;
  /** Step at which the slice leaves (inactive from then on); null = never. */
  leaveStep: number | null;
}

export type EventKind = 'burst' | 'outage';

/** A scheduled event: a traffic surge (`factor` × users) or a capacity outage (`factor` × capacity). */
export interface EventSpec {
  kind: EventKind;
  /** First step (within an episode) of the event. */
  step: number;
  /** Number of steps it lasts. */
  duration: number;
  /** Affected cells (indices); 'all' = every cell. */
  cells: number[] | 'all';
  /** Affected slices (names); 'all' = every slice. */
  slices: string[] | 'all';
  factor: number;
}

export type ConstraintKind = 'delay-violation-rate' | 'throughput-violation-rate' | 'qos-violation-rate';
export const CONSTRAINT_KINDS: readonly ConstraintKind[] = [
  'delay-violation-rate',
  'throughput-violation-rate',
  'qos-violation-rate',
];

/**
 * A statistical QoS constraint for constrained agents: the long-run rate of the slice's violating
 * (cell, step) pairs must stay at or below `limit`. `delay-violation-rate`: mean delay > d*;
 * `throughput-violation-rate`: throughput < phi*; `qos-violation-rate`: r < 1.
 */
export interface ConstraintSpec {
  slice: string;
  kind: ConstraintKind;
  limit: number;
}

/** Open settings records: the consumers (agents, training, ns-3 env) validate their own keys. */
export type SettingValue = number | string | boolean | number[];
export type Settings = Record<string, SettingValue>;

export interface AgentSpec extends Settings {
  id: string;
}

export interface TrainingSpec extends Settings {
  episodes: number;
  /** Evaluate every this many training episodes (0 = never). */
  evalEvery: number;
  evalEpisodes: number;
}

/** One line of `ns3ts scenarios`. */
export interface ScenarioSummary {
  name: string;
  description: string;
  /** The env kind (synthetic, ns3, or another family's kind). */
  envKind: string;
  path: string;
}

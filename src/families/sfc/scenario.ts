/**
 * SFC provisioning scenarios: the resolved `sfc` section and the family's scenario reader. Every
 * field has a default, so `sfc: {}` is a complete scenario (docs/sfc.md lists them with units).
 */
import { parseScenarioBase, VNF_TYPES, SFC_MAX_CHAIN, type ScenarioBase } from '../../scenario/index.js';
import { InputError } from '../../util/index.js';

export interface DataCentreSpec {
  name: string;
  cpuCores: number;
  memoryGb: number;
  /** Bandwidth of the data centre's uplink, Mbit/s (the flows of the SFCs it serves share it). */
  bandwidthMbps: number;
}

/** Cost and capacity of one instance of a VNF type. */
export interface VnfSpec {
  cpuCores: number;
  memoryGb: number;
  /** Traffic one instance processes at full load, Mbit/s. */
  capacityMbps: number;
  /** Processing time of a packet at an idle instance, ms (queueing multiplies it by 1/(1-load)). */
  processingMs: number;
}

/** A [min, max] range a request's value is drawn from uniformly. */
export type Range = [number, number];

export interface SfcSection {
  /** Simulated minutes per decision step (15: 96 steps a day). */
  stepMinutes: number;
  /** Hour of day of the first step of an episode. */
  startHour: number;
  dataCentres: DataCentreSpec[];
  /** One-way delay of a hop between two data centres, ms (the chain crosses one per change of data centre). */
  interDcDelayMs: number;
  /** Per VNF type, in VNF_TYPES order. */
  vnfs: VnfSpec[];
  /** Instances of every type installed at reset (spread over the data centres round-robin). */
  initialInstances: number;
  arrivals: {
    /** Mean SFC requests per step at the daily mean. */
    meanPerStep: number;
    /** Relative swing of the daily profile: rate × (1 + amplitude × cos(2π (hour − peakHour) / 24)). */
    dailyAmplitude: number;
    peakHour: number;
  };
  requests: {
    chainLength: Range;
    bandwidthMbps: Range;
    latencyBudgetMs: Range;
    lifetimeSteps: Range;
    priority: Range;
    /** Steps a request waits for a placement before it is dropped. */
    patienceSteps: number;
  };
  /** Pending requests the observation shows (and the queue holds; arrivals beyond it are dropped). */
  maxPending: number;
  /** Active SFCs the observation shows (the oldest ones; more may be active). */
  maxActive: number;
  /** Per-step multiplicative jitter of each active SFC's traffic: U[1 − jitter, 1 + jitter]. */
  loadJitter: number;
  /** Resource efficiency above which a step earns the efficiency bonus. */
  efficiencyThreshold: number;
}

export interface SfcScenario extends ScenarioBase {
  family: string;
  sfc: SfcSection;
}

/** The defaults of the `sfc` section (the sfc-synthetic scenario spells them out). */
export const SFC_DEFAULTS: SfcSection = {
  stepMinutes: 15,
  startHour: 6,
  dataCentres: [
    { name: 'dc-edge', cpuCores: 16, memoryGb: 48, bandwidthMbps: 2000 },
    { name: 'dc-metro', cpuCores: 20, memoryGb: 64, bandwidthMbps: 4000 },
    { name: 'dc-core', cpuCores: 28, memoryGb: 96, bandwidthMbps: 8000 },
  ],
  interDcDelayMs: 6,
  vnfs: [
    { cpuCores: 2, memoryGb: 2, capacityMbps: 400, processingMs: 1.0 },
    { cpuCores: 1, memoryGb: 1, capacityMbps: 500, processingMs: 0.5 },
    { cpuCores: 4, memoryGb: 8, capacityMbps: 250, processingMs: 3.0 },
    { cpuCores: 2, memoryGb: 4, capacityMbps: 600, processingMs: 0.8 },
    { cpuCores: 4, memoryGb: 6, capacityMbps: 300, processingMs: 2.5 },
  ],
  initialInstances: 1,
  arrivals: { meanPerStep: 2.5, dailyAmplitude: 0.6, peakHour: 14 },
  requests: {
    chainLength: [2, 4],
    bandwidthMbps: [20, 120],
    latencyBudgetMs: [20, 60],
    lifetimeSteps: [4, 16],
    priority: [1, 10],
    patienceSteps: 3,
  },
  maxPending: 8,
  maxActive: 32,
  loadJitter: 0.2,
  efficiencyThreshold: 0.8,
};

type Obj = Record<string, unknown>;

function mapping(path: string, value: unknown): Obj {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(path, value, 'a mapping');
  return value as Obj;
}

function onlyKeys(path: string, obj: Obj, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new InputError(`${path}.${key}`, obj[key], `no such field; allowed: ${allowed.join(', ')}`);
  }
}

function num(path: string, value: unknown, fallback: number, min: number, max: number, integer = false): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new InputError(path, v, `${integer ? 'an integer' : 'a number'} >= ${min} and <= ${max}`);
  }
  return v;
}

function range(path: string, value: unknown, fallback: Range, min: number, max: number, integer = false): Range {
  const v = value ?? fallback;
  if (!Array.isArray(v) || v.length !== 2) throw new InputError(path, v, `[min, max] with ${min} <= min <= max <= ${max}`);
  const lo = num(`${path}[0]`, v[0], 0, min, max, integer);
  const hi = num(`${path}[1]`, v[1], 0, lo, max, integer);
  return [lo, hi];
}

function readDataCentres(path: string, value: unknown): DataCentreSpec[] {
  if (value === undefined) return SFC_DEFAULTS.dataCentres.map((d) => ({ ...d }));
  if (!Array.isArray(value) || value.length < 1 || value.length > 8) throw new InputError(path, value, 'a list of 1 to 8 data centres');
  return value.map((raw, i) => {
    const p = `${path}[${i}]`;
    const o = mapping(p, raw);
    onlyKeys(p, o, ['name', 'cpuCores', 'memoryGb', 'bandwidthMbps']);
    const name = o.name ?? `dc-${i}`;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name)) throw new InputError(`${p}.name`, name, 'a lowercase name');
    return {
      name,
      cpuCores: num(`${p}.cpuCores`, o.cpuCores, 32, 1, 10000),
      memoryGb: num(`${p}.memoryGb`, o.memoryGb, 64, 1, 100000),
      bandwidthMbps: num(`${p}.bandwidthMbps`, o.bandwidthMbps, 4000, 1, 1e6),
    };
  });
}

function readVnfs(path: string, value: unknown): VnfSpec[] {
  // A resolved scenario (a run's config.json) lists them in VNF_TYPES order.
  if (Array.isArray(value) && value.length === VNF_TYPES.length) {
    const list: unknown[] = value;
    value = Object.fromEntries(VNF_TYPES.map((type, i) => [type, list[i]]));
  }
  const o = mapping(path, value);
  onlyKeys(path, o, VNF_TYPES);
  return VNF_TYPES.map((type, i) => {
    const p = `${path}.${type}`;
    const v = mapping(p, o[type]);
    onlyKeys(p, v, ['cpuCores', 'memoryGb', 'capacityMbps', 'processingMs']);
    const d = SFC_DEFAULTS.vnfs[i]!;
    return {
      cpuCores: num(`${p}.cpuCores`, v.cpuCores, d.cpuCores, 0.1, 1000),
      memoryGb: num(`${p}.memoryGb`, v.memoryGb, d.memoryGb, 0.1, 10000),
      capacityMbps: num(`${p}.capacityMbps`, v.capacityMbps, d.capacityMbps, 1, 1e6),
      processingMs: num(`${p}.processingMs`, v.processingMs, d.processingMs, 0.001, 1000),
    };
  });
}

/** Reads the `sfc` section of a scenario document. */
export function readSfcSection(path: string, value: unknown): SfcSection {
  const o = mapping(path, value);
  const d = SFC_DEFAULTS;
  onlyKeys(path, o, [
    'stepMinutes',
    'startHour',
    'dataCentres',
    'interDcDelayMs',
    'vnfs',
    'initialInstances',
    'arrivals',
    'requests',
    'maxPending',
    'maxActive',
    'loadJitter',
    'efficiencyThreshold',
  ]);
  const arrivals = mapping(`${path}.arrivals`, o.arrivals);
  onlyKeys(`${path}.arrivals`, arrivals, ['meanPerStep', 'dailyAmplitude', 'peakHour']);
  const requests = mapping(`${path}.requests`, o.requests);
  onlyKeys(`${path}.requests`, requests, ['chainLength', 'bandwidthMbps', 'latencyBudgetMs', 'lifetimeSteps', 'priority', 'patienceSteps']);
  const r = `${path}.requests`;
  return {
    stepMinutes: num(`${path}.stepMinutes`, o.stepMinutes, d.stepMinutes, 1, 1440),
    startHour: num(`${path}.startHour`, o.startHour, d.startHour, 0, 23.999),
    dataCentres: readDataCentres(`${path}.dataCentres`, o.dataCentres),
    interDcDelayMs: num(`${path}.interDcDelayMs`, o.interDcDelayMs, d.interDcDelayMs, 0, 1000),
    vnfs: readVnfs(`${path}.vnfs`, o.vnfs),
    initialInstances: num(`${path}.initialInstances`, o.initialInstances, d.initialInstances, 0, 20, true),
    arrivals: {
      meanPerStep: num(`${path}.arrivals.meanPerStep`, arrivals.meanPerStep, d.arrivals.meanPerStep, 0, 100),
      dailyAmplitude: num(`${path}.arrivals.dailyAmplitude`, arrivals.dailyAmplitude, d.arrivals.dailyAmplitude, 0, 1),
      peakHour: num(`${path}.arrivals.peakHour`, arrivals.peakHour, d.arrivals.peakHour, 0, 23.999),
    },
    requests: {
      chainLength: range(`${r}.chainLength`, requests.chainLength, d.requests.chainLength, 1, SFC_MAX_CHAIN, true),
      bandwidthMbps: range(`${r}.bandwidthMbps`, requests.bandwidthMbps, d.requests.bandwidthMbps, 0.001, 1e5),
      latencyBudgetMs: range(`${r}.latencyBudgetMs`, requests.latencyBudgetMs, d.requests.latencyBudgetMs, 0.001, 1e5),
      lifetimeSteps: range(`${r}.lifetimeSteps`, requests.lifetimeSteps, d.requests.lifetimeSteps, 1, 1e5, true),
      priority: range(`${r}.priority`, requests.priority, d.requests.priority, 1, 10, true),
      patienceSteps: num(`${r}.patienceSteps`, requests.patienceSteps, d.requests.patienceSteps, 0, 1000, true),
    },
    maxPending: num(`${path}.maxPending`, o.maxPending, d.maxPending, 1, 64, true),
    maxActive: num(`${path}.maxActive`, o.maxActive, d.maxActive, 1, 256, true),
    loadJitter: num(`${path}.loadJitter`, o.loadJitter, d.loadJitter, 0, 0.9),
    efficiencyThreshold: num(`${path}.efficiencyThreshold`, o.efficiencyThreshold, d.efficiencyThreshold, 0, 1),
  };
}

/** The env kinds of the family: the in-process model and the ns-3 co-simulation. */
export const SFC_ENV_KINDS = ['synthetic', 'ns3'] as const;

/** Validates an SFC scenario document and applies its defaults (100 steps per episode by default). */
export function parseSfcScenario(document: Record<string, unknown>, fallbackName?: string): SfcScenario {
  return parseScenarioBase(document, fallbackName, { family: 'sfc', envKinds: SFC_ENV_KINDS, episodeSteps: 100, sections: { sfc: readSfcSection } });
}

/** True for a scenario of this family. */
export function isSfcScenario(scenario: ScenarioBase): scenario is SfcScenario {
  return scenario.family === 'sfc' && typeof (scenario as Partial<SfcScenario>).sfc === 'object';
}

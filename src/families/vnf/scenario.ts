// The resolved scenario of family vnf-migration and its reader: the common fields through
// scenario/ parseScenarioBase, the `vnf:` section here. Every error names the field path, the
// value and what is allowed.
import {
  DEFAULT_VNF_SECTION,
  VNF_TIERS,
  parseScenarioBase,
  type ScenarioBase,
  type VnfDemandSpec,
  type VnfLinkSpec,
  type VnfSection,
  type VnfTier,
  type VnfTierSpec,
} from '../../scenario/index.js';
import { InputError } from '../../util/index.js';

export const VNF_FAMILY_ID = 'vnf-migration';

export interface VnfScenario extends ScenarioBase {
  family: string;
  vnf: VnfSection;
}

type Obj = Record<string, unknown>;

/** Reads the keys of one mapping against their defaults; unknown keys are refused. */
class Section {
  private readonly obj: Obj;
  constructor(
    private readonly path: string,
    value: unknown,
    private readonly allowed: readonly string[],
  ) {
    const raw = value ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(path, raw, 'a mapping');
    this.obj = raw as Obj;
    for (const key of Object.keys(this.obj)) {
      if (!allowed.includes(key)) throw new InputError(`${path}.${key}`, this.obj[key], `no such field; allowed: ${allowed.join(', ')}`);
    }
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  number(key: string, fallback: number, min: number, max: number, integer = false): number {
    const value = this.obj[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new InputError(this.at(key), value, `${integer ? 'an integer' : 'a number'} >= ${min} and <= ${max}`);
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.obj[key] ?? fallback;
    if (typeof value !== 'boolean') throw new InputError(this.at(key), value, 'true or false');
    return value;
  }
}

function readTier(path: string, value: unknown, fallback: VnfTierSpec): VnfTierSpec {
  const s = new Section(path, value, ['count', 'capacity', 'idleWatts', 'maxWatts', 'sleepWatts']);
  const idleWatts = s.number('idleWatts', fallback.idleWatts, 0, 1e6);
  const maxWatts = s.number('maxWatts', fallback.maxWatts, idleWatts, 1e6);
  return {
    count: s.number('count', fallback.count, 0, 1000, true),
    capacity: s.number('capacity', fallback.capacity, 0.1, 1e6),
    idleWatts,
    maxWatts,
    sleepWatts: s.number('sleepWatts', Math.min(fallback.sleepWatts, idleWatts), 0, idleWatts),
  };
}

function readLink(path: string, value: unknown, fallback: VnfLinkSpec): VnfLinkSpec {
  const s = new Section(path, value, ['bandwidthMbps', 'latencyMs', 'energyNjPerBit']);
  return {
    bandwidthMbps: s.number('bandwidthMbps', fallback.bandwidthMbps, 0.001, 1e7),
    latencyMs: s.number('latencyMs', fallback.latencyMs, 0, 1e5),
    energyNjPerBit: s.number('energyNjPerBit', fallback.energyNjPerBit, 0, 1e6),
  };
}

function readDemand(path: string, value: unknown, fallback: VnfDemandSpec): VnfDemandSpec {
  const s = new Section(path, value, ['baseMin', 'baseMax', 'amplitude', 'burstProbability', 'burstScale', 'burstSteps', 'noise']);
  const baseMin = s.number('baseMin', fallback.baseMin, 0, 1e6);
  return {
    baseMin,
    baseMax: s.number('baseMax', Math.max(baseMin, fallback.baseMax), baseMin, 1e6),
    amplitude: s.number('amplitude', fallback.amplitude, 0, 1),
    burstProbability: s.number('burstProbability', fallback.burstProbability, 0, 1),
    burstScale: s.number('burstScale', fallback.burstScale, 0, 10),
    burstSteps: s.number('burstSteps', fallback.burstSteps, 1, 1000, true),
    noise: s.number('noise', fallback.noise, 0, 1),
  };
}

const VNF_KEYS = [
  'tiers',
  'links',
  'vnfs',
  'stateMbMin',
  'stateMbMax',
  'stepSeconds',
  'stepsPerDay',
  'migrationsPerStep',
  'lambda',
  'migrationCost',
  'downtimeCost',
  'overloadCost',
  'sleepEmptyNodes',
  'demand',
  'trace',
  'window',
  'historyDays',
  'physicalSeedOffset',
] as const;

/** Reads the `vnf:` section (defaults: DEFAULT_VNF_SECTION of scenario/vnf.ts). */
export function readVnfSection(path: string, value: unknown): VnfSection {
  const d = DEFAULT_VNF_SECTION;
  const s = new Section(path, value, VNF_KEYS);
  const tiersSection = new Section(s.at('tiers'), s.raw('tiers'), VNF_TIERS);
  const tiers = {} as Record<VnfTier, VnfTierSpec>;
  for (const tier of VNF_TIERS) tiers[tier] = readTier(tiersSection.at(tier), tiersSection.raw(tier), d.tiers[tier]);
  const nodes = VNF_TIERS.reduce((n, tier) => n + tiers[tier].count, 0);
  if (tiers.edge.count < 1) throw new InputError(`${path}.tiers.edge.count`, tiers.edge.count, 'an integer >= 1 (every site is an edge node)');
  if (nodes < 2) throw new InputError(`${path}.tiers`, nodes, 'at least 2 nodes over the tiers');
  const linksSection = new Section(s.at('links'), s.raw('links'), ['edgeFog', 'fogCloud']);
  const links = {
    edgeFog: readLink(linksSection.at('edgeFog'), linksSection.raw('edgeFog'), d.links.edgeFog),
    fogCloud: readLink(linksSection.at('fogCloud'), linksSection.raw('fogCloud'), d.links.fogCloud),
  };
  const stateMbMin = s.number('stateMbMin', d.stateMbMin, 0, 1e6);
  const trace = s.raw('trace') ?? null;
  if (trace !== null && (typeof trace !== 'string' || trace === '')) throw new InputError(s.at('trace'), trace, 'a path to a CSV file (one column per VNF)');
  const section: VnfSection = {
    tiers,
    links,
    vnfs: s.number('vnfs', d.vnfs, 1, 100000, true),
    stateMbMin,
    stateMbMax: s.number('stateMbMax', Math.max(stateMbMin, d.stateMbMax), stateMbMin, 1e6),
    stepSeconds: s.number('stepSeconds', d.stepSeconds, 1, 86400),
    stepsPerDay: s.number('stepsPerDay', d.stepsPerDay, 2, 100000, true),
    migrationsPerStep: s.number('migrationsPerStep', d.migrationsPerStep, 1, 64, true),
    lambda: s.number('lambda', d.lambda, 0, 1e6),
    migrationCost: s.number('migrationCost', d.migrationCost, 0, 1e6),
    downtimeCost: s.number('downtimeCost', d.downtimeCost, 0, 1e6),
    overloadCost: s.number('overloadCost', d.overloadCost, 0, 1e6),
    sleepEmptyNodes: s.boolean('sleepEmptyNodes', d.sleepEmptyNodes),
    demand: readDemand(s.at('demand'), s.raw('demand'), d.demand),
    trace: trace as string | null,
    window: s.number('window', d.window, 1, 1000, true),
    historyDays: s.number('historyDays', d.historyDays, 1, 365, true),
    physicalSeedOffset: s.number('physicalSeedOffset', d.physicalSeedOffset, 0, 2 ** 31, true),
  };
  const capacity = VNF_TIERS.reduce((c, tier) => c + tiers[tier].count * tiers[tier].capacity, 0);
  if (section.trace === null && section.vnfs * section.demand.baseMax > capacity) {
    throw new InputError(`${path}.vnfs`, section.vnfs, `at most ${Math.floor(capacity / section.demand.baseMax)} (vnfs × demand.baseMax must fit the total capacity ${capacity})`);
  }
  return section;
}

/** Reads a scenario document of family vnf-migration. */
export function parseVnfScenario(document: Record<string, unknown>, fallbackName?: string): VnfScenario {
  return parseScenarioBase(document, fallbackName, { family: VNF_FAMILY_ID, envKinds: ['synthetic'], episodeSteps: 96, sections: { vnf: readVnfSection } });
}

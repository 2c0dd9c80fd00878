// Validation is written by hand rather than with zod or ajv, on purpose: every error names the
// field path, the value received and what is allowed (`slices.1.phiTarget: got -2, expected a
// number in (0, 1e6]`), including cross-field rules (slice names unique, a constraint naming an
// existing slice, joinStep < leaveStep, per-profile traffic defaults) that a schema library
// expresses only through custom refinements with their own message plumbing. zod 4 and ajv 8 both
// run on Node 20 offline, but matching today's messages would mean a custom error map per rule:
// about as many lines as the checks themselves, plus a dependency. Revisit if the schema has to
// be published (JSON Schema for editors), where ajv's schema would be the one source.
import { InputError } from '../util/index.js';
import { SLICE_TYPES, type SliceType } from './slicing.js';
import {
  CONSTRAINT_KINDS,
  TRAFFIC_PROFILES,
  type AgentSpec,
  type ConstraintSpec,
  type EnvSpec,
  type EventSpec,
  type Scenario,
  type ScenarioBase,
  type SettingValue,
  type Settings,
  type SliceSpec,
  type TrafficSpec,
  type TrainingSpec,
} from './types.js';

/**
 * Hand-written validation of scenario files. Every error is an InputError naming the field path
 * (e.g. `slices.1.traffic.profile`), the value found and what is allowed, so a user can fix the
 * file from the message alone.
 */

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

/** Reads the fields of one mapping and rejects any it was not asked about. */
class Fields {
  private readonly seen = new Set<string>();
  constructor(
    readonly path: string,
    private readonly obj: Obj,
  ) {}

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  at(key: string): string {
    return join(this.path, key);
  }

  number(key: string, fallback: number | undefined, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): number {
    const value = this.raw(key);
    const field = this.at(key);
    if (value === undefined || value === null) {
      if (fallback === undefined) throw new InputError(field, value, `${describeNumber(opts)} (required)`);
      return fallback;
    }
    return checkNumber(field, value, opts);
  }

  string(key: string, fallback: string | undefined, allowed?: readonly string[]): string {
    const value = this.raw(key);
    const field = this.at(key);
    if (value === undefined || value === null) {
      if (fallback === undefined) {
        throw new InputError(field, value, allowed ? `one of ${allowed.join(', ')} (required)` : 'a string (required)');
      }
      return fallback;
    }
    if (typeof value !== 'string') {
      throw new InputError(field, value, allowed ? `one of ${allowed.join(', ')}` : 'a string');
    }
    if (allowed && !allowed.includes(value)) throw new InputError(field, value, `one of ${allowed.join(', ')}`);
    return value;
  }

  object(key: string, required: boolean): Obj | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) {
      if (required) throw new InputError(this.at(key), value, 'a mapping (required)');
      return undefined;
    }
    if (!isObject(value)) throw new InputError(this.at(key), value, 'a mapping');
    return value;
  }

  array(key: string): unknown[] | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw new InputError(this.at(key), value, 'a list');
    return value;
  }

  /** Throws on the first key nobody asked for, listing the allowed ones. */
  done(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) {
        throw new InputError(this.at(key), this.obj[key], `no such field; allowed: ${[...this.seen].join(', ')}`);
      }
    }
  }
}

function describeNumber(opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): string {
  const kind = opts.integer ? 'an integer' : 'a number';
  const parts: string[] = [];
  if (opts.min !== undefined) parts.push(`${opts.exclusiveMin ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

function checkNumber(field: string, value: unknown, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!opts.integer || Number.isInteger(value)) &&
    (opts.min === undefined || (opts.exclusiveMin ? value > opts.min : value >= opts.min)) &&
    (opts.max === undefined || value <= opts.max);
  if (!ok) throw new InputError(field, value, describeNumber(opts));
  return value as number;
}

function fields(path: string, value: unknown, what = 'a mapping'): Fields {
  if (!isObject(value)) throw new InputError(path, value, what);
  return new Fields(path, value);
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkName(field: string, value: string): string {
  if (!NAME_PATTERN.test(value)) throw new InputError(field, value, 'a name of letters, digits, _ . - (starting with a letter or digit)');
  return value;
}

const ENV_KINDS = ['synthetic', 'ns3', 'linux-tc'] as const;

function parseEnv(path: string, value: unknown): EnvSpec {
  if (value === undefined || value === null) value = { kind: 'synthetic' };
  const f = fields(path, value);
  const kind = f.string('kind', undefined, ENV_KINDS);
  if (kind === 'ns3') {
    const program = checkName(f.at('program'), f.string('program', undefined));
    const args = parseSettings(f.at('args'), f.object('args', false) ?? {});
    f.done();
    return { kind: 'ns3', program, args };
  }
  if (kind === 'linux-tc') {
    const linkMbit = f.number('linkMbit', 100, { min: 1, max: 10_000 });
    const offered = f.array('offeredMbit');
    const offeredMbit = offered === undefined ? null : offered.map((v, i) => checkNumber(join(f.at('offeredMbit'), i), v, { min: 0, max: 10_000 }));
    const borrow = f.raw('borrow') ?? false;
    if (typeof borrow !== 'boolean') throw new InputError(f.at('borrow'), borrow, 'true or false');
    f.done();
    return { kind: 'linux-tc', linkMbit, offeredMbit, borrow };
  }
  const bandwidthMHz = f.number('bandwidthMHz', 20, { min: 0, exclusiveMin: true, max: 400 });
  const prbs = f.number('prbs', Math.round(bandwidthMHz * 5), { min: 1, integer: true, max: 10000 });
  const overhead = f.number('overhead', 0.25, { min: 0, max: 0.9 });
  const sinrRaw = f.array('sinrDb') ?? [6, 16];
  if (sinrRaw.length !== 2) throw new InputError(f.at('sinrDb'), sinrRaw, 'a list [min, max] of two numbers (dB)');
  const sinrMin = checkNumber(join(f.at('sinrDb'), 0), sinrRaw[0], { min: -10, max: 40 });
  const sinrMax = checkNumber(join(f.at('sinrDb'), 1), sinrRaw[1], { min: sinrMin, max: 40 });
  const interferenceDb = f.number('interferenceDb', 4, { min: 0, max: 30 });
  const fadingDb = f.number('fadingDb', 1, { min: 0, max: 10 });
  const cellLoadSpread = f.number('cellLoadSpread', 0.25, { min: 0, max: 0.9 });
  const baseDelayMs = f.number('baseDelayMs', 2, { min: 0, max: 1000 });
  const maxDelayMs = f.number('maxDelayMs', 500, { min: baseDelayMs, exclusiveMin: true, max: 1e6 });
  const bufferKbit = f.number('bufferKbit', 1000, { min: 0, max: 1e9 });
  const userSamples = f.number('userSamples', 1, { min: 1, integer: true, max: 10000 });
  f.done();
  return {
    kind: 'synthetic',
    bandwidthMHz,
    prbs,
    overhead,
    sinrDb: [sinrMin, sinrMax],
    interferenceDb,
    fadingDb,
    cellLoadSpread,
    baseDelayMs,
    maxDelayMs,
    bufferKbit,
    userSamples,
  };
}

/** Per-type defaults of the traffic model. */
const TYPE_DEFAULTS: Record<SliceType, { users: number; demandOverTarget: number; demandFloor: number; packetKbit: number; sinrOffsetDb: number; phase: number }> = {
  // Video/browsing, large packets; peak in the evening. Users offer their target rate (elastic
  // traffic settles at what the service promises); a slice with no target offers the floor.
  eMBB: { users: 10, demandOverTarget: 1, demandFloor: 1, packetKbit: 12, sinrOffsetDb: 0, phase: 48 },
  // Control traffic with a tight delay target; peak during working hours.
  URLLC: { users: 8, demandOverTarget: 1, demandFloor: 0.1, packetKbit: 8, sinrOffsetDb: 0, phase: 32 },
  // Many devices, tiny packets, often deep indoors; flatter daily profile.
  mMTC: { users: 40, demandOverTarget: 1, demandFloor: 0.02, packetKbit: 1, sinrOffsetDb: -3, phase: 24 },
};

function parseTraffic(path: string, value: unknown, type: SliceType): TrafficSpec {
  if (value === undefined || value === null) value = { profile: 'diurnal' };
  const f = fields(path, value);
  const profile = f.string('profile', 'diurnal', TRAFFIC_PROFILES) as TrafficSpec['profile'];
  const constant = profile === 'constant';
  const traffic: TrafficSpec = {
    profile,
    level: f.number('level', constant ? 0.7 : 0.5, { min: 0, max: 1 }),
    amplitude: f.number('amplitude', constant ? 0 : 0.35, { min: 0, max: 1 }),
    harmonic: f.number('harmonic', constant ? 0 : 0.1, { min: 0, max: 1 }),
    phase: f.number('phase', TYPE_DEFAULTS[type].phase, { min: 0, max: 96 }),
    phase2: f.number('phase2', TYPE_DEFAULTS[type].phase + 12, { min: 0, max: 96 }),
    noise: f.number('noise', constant ? 0 : 0.05, { min: 0, max: 1 }),
    weekendScale: f.number('weekendScale', 0.7, { min: 0, max: 2 }),
    burstProbability: f.number('burstProbability', profile === 'burst' ? 0.03 : 0, { min: 0, max: 1 }),
    burstFactor: f.number('burstFactor', 2.5, { min: 1, max: 100 }),
    burstSteps: f.number('burstSteps', 4, { min: 1, integer: true, max: 1e6 }),
    outageProbability: f.number('outageProbability', profile === 'outage' ? 0.02 : 0, { min: 0, max: 1 }),
    outageFactor: f.number('outageFactor', 0.3, { min: 0, max: 1 }),
    outageSteps: f.number('outageSteps', 6, { min: 1, integer: true, max: 1e6 }),
  };
  f.done();
  return traffic;
}

function parseSlice(path: string, value: unknown): SliceSpec {
  const f = fields(path, value);
  const name = checkName(f.at('name'), f.string('name', undefined));
  const type = f.string('type', undefined, SLICE_TYPES) as SliceType;
  const d = TYPE_DEFAULTS[type];
  const phiTarget = f.number('phiTarget', undefined, { min: 0, max: 1e5 });
  const delayTarget = f.number('delayTarget', undefined, { min: 0, max: 1e6 });
  const users = f.number('users', d.users, { min: 0, max: 1e6 });
  const demand = f.number('demand', Math.max(phiTarget * d.demandOverTarget, d.demandFloor), { min: 0, max: 1e5 });
  const packetKbit = f.number('packetKbit', d.packetKbit, { min: 0, exclusiveMin: true, max: 1e5 });
  const sinrOffsetDb = f.number('sinrOffsetDb', d.sinrOffsetDb, { min: -30, max: 30 });
  const traffic = parseTraffic(f.at('traffic'), f.raw('traffic'), type);
  const minShare = f.number('minShare', 0, { min: 0, max: 1 });
  const maxShare = f.number('maxShare', 1, { min: minShare, max: 1 });
  const joinStep = f.number('joinStep', 0, { min: 0, integer: true });
  const leaveRaw = f.raw('leaveStep');
  const leaveStep =
    leaveRaw === undefined || leaveRaw === null ? null : checkNumber(f.at('leaveStep'), leaveRaw, { min: joinStep + 1, integer: true });
  f.done();
  return { name, type, phiTarget, delayTarget, users, demand, packetKbit, sinrOffsetDb, traffic, minShare, maxShare, joinStep, leaveStep };
}

const EVENT_KINDS = ['burst', 'outage'] as const;

function parseEvent(path: string, value: unknown, cells: number, sliceNames: readonly string[]): EventSpec {
  const f = fields(path, value);
  const kind = f.string('kind', undefined, EVENT_KINDS) as EventSpec['kind'];
  const step = f.number('step', undefined, { min: 0, integer: true });
  const duration = f.number('duration', 1, { min: 1, integer: true });
  let eventCells: number[] | 'all' = 'all';
  const cellsRaw = f.raw('cells');
  if (cellsRaw !== undefined && cellsRaw !== null && cellsRaw !== 'all') {
    if (!Array.isArray(cellsRaw)) throw new InputError(f.at('cells'), cellsRaw, `'all' or a list of cell indices 0..${cells - 1}`);
    eventCells = cellsRaw.map((c, i) => checkNumber(join(f.at('cells'), i), c, { min: 0, max: cells - 1, integer: true }));
  }
  let eventSlices: string[] | 'all' = 'all';
  const slicesRaw = f.raw('slices');
  if (slicesRaw !== undefined && slicesRaw !== null && slicesRaw !== 'all') {
    if (!Array.isArray(slicesRaw)) throw new InputError(f.at('slices'), slicesRaw, `'all' or a list of slice names (${sliceNames.join(', ')})`);
    eventSlices = slicesRaw.map((s, i) => {
      if (typeof s !== 'string' || !sliceNames.includes(s)) {
        throw new InputError(join(f.at('slices'), i), s, `one of ${sliceNames.join(', ')}`);
      }
      return s;
    });
  }
  const factor = f.number('factor', kind === 'burst' ? 3 : 0.2, kind === 'burst' ? { min: 0, max: 1000 } : { min: 0, max: 1 });
  f.done();
  return { kind, step, duration, cells: eventCells, slices: eventSlices, factor };
}

function parseConstraint(path: string, value: unknown, sliceNames: readonly string[]): ConstraintSpec {
  const f = fields(path, value);
  const slice = f.string('slice', undefined, sliceNames);
  const kind = f.string('kind', undefined, CONSTRAINT_KINDS) as ConstraintSpec['kind'];
  const limit = f.number('limit', undefined, { min: 0, max: 1 });
  f.done();
  return { slice, kind, limit };
}

function parseSettingValue(field: string, value: unknown): SettingValue {
  if (typeof value === 'number') return checkNumber(field, value, {});
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v, i) => checkNumber(join(field, i), v, {}));
  throw new InputError(field, value, 'a number, string, boolean or list of numbers');
}

function parseSettings(path: string, obj: Obj): Settings {
  const out: Settings = {};
  for (const [key, value] of Object.entries(obj)) out[key] = parseSettingValue(join(path, key), value);
  return out;
}

export const DEFAULT_AGENT_ID = 'maddpg-admm';

/**
 * Size bounds of a scenario. Observations, actions and every agent's per-step arrays scale with
 * cells × slices (replay buffers with that times their capacity), so these keep a typo such as
 * 10,000 slices a validation error instead of a typed-array length error deep inside training.
 */
export const MAX_SLICES = 64;
export const MAX_CELL_SLICES = 65_536;

function parseAgent(path: string, value: unknown): AgentSpec {
  const f = fields(path, value ?? {});
  const id = f.string('id', DEFAULT_AGENT_ID);
  const rest: Obj = { ...(value as Obj | undefined) };
  delete rest.id;
  return { id, ...parseSettings(path, rest) };
}

function parseTraining(path: string, value: unknown): TrainingSpec {
  const f = fields(path, value ?? {});
  const episodes = f.number('episodes', 200, { min: 0, integer: true });
  const evalEvery = f.number('evalEvery', 10, { min: 0, integer: true });
  const evalEpisodes = f.number('evalEpisodes', 2, { min: 1, integer: true });
  const rest: Obj = { ...(value as Obj | undefined) };
  delete rest.episodes;
  delete rest.evalEvery;
  delete rest.evalEpisodes;
  return { episodes, evalEvery, evalEpisodes, ...parseSettings(path, rest) };
}

/**
 * Validates a parsed scenario document and applies every default. `fallbackName` names a scenario
 * without a `name` field (the file's base name).
 */
export function parseScenario(raw: unknown, fallbackName?: string): Scenario {
  const f = fields('', raw, 'a mapping (the scenario document)');
  const name = checkName('name', f.string('name', fallbackName));
  const description = f.string('description', '');
  if (description.includes('\n')) throw new InputError('description', description, 'one line');
  // Other families' scenarios are read by their family (src/families, parseFamilyScenario).
  const family = f.has('family') ? (f.string('family', undefined, ['slicing']) as 'slicing') : undefined;
  const env = parseEnv('env', f.raw('env'));
  const cells = f.number('cells', 1, { min: 1, max: 10000, integer: true });
  const slicesRaw = f.array('slices');
  if (!slicesRaw || slicesRaw.length === 0) throw new InputError('slices', f.raw('slices'), 'a non-empty list of slices');
  if (slicesRaw.length > MAX_SLICES) throw new InputError('slices', slicesRaw.length, `at most ${MAX_SLICES} slices`);
  if (cells * slicesRaw.length > MAX_CELL_SLICES) throw new InputError('cells × slices', cells * slicesRaw.length, `at most ${MAX_CELL_SLICES} (cells ${cells}, slices ${slicesRaw.length})`);
  const slices = slicesRaw.map((s, i) => parseSlice(join('slices', i), s));
  const names = slices.map((s) => s.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) throw new InputError(`slices.${i}.name`, n, 'a name not used by another slice');
  });
  let minSum = 0;
  for (const s of slices) minSum += s.minShare;
  if (minSum > 1 + 1e-9) throw new InputError('slices.*.minShare', minSum, 'floors summing to at most 1');
  const stepSeconds = f.number('stepSeconds', 900, { min: 0, exclusiveMin: true, max: 86400 * 7 });
  const episodeSteps = f.number('episodeSteps', 96, { min: 1, integer: true, max: 1e8 });
  const seed = f.number('seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true });
  const events = (f.array('events') ?? []).map((e, i) => parseEvent(join('events', i), e, cells, names));
  const constraints = (f.array('constraints') ?? []).map((c, i) => parseConstraint(join('constraints', i), c, names));
  const agentRaw = f.object('agent', false);
  const agent = parseAgent('agent', agentRaw);
  const training = parseTraining('training', f.object('training', false));
  const ns3 = parseSettings('ns3', f.object('ns3', false) ?? {});
  f.done();
  return { name, description, ...(family === undefined ? {} : { family }), env, cells, slices, stepSeconds, episodeSteps, seed, events, constraints, agent, training, ns3 };
}

/** Reads one top-level section of a family's scenario: its path and raw value → the resolved section. */
export type ScenarioSectionReader = (path: string, value: unknown) => unknown;

export interface ScenarioBaseOptions<R extends Record<string, ScenarioSectionReader>> {
  /** The family's id: the document's `family` field must name it. */
  family: string;
  /** The family's env kinds; the first is the default of `env.kind`. */
  envKinds: readonly string[];
  /** Default of `episodeSteps`. */
  episodeSteps: number;
  /** The family's own top-level sections by key (each read even when absent: its reader sets the default). */
  sections: R;
}

/** A family's resolved scenario: the common fields plus its sections. */
export type FamilyScenarioOf<R extends Record<string, ScenarioSectionReader>> = ScenarioBase & { family: string } & {
  [K in keyof R]: ReturnType<R[K]>;
};

/**
 * Validates the fields every scenario has (name, description, family, env.kind, episodeSteps,
 * seed, agent, training) and hands each of the family's own sections to its reader, with the same
 * error quality as the slicing schema: the field path, the value and what is allowed. A key
 * neither common nor the family's is an error. For families other than slicing (docs/families.md).
 */
export function parseScenarioBase<R extends Record<string, ScenarioSectionReader>>(
  raw: unknown,
  fallbackName: string | undefined,
  options: ScenarioBaseOptions<R>,
): FamilyScenarioOf<R> {
  const f = fields('', raw, 'a mapping (the scenario document)');
  const name = checkName('name', f.string('name', fallbackName));
  const description = f.string('description', '');
  if (description.includes('\n')) throw new InputError('description', description, 'one line');
  const family = f.string('family', undefined, [options.family]);
  const envFields = fields('env', f.raw('env') ?? {});
  const env = { kind: envFields.string('kind', options.envKinds[0], options.envKinds) };
  envFields.done();
  const episodeSteps = f.number('episodeSteps', options.episodeSteps, { min: 1, integer: true, max: 1e8 });
  const seed = f.number('seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true });
  const agent = parseAgent('agent', f.object('agent', false));
  const training = parseTraining('training', f.object('training', false));
  const sections: Record<string, unknown> = {};
  for (const [key, read] of Object.entries(options.sections)) sections[key] = read(key, f.raw(key));
  f.done();
  return { name, description, family, env, episodeSteps, seed, agent, training, ...sections } as FamilyScenarioOf<R>;
}

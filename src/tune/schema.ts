import { InputError } from '../util/index.js';
import { loadYamlSpecFile, parseSweep, type SweepSpec } from '../sweep/index.js';
import { parseSpace, type ParamSpec } from './space.js';
import { TPE_DEFAULTS, type SamplerSettings } from './samplers.js';
import { ASHA_DEFAULTS, MEDIAN_DEFAULTS, type PrunerSettings } from './pruners.js';

/**
 * A study file (`scenarios/studies/*.yaml`): what a sweep file has (base scenario, `set`, seeds
 * per trial, command, metrics) plus the objective, the search space, the trial budget and the
 * sampler and pruner. Validated here; errors name the field (`space["agent.tau"].high`).
 */
export interface StudySpec {
  name: string;
  description: string;
  /** The sweep part: base, set, seeds (per trial), command, metrics; its grid is empty. */
  sweep: SweepSpec;
  objective: Objective;
  space: ParamSpec[];
  trials: number;
  /** Trials running at once. */
  parallelism: number;
  /** The study seed: the same seed proposes the same trials (see docs/tune.md for parallel TPE). */
  seed: number;
  sampler: SamplerSettings;
  pruner: PrunerSettings;
}

export interface Objective {
  /** A metric of the run's metrics.json (e.g. kpis.qosSatisfaction, train.lastEval.meanReturn); mean over the trial's seeds. */
  metric: string;
  direction: 'minimize' | 'maximize';
  /** Field of the evaluation lines in train/metrics.jsonl the pruner watches (default: the metric's last segment). */
  intermediate: string;
}

/** At most this many trials per study. */
export const MAX_TRIALS = 10_000;

const TOP_KEYS = ['name', 'description', 'base', 'set', 'seeds', 'command', 'metrics', 'objective', 'space', 'trials', 'parallelism', 'seed', 'sampler', 'pruner'] as const;
const SWEEP_KEYS = ['name', 'description', 'base', 'set', 'seeds', 'command', 'metrics'];

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and validates a study file. Errors are InputErrors prefixed with the file name. */
export function loadStudyFile(path: string): StudySpec {
  return loadYamlSpecFile(path, 'study file', parseStudy);
}

function integerIn(field: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) throw new InputError(field, value, `an integer ${low}..${high}`);
  return value;
}

/** Validates a parsed study document. */
export function parseStudy(raw: unknown, options: { fallbackName?: string; baseDir?: string } = {}): StudySpec {
  if (!isObject(raw)) throw new InputError('(study)', raw === null ? 'an empty document' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`, 'a mapping with base, command, objective, space and trials');
  for (const key of Object.keys(raw)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) throw new InputError(key, raw[key], `one of the fields ${TOP_KEYS.join(', ')}`);
  }
  const space = parseSpace(raw.space);
  // The sweep fields are checked by the sweep parser, with the space's paths as a grid so that
  // they are checked as sweep paths too.
  const sweepDoc: Obj = {};
  for (const key of SWEEP_KEYS) if (key in raw) sweepDoc[key] = raw[key];
  sweepDoc.grid = Object.fromEntries(space.map((p) => [p.name, [p.type === 'categorical' ? p.choices[0] : p.low]]));
  const checked = parseSweep(sweepDoc, options);
  const sweep: SweepSpec = { ...checked, grid: [] };
  for (const p of space) {
    if (sweep.set.some(([path]) => path === p.name)) throw new InputError(`space["${p.name}"]`, p.name, 'a path not also fixed in set');
  }
  const objective = parseObjective(raw.objective);
  const trials = integerIn('trials', raw.trials, 1, MAX_TRIALS);
  const parallelism = raw.parallelism === undefined ? 1 : integerIn('parallelism', raw.parallelism, 1, 1024);
  const seed = raw.seed === undefined ? 1 : integerIn('seed', raw.seed, 0, 2 ** 32 - 1);
  const sampler = parseSampler(raw.sampler);
  const pruner = parsePruner(raw.pruner);
  if (sampler.type === 'grid') {
    for (const p of space) if (p.type === 'float' && !p.grid) throw new InputError(`space["${p.name}"].grid`, undefined, 'a list of values (the grid sampler needs one for every float)');
  }
  if (pruner.type !== 'none' && !sweep.command.train) throw new InputError('pruner', pruner.type, 'no pruner unless the study trains (command.train): pruning watches training evaluations');
  return { name: sweep.name, description: sweep.description, sweep, objective, space, trials, parallelism, seed, sampler, pruner };
}

function parseObjective(raw: unknown): Objective {
  if (!isObject(raw)) throw new InputError('objective', raw, 'a mapping {metric: <metrics.json name>, direction: minimize|maximize}');
  for (const key of Object.keys(raw)) {
    if (!['metric', 'direction', 'intermediate'].includes(key)) throw new InputError(`objective.${key}`, raw[key], 'one of metric, direction, intermediate');
  }
  if (typeof raw.metric !== 'string' || raw.metric === '' || raw.metric.includes('*')) throw new InputError('objective.metric', raw.metric, 'a metric name such as kpis.qosSatisfaction');
  const direction = raw.direction ?? 'minimize';
  if (direction !== 'minimize' && direction !== 'maximize') throw new InputError('objective.direction', direction, 'minimize or maximize');
  const intermediate = raw.intermediate ?? raw.metric.split('.').pop()!;
  if (typeof intermediate !== 'string' || intermediate === '') throw new InputError('objective.intermediate', intermediate, 'a field of the evaluation lines of metrics.jsonl (e.g. qosSatisfaction)');
  return { metric: raw.metric, direction, intermediate };
}

function checkKeys(field: string, raw: Obj, allowed: readonly string[]): void {
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) throw new InputError(`${field}.${key}`, raw[key], `one of ${allowed.join(', ')}`);
}

function parseSampler(raw: unknown): SamplerSettings {
  if (raw === undefined || raw === null) return { type: 'tpe', ...TPE_DEFAULTS };
  const obj = typeof raw === 'string' ? { type: raw } : raw;
  if (!isObject(obj)) throw new InputError('sampler', raw, 'random, grid, tpe or a mapping {type: tpe, ...}');
  switch (obj.type) {
    case 'random':
    case 'grid':
      checkKeys('sampler', obj, ['type']);
      return { type: obj.type };
    case 'tpe': {
      const keys = ['type', 'nStartupTrials', 'nEiCandidates', 'priorWeight', 'considerEndpoints', 'considerMagicClip', 'considerPrior', 'multivariate', 'constantLiar'];
      checkKeys('sampler', obj, keys);
      const out = { type: 'tpe' as const, ...TPE_DEFAULTS };
      if (obj.nStartupTrials !== undefined) out.nStartupTrials = integerIn('sampler.nStartupTrials', obj.nStartupTrials, 0, MAX_TRIALS);
      if (obj.nEiCandidates !== undefined) out.nEiCandidates = integerIn('sampler.nEiCandidates', obj.nEiCandidates, 1, 10_000);
      if (obj.priorWeight !== undefined) {
        if (typeof obj.priorWeight !== 'number' || !(obj.priorWeight > 0) || !Number.isFinite(obj.priorWeight)) throw new InputError('sampler.priorWeight', obj.priorWeight, 'a positive number');
        out.priorWeight = obj.priorWeight;
      }
      for (const flag of ['considerEndpoints', 'considerMagicClip', 'considerPrior', 'multivariate', 'constantLiar'] as const) {
        if (obj[flag] === undefined) continue;
        if (typeof obj[flag] !== 'boolean') throw new InputError(`sampler.${flag}`, obj[flag], 'true or false');
        out[flag] = obj[flag];
      }
      return out;
    }
    default:
      throw new InputError('sampler.type', obj.type, 'random, grid or tpe');
  }
}

function parsePruner(raw: unknown): PrunerSettings {
  if (raw === undefined || raw === null || raw === 'none') return { type: 'none' };
  const obj = typeof raw === 'string' ? { type: raw } : raw;
  if (!isObject(obj)) throw new InputError('pruner', raw, 'none, median, asha or a mapping {type: median|asha, ...}');
  switch (obj.type) {
    case 'none':
      checkKeys('pruner', obj, ['type']);
      return { type: 'none' };
    case 'median': {
      checkKeys('pruner', obj, ['type', 'nStartupTrials', 'nWarmupSteps', 'intervalSteps', 'nMinTrials']);
      const out = { ...MEDIAN_DEFAULTS };
      if (obj.nStartupTrials !== undefined) out.nStartupTrials = integerIn('pruner.nStartupTrials', obj.nStartupTrials, 0, MAX_TRIALS);
      if (obj.nWarmupSteps !== undefined) out.nWarmupSteps = integerIn('pruner.nWarmupSteps', obj.nWarmupSteps, 0, 1e9);
      if (obj.intervalSteps !== undefined) out.intervalSteps = integerIn('pruner.intervalSteps', obj.intervalSteps, 1, 1e9);
      if (obj.nMinTrials !== undefined) out.nMinTrials = integerIn('pruner.nMinTrials', obj.nMinTrials, 1, MAX_TRIALS);
      return out;
    }
    case 'asha':
    case 'successive-halving': {
      checkKeys('pruner', obj, ['type', 'minResource', 'reductionFactor', 'minEarlyStoppingRate']);
      const out = { ...ASHA_DEFAULTS };
      if (obj.minResource !== undefined && obj.minResource !== 'auto') out.minResource = integerIn('pruner.minResource', obj.minResource, 1, 1e9);
      if (obj.reductionFactor !== undefined) out.reductionFactor = integerIn('pruner.reductionFactor', obj.reductionFactor, 2, 1000);
      if (obj.minEarlyStoppingRate !== undefined) out.minEarlyStoppingRate = integerIn('pruner.minEarlyStoppingRate', obj.minEarlyStoppingRate, 0, 100);
      return out;
    }
    default:
      throw new InputError('pruner.type', obj.type, 'none, median or asha');
  }
}

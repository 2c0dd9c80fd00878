import { existsSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InputError, readInputFile } from '../util/index.js';

/**
 * A sweep file (`scenarios/sweeps/*.yaml`): a base scenario, fixed overrides, a grid of values
 * over dotted paths, seeds, and the command each run executes. Validated here; every error names
 * the path of the bad field (`grid["slices.0.users"].step`).
 *
 * Hand-written for the same reason as scenario/schema.ts (no zod/ajv): the messages name the path,
 * the value and what is expected, and the rules that matter here cross fields (grid paths that
 * exist in the base scenario, `$count` resizes, command options per step).
 */
export interface SweepSpec {
  name: string;
  description: string;
  /** Base scenario: a shipped scenario name, or a path (absolute once parsed). */
  base: string;
  /** Fixed overrides applied to every run, dotted path -> value (in file order). */
  set: Array<[string, unknown]>;
  /** Grid axes in file order; the last axis varies fastest. */
  grid: GridAxis[];
  seeds: number[];
  command: SweepCommand;
  /** Metric names to keep (exact, or a prefix ending in `*`); empty = every numeric metric. */
  metrics: string[];
}

export interface GridAxis {
  path: string;
  values: unknown[];
}

/** Command-line options of a step: `--<kebab-key> <value>` (true = bare flag, false = omitted). */
export type StepOptions = Record<string, string | number | boolean>;

export interface SweepCommand {
  /** Train first (options of `ns3ts train`, besides --scenario, --seed, --out, --run-id). */
  train?: StepOptions;
  /** Evaluate (options of `ns3ts eval`, besides --scenario, --seed, --json); `policy` defaults to the trained checkpoint. */
  eval?: StepOptions;
}

/** Grid paths starting with this prefix set command options instead of scenario fields. */
export const COMMAND_PATH_PREFIX = 'command.';

/**
 * A grid path (or `set` path) `<list>.$count` resizes the list at `<list>` to N items by repeating
 * its items cyclically (copies of named items get a `-<k>` suffix), e.g. `slices.$count: {from: 3, to: 20}`.
 */
export const COUNT_SUFFIX = '.$count';

/** At most this many runs per sweep (a typo in a range should not create millions of folders). */
export const MAX_RUNS = 100_000;

const TOP_KEYS = ['name', 'description', 'base', 'set', 'grid', 'seeds', 'command', 'metrics'] as const;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and validates a sweep file. Errors are InputErrors prefixed with the file name. */
export function loadSweepFile(path: string): SweepSpec {
  return loadYamlSpecFile(path, 'sweep file', parseSweep);
}

/**
 * Reads a YAML spec file (a sweep, a study) and validates it with `parse`: a missing file, a YAML
 * error (by line and column, never by content) and every InputError of `parse` name the file.
 */
export function loadYamlSpecFile<T>(
  path: string,
  kind: string,
  parse: (raw: unknown, options: { fallbackName: string; baseDir: string }) => T,
): T {
  const full = resolve(path);
  if (!existsSync(full)) throw new InputError(kind, path, 'an existing .yaml file');
  let raw: unknown;
  try {
    raw = parseYaml(readInputFile(full, basename(full)), { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new InputError(basename(full), pos ? `line ${pos.line} column ${pos.col}` : '?', `valid YAML (${err.code})`);
    }
    throw err;
  }
  try {
    return parse(raw, { fallbackName: basename(full, extname(full)), baseDir: dirname(full) });
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${basename(full)}: ${err.field}`, err.value, err.expected);
    throw err;
  }
}

export interface ParseSweepOptions {
  fallbackName?: string;
  /** Relative `base` paths are resolved against this folder (the sweep file's). */
  baseDir?: string;
}

/** Validates a parsed sweep document. */
export function parseSweep(raw: unknown, options: ParseSweepOptions = {}): SweepSpec {
  // The kind of value only: a file that is not a sweep at all is not echoed.
  if (!isObject(raw)) throw new InputError('(sweep)', raw === null ? 'an empty document' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`, 'a mapping with name, base, grid, seeds and command');
  for (const key of Object.keys(raw)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) throw new InputError(key, raw[key], `one of the fields ${TOP_KEYS.join(', ')}`);
  }
  const name = raw.name ?? options.fallbackName;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new InputError('name', name, 'a name of letters, digits, ".", "_" and "-"');
  }
  const description = raw.description ?? '';
  if (typeof description !== 'string') throw new InputError('description', description, 'a string');

  const baseRaw = raw.base;
  if (typeof baseRaw !== 'string' || baseRaw === '') {
    throw new InputError('base', baseRaw, 'a scenario name (see `ns3ts scenarios`) or a path to a scenario .yaml file');
  }
  const looksLikePath = baseRaw.includes('/') || /\.ya?ml$/i.test(baseRaw);
  const base = looksLikePath && !isAbsolute(baseRaw) ? resolve(options.baseDir ?? process.cwd(), baseRaw) : baseRaw;

  const set: Array<[string, unknown]> = [];
  if (raw.set !== undefined && raw.set !== null) {
    if (!isObject(raw.set)) throw new InputError('set', raw.set, 'a mapping of dotted paths to values');
    for (const [path, value] of Object.entries(raw.set)) {
      checkPath(`set["${path}"]`, path);
      if (path.endsWith(COUNT_SUFFIX)) checkCount(`set["${path}"]`, value);
      set.push([path, value]);
    }
  }

  const grid: GridAxis[] = [];
  if (raw.grid !== undefined && raw.grid !== null) {
    if (!isObject(raw.grid)) throw new InputError('grid', raw.grid, 'a mapping of dotted paths to lists or ranges {from, to, step}');
    for (const [path, spec] of Object.entries(raw.grid)) {
      const field = `grid["${path}"]`;
      checkPath(field, path);
      const values = parseAxisValues(field, spec);
      if (path.endsWith(COUNT_SUFFIX)) values.forEach((v, i) => checkCount(`${field}[${i}]`, v));
      grid.push({ path, values });
    }
  }

  const seeds = parseSeeds(raw.seeds);
  const command = parseCommand(raw.command);
  const metrics = parseMetrics(raw.metrics);

  let runs = seeds.length;
  for (const axis of grid) runs *= axis.values.length;
  if (runs > MAX_RUNS) throw new InputError('grid', `${runs} runs`, `at most ${MAX_RUNS} runs (grid points × seeds)`);
  return { name, description, base, set, grid, seeds, command, metrics };
}

function checkPath(field: string, path: string): void {
  const parts = path.split('.');
  if (path === '' || parts.some((p) => p === '')) throw new InputError(field, path, 'a dotted path such as slices.0.users');
  if (path.startsWith(COMMAND_PATH_PREFIX)) {
    const step = parts[1];
    if ((step !== 'train' && step !== 'eval') || parts.length !== 3) {
      throw new InputError(field, path, 'command.train.<option> or command.eval.<option>');
    }
  }
  const countAt = parts.indexOf('$count');
  if (countAt >= 0 && countAt !== parts.length - 1) throw new InputError(field, path, '$count only as the last segment (<list>.$count)');
}

function checkCount(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10_000) {
    throw new InputError(field, value, 'an integer item count 1..10000');
  }
}

/** A list of values, or a numeric range `{from, to, step}` (inclusive of `to` when a step lands on it). */
export function parseAxisValues(field: string, spec: unknown): unknown[] {
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new InputError(field, spec, 'a non-empty list of values');
    return spec;
  }
  if (isObject(spec)) {
    for (const key of Object.keys(spec)) {
      if (!['from', 'to', 'step'].includes(key)) throw new InputError(`${field}.${key}`, spec[key], 'one of from, to, step');
    }
    const { from, to } = spec;
    const step = spec.step ?? 1;
    if (typeof from !== 'number' || !Number.isFinite(from)) throw new InputError(`${field}.from`, from, 'a finite number');
    if (typeof to !== 'number' || !Number.isFinite(to)) throw new InputError(`${field}.to`, to, 'a finite number');
    if (typeof step !== 'number' || !Number.isFinite(step) || step === 0) {
      throw new InputError(`${field}.step`, step, 'a finite non-zero number');
    }
    if ((to - from) * step < 0) throw new InputError(`${field}.step`, step, `a step going from ${from} towards ${to}`);
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > MAX_RUNS) throw new InputError(field, `${count} values`, `at most ${MAX_RUNS} values`);
    const values: number[] = [];
    // from + i*step (not repeated addition), rounded to 12 significant digits so that
    // 0.1 + 0.2 prints and hashes as 0.3.
    for (let i = 0; i < count; i++) values.push(Number((from + i * step).toPrecision(12)));
    return values;
  }
  throw new InputError(field, spec, 'a list of values or a range {from, to, step}');
}

/** `seeds: [1, 2, 3]` or `seeds: 3` (= 1, 2, 3). */
export function parseSeeds(raw: unknown): number[] {
  if (raw === undefined || raw === null) return [1];
  const checkSeed = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 32 - 1) {
      throw new InputError(field, v, 'an integer seed 0..4294967295');
    }
    return v;
  };
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < 1 || raw > MAX_RUNS) throw new InputError('seeds', raw, `a seed count 1..${MAX_RUNS} or a list of seeds`);
    return Array.from({ length: raw }, (_, i) => i + 1);
  }
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw new InputError('seeds', raw, 'a non-empty list of seeds or a count');
    const seeds = raw.map((v, i) => checkSeed(`seeds[${i}]`, v));
    seeds.forEach((s, i) => {
      if (seeds.indexOf(s) !== i) throw new InputError(`seeds[${i}]`, s, 'a seed not already in the list');
    });
    return seeds;
  }
  throw new InputError('seeds', raw, 'a seed count or a list of integer seeds');
}

function parseStepOptions(field: string, raw: unknown): StepOptions {
  if (raw === null || raw === undefined || raw === true) return {};
  if (!isObject(raw)) throw new InputError(field, raw, 'a mapping of command options (e.g. {policy: baseline:static, episodes: 2})');
  const out: StepOptions = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key)) throw new InputError(`${field}.${key}`, key, 'an option name such as episodes or policy');
    if (['scenario', 'seed', 'out', 'json', 'runId', 'run-id', 'resume'].includes(key)) {
      throw new InputError(`${field}.${key}`, value, 'no value: the sweep sets --scenario, --seed, --out, --run-id and --json itself');
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InputError(`${field}.${key}`, value, 'a string, number or boolean');
    }
    out[key] = value;
  }
  return out;
}

function parseCommand(raw: unknown): SweepCommand {
  if (!isObject(raw)) throw new InputError('command', raw, 'a mapping with eval: {policy: ...} and/or train: {...}');
  for (const key of Object.keys(raw)) {
    if (key !== 'train' && key !== 'eval') throw new InputError(`command.${key}`, raw[key], 'train or eval');
  }
  const command: SweepCommand = {};
  if ('train' in raw) command.train = parseStepOptions('command.train', raw.train);
  if ('eval' in raw) command.eval = parseStepOptions('command.eval', raw.eval);
  if (!command.train && !command.eval) throw new InputError('command', raw, 'at least one of train or eval');
  return command;
}

function parseMetrics(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InputError('metrics', raw, 'a list of metric names (e.g. kpis.qosSatisfaction, perSlice.*)');
  return raw.map((m, i) => {
    if (typeof m !== 'string' || m === '' || (m.includes('*') && m.indexOf('*') !== m.length - 1)) {
      throw new InputError(`metrics[${i}]`, m, 'a metric name, or a prefix ending in *');
    }
    return m;
  });
}

/** Whether a metric name is selected by the sweep's `metrics` list (empty = all). */
export function metricSelected(name: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

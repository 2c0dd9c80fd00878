import { InputError } from '../util/index.js';

/**
 * A search space: named parameters, each a float (uniform or log), an int (optionally log, with a
 * step) or a categorical choice, optionally conditional on another parameter's value. A parameter's
 * name is the dotted path it overrides in the scenario (or `command.train.<option>`), as in sweeps.
 */
export type ParamSpec = FloatParam | IntParam | CategoricalParam;

interface ParamBase {
  name: string;
  /** Present only when every listed parameter took one of the listed values. */
  when?: Record<string, Array<string | number | boolean>>;
}

export interface FloatParam extends ParamBase {
  type: 'float';
  low: number;
  high: number;
  log: boolean;
  /** Grid sampler only: the values to try. */
  grid?: number[];
}

export interface IntParam extends ParamBase {
  type: 'int';
  low: number;
  high: number;
  step: number;
  log: boolean;
}

export interface CategoricalParam extends ParamBase {
  type: 'categorical';
  choices: Array<string | number | boolean>;
}

/** A trial's parameter values, name -> value (conditional parameters that are off are absent). */
export type ParamValues = Record<string, string | number | boolean>;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PARAM_KEYS = ['type', 'low', 'high', 'log', 'step', 'choices', 'when', 'grid'] as const;

/** Parses `space:` of a study file: a mapping of dotted paths to parameter specs, in file order. */
export function parseSpace(raw: unknown): ParamSpec[] {
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    throw new InputError('space', raw, 'a mapping of dotted paths to {type: float|int|categorical, ...}');
  }
  const params: ParamSpec[] = [];
  for (const [name, spec] of Object.entries(raw)) params.push(parseParam(`space["${name}"]`, name, spec));
  for (const p of params) {
    for (const [other, values] of Object.entries(p.when ?? {})) {
      const field = `space["${p.name}"].when.${other}`;
      const at = params.findIndex((q) => q.name === other);
      if (at < 0) throw new InputError(field, other, 'a parameter of this space');
      if (at >= params.indexOf(p)) throw new InputError(field, other, 'a parameter listed before this one');
      const parent = params[at]!;
      if (parent.type === 'categorical') {
        for (const v of values) if (!parent.choices.includes(v)) throw new InputError(field, v, `one of ${JSON.stringify(parent.choices)}`);
      }
    }
  }
  return params;
}

function finite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(field, value, 'a finite number');
  return value;
}

function parseParam(field: string, name: string, spec: unknown): ParamSpec {
  if (name === '' || name.split('.').some((p) => p === '')) throw new InputError(field, name, 'a dotted path such as agent.lrActor');
  if (Array.isArray(spec)) spec = { type: 'categorical', choices: spec };
  if (!isObject(spec)) throw new InputError(field, spec, 'a mapping {type: float|int|categorical, ...} or a list of choices');
  for (const key of Object.keys(spec)) {
    if (!(PARAM_KEYS as readonly string[]).includes(key)) throw new InputError(`${field}.${key}`, spec[key], `one of ${PARAM_KEYS.join(', ')}`);
  }
  const when = parseWhen(`${field}.when`, spec.when);
  const base = { name, ...(when ? { when } : {}) };
  const log = spec.log ?? false;
  if (typeof log !== 'boolean') throw new InputError(`${field}.log`, log, 'true or false');
  switch (spec.type) {
    case 'float': {
      const low = finite(`${field}.low`, spec.low);
      const high = finite(`${field}.high`, spec.high);
      if (!(high > low)) throw new InputError(`${field}.high`, high, `a number above low (${low})`);
      if (log && low <= 0) throw new InputError(`${field}.low`, low, 'a positive number (log: true)');
      if (spec.step !== undefined) throw new InputError(`${field}.step`, spec.step, 'no step on a float (use type: int or a categorical list)');
      let grid: number[] | undefined;
      if (spec.grid !== undefined) {
        if (!Array.isArray(spec.grid) || spec.grid.length === 0) throw new InputError(`${field}.grid`, spec.grid, 'a non-empty list of numbers');
        grid = spec.grid.map((v, i) => {
          const x = finite(`${field}.grid[${i}]`, v);
          if (x < low || x > high) throw new InputError(`${field}.grid[${i}]`, x, `a number in [${low}, ${high}]`);
          return x;
        });
      }
      return { ...base, type: 'float', low, high, log, ...(grid ? { grid } : {}) };
    }
    case 'int': {
      const low = finite(`${field}.low`, spec.low);
      const high = finite(`${field}.high`, spec.high);
      const step = spec.step === undefined ? 1 : finite(`${field}.step`, spec.step);
      if (!Number.isInteger(low)) throw new InputError(`${field}.low`, low, 'an integer');
      if (!Number.isInteger(high) || high < low) throw new InputError(`${field}.high`, high, `an integer >= low (${low})`);
      if (!Number.isInteger(step) || step < 1) throw new InputError(`${field}.step`, step, 'a positive integer');
      if (log && low < 1) throw new InputError(`${field}.low`, low, 'an integer >= 1 (log: true)');
      if (log && step !== 1) throw new InputError(`${field}.step`, step, 'step 1 with log: true');
      if ((high - low) % step !== 0) throw new InputError(`${field}.high`, high, `low + a multiple of step (${low} + k·${step})`);
      return { ...base, type: 'int', low, high, step, log };
    }
    case 'categorical': {
      const choices = spec.choices;
      if (!Array.isArray(choices) || choices.length === 0) throw new InputError(`${field}.choices`, choices, 'a non-empty list');
      choices.forEach((c, i) => {
        if (typeof c !== 'string' && typeof c !== 'number' && typeof c !== 'boolean') throw new InputError(`${field}.choices[${i}]`, c, 'a string, number or boolean');
        if (choices.indexOf(c) !== i) throw new InputError(`${field}.choices[${i}]`, c, 'a choice not already in the list');
      });
      if (spec.log !== undefined) throw new InputError(`${field}.log`, spec.log, 'no log on a categorical');
      return { ...base, type: 'categorical', choices: choices as Array<string | number | boolean> };
    }
    default:
      throw new InputError(`${field}.type`, spec.type, 'float, int or categorical');
  }
}

function parseWhen(field: string, raw: unknown): Record<string, Array<string | number | boolean>> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw) || Object.keys(raw).length === 0) throw new InputError(field, raw, 'a mapping {<parameter>: <value or list of values>}');
  const out: Record<string, Array<string | number | boolean>> = {};
  for (const [name, v] of Object.entries(raw)) {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) throw new InputError(`${field}.${name}`, v, 'a value or a non-empty list of values');
    list.forEach((x, i) => {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw new InputError(`${field}.${name}[${i}]`, x, 'a string, number or boolean');
    });
    out[name] = list as Array<string | number | boolean>;
  }
  return out;
}

/** Whether a conditional parameter is active given the values sampled so far (in space order). */
export function isActive(param: ParamSpec, values: ParamValues): boolean {
  if (!param.when) return true;
  return Object.entries(param.when).every(([name, allowed]) => name in values && allowed.includes(values[name]!));
}

/**
 * The numeric domain a sampler works in: log for log parameters; an int's step kept (values are
 * low + k·step). Categoricals have none (they are sampled by index).
 */
export interface NumericDomain {
  low: number;
  high: number;
  /** 0 for continuous. */
  step: number;
  log: boolean;
}

export function numericDomain(param: FloatParam | IntParam): NumericDomain {
  if (param.log) {
    // Optuna widens a log-int by half a step on each side before the log (as its
    // IntDistribution(log=True) transform does), so the end values keep their share of mass.
    if (param.type === 'int') return { low: Math.log(param.low - 0.5), high: Math.log(param.high + 0.5), step: 0, log: true };
    return { low: Math.log(param.low), high: Math.log(param.high), step: 0, log: true };
  }
  return { low: param.low, high: param.high, step: param.type === 'int' ? param.step : 0, log: false };
}

/** A sampler's internal value (log space for log parameters) back to the parameter's value. */
export function fromInternal(param: FloatParam | IntParam, x: number): number {
  if (param.type === 'float') {
    const v = param.log ? Math.exp(x) : x;
    return Math.min(param.high, Math.max(param.low, v));
  }
  const v = param.log ? Math.exp(x) : x;
  const k = Math.round((v - param.low) / param.step);
  return Math.min(param.high, Math.max(param.low, param.low + k * param.step));
}

/** A parameter's value in the sampler's internal space. */
export function toInternal(param: FloatParam | IntParam, value: number): number {
  return param.log ? Math.log(value) : value;
}

/** Checks a stored value against its parameter (resuming a study whose space changed fails here). */
export function checkValue(param: ParamSpec, value: unknown): boolean {
  if (param.type === 'categorical') return param.choices.includes(value as string | number | boolean);
  if (typeof value !== 'number' || value < param.low || value > param.high) return false;
  return param.type === 'float' || Number.isInteger((value - param.low) / param.step);
}

/** `path=value ...` for log lines and tables (numbers to 6 significant digits). */
export function formatParams(params: ParamValues): string {
  return Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(6)) : String(v)}`).join(' ');
}

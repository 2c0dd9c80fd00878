/** Agent settings: defaults merged with overrides, each key type-checked with a clear error. */
import { InputError } from '../../util/index.js';

export type SettingsShape = Record<string, number | boolean | string | number[]>;

/**
 * Returns `defaults` with `overrides` applied. Unknown keys and values of the wrong type throw an
 * InputError naming `${prefix}.${key}`.
 */
export function resolveSettings<T extends SettingsShape>(defaults: T, overrides: Record<string, unknown> | undefined, prefix: string): T {
  const out: SettingsShape = { ...defaults };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (key === 'id') continue;
    if (!(key in defaults)) throw new InputError(`${prefix}.${key}`, value, `one of the settings ${Object.keys(defaults).join(', ')}`);
    const def = defaults[key];
    const field = `${prefix}.${key}`;
    if (Array.isArray(def)) {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) {
        throw new InputError(field, value, 'a list of positive integers');
      }
      out[key] = [...(value as number[])];
    } else if (typeof def === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(field, value, 'a finite number');
      out[key] = value;
    } else if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') throw new InputError(field, value, 'true or false');
      out[key] = value;
    } else {
      if (typeof value !== 'string') throw new InputError(field, value, 'a string');
      out[key] = value;
    }
  }
  return out as T;
}

/** How a resumed agent reads its recorded settings (resumedSettings). */
export interface ResumeRules<T> {
  /** How the agent behaved before each of its later settings existed, given what the run recorded. */
  predates?: (recorded: Readonly<Record<string, unknown>>) => Partial<T>;
  /** Recorded keys the agent takes besides its defaults' (a variant or predictor choice). */
  alsoKeys?: readonly string[];
}

/**
 * The settings a resumed agent is built from: those its run recorded when it started (`recorded`,
 * the run's resolved settings), the keys of `defaults` (and `alsoKeys`) only, so that a default
 * changed since then does not change a run halfway. A setting the run predates takes its value
 * from `predates` — how the agent behaved before the setting existed — and today's default where
 * `predates` has none.
 */
export function resumedSettings<T extends object>(defaults: T, recorded: Record<string, unknown>, rules: ResumeRules<T> = {}): Record<string, unknown> {
  const alsoKeys = rules.alsoKeys ?? [];
  const known = Object.fromEntries(Object.entries(recorded).filter(([key]) => key in defaults || alsoKeys.includes(key)));
  const before = Object.fromEntries(Object.entries(rules.predates?.(recorded) ?? {}).filter(([key]) => !(key in known)));
  return { ...before, ...known };
}

/**
 * The overrides an agent resolves its settings from: for a resumed run the settings it recorded
 * (resumedSettings with `rules`), else `given` (default: the caller's `settings`).
 */
export function overridesFor<T extends object>(
  defaults: T,
  options: { settings?: Record<string, unknown>; recordedSettings?: Record<string, unknown> },
  rules: ResumeRules<T> = {},
  given: Record<string, unknown> = options.settings ?? {},
): Record<string, unknown> {
  return options.recordedSettings ? resumedSettings(defaults, options.recordedSettings, rules) : given;
}

/**
 * The settings of an agent: defaults, then the scenario's `agent` section when it names `id`, then
 * the caller's overrides; for a resumed run, the settings it recorded (overridesFor) instead.
 */
export function agentSettings<T extends SettingsShape>(
  defaults: T,
  id: string,
  scenarioSection: Record<string, unknown> | undefined,
  options: { settings?: Record<string, unknown>; recordedSettings?: Record<string, unknown> },
  rules: ResumeRules<T> = {},
): T {
  const overrides = overridesFor(defaults, options, rules, { ...scenarioAgentOverrides(scenarioSection, id), ...options.settings });
  return resolveSettings(defaults, overrides, options.recordedSettings ? 'recorded agent' : 'agent');
}

/** Applies the scenario's `agent` section only when it is about this agent id. */
export function scenarioAgentOverrides(agentSection: Record<string, unknown> | undefined, id: string): Record<string, unknown> {
  if (!agentSection || agentSection.id !== id) return {};
  return agentSection;
}

export function positive(value: number, field: string): number {
  if (!(value > 0)) throw new InputError(field, value, 'a number > 0');
  return value;
}

/** Range checks of resolved numeric settings: [key, min, max, integer?] each; InputError on a miss. */
export function checkRanges(cfg: SettingsShape, prefix: string, rules: ReadonlyArray<[string, number, number, boolean?]>): void {
  for (const [key, min, max, integer] of rules) {
    const value = cfg[key];
    if (typeof value !== 'number' || !(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
      throw new InputError(`${prefix}.${key}`, value, `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
    }
  }
  const hidden = cfg.hidden;
  if (Array.isArray(hidden) && hidden.length === 0) throw new InputError(`${prefix}.hidden`, hidden, 'at least one hidden layer size');
}

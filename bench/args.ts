/** Options the benchmarks share, and what they make of several training seeds. */
import { InputError } from '../src/util/index.js';

const AGENT_SETTINGS_EXPECTED = `a JSON object of agent id -> settings, e.g. '{"td3":{"gamma":0.9}}'`;

/**
 * `--settings`: agent settings overrides per agent id (a variant to compare with the defaults);
 * {} when absent. Anything else throws an InputError naming the option.
 */
export function agentSettingsOption(text: string | undefined): Record<string, Record<string, unknown>> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError('--settings', text, AGENT_SETTINGS_EXPECTED);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !Object.values(value).every(isObject)) throw new InputError('--settings', text, AGENT_SETTINGS_EXPECTED);
  return value as Record<string, Record<string, unknown>>;
}

/**
 * `--seeds` (or the option `field`): a comma-separated list of training seeds (integers >= 0), or
 * undefined when absent. Anything else throws an InputError naming the option.
 */
export function seedsOption(text: string | undefined, field = '--seeds', expected = 'a comma-separated list of integers >= 0'): number[] | undefined {
  return text?.split(',').map((item) => {
    const value = Number(item.trim());
    if (item.trim() === '' || !Number.isInteger(value) || value < 0) throw new InputError(field, item, expected);
    return value;
  });
}

/**
 * The training seeds of `--seed N` or `--seeds a,b,c` (not both), or undefined when neither is
 * given (the scenario's seed then). Bad input throws an InputError naming the option.
 */
export function trainingSeedsOption(seedsText: string | undefined, seedText: string | undefined): number[] | undefined {
  const listed = seedsOption(seedsText);
  const oneSeed = 'an integer >= 0 (several: --seeds)';
  const single = seedsOption(seedText, '--seed', oneSeed);
  if (single && single.length !== 1) throw new InputError('--seed', seedText, oneSeed);
  if (listed && single) throw new InputError('--seeds', seedsText, 'either --seed or --seeds, not both');
  return listed ?? single;
}

/** The mean of a non-empty list. */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** On how many of an agent row's training seeds `holds` is true (nothing for a single seed or a baseline). */
export function seedCount<T>(perSeed: readonly T[] | null, holds: (run: T) => boolean): { metOnSeeds?: { met: number; of: number } } {
  if (!perSeed || perSeed.length < 2) return {};
  return { metOnSeeds: { met: perSeed.filter(holds).length, of: perSeed.length } };
}

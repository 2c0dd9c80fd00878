/** Options the benchmarks share. */
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
 * `--seeds`: a comma-separated list of training seeds (integers >= 0), or undefined when absent.
 * Anything else throws an InputError naming the option.
 */
export function seedsOption(text: string | undefined): number[] | undefined {
  return text?.split(',').map((item) => {
    const value = Number(item.trim());
    if (item.trim() === '' || !Number.isInteger(value) || value < 0) throw new InputError('--seeds', item, 'a comma-separated list of integers >= 0');
    return value;
  });
}

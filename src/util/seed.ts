import { InputError } from './errors.js';

/**
 * The largest seed: Rng and deriveSeed use the seed's low 32 bits, so seeds beyond 2^32 - 1 would
 * silently repeat smaller ones (and beyond 2^53 they are rounded before anything sees them). The
 * same range as a scenario's `seed` and a sweep's `seeds`.
 */
export const MAX_SEED = 2 ** 32 - 1;

export function checkSeed(value: unknown, field = '--seed'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SEED) {
    throw new InputError(field, value, `an integer seed 0..${MAX_SEED}`);
  }
  return value;
}

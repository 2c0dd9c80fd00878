import { createHash } from 'node:crypto';

/**
 * JSON with the keys of every object sorted, no whitespace, `undefined` members dropped: the same
 * value always gives the same text, whatever order its keys were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`run config: got ${value}, expected finite numbers only`);
  }
  return value;
}

/** Length of a run id in hex digits (64 bits: collisions are out of reach for any sweep). */
export const RUN_ID_LENGTH = 16;

/** The id of a run: a SHA-256 of the canonical JSON of its fully resolved config, in hex. */
export function runId(resolvedConfig: unknown): string {
  return createHash('sha256').update(canonicalJson(resolvedConfig)).digest('hex').slice(0, RUN_ID_LENGTH);
}

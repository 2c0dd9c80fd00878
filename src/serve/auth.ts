/**
 * API keys. The server stores only SHA-256 hashes of the keys (a leaked key file or environment
 * grants nothing); a request presents its key as `Authorization: Bearer <key>` or `X-API-Key: <key>`,
 * and the server hashes it and looks the hash up. Keys are long random strings, so an unsalted hash
 * is enough (nothing to brute-force), and the lookup of a hash leaks no timing about a key.
 *
 * Key sets, one entry per key, `<key-id> <sha256-hex>` (or `<key-id>:<sha256-hex>`):
 *  - a file (--api-keys <file>): one entry per line, `#` comments and blank lines ignored;
 *  - the environment variable NS3TS_SERVE_API_KEYS: entries separated by commas.
 * The key id names the client in logs, metrics and rate limits; the key itself is never logged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../util/index.js';

export const API_KEYS_ENV = 'NS3TS_SERVE_API_KEYS';

/** hash (hex) -> key id */
export type ApiKeySet = ReadonlyMap<string, string>;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key (32 bytes, base64url) and its stored entry. */
export function generateApiKey(id: string): { key: string; entry: string } {
  const key = randomBytes(32).toString('base64url');
  return { key, entry: `${id} ${hashApiKey(key)}` };
}

const ENTRY = /^([A-Za-z0-9._-]{1,64})[\s:]+([0-9a-fA-F]{64})$/;

function parseEntries(entries: readonly string[], where: (i: number) => string, keys: Map<string, string>): void {
  entries.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = ENTRY.exec(line);
    if (!m) {
      // Do not echo the line: it may be a plaintext key written by mistake.
      throw new InputError(where(i), '(an entry of this form is not shown)', '"<key-id> <sha256 hex of the key>" (64 hex digits; keys are stored hashed)');
    }
    keys.set(m[2]!.toLowerCase(), m[1]!);
  });
}

/** Reads the key set from a file and/or the environment; an empty set means no authentication. */
export function loadApiKeys(file?: string, env: NodeJS.ProcessEnv = process.env): ApiKeySet {
  const keys = new Map<string, string>();
  if (file !== undefined) parseEntries(readFileSync(file, 'utf8').split('\n'), (i) => `${file}:${i + 1}`, keys);
  const fromEnv = env[API_KEYS_ENV];
  if (fromEnv) parseEntries(fromEnv.split(','), (i) => `${API_KEYS_ENV} entry ${i + 1}`, keys);
  return keys;
}

/** The key a request presents, or undefined. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const key = headers['x-api-key'];
  return typeof key === 'string' ? key : undefined;
}

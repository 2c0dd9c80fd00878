import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors.js';

/**
 * Size limit of the text files ns3ts parses (scenarios, sweeps): far above any real one, far below
 * what the YAML parser can hold (a 100 MB file took 3.9 GB before V8 gave up). Override with
 * NS3TS_MAX_INPUT_BYTES.
 */
export const DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;

export function maxInputBytes(): number {
  const text = process.env.NS3TS_MAX_INPUT_BYTES;
  if (text === undefined || text === '') return DEFAULT_MAX_INPUT_BYTES;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError('NS3TS_MAX_INPUT_BYTES', text, 'a byte count >= 1');
  return n;
}

/**
 * Reads a UTF-8 input file after checking its size (on the open file, so it cannot grow in
 * between) against `limit`; a larger file is refused before anything is parsed.
 */
export function readInputFile(path: string, field: string, limit = maxInputBytes()): string {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(field, path, 'a regular file');
    if (stat.size > limit) throw new InputError(field, path, `a file of at most ${limit} bytes (it has ${stat.size}; raise NS3TS_MAX_INPUT_BYTES if it is meant to be this big)`);
    const bytes = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < bytes.length) {
      const n = readSync(fd, bytes, offset, bytes.length - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return bytes.toString('utf8', 0, offset);
  } finally {
    closeSync(fd);
  }
}

import { existsSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from './errors.js';

/**
 * Checks on names and folders the user chooses for output: a run id is one path segment (the
 * pattern of sweep names, so `../../x` cannot write outside --out and `''` cannot write into
 * --out itself), and no output goes below the kernel's virtual filesystems, where a recursive
 * mkdir does not fail but never ends.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_NAME_LENGTH = 200;

export function checkRunId(runId: string, field = '--run-id'): string {
  if (typeof runId !== 'string' || !NAME_PATTERN.test(runId) || runId.length > MAX_NAME_LENGTH) {
    throw new InputError(field, runId, `a folder name of letters, digits, ".", "_" and "-" (starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters)`);
  }
  return runId;
}

/** Mount points of virtual filesystems no output belongs in. */
export const VIRTUAL_FILESYSTEMS: readonly string[] = ['/proc', '/sys', '/dev'];

/**
 * Refuses an output folder below /proc, /sys or /dev, judged by the real path of its nearest
 * existing ancestor (so a symlink into them is caught too). Returns the absolute path.
 */
export function checkOutputDir(path: string, field = '--out'): string {
  const full = resolve(path);
  let existing = full;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let real = existing;
  try {
    real = realpathSync(existing);
  } catch {
    // unreadable: judge by the path as given
  }
  for (const candidate of [full, real]) {
    const root = VIRTUAL_FILESYSTEMS.find((v) => candidate === v || candidate.startsWith(`${v}/`));
    if (root) throw new InputError(field, path, `a folder outside ${VIRTUAL_FILESYSTEMS.join(', ')} (${root} is a virtual filesystem)`);
  }
  return full;
}

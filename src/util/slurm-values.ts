import { InputError } from './errors.js';

/**
 * Checks of every value the Slurm executor writes into the batch script (`#SBATCH` lines and the
 * command line) or passes to sbatch. A newline in `--partition` used to start a shell line of the
 * script; here every value must match what Slurm accepts for it, and paths may hold no whitespace,
 * control or shell characters.
 */

/** Partition names, comma-separated lists of them, job names. */
const SLURM_NAME = /^[A-Za-z0-9_.+-]+(,[A-Za-z0-9_.+-]+)*$/;

/**
 * Slurm's time formats: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
 * days-hours:minutes, days-hours:minutes:seconds, or UNLIMITED / INFINITE.
 */
const SLURM_TIME = /^(\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2}|UNLIMITED|INFINITE|unlimited|infinite)$/;

/** Paths written into #SBATCH lines: no whitespace, quotes, control or shell characters. */
const SAFE_PATH = /^[A-Za-z0-9_./+@%:=,-]+$/;

/** Extra sbatch arguments: an option, `--name` or `--name=value`, with no control characters. */
const SBATCH_ARG = /^-[^\x00-\x1f\x7f]*$/;

export interface SlurmValues {
  partition?: string | undefined;
  time?: string | undefined;
  jobName?: string | undefined;
  cpusPerTask?: number | undefined;
  maxParallel?: number | undefined;
  maxAttempts?: number | undefined;
  extraArgs?: readonly string[] | undefined;
}

export function checkSlurmValues(options: SlurmValues): void {
  if (options.partition !== undefined && !SLURM_NAME.test(options.partition)) {
    throw new InputError('--partition', options.partition, 'a Slurm partition name (letters, digits, "_", ".", "-"; several separated by ",")');
  }
  if (options.time !== undefined && !SLURM_TIME.test(options.time)) {
    throw new InputError('--time', options.time, 'a Slurm time limit: minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm or d-hh:mm:ss');
  }
  if (options.jobName !== undefined && !SLURM_NAME.test(options.jobName)) {
    throw new InputError('job name', options.jobName, 'letters, digits, "_", ".", "-"');
  }
  for (const [field, value, min] of [
    ['--cpus-per-task', options.cpusPerTask, 1],
    ['--max-parallel', options.maxParallel, 1],
    ['--retries', options.maxAttempts === undefined ? undefined : options.maxAttempts - 1, 0],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) throw new InputError(field, value, `an integer >= ${min}`);
  }
  (options.extraArgs ?? []).forEach((arg, i) => {
    if (!SBATCH_ARG.test(arg)) throw new InputError(`--sbatch-arg[${i}]`, arg, 'an sbatch option starting with "-", without newlines or control characters');
  });
}

/** A path written into the batch script (log folder, manifest). */
export function checkScriptPath(field: string, path: string): string {
  if (!SAFE_PATH.test(path)) {
    throw new InputError(field, path, 'a path without whitespace, quotes or shell characters (the Slurm batch script names it)');
  }
  return path;
}

/**
 * Parsers of CLI option values, shared by every command so that one option rule has one wording.
 * Each `...Option(name, range)` returns a commander argument parser; a value that does not parse
 * throws InputError naming the option, the text given and what was expected, which `main` prints
 * as one line.
 */
import { Option, type Command } from 'commander';
import { InputError } from '../util/index.js';

/** Inclusive bounds of an integer option (min defaults to 0, max to no limit). */
export interface IntegerRange {
  min?: number;
  max?: number;
}

/** Bounds of a number option: `min`/`max` inclusive, `above` exclusive (a strict lower bound). */
export interface NumberRange {
  min?: number;
  max?: number;
  above?: number;
}

function expectedInteger(min: number, max: number | undefined): string {
  if (max !== undefined) return `an integer in [${min}, ${max}]`;
  if (min === 0) return 'a non-negative integer';
  if (min === 1) return 'a positive integer';
  return `an integer >= ${min}`;
}

function expectedNumber(range: NumberRange): string {
  const { min, max, above } = range;
  if (above !== undefined && max === undefined) return above === 0 ? 'a positive number' : `a number > ${above}`;
  if (min !== undefined && max === undefined) return min === 0 ? 'a non-negative number' : `a number >= ${min}`;
  const low = above !== undefined ? `(${above}` : min !== undefined ? `[${min}` : '(-inf';
  return max === undefined ? 'a finite number' : `a number in ${low}, ${max}]`;
}

/** The integer written in `text`, within `range`; `name` is the option (or argument) it came from. */
export function parseInteger(name: string, text: string, range: IntegerRange = {}): number {
  const min = range.min ?? 0;
  const n = Number(text);
  // Number('') and Number(' ') are 0: a blank value is refused, not read as zero.
  if (text.trim() === '' || !Number.isInteger(n) || n < min || (range.max !== undefined && n > range.max)) {
    throw new InputError(name, text, expectedInteger(min, range.max));
  }
  return n;
}

/** The finite number written in `text`, within `range`. */
export function parseNumber(name: string, text: string, range: NumberRange = {}): number {
  const n = Number(text);
  const outside =
    (range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max) || (range.above !== undefined && !(n > range.above));
  if (text.trim() === '' || !Number.isFinite(n) || outside) throw new InputError(name, text, expectedNumber(range));
  return n;
}

/** A commander parser for an integer option, e.g. `.option('--seed <n>', '...', integerOption('--seed'))`. */
export function integerOption(name: string, range: IntegerRange = {}): (text: string) => number {
  return (text) => parseInteger(name, text, range);
}

/** A commander parser for a number option, e.g. `numberOption('--timeout', { above: 0 })`. */
export function numberOption(name: string, range: NumberRange = {}): (text: string) => number {
  return (text) => parseNumber(name, text, range);
}

/** A commander collector for a repeatable option (`--set a=1 --set b=2` gives ['a=1', 'b=2']). */
export function repeatableOption(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The help of `--set`, the same on every command that takes it. */
export const SET_OPTION_HELP = 'override a scenario field, validated like the file (repeatable), e.g. --set episodeSteps=50 --set slices.urllc.delayTarget=5';

/**
 * Where a sweep's or a study's runs execute: `--executor local|slurm` and the Slurm settings
 * every job array takes (partition, time limit, CPUs per task, extra sbatch arguments).
 */
export function withExecutorOptions(command: Command): Command {
  return command
    .addOption(new Option('--executor <kind>', 'where the runs execute').choices(['local', 'slurm']).default('local'))
    .option('--partition <name>', "slurm: partition (default: the cluster's default)")
    .option('--time <limit>', "slurm: time limit per run, e.g. 00:30:00 (default: the partition's)")
    .option('--cpus-per-task <n>', 'slurm: CPUs per run', integerOption('--cpus-per-task'), 1)
    .addOption(
      new Option('--sbatch-arg <arg>', 'slurm: extra sbatch argument, repeatable (e.g. --sbatch-arg=--account=x)')
        .argParser((v: string, acc: string[]) => [...acc, v])
        .default([], 'none'),
    );
}

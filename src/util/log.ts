/**
 * The one logger of the CLI and the train/eval paths: lines on stderr, filtered by a process-wide
 * level (`--quiet` = error, `--log-level`, `--verbose` = debug). Kept to a dozen lines rather than
 * a logging library: one stream, four levels, no formatting beyond a prefix. Progress bars write
 * on their own (they redraw in place) and are not log lines.
 */
import { InputError } from './errors.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** What each level's lines start with (info lines are plain: they are the run's normal output). */
const PREFIX: Record<LogLevel, string> = { error: 'ns3ts: ', warn: 'warning: ', info: '', debug: 'debug: ' };

let threshold: LogLevel = 'info';
let sink: (text: string) => void = (text) => void process.stderr.write(text);

export function parseLogLevel(value: string, field = '--log-level'): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new InputError(field, value, `one of ${LOG_LEVELS.join(', ')}`);
}

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function logLevel(): LogLevel {
  return threshold;
}

/** Whether lines of `level` are printed at the current threshold. */
export function logs(level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(threshold);
}

/** Sends log lines elsewhere (tests); returns the previous sink. */
export function setLogSink(next: (text: string) => void): (text: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function write(level: LogLevel, message: string): void {
  if (logs(level)) sink(`${PREFIX[level]}${message}\n`);
}

export const log = {
  error: (message: string): void => write('error', message),
  warn: (message: string): void => write('warn', message),
  info: (message: string): void => write('info', message),
  debug: (message: string): void => write('debug', message),
};

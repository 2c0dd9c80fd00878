/**
 * What `train --resume` checks before it touches a run folder. The checkpoint's loop counters are
 * the resume point, but they are only trusted when they agree with the files beside them:
 * metrics.jsonl must hold at least the bytes the checkpoint had seen, ending on a line; the episode
 * must lie within the run's episodes; and a run whose checkpoint is gone is not restarted from
 * episode 0 behind the user's back. Every refusal is one line naming the file and the value.
 */
import { existsSync, openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ns3tsError } from '../util/index.js';

const SUMMARY_FILE = 'summary.json';

/** The loop counters a checkpoint stores (`meta.trainer`). */
export interface TrainerState {
  episode: number;
  totalSteps: number;
  metricsBytes: number;
  lastEval: Record<string, unknown> | null;
}

/** Reads a JSON file of a run folder; a missing or unreadable file is an error naming it. */
export function readRunJson<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Ns3tsError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Ns3tsError(`${path}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
}

/** The checkpoint's `meta.trainer`, checked field by field against the run's episode count. */
export function checkTrainerState(raw: unknown, episodes: number, checkpointPath: string): TrainerState {
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new Ns3tsError(`${checkpointPath}: ${field ? `trainer.${field}` : 'meta.trainer'} is ${JSON.stringify(value) ?? 'missing'}, expected ${expected}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('', raw, 'the loop counters of ns3ts train');
  const t = raw as Record<string, unknown>;
  const count = (field: 'episode' | 'totalSteps' | 'metricsBytes'): number => {
    const v = t[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(field, v, 'an integer >= 0');
    return v as number;
  };
  const episode = count('episode');
  if (episode > episodes) {
    fail('episode', episode, `at most the run's ${episodes} episodes (pass --episodes ${episode} or more to continue it, or check the checkpoint)`);
  }
  const lastEval = t.lastEval ?? null;
  if (lastEval !== null && (typeof lastEval !== 'object' || Array.isArray(lastEval))) fail('lastEval', lastEval, 'an evaluation line or null');
  return { episode, totalSteps: count('totalSteps'), metricsBytes: count('metricsBytes'), lastEval: lastEval as Record<string, unknown> | null };
}

/**
 * metrics.jsonl must hold the `metricsBytes` the checkpoint had seen (lines after them belong to
 * episodes that run again and are cut), ending on a line boundary. A shorter file is refused: it
 * must not be padded up to the checkpoint's count.
 */
export function checkMetricsBytes(metricsPath: string, metricsBytes: number): void {
  const size = existsSync(metricsPath) ? statSync(metricsPath).size : 0;
  if (metricsBytes > size) {
    throw new Ns3tsError(
      `${metricsPath}: ${size} bytes, but the checkpoint's trainer.metricsBytes is ${metricsBytes} (lines the checkpoint had seen are missing; the run cannot be resumed exactly)`,
    );
  }
  if (metricsBytes > 0) {
    const fd = openSync(metricsPath, 'r');
    const last = Buffer.alloc(1);
    try {
      readSync(fd, last, 0, 1, metricsBytes - 1);
    } finally {
      closeSync(fd);
    }
    if (last[0] !== 0x0a) {
      throw new Ns3tsError(`${metricsPath}: the checkpoint's trainer.metricsBytes ${metricsBytes} does not end a line (the file was edited since the checkpoint)`);
    }
  }
}

/**
 * A run folder without its checkpoint: resuming would start again at episode 0. A run killed
 * before its first checkpoint can have recorded at most `checkpointEvery` episodes (the checkpoint
 * follows the episode that is due); more recorded episodes mean the checkpoint was deleted or lost,
 * and the run is not silently restarted then. (A vector env's first round can record a few more
 * before its checkpoint; a crash in that instant is refused too, and the folder says why.)
 */
export function checkMissingCheckpoint(checkpointPath: string, metricsPath: string, checkpointEvery: number): void {
  if (!existsSync(metricsPath)) return;
  const recorded = readFileSync(metricsPath, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"type":"train"')).length;
  if (recorded > checkpointEvery) {
    throw new Ns3tsError(
      `${checkpointPath}: missing, but ${metricsPath} records ${recorded} episode(s) (a checkpoint was due every ${checkpointEvery}); refusing to restart the run from episode 0 (start a new run with another --run-id, or delete the folder)`,
    );
  }
}

/**
 * The stored summary of a run the checkpoint shows finished (episode = episodes), so that a
 * repeated --resume changes nothing; undefined when there is work left, or no complete summary
 * (a run killed between its last checkpoint and its summary writes it again).
 */
export function finishedSummary<Summary extends { finished: boolean; completedEpisodes: number }>(
  runDir: string,
  trainer: TrainerState,
  episodes: number,
): Summary | undefined {
  if (trainer.episode < episodes) return undefined;
  const path = join(runDir, SUMMARY_FILE);
  if (!existsSync(path)) return undefined;
  const summary = readRunJson<Summary>(path);
  return summary.finished === true && summary.completedEpisodes === trainer.episode ? summary : undefined;
}

/**
 * The run directory, as both training loops write it (run.ts for slicing, family-run.ts for every
 * other family): the file names, how a new run is named and what it records of where it came from,
 * where a resumed run stands and how its metrics.jsonl is cut back to its checkpoint, the
 * checkpoint's arrays, and the summary. The rules live here once, so a run of any family has the
 * same files meaning the same things.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type AgentMetrics, type AgentState, type FamilyRunSummary, type StoredArray } from '../agents/index.js';
import { InputError, checkOutputDir, checkRunId, packageRoot, writeJsonAtomic } from '../util/index.js';
import { checkMetricsBytes, checkMissingCheckpoint, checkTrainerState, finishedSummary, type TrainerState } from './resume-check.js';

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';

/** A whole number of at least `min`; otherwise an error naming the option. */
export function integer(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InputError(field, value, `an integer >= ${min}`);
  return value;
}

/** The moment a run started, as run names carry it: 20250314-091500. */
export function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

/** Finite numbers only (JSON has no NaN or Infinity); the others become null. */
export function finiteMetrics(metrics: AgentMetrics | Record<string, number | null> | null | undefined): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(metrics ?? {})) out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  return out;
}

/** How long and how often: the loop settings of a new run, from the options over the scenario's training section. */
export interface LoopSettings {
  episodes: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  /** The least wall-clock time between two checkpoints that are only due by count (absent in runs written before it: the default). */
  checkpointSeconds?: number;
}

/** Seconds of training a crash may lose at most, by default (Ctrl-C, a stop or the last episode lose nothing). */
export const DEFAULT_CHECKPOINT_SECONDS = 10;

export function loopSettings(options: Partial<LoopSettings>, training: { episodes: number; evalEvery: number; evalEpisodes: number }): LoopSettings {
  return {
    episodes: integer(options.episodes ?? training.episodes, '--episodes', 1),
    evalEvery: integer(options.evalEvery ?? training.evalEvery, '--eval-every', 0),
    evalEpisodes: integer(options.evalEpisodes ?? training.evalEpisodes, 'evalEpisodes', 1),
    checkpointEvery: integer(options.checkpointEvery ?? 1, 'checkpointEvery', 1),
    checkpointSeconds: nonNegative(options.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS, '--checkpoint-seconds'),
  };
}

function nonNegative(value: number, field: string): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new InputError(field, value, 'a number of seconds >= 0');
  return value;
}

/** True when a round that took the run from episode `before` to `after` crossed a multiple of `every` (evaluation, validation, checkpoint cadences). */
export function crossedMultiple(before: number, after: number, every: number): boolean {
  return Math.floor(after / every) > Math.floor(before / every);
}

/**
 * When both training loops write their checkpoint: after a round that crosses a multiple of
 * `checkpointEvery` episodes, unless the previous checkpoint of this process is less than
 * `checkpointSeconds` old — and always after the first due round of a process, the last episode
 * and a round after which the run stops (Ctrl-C, `stopAfter`, a pruner). A checkpoint holds the
 * replay buffer (megabytes, written and fsynced), so on fast synthetic episodes one per episode
 * would cost a tenth of the training time; a resumed run is identical whichever checkpoint it
 * continues from, so the rule only bounds what a crash loses.
 */
export class CheckpointSchedule {
  private lastWritten: number | null = null;

  constructor(private readonly settings: Pick<LoopSettings, 'checkpointEvery' | 'checkpointSeconds'>) {}

  /** True when the round that took the run from episode `before` to `after` ends with a checkpoint. */
  due(before: number, after: number, stopping: boolean): boolean {
    if (stopping) return true;
    if (!crossedMultiple(before, after, this.settings.checkpointEvery)) return false;
    if (this.lastWritten === null) return true;
    return (performance.now() - this.lastWritten) / 1000 >= (this.settings.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS);
  }

  /** Records that a checkpoint was written now. */
  written(): void {
    this.lastWritten = performance.now();
  }
}

/**
 * A new run's name and folder: `<out>/<run id>`, the id <scenario>-<agent>-s<seed>-<timestamp>
 * unless given. A folder that holds a run already is refused (resume continues it).
 */
export function newRunDir(options: { outDir?: string; runId?: string }, name: { scenario: string; agent: string; seed: number }): { runId: string; runDir: string } {
  const runId = options.runId === undefined ? `${name.scenario}-${name.agent}-s${name.seed}-${timestamp()}` : checkRunId(options.runId);
  const runDir = resolve(checkOutputDir(options.outDir ?? 'runs', '--out'), runId);
  if (existsSync(join(runDir, CONFIG_FILE))) throw new InputError('run directory', runDir, 'a new directory (use --resume to continue a run)');
  return { runId, runDir };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    return null;
  }
}

/** The installed ns-3's version (pkg-config), null without one. */
export function ns3Version(): string | null {
  try {
    return execFileSync('pkg-config', ['--modversion', 'ns3-core'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim() || null;
  } catch {
    return null;
  }
}

/** What a new run records in config.json of the code that wrote it: versions (ns3ts, node, then `more`) and the git commit. */
export function provenance(more: Record<string, string | null> = {}): { versions: Record<string, string | null>; git: { commit: string | null; dirty: boolean | null } } {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit ? git(['status', '--porcelain', '--untracked-files=no']) : null;
  return { versions: { ns3ts: pkg.version, node: process.version, ...more }, git: { commit, dirty: status === null ? null : status.length > 0 } };
}

/** The loop counters of a run that has not played an episode. */
export function freshTrainer(): TrainerState {
  return { episode: 0, totalSteps: 0, metricsBytes: 0, lastEval: null };
}

export type RunCheckpoint = ReturnType<typeof readCheckpoint>;

/**
 * Where a resumed run stands: its checkpoint's loop counters, checked against metrics.jsonl, or
 * its stored summary when it has finished (nothing to do). A run without a checkpoint starts
 * again at episode 1, unless metrics.jsonl shows the checkpoint was lost (checkMissingCheckpoint).
 */
export function resumePoint<Summary extends { finished: boolean; completedEpisodes: number }>(
  runDir: string,
  run: { episodes: number; checkpointEvery?: number },
  announce: (line: string) => void,
): { trainer: TrainerState; checkpoint: RunCheckpoint | null } | { finished: Summary } {
  const checkpointPath = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(checkpointPath)) {
    checkMissingCheckpoint(checkpointPath, join(runDir, METRICS_FILE), run.checkpointEvery ?? 1);
    announce(`run ${runDir} was stopped before its first checkpoint: starting again at episode 1`);
    return { trainer: freshTrainer(), checkpoint: null };
  }
  const checkpoint = readCheckpoint(runDir);
  const trainer = checkTrainerState(checkpoint.meta.trainer, run.episodes, checkpointPath);
  checkMetricsBytes(join(runDir, METRICS_FILE), trainer.metricsBytes);
  const finished = finishedSummary<Summary>(runDir, trainer, run.episodes);
  if (finished) {
    // A finished run stays as it is: nothing to train, summary.json untouched.
    announce(`run ${runDir} already finished (${trainer.episode}/${run.episodes} episodes); nothing to do, ${SUMMARY_FILE} left as it is`);
    return { finished };
  }
  return { trainer, checkpoint };
}

/** The metrics file, cut back to what the checkpoint had seen (later lines belong to episodes that run again); created empty for a new run. */
export function openMetrics(runDir: string, metricsBytes: number): string {
  const metricsPath = join(runDir, METRICS_FILE);
  if (existsSync(metricsPath)) {
    if (statSync(metricsPath).size !== metricsBytes) truncateSync(metricsPath, metricsBytes);
  } else {
    writeFileSync(metricsPath, '');
  }
  return metricsPath;
}

/** Arrays a checkpoint keeps beside the agent's own, by part: stored as `<part>/<name>`. */
export type CheckpointParts = Record<string, Record<string, StoredArray>>;

/** The part of the agent's state (`agent/…`) in the checkpoint; the other parts by name. */
const AGENT_PART = 'agent';

/**
 * Writes checkpoint.bin: `meta` (what loads the policy), the loop counters with the metrics bytes
 * they cover, the agent's state under `agent/` and further parts under their own names.
 */
export function writeRunCheckpoint(
  run: { runDir: string; metricsPath: string; trainer: TrainerState },
  state: AgentState,
  meta: Record<string, unknown>,
  parts: CheckpointParts = {},
): void {
  run.trainer.metricsBytes = statSync(run.metricsPath).size;
  writeCheckpoint(run.runDir, { meta: { ...meta, trainer: run.trainer, agent: state.meta }, arrays: checkpointArrays(state, parts) });
}

/** The arrays of a checkpoint file: the agent's state as `agent/<name>`, further parts as `<part>/<name>`. */
export function checkpointArrays(state: AgentState, parts: CheckpointParts = {}): Record<string, StoredArray> {
  const arrays: Record<string, StoredArray> = {};
  for (const [k, v] of Object.entries(state.arrays)) arrays[`${AGENT_PART}/${k}`] = v;
  for (const [part, named] of Object.entries(parts)) {
    if (part === AGENT_PART) throw new InputError('checkpoint part', part, 'a name other than agent (the agent state is stored there)');
    for (const [k, v] of Object.entries(named)) arrays[`${part}/${k}`] = v;
  }
  return arrays;
}

/** The parts of a checkpoint beside the agent's state (`<part>/<name>` arrays), by part. */
export function checkpointParts(checkpoint: RunCheckpoint): CheckpointParts {
  const parts: CheckpointParts = {};
  for (const [key, value] of Object.entries(checkpoint.arrays)) {
    const slash = key.indexOf('/');
    const part = slash < 0 ? '' : key.slice(0, slash);
    if (part === '' || part === AGENT_PART) continue;
    (parts[part] ??= {})[key.slice(slash + 1)] = value;
  }
  return parts;
}

/** What a loop has counted by the time it ends: the summary is made of it. */
export interface RunTally {
  config: { runId: string; seed: number; episodes: number };
  runDir: string;
  agentId: string;
  scenarioName: string;
  trainer: TrainerState;
  /** Date.now() when this process started training. */
  started: number;
  stepsThisProcess: number;
  lastTrain: Record<string, unknown> | null;
  resumedFrom: number | null;
}

/**
 * The run's summary (train()'s TrainSummary), written to summary.json once the run has finished;
 * an unfinished run's summary is only returned. `updates` is the last training line's.
 */
export function finishSummary(t: RunTally, more: Pick<FamilyRunSummary, 'backend' | 'replayBytesPerTransition' | 'warnings'>): FamilyRunSummary {
  const trainSeconds = (Date.now() - t.started) / 1000;
  const summary: FamilyRunSummary = {
    runId: t.config.runId,
    runDir: t.runDir,
    agent: t.agentId,
    scenario: t.scenarioName,
    seed: t.config.seed,
    episodes: t.config.episodes,
    completedEpisodes: t.trainer.episode,
    finished: t.trainer.episode >= t.config.episodes,
    totalSteps: t.trainer.totalSteps,
    updates: typeof t.lastTrain?.updates === 'number' ? t.lastTrain.updates : 0,
    trainSeconds,
    stepsPerSecond: t.stepsThisProcess / Math.max(trainSeconds, 1e-9),
    backend: more.backend,
    replayBytesPerTransition: more.replayBytesPerTransition,
    lastTrain: t.lastTrain,
    lastEval: t.trainer.lastEval,
    resumedFrom: t.resumedFrom,
    warnings: more.warnings,
  };
  if (summary.finished) writeJsonAtomic(join(t.runDir, SUMMARY_FILE), summary);
  return summary;
}

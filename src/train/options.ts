/**
 * What both training loops take (run.ts for slicing, family-run.ts for the other families): one
 * list, so that an option of `train()` means the same in either loop and none is dropped on the
 * way to the family loop.
 */
export interface RunOptions {
  /** Agent id (default: the scenario's agent.id). */
  agent?: string;
  seed?: number;
  /** Training episodes in total (default: the scenario's training.episodes). */
  episodes?: number;
  /** Folder holding run directories (default "runs"). */
  outDir?: string;
  /** Run directory name (default: <scenario>-<agent>-s<seed>-<timestamp>). */
  runId?: string;
  /** Continue the run in this directory from its last checkpoint. */
  resume?: string;
  /** Evaluate every N episodes (default: the scenario's training.evalEvery; 0 = never). */
  evalEvery?: number;
  evalEpisodes?: number;
  /** Checkpoint every N episodes (default 1; the last episode always checkpoints). */
  checkpointEvery?: number;
  /** The least time between two checkpoints due by count, in seconds (default 10; 0: every due one). */
  checkpointSeconds?: number;
  /** Agent settings overrides (on top of the scenario's agent section). */
  agentSettings?: Record<string, unknown>;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /** Called after each episode with its metrics line (tests, benches). */
  onEpisode?: (line: Record<string, unknown>) => void;
  /** Stop after this many episodes in this process (tests of resume), leaving the run unfinished. */
  stopAfter?: number;
  /** Called with each evaluation's metrics line; true stops training there, unfinished (a pruner's decision). */
  pruneAfterEvaluation?: (evaluation: Record<string, unknown>) => boolean;
  /** Receives one-line notices (backend in use, run directory, resume point); default: none. */
  announce?: (line: string) => void;
  /** Called once the run directory and its metrics.jsonl exist, before the first episode (e.g. a live view). */
  onRunOpen?: (runDir: string) => void | Promise<void>;
  /**
   * Stops the run after the episodes in progress (Ctrl-C in the CLI): their checkpoint is written
   * whatever checkpointEvery says, and train() returns an unfinished summary to resume from.
   */
  signal?: AbortSignal;
  /** Called with the run directory once it is known (before the first episode). */
  onRunDir?: (runDir: string) => void;
}

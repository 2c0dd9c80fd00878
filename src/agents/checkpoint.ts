/**
 * The checkpoint file of a run: `<run-dir>/checkpoint.bin`, one file replaced atomically (temp +
 * rename), so a reader — or a run killed mid-write — only ever sees a complete checkpoint.
 *
 * Format and checks: checkpoint-format.ts (a SHA-256 over header and data; a truncated or
 * corrupted file fails to read with one line naming the file instead of loading garbage).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ns3tsError, writeFileAtomic } from '../util/index.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContent, type StoredArray } from './checkpoint-format.js';

export { decodeCheckpoint, encodeCheckpoint, type CheckpointContent, type StoredArray } from './checkpoint-format.js';

export const CHECKPOINT_FILE = 'checkpoint.bin';
/** The policy that scored best on the run's validation episodes (FamilyTrainableAgent.bestPolicy); same format. */
export const BEST_CHECKPOINT_FILE = 'best.bin';

export function writeCheckpoint(runDir: string, content: CheckpointContent, file = CHECKPOINT_FILE): void {
  writeFileAtomic(join(runDir, file), encodeCheckpoint(content));
}

export function readCheckpoint(runDir: string, file = CHECKPOINT_FILE): CheckpointContent {
  const path = join(runDir, file);
  if (!existsSync(path)) throw new Ns3tsError(`${path}: no checkpoint in this run directory (expected a run written by \`ns3ts train\`)`);
  return decodeCheckpoint(readFileSync(path), path);
}

/** Splits arrays stored under `prefix/<key>` back out. */
export function arraysWithPrefix(arrays: Record<string, StoredArray>, prefix: string): Record<string, StoredArray> {
  const out: Record<string, StoredArray> = {};
  const p = `${prefix}/`;
  for (const [k, v] of Object.entries(arrays)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
  return out;
}

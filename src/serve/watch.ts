/**
 * Hot reload triggers. A run's checkpoint is replaced by rename (util/ writeFileAtomic), so the
 * file's inode changes under a watcher of the file itself: the watcher watches the folder and
 * filters the file's name. Bursts of events (a write, then a rename) are debounced into one reload.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CHECKPOINT_FILE } from '../agents/index.js';
import { parsePolicySpec } from './source.js';

export function watchedFile(spec: string): string {
  const parsed = parsePolicySpec(spec);
  return parsed.kind === 'checkpoint' ? join(parsed.path, CHECKPOINT_FILE) : parsed.path;
}

/** Calls `onChange` (debounced by `debounceMs`) whenever `file` is written or replaced. */
export function watchFile(file: string, onChange: () => void, debounceMs = 200): { close(): void } {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}

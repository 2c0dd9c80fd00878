import { lstatSync, unlinkSync } from 'node:fs';

/**
 * Removes the socket file an `ipc://path` endpoint left after its server closed (ZeroMQ does not
 * unlink it). Only a socket is removed: anything else at that path is not ours.
 */
export function removeIpcSocketFile(endpoint: string | null | undefined): void {
  if (!endpoint?.startsWith('ipc://')) return;
  const path = endpoint.slice('ipc://'.length);
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}

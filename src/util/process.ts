/**
 * Sends a signal to a child's whole process group (children are spawned with `detached: true`,
 * so the group id is the child's pid and grandchildren are reached too); falls back to the pid
 * alone when the group is gone. A process that has already exited is not an error.
 *
 * Kept instead of tree-kill (1.2.2): tree-kill walks `ps` output to find
 * descendants, while a process group (we spawn every child detached) reaches them in one kill(2)
 * with no subprocess and no race with children exiting.
 */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

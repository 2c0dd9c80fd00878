/**
 * The state file of a running enforcement: /run/ns3ts-enforce/<ifname>.json (or
 * <ifname>@<netns>.json), written atomically once the tree is installed and removed after it is
 * taken down. A file left behind by a process that no longer runs means a crash (SIGKILL, power
 * cut): the next start takes the stale tree down before installing its own.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/index.js';
import type { TcTarget } from './tc.js';

export interface EnforceState {
  version: 1;
  pid: number;
  dev: string;
  netns?: string;
  /** Handle of the root qdisc we installed (the marker). */
  handle: string;
  /** The root qdisc found before (a kernel default: restored by deleting ours). */
  original: { kind: string; handle: string } | null;
  startedAt: string;
}

/** The state directory; NS3TS_ENFORCE_STATE_DIR moves it (tests, hosts without /run). */
export function stateDir(): string {
  return process.env.NS3TS_ENFORCE_STATE_DIR ?? '/run/ns3ts-enforce';
}

export function statePath(target: TcTarget): string {
  return join(stateDir(), `${target.dev}${target.netns ? `@${target.netns}` : ''}.json`);
}

export function writeState(target: TcTarget, state: EnforceState): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o755 });
  writeJsonAtomic(statePath(target), state);
}

/** The state file of the target, or null when there is none (an unreadable file counts as stale). */
export function readState(target: TcTarget): EnforceState | 'unreadable' | null {
  let text: string;
  try {
    text = readFileSync(statePath(target), 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text) as EnforceState;
    return typeof state.pid === 'number' && typeof state.handle === 'string' ? state : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

export function removeState(target: TcTarget): void {
  rmSync(statePath(target), { force: true });
}

/** True when a process with this pid runs (and is not this one). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

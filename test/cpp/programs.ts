// Helpers for the tests that drive the C++ programs built by scripts/build-cpp.sh.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killStartedProcesses, startProcess, type Finished, type StartedProcess } from '../../bench/processes.js';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cppBuildDir = join(repoRoot, 'build', 'cpp');
export const cppAsanBuildDir = join(repoRoot, 'build', 'cpp-asan');
export const cppBin = (name: string): string => join(cppBuildDir, 'bin', name);

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * True when the built file exists. Outside CI a missing build skips loudly; in CI it fails,
 * because CI runs scripts/build-cpp.sh before the tests.
 */
export function checkBuilt(path: string): boolean {
  if (existsSync(path)) return true;
  const message = `${path} is not built: run scripts/build-cpp.sh`;
  if (inCi) throw new Error(`CI requires ${message}`);
  process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
  return false;
}

export type ProgramResult = Finished;
export type RunningProgram = StartedProcess;

/** Starts a program; it is killed (SIGKILL) after `timeoutMs` and by killAll(). */
export function startProgram(path: string, args: string[], timeoutMs = 20_000): RunningProgram {
  return startProcess(path, args, timeoutMs);
}

export function runProgram(path: string, args: string[], timeoutMs = 20_000): Promise<ProgramResult> {
  return startProgram(path, args, timeoutMs).done;
}

/** Kills every program still running (afterEach/afterAll). */
export const killAll = killStartedProcesses;

/** A temporary directory for ipc:// endpoints; remove() deletes it. */
export function tempDir(): { dir: string; ipc: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-cpp-'));
  return { dir, ipc: (name) => `ipc://${join(dir, name)}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The last line of stdout parsed as JSON (the programs' summary line). */
export function summary<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

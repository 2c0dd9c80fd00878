import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const spawned = new Set<ChildProcess>();

/** Starts the real CLI (from sources) as a child process. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((res) => {
    child.once('exit', (code, signal) => {
      spawned.delete(child);
      // 'exit' can come before the pipes are drained; 'close' after both.
      child.once('close', () => res({ code, signal, stdout, stderr }));
      if (child.stdout!.readableEnded && child.stderr!.readableEnded) res({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Pids of processes whose working directory is inside `dir` (steps run in their run folder). */
export function processesIn(dir: string): number[] {
  const root = resolve(dir);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Kills every CLI this file started and every step process left in `dirs`. */
export function killAll(dirs: readonly string[]): void {
  for (const child of spawned) child.kill('SIGKILL');
  for (const dir of dirs) {
    for (const pid of processesIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Writes a sweep file based on the shipped synthetic scenario with very short episodes. */
export function writeSweep(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nbase: slicing-synthetic\n${body}`);
  return file;
}

export function runFolders(sweepDir: string): string[] {
  const runs = join(sweepDir, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs).map((id) => join(runs, id)).sort();
}

/** A run's status.json (a folder being created has none yet: pending). */
export function statusOf(runDir: string): { state: string; attempts: number; error?: string; finishedAt?: string } {
  const path = join(runDir, 'status.json');
  if (!existsSync(path)) return { state: 'pending', attempts: 0 };
  return JSON.parse(readFileSync(path, 'utf8')) as { state: string; attempts: number; error?: string; finishedAt?: string };
}

export function metricsOf(runDir: string): Record<string, number> {
  return (JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as { metrics: Record<string, number> }).metrics;
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

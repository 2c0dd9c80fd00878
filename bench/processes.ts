// The child processes of the bridge benchmarks (bridge-cpp.ts, bridge-ns3.ts) and of the tests of
// the C++ programs (test/cpp/programs.ts): the programs of scripts/build-cpp.sh, the agents and the
// simulators, each with its output collected and a time limit, and every one still running ended
// by killStartedProcesses.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../src/util/index.js';

/** Where scripts/build-cpp.sh puts its programs. */
export const CPP_BIN_DIR = join(packageRoot, 'build', 'cpp', 'bin');

export interface Finished {
  code: number | null;
  /** The signal that ended the process (null when it exited). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartedProcess {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<Finished>;
}

const started = new Set<ChildProcess>();

/** Starts `command` with its stdout and stderr collected; SIGKILL after `timeoutMs`. */
export function startProcess(command: string, args: string[], timeoutMs = 300_000): StartedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const settle = (): void => {
    clearTimeout(timer);
    started.delete(child);
  };
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (code, signal) => {
      settle();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** The process's result once it exits with 0; otherwise throws with `what` and its last stderr line. */
export async function finishedOk(run: StartedProcess, what: string): Promise<Finished> {
  const result = await run.done;
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  return result;
}

/** SIGKILL to every process startProcess started that has not exited yet. */
export function killStartedProcesses(): void {
  for (const child of started) child.kill('SIGKILL');
}

/** A TCP port free right now on 127.0.0.1 (the next process to bind takes it). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

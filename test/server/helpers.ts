import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zmq from 'zeromq';
import type { SimulatorLauncher } from '../../src/env/index.js';
import { selfCommand } from '../../src/util/index.js';
import { toHex } from '../../src/wire/index.js';

export const SIM_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sim-child.ts');

/** A fresh ipc:// endpoint in a temp dir, and its clean-up. */
export function ipcEndpoint(): { endpoint: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-ipc-'));
  return { endpoint: `ipc://${join(dir, 'gym.sock')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const children = new Set<ChildProcess>();

/** Spawns sim-child.ts (a real SimulatorPeer in its own process). */
export function spawnSimChild(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', SIM_CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Resolves when the child printed a line matching `pattern`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(buffer)}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Kills every child still running (afterAll/afterEach). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** A SimulatorLauncher that runs sim-child.ts; records the seeds it was given. */
export class ChildLauncher implements SimulatorLauncher {
  readonly seeds: number[] = [];
  private readonly procs = new Map<number, ChildProcess>();
  private readonly exits = new Map<number, { code: number | null; signal: string | null }>();
  constructor(private readonly childArgs: (index: number) => string[]) {}
  async start(index: number, seed: number, endpoint: string): Promise<{ pid: number }> {
    this.seeds.push(seed);
    this.exits.delete(index);
    const child = spawnSimChild([endpoint, ...this.childArgs(index)]);
    child.on('exit', (code, signal) => this.exits.set(index, { code, signal }));
    this.procs.set(index, child);
    return { pid: child.pid! };
  }
  async stop(index: number): Promise<void> {
    const child = this.procs.get(index);
    if (!child) return;
    this.procs.delete(index);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  }
  exitInfo(index: number): { code: number | null; signal: string | null } | null {
    return this.exits.get(index) ?? null;
  }
  process(index: number): ChildProcess | undefined {
    return this.procs.get(index);
  }
  async close(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((i) => this.stop(i)));
  }
}

/** The ns3ts CLI in its own process: `listening` resolves once it printed "listening on" (an agent), `exited` with its output. */
export function startCli(args: string[]): {
  child: ChildProcess;
  listening: Promise<void>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const self = selfCommand();
  const child = spawn(self.command, [...self.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start: ${stdout} ${stderr}`)), 30_000);
    child.on('exit', () => clearTimeout(timer));
    child.stdout!.on('data', () => {
      if (stdout.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  listening.catch(() => undefined);
  return { child, listening, exited };
}

/** Sends frames on one REQ socket, one at a time (a hand-made simulator); returns the replies as hex. */
export async function rawRequest(endpoint: string, frames: Uint8Array[], receiveTimeout = 5000): Promise<string[]> {
  const socket = new zmq.Request({ linger: 0, receiveTimeout });
  socket.connect(endpoint);
  const replies: string[] = [];
  try {
    for (const frame of frames) {
      await socket.send(frame);
      const [reply] = await socket.receive();
      replies.push(toHex(reply!));
    }
  } finally {
    socket.close();
  }
  return replies;
}

/**
 * Talking to the kernel through iproute2's `tc` (and `ip` for interfaces): one command, a batch
 * of lines in one process, the root qdisc, and the counters of the leaf qdiscs. Every call may be
 * aimed at a network namespace (`tc -n <netns>`).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Ns3tsError } from '../util/index.js';

const execFileAsync = promisify(execFile);

/** Where to shape: an interface, maybe inside a named network namespace. */
export interface TcTarget {
  dev: string;
  netns?: string;
}

export function describeTarget(target: TcTarget): string {
  return target.netns ? `${target.dev} (netns ${target.netns})` : target.dev;
}

function nsArgs(target: TcTarget): string[] {
  return target.netns ? ['-n', target.netns] : [];
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** Runs `tc <args>`; a failure is one line with tc's own message. */
export async function runTc(target: TcTarget, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('tc', [...nsArgs(target), ...args], { maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Ns3tsError(`tc ${args.join(' ')}: ${firstLine(e.stderr ?? '') || e.message}`);
  }
}

/**
 * Runs lines through one `tc -batch -` process: the kernel sees them back to back, without a
 * process start between two class changes. Stops at the first failing line.
 */
export function runTcBatch(target: TcTarget, lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tc', [...nsArgs(target), '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new Ns3tsError(`tc -batch: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        // tc names the line: "Command failed -:3"; the kernel's reason comes before it.
        const reason = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning'));
        reject(new Ns3tsError(`tc -batch on ${describeTarget(target)}: ${reason.join('; ') || `exit code ${code}`}`));
      }
    });
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

/** True when this process may configure traffic control (CAP_NET_ADMIN in its effective set). */
export function hasNetAdmin(): boolean {
  const CAP_NET_ADMIN = 12n;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    return m !== null && ((BigInt(`0x${m[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n;
  } catch {
    return false;
  }
}

export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** True when the interface exists (in its namespace, if one is named). */
export async function interfaceExists(target: TcTarget): Promise<boolean> {
  if (!target.netns) return existsSync(`/sys/class/net/${target.dev}`);
  if (!netnsExists(target.netns)) return false;
  try {
    await execFileAsync('ip', ['-n', target.netns, 'link', 'show', 'dev', target.dev]);
    return true;
  } catch {
    return false;
  }
}

/** One qdisc as `tc -s -j qdisc show` prints it (the fields we read). */
export interface QdiscStats {
  kind: string;
  handle: string;
  parent?: string;
  root?: boolean;
  bytes: number;
  packets: number;
  drops: number;
  backlog: number;
  qlen: number;
}

export async function readQdiscs(target: TcTarget): Promise<QdiscStats[]> {
  const text = await runTc(target, ['-s', '-j', 'qdisc', 'show', 'dev', target.dev]);
  const parsed = JSON.parse(text === '' ? '[]' : text) as Array<Partial<QdiscStats>>;
  return parsed.map((q) => ({
    kind: String(q.kind),
    handle: String(q.handle),
    ...(q.parent === undefined ? {} : { parent: String(q.parent) }),
    ...(q.root === undefined ? {} : { root: q.root }),
    bytes: Number(q.bytes ?? 0),
    packets: Number(q.packets ?? 0),
    drops: Number(q.drops ?? 0),
    backlog: Number(q.backlog ?? 0),
    qlen: Number(q.qlen ?? 0),
  }));
}

/** The root qdisc of the interface (kind and handle). */
export async function readRootQdisc(target: TcTarget): Promise<{ kind: string; handle: string } | null> {
  const root = (await readQdiscs(target)).find((q) => q.root === true);
  return root ? { kind: root.kind, handle: root.handle } : null;
}

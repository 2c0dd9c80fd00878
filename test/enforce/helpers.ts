import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { main } from '../../src/cli/index.js';
import { selfCommand, setLogSink } from '../../src/util/index.js';
import { hasNetAdmin } from '../../src/enforce/index.js';
import type { Requirement } from '../helpers/requirements.js';

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Root (CAP_NET_ADMIN), iproute2 (ip netns, tc) and iperf3: what the kernel tests of enforce need. */
export function tcRequirement(): Requirement {
  const available = hasNetAdmin() && runs('tc', ['-V']) && runs('ip', ['netns', 'list']) && runs('iperf3', ['--version']);
  return { name: 'Linux traffic control (root, iproute2, iperf3)', available, install: 'run as root; apt-get install iproute2 iperf3' };
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves with the first stdout line matching. */
  line: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
}

/** Starts the CLI (from the sources); `prefix` runs it under another command (setpriv ...). */
export function startCli(args: string[], prefix: string[] = []): CliRun {
  const self = selfCommand();
  const [command, ...rest] = [...prefix, self.command, ...self.args, ...args];
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const line = (pattern: RegExp, timeoutMs = 90_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = stdout.split('\n').find((l) => pattern.test(l));
        if (found === undefined) return false;
        clearTimeout(t);
        child.stdout!.off('data', check);
        resolve(found);
        return true;
      };
      const t = setTimeout(() => reject(new Error(`no line ${pattern} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs);
      if (!check()) child.stdout!.on('data', check);
      void exited.then(() => setTimeout(() => check() || reject(new Error(`exited without a line ${pattern}; stdout: ${stdout}; stderr: ${stderr}`)), 0));
    });
  return { child, stdout: () => stdout, stderr: () => stderr, exited, line };
}

export function runCli(args: string[], prefix: string[] = []): CliRun['exited'] {
  return startCli(args, prefix).exited;
}

/** The root qdisc of an interface in a namespace: "kind handle". */
export function rootQdisc(netns: string, dev: string): string {
  const parsed = JSON.parse(execFileSync('tc', ['-n', netns, '-j', 'qdisc', 'show', 'dev', dev], { encoding: 'utf8' })) as Array<{ kind: string; handle: string; root?: boolean }>;
  const root = parsed.find((q) => q.root);
  return root ? `${root.kind} ${root.handle}` : 'none';
}

export function netnsList(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
}

/** Runs the CLI in this process (for the one-line errors: no process start); stderr is the log. */
export async function runInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const previous = setLogSink((text) => (stderr += text));
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'ns3ts', ...args]);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
    setLogSink(previous);
  }
}

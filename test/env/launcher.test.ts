import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProcessLauncher, processAlive } from '../../src/remote/index.js';
import { packageRoot } from '../../src/util/index.js';

// Launcher tests with plain node child processes: no ns-3 needed.

const workDir = mkdtempSync(join(tmpdir(), 'ns3ts-launcher-test-'));
const launchers: ProcessLauncher[] = [];
const extraPids: number[] = [];

function script(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

/** A child that prints its arguments, then sleeps; with `grandchild` it first starts a `sleep 60`. */
const sleeper = script(
  'sleeper.mjs',
  `import { spawn } from 'node:child_process';
console.log('args ' + JSON.stringify(process.argv.slice(2)));
if (process.argv.includes('--grandchild')) {
  const g = spawn('sleep', ['60'], { stdio: 'ignore' });
  console.log('grandchild ' + g.pid);
}
if (process.argv.includes('--ignore-term')) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
if (process.argv.includes('--exit7')) setTimeout(() => process.exit(7), 100);
console.log('ready');
setInterval(() => {}, 1000);
`,
);

function makeLauncher(extraArgs: string[] = [], killGraceMs = 2000): ProcessLauncher {
  const launcher = new ProcessLauncher({
    command: process.execPath,
    args: [sleeper],
    extraArgs,
    logDir: join(workDir, `logs-${launchers.length}-${Date.now()}`),
    name: 'sleeper',
    killGraceMs,
  });
  launchers.push(launcher);
  return launcher;
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return predicate();
}

async function logLine(launcher: ProcessLauncher, index: number, prefix: string): Promise<string> {
  let line = '';
  await waitFor(() => {
    let text = '';
    try {
      text = readFileSync(launcher.logPath(index), 'utf8');
    } catch {
      return false;
    }
    line = text.split('\n').reverse().find((l) => l.startsWith(prefix)) ?? '';
    return line !== '';
  });
  return line;
}

afterEach(async () => {
  for (const launcher of launchers.splice(0)) await launcher.close();
});

afterAll(() => {
  // No process left behind by any test of this file.
  for (const launcher of launchers) for (const pid of launcher.spawnedPids()) expect(processAlive(pid)).toBe(false);
  for (const pid of extraPids) expect(processAlive(pid)).toBe(false);
  rmSync(workDir, { recursive: true, force: true });
});

describe('ProcessLauncher', () => {
  it('passes endpoint, seed and scenario arguments, logs output, and stops with SIGTERM', async () => {
    const launcher = makeLauncher(['--stepTime=0.1']);
    const { pid } = await launcher.start(0, 42, 'ipc:///tmp/x.sock');
    expect(processAlive(pid)).toBe(true);
    expect(launcher.pid(0)).toBe(pid);
    expect(launcher.exitInfo(0)).toBeNull();
    const line = await logLine(launcher, 0, 'args ');
    expect(JSON.parse(line.slice(5))).toEqual(['--openGymEndpoint=ipc:///tmp/x.sock', '--simSeed=42', '--stepTime=0.1']);
    const log = readFileSync(launcher.logPath(0), 'utf8');
    expect(log).toContain('start seed=42 endpoint=ipc:///tmp/x.sock');
    await launcher.stop(0);
    expect(processAlive(pid)).toBe(false);
    expect(launcher.exitInfo(0)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(launcher.pid(0)).toBeNull();
  });

  it('kills the whole process group (grandchildren too)', async () => {
    const launcher = makeLauncher(['--grandchild']);
    await launcher.start(0, 1, 'ipc:///tmp/y.sock');
    const grandchild = Number((await logLine(launcher, 0, 'grandchild ')).split(' ')[1]);
    expect(grandchild).toBeGreaterThan(0);
    extraPids.push(grandchild);
    expect(processAlive(grandchild)).toBe(true);
    await launcher.close();
    expect(await waitFor(() => !processAlive(grandchild))).toBe(true);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const launcher = makeLauncher(['--ignore-term'], 300);
    const { pid } = await launcher.start(0, 1, 'ipc:///tmp/z.sock');
    await logLine(launcher, 0, 'ready');
    await launcher.stop(0);
    expect(processAlive(pid)).toBe(false);
    expect(launcher.exitInfo(0)?.signal).toBe('SIGKILL');
    expect(readFileSync(launcher.logPath(0), 'utf8')).toContain('ignoring SIGTERM');
  });

  it('reports a crash (exit code) through exitInfo and the exit event, and restarts on start', async () => {
    const launcher = makeLauncher(['--exit7']);
    const exits: Array<[number, unknown]> = [];
    launcher.on('exit', (index: number, exit: unknown) => exits.push([index, exit]));
    const first = await launcher.start(3, 5, 'ipc:///tmp/w.sock');
    expect(await waitFor(() => launcher.exitInfo(3) !== null)).toBe(true);
    expect(launcher.exitInfo(3)).toEqual({ code: 7, signal: null });
    expect(exits).toEqual([[3, { code: 7, signal: null }]]);
    const second = await launcher.start(3, 6, 'ipc:///tmp/w.sock');
    expect(second.pid).not.toBe(first.pid);
    expect(launcher.exitInfo(3)).toBeNull();
    await launcher.close();
    // The log keeps both runs.
    expect(readFileSync(launcher.logPath(3), 'utf8').match(/start seed=/g)).toHaveLength(2);
  });

  it('starting an index again replaces its running simulator', async () => {
    const launcher = makeLauncher();
    const a = await launcher.start(0, 1, 'ipc:///tmp/v.sock');
    const b = await launcher.start(0, 2, 'ipc:///tmp/v.sock');
    expect(processAlive(a.pid)).toBe(false);
    expect(processAlive(b.pid)).toBe(true);
    expect(launcher.spawnedPids()).toEqual([a.pid, b.pid]);
  });

  it('rejects bad input and a program that does not exist', async () => {
    expect(() => new ProcessLauncher({ command: '' })).toThrow(/command/);
    const launcher = makeLauncher();
    await expect(launcher.start(-1, 0, 'ipc:///tmp/u.sock')).rejects.toThrow(/index/);
    await expect(launcher.start(0, 1.5, 'ipc:///tmp/u.sock')).rejects.toThrow(/seed/);
    const missing = new ProcessLauncher({ command: join(workDir, 'no-such-program'), logDir: join(workDir, 'logs') });
    launchers.push(missing);
    await expect(missing.start(0, 1, 'ipc:///tmp/u.sock')).rejects.toThrow(/cannot start simulator 0/);
  });

  for (const how of ['SIGTERM', 'SIGINT', 'exit'] as const) {
    it(`leaves no child behind when its parent process ends (${how})`, async () => {
      const parent = script(
        `parent-${how}.mts`,
        `import { ProcessLauncher } from ${JSON.stringify(join(packageRoot, 'src', 'remote', 'index.ts'))};
const launcher = new ProcessLauncher({ command: process.execPath, args: [${JSON.stringify(sleeper)}], logDir: ${JSON.stringify(
          join(workDir, `parent-${how}`),
        )} });
const { pid } = await launcher.start(0, 1, 'ipc:///tmp/p.sock');
console.log('child ' + pid);
${how === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
`,
      );
      const proc = spawn(process.execPath, ['--import', 'tsx', parent], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      let child = 0;
      try {
        expect(await waitFor(() => /child \d+/.test(out), 40_000)).toBe(true);
        child = Number(/child (\d+)/.exec(out)![1]);
        extraPids.push(child);
        expect(processAlive(child)).toBe(true);
        if (how !== 'exit') proc.kill(how);
        await exited;
        expect(await waitFor(() => !processAlive(child))).toBe(true);
      } finally {
        // Whatever failed above, leave nothing behind.
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        if (child > 0 && processAlive(child)) process.kill(child, 'SIGKILL');
      }
    }, 60_000);
  }
});

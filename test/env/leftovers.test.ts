import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessLauncher, processAlive } from '../../src/remote/index.js';
import { GymServer } from '../../src/server/index.js';
import { packageRoot } from '../../src/util/index.js';

// What ns3ts leaves behind: simulators of a killed trainer, temporary log folders, ipc socket files.

const workDir = mkdtempSync(join(tmpdir(), 'ns3ts-leftovers-test-'));
const pids: number[] = [];
afterAll(() => {
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

function script(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

const sleeper = script('sleeper.mjs', `if (process.argv.includes('--exit7')) setTimeout(() => process.exit(7), 50);\nsetInterval(() => {}, 1000);\n`);

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('leftovers', () => {
  it('a simulator dies within seconds when its parent (the trainer) is killed with SIGKILL', async () => {
    const parent = script(
      'trainer.mts',
      `import { ProcessLauncher } from ${JSON.stringify(join(packageRoot, 'src', 'remote', 'index.ts'))};
const launcher = new ProcessLauncher({ command: process.execPath, args: [${JSON.stringify(sleeper)}], logDir: ${JSON.stringify(join(workDir, 'trainer-logs'))} });
const { pid } = await launcher.start(0, 1, 'ipc:///tmp/leftovers.sock');
console.log('child ' + pid);
setInterval(() => {}, 1000);
`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', parent], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      expect(await waitFor(() => /child \d+/.test(out), 40_000)).toBe(true);
      const child = Number(/child (\d+)/.exec(out)![1]);
      pids.push(child);
      expect(running(child)).toBe(true);
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      expect(await waitFor(() => !running(child), 5000)).toBe(true);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  }, 60_000);

  it('removes its temporary log folder when the simulators ended normally, keeps and names it otherwise', async () => {
    const clean = new ProcessLauncher({ command: process.execPath, args: [sleeper] });
    await clean.start(0, 1, 'ipc:///tmp/leftovers.sock');
    expect(existsSync(clean.logDir)).toBe(true);
    expect(clean.logDir).toMatch(/ns3ts-sim-/);
    await clean.close();
    expect(existsSync(clean.logDir)).toBe(false);

    const failing = new ProcessLauncher({ command: process.execPath, args: [sleeper], extraArgs: ['--exit7'] });
    await failing.start(0, 1, 'ipc:///tmp/leftovers.sock');
    await failing.waitForExit(0);
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await failing.close();
    } finally {
      process.stderr.write = write;
    }
    expect(existsSync(failing.logDir)).toBe(true);
    expect(stderr.join('')).toContain(`simulator logs kept in ${failing.logDir} (simulator 0 pid`);
    expect(stderr.join('')).toContain('exit code 7');
    rmSync(failing.logDir, { recursive: true, force: true });
  }, 30_000);

  it('removes the ipc socket file of a closed server', async () => {
    const path = join(workDir, 'agent.sock');
    const server = new GymServer({ endpoint: `ipc://${path}` });
    await server.listen();
    expect(existsSync(path)).toBe(true);
    await server.close();
    expect(existsSync(path)).toBe(false);
  });

  it('`ns3ts agent` leaves no ipc socket file after it exits', async () => {
    const path = join(workDir, 'cli-agent.sock');
    const agent = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts'), 'agent', '--endpoint', `ipc://${path}`, '--timeout', '1'], {
      cwd: packageRoot,
      stdio: 'ignore',
    });
    expect(await waitFor(() => existsSync(path), 30_000)).toBe(true);
    const code = await new Promise((r) => agent.once('exit', r));
    expect(code).toBe(1);
    expect(existsSync(path)).toBe(false);
  }, 60_000);
});

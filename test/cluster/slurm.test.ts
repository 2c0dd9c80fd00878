import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/agents/index.js';
import { Discrete, type NdArray, type VectorEnv } from '../../src/env/index.js';
import { createNs3VectorEnv, ensureNs3Build, processAlive, SlurmLauncher, TASK_LOST } from '../../src/remote/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { SimulatorPeer, curveAvailable, type GymServer } from '../../src/server/index.js';
import { train } from '../../src/train/index.js';
import { scancelJobs, selfCommand, squeueJobs } from '../../src/util/index.js';
import { TINY_MADDPG } from '../agents/helpers.js';
import { checkRequirement, ns3Requirement, slurmRequirement } from '../helpers/requirements.js';

// ns-3 simulators (slicing-null, the cheapest program) as one Slurm job array on the one-node
// cluster of scripts/slurm-local.sh, connected back over TCP with CURVE: a short training run,
// an intruder without the keys, a task killed mid-episode, and cancelling.

const haveSlurm = checkRequirement(slurmRequirement());
const hasNs3 = checkRequirement(ns3Requirement());
const ready = haveSlurm && hasNs3 && curveAvailable();
const dir = mkdtempSync(join(tmpdir(), 'ns3ts-cluster-'));
let buildDir = '';
const launchers: SlurmLauncher[] = [];

type Obs = NdArray<Float32Array>;

beforeAll(async () => {
  if (!ready) return;
  buildDir = (await ensureNs3Build()).buildDir;
  await selectBackend('wasm');
}, 20 * 60_000);

afterAll(() => {
  // Only after a failure is anything of ours still queued.
  const jobs = launchers.flatMap((l) => l.jobIds);
  if (jobs.length > 0 && squeueJobs(jobs).length > 0) scancelJobs(jobs);
  rmSync(dir, { recursive: true, force: true });
});

function scenario(steps: number, episodes: number): Scenario {
  const base = loadScenario('slicing-null');
  return {
    ...base,
    episodeSteps: steps,
    agent: { id: 'maddpg-admm', ...TINY_MADDPG, warmupSteps: 3, batchSize: 16 },
    training: { ...base.training, episodes, evalEvery: 0 },
  };
}

/** The vector env of N slicing-null simulators as one Slurm job array; its launcher and server. */
async function clusterEnv(s: Scenario, numEnvs: number, logDir: string): Promise<{ venv: VectorEnv<Obs, Obs>; launcher: SlurmLauncher; server: GymServer }> {
  const venv = await createNs3VectorEnv(s, {
    numEnvs,
    seed: 30,
    buildDir,
    build: false,
    logDir,
    simExecutor: 'slurm',
    // One node: the simulators reach the trainer on loopback, and share its two cores.
    slurm: { host: '127.0.0.1', sbatchArgs: ['--oversubscribe'], time: '00:05:00', pollMs: 300 },
    initTimeoutMs: 30_000,
    stepTimeoutMs: 10_000,
  });
  // FailFastOnExitVector -> RemoteVectorEnv: the launcher and the server behind the env.
  const inner = (venv as unknown as { env: { launcher: SlurmLauncher; server: GymServer } }).env;
  launchers.push(inner.launcher);
  return { venv, launcher: inner.launcher, server: inner.server };
}

function action(cells: number): Obs {
  const data = new Float32Array(cells * 3).fill(1 / 3);
  return { data, shape: [cells, 3] };
}

describe.runIf(ready)('ns-3 simulators as a Slurm job array, over tcp with CURVE', () => {
  it('trains on 4 simulators of one job array; a client without the keys gets no session; closing cancels the job', async () => {
    const s = scenario(4, 8);
    const runDir = join(dir, 'train');
    const { venv, launcher, server } = await clusterEnv(s, 4, runDir);
    let pids: readonly number[] = [];
    try {
      expect(server.curveEnabled).toBe(true);
      expect(server.bindAddress).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
      const keyFile = join(launcher.dir, 'curve.keys');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      // The keys reach the tasks by file, never on a command line.
      const key = readFileSync(keyFile, 'utf8').match(/^secret (\S+)$/m)![1]!;
      expect(readFileSync(join(launcher.dir, 'simulator-task.sh'), 'utf8')).not.toContain(key);

      // An intruder that knows the endpoint but not the keys.
      const intruder = new SimulatorPeer({ endpoint: launcher.remoteEndpoint(server.endpoint), timeoutMs: 3000, simProcessId: 4242 });
      const intruded = intruder.init({ observationSpace: new Discrete(2), actionSpace: new Discrete(2) }).then(
        () => 'served',
        (err: Error) => err.message,
      );
      const summary = await train({ scenario: s, env: venv, outDir: dir, runId: 'cluster', seed: 30, backend: 'wasm', progress: false });
      expect(summary.finished).toBe(true);
      expect(summary.totalSteps).toBe(8 * 4);
      expect(launcher.jobIds).toHaveLength(1); // one array job for the four simulators
      expect(await intruded).not.toBe('served');
      expect(server.sessions.every((sess) => sess.simProcessId !== 4242)).toBe(true);
      expect(server.errors.some((e) => /failed the CURVE handshake/.test(e.message))).toBe(true);
      pids = launcher.spawnedPids();
      expect(pids.length).toBeGreaterThanOrEqual(8);
    } finally {
      await venv.close();
    }
    expect(squeueJobs(launcher.jobIds)).toEqual([]);
    for (const pid of pids) expect(processAlive(pid), `simulator ${pid} still runs`).toBe(false);
  }, 60_000);

  it('a task killed mid-episode truncates its episode, is resubmitted, and cancelling leaves no job or process', async () => {
    const s = scenario(100_000, 1);
    const { venv, launcher } = await clusterEnv(s, 2, join(dir, 'kill'));
    let pids: readonly number[] = [];
    try {
      await venv.reset();
      const firstJob = launcher.jobIds[0]!;
      for (let i = 0; i < 2; i++) expect((await venv.step([action(s.cells), action(s.cells)])).truncated).toEqual([false, false]);
      scancelJobs([`${firstJob}_1`]);
      let lost: Record<string, unknown> | null = null;
      const deadline = Date.now() + 20_000;
      while (!lost && Date.now() < deadline) {
        const r = await venv.step([action(s.cells), action(s.cells)]);
        expect(r.truncated[0]).toBe(false);
        if (r.truncated[1]) lost = r.info[1]!;
      }
      expect(lost).toMatchObject({ reason: 'simulator-exited', exitSignal: TASK_LOST });
      // The next step restarts env 1 (autoreset): its task is resubmitted as a new one-task array.
      const restarted = await venv.step([action(s.cells), action(s.cells)]);
      expect(restarted.truncated).toEqual([false, false]);
      expect(launcher.jobIds).toHaveLength(2);
      expect(readFileSync(join(launcher.dir, 'simulator-task.sh'), 'utf8')).toContain('SLURM_ARRAY_TASK_ID');
      expect((await venv.step([action(s.cells), action(s.cells)])).truncated).toEqual([false, false]);
      expect(squeueJobs(launcher.jobIds).map((q) => q.state)).toEqual(['RUNNING', 'RUNNING']);
      pids = launcher.spawnedPids();
    } finally {
      await venv.close();
    }
    expect(squeueJobs(launcher.jobIds)).toEqual([]);
    for (const pid of pids) expect(processAlive(pid), `simulator ${pid} still runs`).toBe(false);
  }, 60_000);

  it('Ctrl-C on `ns3ts train --sim-executor slurm` cancels the job: nothing left in squeue, no simulator process', async () => {
    const out = join(dir, 'cli');
    const self = selfCommand();
    const child = spawn(
      self.command,
      [
        ...self.args,
        'train',
        '--scenario', 'slicing-null',
        '--sim-executor', 'slurm',
        '--simulators', '2',
        '--set', 'ns3.slurmArgs=--oversubscribe',
        '--set', 'ns3.simHost=127.0.0.1',
        '--set', 'training.evalEvery=0',
        '--episodes', '1000',
        '--backend', 'wasm',
        '--out', out,
        '--no-progress',
      ],
      { env: { ...process.env, NS3TS_BUILD_DIR: buildDir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    // Wait until both simulators play (their pid files exist), then interrupt.
    const simDir = (): string | null => {
      if (!existsSync(out)) return null;
      const run = readdirSync(out)[0];
      return run === undefined ? null : join(out, run, 'simulators');
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const d = simDir();
      if (d && existsSync(join(d, 'sim-0.1.pid')) && existsSync(join(d, 'sim-1.1.pid'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const jobIds = [...stderr.matchAll(/Slurm job (\d+)/g)].map((m) => m[1]!);
    expect(jobIds.length, stderr).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(squeueJobs(jobIds)).toEqual([]);
    const d = simDir()!;
    const pids = readdirSync(d)
      .filter((f) => /^sim-\d+\.\d+\.pid$/.test(f))
      .map((f) => Number(readFileSync(join(d, f), 'utf8').split(' ')[0]));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(processAlive(pid), `simulator ${pid} still runs`).toBe(false);
  }, 60_000);
});

describe.runIf(haveSlurm)("a Slurm launcher's temporary folder", () => {
  /** One episode of `command` (a program that ignores the simulator arguments) in a launcher whose folder is temporary; returns the folder. */
  async function oneEpisode(command: string): Promise<{ folder: string; exit: { code: number | null; signal: string | null } | null; stderr: string }> {
    const folder = mkdtempSync(join(dir, 'temporary-'));
    const launcher = new SlurmLauncher({ command, simulators: 1, dir: folder, removeDirOnClose: true, host: '127.0.0.1', sbatchArgs: ['--oversubscribe'], time: '00:02:00', pollMs: 200 });
    launchers.push(launcher);
    await launcher.start(0, 1, 'tcp://127.0.0.1:5555');
    const deadline = Date.now() + 20_000;
    while (launcher.exitInfo(0) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const exit = launcher.exitInfo(0);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await launcher.close();
    } finally {
      process.stderr.write = write;
    }
    expect(squeueJobs(launcher.jobIds)).toEqual([]);
    return { folder, exit, stderr: written.join('') };
  }

  it('is removed on close when every simulator exited cleanly', async () => {
    const { folder, exit, stderr } = await oneEpisode('/bin/true');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(folder)).toBe(false);
    expect(stderr).toBe('');
  }, 60_000);

  it('stays, with the task logs, when a simulator failed, and close() says where', async () => {
    const { folder, exit, stderr } = await oneEpisode('/bin/false');
    expect(exit).toEqual({ code: 1, signal: null });
    expect(existsSync(join(folder, 'simulator-task.sh'))).toBe(true);
    expect(stderr).toContain(`simulator logs kept in ${folder} (simulator 0 pid `);
    expect(stderr).toContain('exit code 1');
  }, 60_000);
});

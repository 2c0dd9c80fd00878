import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type NdArray } from '../../src/env/index.js';
import { ProcessLauncher, RemoteEnv, defaultNs3BuildDir, processAlive, temporaryIpcEndpoint } from '../../src/remote/index.js';
import { checkRequirement, cppBridgeRequirement } from '../helpers/requirements.js';
import { selfCommand } from '../../src/util/index.js';

// RemoteEnv + ProcessLauncher with the TypeScript simulator peer (`ns3ts sim`) and the C++ peer
// (`ns3ts-peer`, bridge/ only): no ns-3 needed.

type Obs = NdArray<Float32Array>;
const logDir = mkdtempSync(join(tmpdir(), 'ns3ts-launcher-remote-'));
const spawned: number[] = [];
const ipcDirs: string[] = [];

/** A temporary ipc:// endpoint, removed after the tests. */
function endpoint(): string {
  const ep = temporaryIpcEndpoint();
  ipcDirs.push(dirname(ep.slice('ipc://'.length)));
  return ep;
}

afterAll(() => {
  for (const pid of spawned) expect(processAlive(pid)).toBe(false);
  rmSync(logDir, { recursive: true, force: true });
  for (const dir of ipcDirs) rmSync(dir, { recursive: true, force: true });
});

function simLauncher(): ProcessLauncher {
  const self = selfCommand();
  return new ProcessLauncher({
    command: self.command,
    args: [...self.args, 'sim', '--scenario', 'slicing-synthetic'],
    logDir,
    name: 'ns3ts-sim',
    killGraceMs: 1000,
  });
}

function shares(cells: number, slices: number): Obs {
  return { data: new Float32Array(cells * slices).fill(1 / slices), shape: [cells, slices] };
}

describe('ProcessLauncher driving the ns3ts sim peer through RemoteEnv', () => {
  it('a simulator killed mid-episode ends the episode truncated with the reason, and reset restarts it', async () => {
    const launcher = simLauncher();
    const env = await RemoteEnv.listen<Obs, Obs>({ endpoint: endpoint(), launcher, seed: 11, initTimeoutMs: 30_000 });
    try {
      const first = await env.reset();
      const [cells, slices] = first.obs.shape as [number, number, number];
      const pid = launcher.pid(0)!;
      spawned.push(pid);
      expect(first.info.simProcessId).toBe(pid);
      expect(first.info.seed).toBe(11);
      const step = await env.step(shares(cells, slices));
      expect(step.truncated).toBe(false);

      process.kill(pid, 'SIGKILL');
      const cut = await env.step(shares(cells, slices));
      expect(cut.truncated).toBe(true);
      expect(cut.terminated).toBe(false);
      expect(cut.info.reason).toBe('simulator-exited');
      expect(String(cut.info.error)).toContain('SIGKILL');
      expect(launcher.exitInfo(0)).toEqual({ code: null, signal: 'SIGKILL' });
      await expect(env.step(shares(cells, slices))).rejects.toThrow(/reset/);

      const again = await env.reset();
      const restarted = launcher.pid(0)!;
      spawned.push(restarted);
      expect(restarted).not.toBe(pid);
      expect(again.info.simProcessId).toBe(restarted);
      expect((await env.step(shares(cells, slices))).truncated).toBe(false);
    } finally {
      await env.close();
    }
    for (const pid of launcher.spawnedPids()) expect(processAlive(pid)).toBe(false);
    expect(readFileSync(launcher.logPath(0), 'utf8')).toMatch(/start seed=11 endpoint=ipc:\/\//);
  }, 60_000);

  it('the seed sequence is reproducible: same seed, same first observations', async () => {
    const firstObs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const launcher = simLauncher();
      const env = await RemoteEnv.listen<Obs, Obs>({ endpoint: endpoint(), launcher, seed: 5, initTimeoutMs: 30_000 });
      try {
        const a = await env.reset();
        const b = await env.reset(); // the next seed of the sequence
        firstObs.push([...a.obs.data], [...b.obs.data]);
        spawned.push(...launcher.spawnedPids());
      } finally {
        await env.close();
      }
    }
    expect(firstObs[2]).toEqual(firstObs[0]);
    expect(firstObs[3]).toEqual(firstObs[1]);
    expect(firstObs[1]).not.toEqual(firstObs[0]);
  }, 90_000);

  const peer = join(defaultNs3BuildDir(), 'bin', 'ns3ts-peer');
  const hasPeer = checkRequirement(cppBridgeRequirement()) && existsSync(peer);
  if (!hasPeer) process.stderr.write(`\n*** SKIPPING the ns3ts-peer launcher test: ${peer} is missing (scripts/build-cpp.sh) ***\n\n`);
  it.runIf(hasPeer)('launches the C++ peer with its own argument style, one process per episode', async () => {
    const launcher = new ProcessLauncher({
      command: peer,
      args: ['--obs-shape', '4', '--dtype', 'float', '--act', 'box:2', '--steps', '3', '--timeout-ms', '20000', '--quiet'],
      endpointArgs: (endpoint) => ['--endpoint', endpoint],
      seedArgs: (seed) => ['--seed', String(seed)],
      logDir,
      name: 'ns3ts-peer',
    });
    const env = await RemoteEnv.listen<Obs, Obs>({ endpoint: endpoint(), launcher, seed: 3, initTimeoutMs: 20_000 });
    try {
      for (let episode = 0; episode < 2; episode++) {
        const reset = await env.reset();
        expect(reset.info.simProcessId).toBe(launcher.pid(0));
        let steps = 0;
        for (;;) {
          const step = await env.step({ data: new Float32Array([0.5, 0.5]), shape: [2] });
          steps++;
          if (step.truncated || step.terminated) break;
        }
        expect(steps).toBe(3);
      }
      spawned.push(...launcher.spawnedPids());
      expect(launcher.spawnedPids()).toHaveLength(2);
    } finally {
      await env.close();
    }
  }, 60_000);
});

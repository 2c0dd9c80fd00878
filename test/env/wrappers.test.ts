import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FailFastOnExit, FailFastOnExitVector, RecordEpisodeStatistics, TimeLimit, Wrapper, unwrap, type EpisodeStatistics, type NdArray } from '../../src/env/index.js';
import { ProcessLauncher, RemoteEnv, RemoteVectorEnv, launcherExitSignal, temporaryIpcEndpoint } from '../../src/remote/index.js';
import { SyntheticSlicingEnv, slicingModelOf } from '../../src/families/index.js';
import { tinyScenario } from '../agents/helpers.js';

type Obs = NdArray<Float32Array>;

const scenario = tinyScenario();
const shares = (value: number): Obs => ({ data: new Float32Array(scenario.cells * scenario.slices.length).fill(value), shape: [scenario.cells, scenario.slices.length] });

const logDir = mkdtempSync(join(tmpdir(), 'ns3ts-wrappers-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

describe('Wrapper', () => {
  it('delegates spaces, reset and step, and unwraps to the env underneath', async () => {
    const env = new SyntheticSlicingEnv(scenario);
    const wrapped = new RecordEpisodeStatistics(new TimeLimit(new Wrapper(env), 5));
    expect(wrapped.observationSpace).toBe(env.observationSpace);
    expect(wrapped.actionSpace).toBe(env.actionSpace);
    expect(wrapped.unwrapped).toBe(env);
    expect(unwrap(wrapped)).toBe(env);
    expect(slicingModelOf(wrapped)).toBe(env);
    const reference = new SyntheticSlicingEnv(scenario);
    expect((await wrapped.reset({ seed: 4 })).obs).toEqual((await reference.reset({ seed: 4 })).obs);
    const a = await wrapped.step(shares(0.3));
    const b = await reference.step(shares(0.3));
    expect(a.obs).toEqual(b.obs);
    expect(a.reward).toBe(b.reward);
  });
});

describe('TimeLimit', () => {
  it('truncates after maxEpisodeSteps with reason time-limit, and counts again after reset', async () => {
    const env = new TimeLimit(new SyntheticSlicingEnv(scenario), 3);
    for (let episode = 0; episode < 2; episode++) {
      await env.reset({ seed: episode });
      const flags: boolean[] = [];
      for (let t = 0; t < 3; t++) {
        const r = await env.step(shares(0.3));
        flags.push(r.truncated);
        if (r.truncated) expect(r.info.reason).toBe('time-limit');
        expect(r.terminated).toBe(false);
      }
      expect(flags).toEqual([false, false, true]);
    }
    expect(() => new TimeLimit(new SyntheticSlicingEnv(scenario), 0)).toThrowError(/maxEpisodeSteps: got 0, expected a positive integer/);
  });

  it('leaves an episode the env ends first alone', async () => {
    const env = new TimeLimit(new SyntheticSlicingEnv(scenario), 100);
    await env.reset({ seed: 1 });
    let steps = 0;
    for (;;) {
      const r = await env.step(shares(0.3));
      steps++;
      if (r.truncated) break;
    }
    expect(steps).toBe(scenario.episodeSteps);
  });
});

describe('RecordEpisodeStatistics', () => {
  it("puts the episode's return and length in info.episode at its last step only", async () => {
    const env = new RecordEpisodeStatistics(new SyntheticSlicingEnv(scenario));
    for (const seed of [2, 3]) {
      await env.reset({ seed });
      let ret = 0;
      for (let t = 1; ; t++) {
        const r = await env.step(shares(0.25));
        ret += r.reward;
        if (!r.truncated) {
          expect(r.info.episode).toBeUndefined();
          continue;
        }
        const stats = r.info.episode as EpisodeStatistics;
        expect(stats.l).toBe(t);
        expect(stats.r).toBeCloseTo(ret, 12);
        expect(stats.t).toBeGreaterThanOrEqual(0);
        break;
      }
    }
  });
});

/** A launcher whose simulators print a line and exit with code 3 before connecting. */
function failingLauncher(name: string): ProcessLauncher {
  return new ProcessLauncher({
    command: process.execPath,
    // '--': the endpoint and seed arguments go to the script, not to node.
    args: ['-e', "console.error('bad setting: --bandwidth'); process.exit(3)", '--'],
    name,
    logDir,
  });
}

describe('FailFastOnExit (real processes)', () => {
  it('fails reset at once when the simulator exits before its first state (not after the connect timeout)', async () => {
    const launcher = failingLauncher('failing-sim');
    const remote = await RemoteEnv.listen<Obs, Obs>({ endpoint: temporaryIpcEndpoint(), launcher, seed: 1, initTimeoutMs: 60_000 });
    let closed = 0;
    const env = new FailFastOnExit(remote, launcherExitSignal(launcher), remote.index, { afterClose: () => closed++ });
    const started = Date.now();
    try {
      await expect(env.reset()).rejects.toThrow(/simulator 0 exited \(exit code 3\) before its first state; log .*failing-sim-0\.log:\n.*bad setting: --bandwidth/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await env.close();
      await launcher.close();
    }
    expect(closed).toBe(1);
  }, 40_000);

  it('fails a vector env reset the same way, naming the simulator', async () => {
    const launcher = failingLauncher('failing-vector-sim');
    const venv = await RemoteVectorEnv.listen<Obs, Obs>({ endpoint: temporaryIpcEndpoint(), numEnvs: 2, launcher, seed: 1, initTimeoutMs: 60_000 });
    let closed = 0;
    const env = new FailFastOnExitVector(venv, launcherExitSignal(launcher), { afterClose: () => closed++ });
    expect(env.numEnvs).toBe(2);
    expect(env.autoresetMode).toBe('next-step');
    const started = Date.now();
    try {
      await expect(env.reset()).rejects.toThrow(/simulator [01] exited \(exit code 3\) before its first state/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await env.close();
    }
    expect(closed).toBe(1);
  }, 40_000);
});

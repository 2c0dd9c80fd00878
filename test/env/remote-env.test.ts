import { afterAll, describe, expect, it } from 'vitest';
import { deriveSeed } from '../../src/util/index.js';
import { Box, Discrete, ndarray, type NdArray } from '../../src/env/index.js';
import { FEATURE, FEATURES_PER_SLICE, SlicingParallelEnv } from '../../src/families/index.js';
import { RemoteEnv, RemoteVectorEnv, parseInfo } from '../../src/remote/index.js';
import { ProtocolError, SimulatorPeer } from '../../src/server/index.js';
import { ChildLauncher, killChildren } from '../server/helpers.js';

afterAll(killChildren);

const obsSpace = new Box({ low: 0, high: 100, shape: [4], dtype: 'float32' });

describe('RemoteEnv', () => {
  it('soft reset: a simulator advertising soft-reset gets resetReq with the episode seed and keeps its session', async () => {
    const env = await RemoteEnv.listen<NdArray, number>({ stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    const peer = new SimulatorPeer<NdArray, number>({ endpoint: env.server.endpoint, timeoutMs: 5000, capabilities: 'ns3ts/0.1.0 seed,soft-reset' });
    const resets: Array<number | undefined> = [];
    const sim = (async () => {
      const ack = await peer.init({ observationSpace: obsSpace, actionSpace: new Discrete(3) });
      expect(SimulatorPeer.agentCapabilities(ack).has('soft-reset')).toBe(true);
      let i = 0;
      for (;;) {
        const reply = await peer.step({ obs: ndarray('float32', [4], [i, 0, 0, 0]), reward: 1, gameOver: i === 2, reason: 'GameOver' });
        if (reply.kind === 'stop') return;
        if (reply.kind === 'reset') {
          resets.push(reply.seed);
          i = 0;
        } else {
          i++;
        }
      }
    })();
    const first = await env.reset({ seed: 11 });
    const session = env.currentSession;
    expect(first.info.seed).toBe(11);
    for (let episode = 0; episode < 3; episode++) {
      if (episode > 0) {
        const r = await env.reset();
        expect(Array.from(r.obs.data as Float32Array)).toEqual([0, 0, 0, 0]);
      }
      expect((await env.step(0)).terminated).toBe(false);
      expect((await env.step(0)).terminated).toBe(true);
    }
    expect(env.currentSession).toBe(session);
    expect(resets).toEqual([deriveSeed(11, 'episode', 1), deriveSeed(11, 'episode', 2)]);
    await env.close();
    await sim;
  });

  it('with a launcher: reset = stop + start with a reproducible seed sequence, matched by pid', async () => {
    const launcher = new ChildLauncher(() => ['2', 'simend']);
    const env = await RemoteEnv.listen<NdArray, number>({ launcher, initTimeoutMs: 20_000, stepTimeoutMs: 10_000 });
    try {
      for (let episode = 0; episode < 2; episode++) {
        const r = await env.reset(episode === 0 ? { seed: 3 } : {});
        expect(r.info.simProcessId).toBe(launcher.process(0)!.pid);
        expect(r.info).toMatchObject({ step: 0, simTime: 0 });
        const s1 = await env.step(1);
        expect(s1).toMatchObject({ truncated: true, terminated: false, info: { step: 1, reason: 'SimulationEnd' } });
        expect(Array.from(s1.obs.data as Float32Array)).toEqual([1, 2, 3, 4]);
      }
      expect(launcher.seeds).toEqual([3, deriveSeed(3, 'episode', 1)]);
    } finally {
      await env.close();
    }
  });

  it('with a launcher: a simulator killed mid-episode is seen at once (simulator-exited), well before the step timeout', async () => {
    const launcher = new ChildLauncher(() => ['forever']);
    const env = await RemoteEnv.listen<NdArray, number>({ launcher, initTimeoutMs: 20_000, stepTimeoutMs: 25_000 });
    try {
      await env.reset({ seed: 1 });
      await env.step(0);
      launcher.process(0)!.kill('SIGKILL');
      const started = Date.now();
      const r = await env.step(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r).toMatchObject({ truncated: true, terminated: false, info: { reason: 'simulator-exited' } });
      expect(String(r.info.error)).toMatch(/exited with signal SIGKILL/);
    } finally {
      await env.close();
    }
  });

  it('time limit -> truncated with reason time-limit; a simulator with other spaces is a ProtocolError', async () => {
    const env = await RemoteEnv.listen<NdArray, number>({ maxEpisodeSteps: 2, stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    const run = async (space: Box) => {
      const peer = new SimulatorPeer<NdArray, number>({ endpoint: env.server.endpoint, timeoutMs: 5000 });
      await peer.init({ observationSpace: space, actionSpace: new Discrete(3) });
      for (let i = 0; ; i++) {
        const reply = await peer.step({ obs: space.sample(new (await import('../../src/util/index.js')).Rng(i)), reward: 0 });
        if (reply.kind === 'stop') return i;
      }
    };
    const sim = run(obsSpace);
    await env.reset();
    expect((await env.step(0)).truncated).toBe(false);
    expect(await env.step(0)).toMatchObject({ truncated: true, info: { reason: 'time-limit' } });
    const other = run(new Box({ low: 0, high: 1, shape: [5] })).catch(() => -1);
    await expect(env.reset()).rejects.toThrowError(ProtocolError);
    expect(await sim).toBe(2);
    expect(await other).toBe(0);
    await env.close();
  });

  it('info: a JSON object is parsed, anything else is kept as extraInfo', () => {
    expect(parseInfo('{"a":1,"b":[2]}')).toEqual({ a: 1, b: [2] });
    expect(parseInfo('testInfo|123')).toEqual({ extraInfo: 'testInfo|123' });
    expect(parseInfo('[1,2]')).toEqual({ extraInfo: '[1,2]' });
    expect(parseInfo('{broken')).toEqual({ extraInfo: '{broken' });
    expect(parseInfo('')).toEqual({});
  });
});

describe('RemoteVectorEnv', () => {
  it('same-step autoreset returns the new episode obs with final_obs/final_info', async () => {
    const vec = await RemoteVectorEnv.listen<NdArray, number>({ numEnvs: 1, autoresetMode: 'same-step', stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    expect(vec.autoresetMode).toBe('same-step');
    let stopping = false;
    const sim = (async () => {
      for (let ep = 0; !stopping; ep++) {
        const peer = new SimulatorPeer<NdArray, number>({ endpoint: vec.server.endpoint, timeoutMs: 5000, simProcessId: 50 + ep });
        try {
          await peer.init({ observationSpace: obsSpace, actionSpace: new Discrete(3) });
          for (let i = 0; ; i++) {
            const reply = await peer.step({ obs: ndarray('float32', [4], [ep, i, 0, 0]), reward: 1, gameOver: i === 1 });
            if (reply.kind === 'stop') break;
          }
        } catch {
          return;
        } finally {
          await peer.close();
        }
      }
    })();
    try {
      await vec.reset({ seed: 0 });
      const r1 = await vec.step([0]);
      expect(r1.terminated[0]).toBe(true);
      expect(Array.from(r1.obs[0]!.data as Float32Array)).toEqual([1, 0, 0, 0]);
      expect(Array.from((r1.info[0]!.final_obs as NdArray).data as Float32Array)).toEqual([0, 1, 0, 0]);
      const r2 = await vec.step([0]);
      expect(r2.terminated[0]).toBe(true);
      expect(Array.from(r2.obs[0]!.data as Float32Array)).toEqual([2, 0, 0, 0]);
    } finally {
      stopping = true;
      await vec.close();
    }
    await sim;
  });

  it('rejects a REP server for more than one env', async () => {
    const { GymServer } = await import('../../src/server/index.js');
    expect(() => new RemoteVectorEnv({ server: new GymServer({ mode: 'rep' }), numEnvs: 2 })).toThrowError(/server.mode: got "rep", expected 'router'/);
  });
});

describe('SlicingParallelEnv', () => {
  it('one agent per slice: split observations, assembled joint action, per-slice rewards', async () => {
    const cells = 2;
    const slices = 3;
    const env = await RemoteEnv.listen<NdArray, NdArray>({ stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    const sliceObs = new Box({ low: -Infinity, high: Infinity, shape: [cells, slices, FEATURES_PER_SLICE], dtype: 'float32' });
    const sliceAct = new Box({ low: 0, high: 1, shape: [cells, slices], dtype: 'float32' });
    const makeObs = (t: number): NdArray => {
      const data = new Float32Array(cells * slices * FEATURES_PER_SLICE);
      for (let c = 0; c < cells; c++) {
        for (let s = 0; s < slices; s++) {
          const row = (c * slices + s) * FEATURES_PER_SLICE;
          data[row + FEATURE.share] = t + c * 10 + s;
          data[row + FEATURE.active] = 1;
          data[row + FEATURE.activeUsers] = 1;
          data[row + FEATURE.throughput] = s === 0 ? 1 : 4;
          data[row + FEATURE.phiTarget] = 2;
        }
      }
      return { data, shape: [cells, slices, FEATURES_PER_SLICE] };
    };
    const received: number[][] = [];
    const peer = new SimulatorPeer<NdArray, NdArray>({ endpoint: env.server.endpoint, timeoutMs: 5000 });
    const sim = (async () => {
      await peer.init({ observationSpace: sliceObs, actionSpace: sliceAct });
      const info = { slices: ['embb', 'urllc', 'mmtc'], cells };
      for (let t = 0; ; t++) {
        const reply = await peer.step({ obs: makeObs(t), reward: 7, info, gameOver: t === 2 });
        if (reply.kind === 'stop') return;
        if (reply.kind === 'action') received.push(Array.from(reply.action.data as Float32Array));
      }
    })();
    const par = new SlicingParallelEnv(env);
    const { obs } = await par.reset();
    expect(par.agents).toEqual(['embb', 'urllc', 'mmtc']);
    expect(obs.urllc!.shape).toEqual([cells, FEATURES_PER_SLICE]);
    expect(obs.urllc!.data[FEATURE.share]).toBe(1);
    expect(obs.urllc!.data[FEATURES_PER_SLICE + FEATURE.share]).toBe(11);
    expect(par.actionSpace('mmtc').shape).toEqual([cells]);
    const actions = {
      embb: ndarray('float32', [cells], [0.5, 0.25]),
      urllc: ndarray('float32', [cells], [0.25, 0.5]),
      mmtc: ndarray('float32', [cells], [0.125, 0.125]),
    };
    const r = await par.step(actions);
    expect(received[0]).toEqual([0.5, 0.25, 0.125, 0.25, 0.5, 0.125]);
    // embb: r = 1/2 in both cells -> 2 log(1.5); the others are satisfied -> 2 log 2.
    expect(r.rewards.embb).toBeCloseTo(2 * Math.log(1.5), 6);
    expect(r.rewards.urllc).toBeCloseTo(2 * Math.log(2), 6);
    expect(r.infos.embb!.teamReward).toBe(7);
    expect(r.terminations.mmtc).toBe(false);
    const last = await par.step(actions);
    expect(last.terminations).toEqual({ embb: true, urllc: true, mmtc: true });
    expect(par.agents).toEqual([]);
    await par.close();
    await sim;
  });
});

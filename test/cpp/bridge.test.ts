// The C++ side of the wire, for real: the bridge's ctest suite under ASan/UBSan, the standalone
// C++ peer (ns3ts-peer) against our TypeScript GymServer, and a dead agent.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { checkRequirement, cppBridgeRequirement } from '../helpers/requirements.js';
import { GymServer, type Session } from '../../src/server/index.js';
import { encodeSimInitAck } from '../../src/wire/index.js';
import type { NdArray } from '../../src/env/index.js';
import { checkBuilt, cppAsanBuildDir, cppBin, killAll, runProgram, startProgram, summary, tempDir } from './programs.js';

const toolchain = checkRequirement(cppBridgeRequirement());
const peer = cppBin('ns3ts-peer');
const haveAsan = toolchain && checkBuilt(`${cppAsanBuildDir}/CTestTestfile.cmake`);
const havePeer = toolchain && checkBuilt(peer);

const tmp = tempDir();
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp.remove();
});

interface PeerSummary {
  episodes: number;
  steps: number;
  seconds: number;
  stepsPerSec: number;
}

/** Plays one episode as the agent: answers every state with act(step); returns the states. */
async function playEpisode<A>(session: Session, act: (step: number) => A): Promise<{ rewards: number[]; gameOver: boolean; simTimes: (number | null)[]; infos: string[] }> {
  const rewards: number[] = [];
  const simTimes: (number | null)[] = [];
  const infos: string[] = [];
  for (let step = 0; ; step++) {
    const event = await session.nextEvent(10_000);
    if (event.kind === 'end') throw new Error(`session ended early: ${event.reason}: ${event.message}`);
    rewards.push(event.state.reward);
    simTimes.push(event.state.simTime);
    infos.push(event.state.info);
    if (event.state.gameOver) return { rewards, gameOver: true, simTimes, infos };
    (session as Session<unknown, A>).act(act(step));
  }
}

describe.skipIf(!haveAsan)('bridge ctest (AddressSanitizer + UndefinedBehaviorSanitizer, leak check on)', () => {
  it('runs every C++ unit test and all pass', async () => {
    const result = await runProgram('ctest', ['--test-dir', cppAsanBuildDir, '--output-on-failure', '--timeout', '60'], 120_000);
    const line = result.stdout.match(/(\d+)% tests passed, (\d+) tests failed out of (\d+)/);
    expect(line, result.stdout + result.stderr).not.toBeNull();
    expect(Number(line![2]), result.stdout).toBe(0);
    expect(Number(line![3])).toBeGreaterThanOrEqual(2);
    expect(result.stdout).not.toMatch(/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);
    expect(result.code).toBe(0);
  }, 130_000);
});

describe.skipIf(!havePeer)('ns3ts-peer against the TypeScript GymServer', () => {
  it('plays a full episode with Discrete actions over ipc', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('discrete.sock') });
    try {
      const endpoint = await server.listen();
      const run = startProgram(peer, ['--endpoint', endpoint, '--obs-shape', '5', '--dtype', 'uint32', '--act', 'discrete:4', '--steps', '20', '--seed', '7', '--timeout-ms', '10000']);
      const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 10_000 });
      expect(session.seed).toBe(7);
      expect(session.capabilities.set.has('sim-time')).toBe(true);
      expect(session.observationSpace.toJSON()).toMatchObject({ type: 'Box', dtype: 'uint32', shape: [5], low: 0, high: 10 });
      expect(session.actionSpace.toJSON()).toMatchObject({ type: 'Discrete', n: 4 });
      const episode = await playEpisode(session, (step) => step % 4);
      // 20 actions, then the game-over state; the peer's reward is the last action it executed.
      expect(episode.rewards.length).toBe(21);
      expect(episode.rewards.slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => i % 4));
      expect(episode.simTimes[3]).toBeCloseTo(0.3, 9);
      expect(episode.infos[20]).toBe('step=20');
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(summary<PeerSummary>(result.stdout)).toMatchObject({ episodes: 1, steps: 20 });
    } finally {
      await server.close();
    }
  });

  it('plays a full episode with Box actions over tcp on a chosen host', async () => {
    const server = new GymServer({ endpoint: 'tcp://127.0.0.1:0' });
    try {
      const endpoint = await server.listen();
      expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      const run = startProgram(peer, ['--endpoint', endpoint, '--obs-shape', '2x3', '--dtype', 'float', '--act', 'box:3', '--steps', '10', '--seed', '3', '--timeout-ms', '10000']);
      const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 10_000 });
      expect(session.observationSpace.toJSON()).toMatchObject({ type: 'Box', dtype: 'float32', shape: [2, 3] });
      expect(session.actionSpace.toJSON()).toMatchObject({ type: 'Box', dtype: 'float32', shape: [3], low: 0, high: 1 });
      const action = (step: number): NdArray => ({ data: new Float32Array([0.25, 0.5, step / 10]), shape: [3] });
      const episode = await playEpisode(session, action);
      expect(episode.rewards.length).toBe(11);
      // The peer rewards the mean of the action it received.
      for (let step = 0; step < 10; step++) {
        expect(episode.rewards[step + 1]).toBeCloseTo((0.25 + 0.5 + Math.fround(step / 10)) / 3, 5);
      }
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(summary<PeerSummary>(result.stdout)).toMatchObject({ episodes: 1, steps: 10 });
    } finally {
      await server.close();
    }
  });

  it('sends int64, uint64, double and int8 observations that the TypeScript side decodes with their dtype', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('wide.sock') });
    try {
      const endpoint = await server.listen();
      for (const [dtype, expected, ctor] of [
        ['int64', 'int64', BigInt64Array],
        ['uint64', 'uint64', BigUint64Array],
        ['double', 'float64', Float64Array],
        ['int8', 'int8', Int8Array],
      ] as const) {
        const run = startProgram(peer, ['--endpoint', endpoint, '--obs-shape', '4', '--dtype', dtype, '--act', 'discrete:2', '--steps', '2', '--timeout-ms', '10000']);
        const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 10_000 });
        expect(session.observationSpace.toJSON()).toMatchObject({ type: 'Box', dtype: expected, shape: [4] });
        const event = await session.nextEvent(10_000);
        expect(event.kind).toBe('state');
        if (event.kind !== 'state') return;
        const obs = event.state.obs as NdArray;
        expect(obs.data).toBeInstanceOf(ctor);
        expect(obs.data.length).toBe(4);
        session.act(0);
        const rest = await playEpisode(session, () => 0);
        expect(rest.gameOver).toBe(true);
        const result = await run.done;
        expect(result.code, result.stderr).toBe(0);
      }
    } finally {
      await server.close();
    }
  });

  it('serves several peers on one endpoint (GymServer in ROUTER mode)', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('router.sock'), mode: 'router' });
    try {
      const endpoint = await server.listen();
      const runs = [11, 12, 13].map((seed) => startProgram(peer, ['--endpoint', endpoint, '--act', 'discrete:3', '--steps', String(seed - 5), '--seed', String(seed), '--timeout-ms', '10000']));
      const sessions = await Promise.all(runs.map((run) => server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 10_000 })));
      expect(sessions.map((s) => s.seed)).toEqual([11, 12, 13]);
      const episodes = await Promise.all(sessions.map((s, i) => playEpisode(s, (step) => (step + i) % 3)));
      expect(episodes.map((e) => e.rewards.length)).toEqual([7, 8, 9]);
      // Each peer got its own actions back: the reward is the action it executed last.
      expect(episodes[2]!.rewards.slice(1)).toEqual(Array.from({ length: 8 }, (_, step) => (step + 2) % 3));
      const results = await Promise.all(runs.map((r) => r.done));
      expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    } finally {
      await server.close();
    }
  });

  it('plays several episodes as new connections (reset = restart) with consecutive seeds', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('episodes.sock') });
    try {
      const endpoint = await server.listen();
      const run = startProgram(peer, ['--endpoint', endpoint, '--act', 'discrete:2', '--steps', '5', '--episodes', '3', '--seed', '100', '--timeout-ms', '10000']);
      const seeds: number[] = [];
      for (let episode = 0; episode < 3; episode++) {
        const session = await server.acceptSession({ timeoutMs: 10_000 });
        seeds.push(session.seed);
        const played = await playEpisode(session, () => 1);
        expect(played.rewards.length).toBe(6);
      }
      expect(seeds).toEqual([100, 101, 102]);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(summary<PeerSummary>(result.stdout)).toMatchObject({ episodes: 3, steps: 15 });
    } finally {
      await server.close();
    }
  });

  it('continues in the same session when it advertises soft-reset and the agent asks for one', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('soft-reset.sock') });
    try {
      const endpoint = await server.listen();
      const run = startProgram(peer, ['--endpoint', endpoint, '--act', 'discrete:3', '--steps', '4', '--episodes', '2', '--seed', '9', '--soft-reset', '--timeout-ms', '10000']);
      const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 10_000 });
      expect(session.softReset).toBe(true);
      const states: string[] = [];
      for (let episode = 0; episode < 2; episode++) {
        for (;;) {
          const event = await session.nextEvent(10_000);
          if (event.kind === 'end') throw new Error(`session ended early: ${event.reason}`);
          states.push(event.state.info);
          if (!event.state.gameOver) {
            session.act(2);
          } else if (episode === 0) {
            session.requestReset(55);
            break;
          } else {
            session.stop();
            break;
          }
        }
      }
      // Two episodes of 4 steps each, one connection: step counters restart after the reset.
      expect(states).toEqual(['step=0', 'step=1', 'step=2', 'step=3', 'step=4', 'step=0', 'step=1', 'step=2', 'step=3', 'step=4']);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(summary<PeerSummary>(result.stdout)).toMatchObject({ episodes: 2, steps: 8 });
    } finally {
      await server.close();
    }
  });

  it('times out with a clear message and exit status 3 when its agent dies mid-episode', async () => {
    // A bare REP socket plays an agent that acknowledges the handshake, then dies.
    const endpoint = tmp.ipc('dies.sock');
    const rep = new zmq.Reply({ linger: 0 });
    await rep.bind(endpoint);
    try {
      const run = startProgram(peer, ['--endpoint', endpoint, '--steps', '5', '--timeout-ms', '400']);
      await rep.receive(); // SimInitMsg
      await rep.send(encodeSimInitAck({ done: true }));
      await rep.receive(); // the first state; the agent never answers it
      rep.close();
      const started = Date.now();
      const result = await run.done;
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`no reply from the agent at ${endpoint} within 400 ms`);
      expect(result.stderr).toContain("the agent's action");
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      if (!rep.closed) rep.close();
    }
  });

  it('rejects bad arguments with exit status 2 and names the value', async () => {
    const result = await runProgram(peer, ['--act', 'continuous:3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('continuous:3');
    const badEndpoint = await runProgram(peer, ['--endpoint', 'localhost:5555', '--timeout-ms', '100']);
    expect(badEndpoint.code).toBe(4);
    expect(badEndpoint.stderr).toContain('expected tcp://host:port or ipc://path');
  });
});

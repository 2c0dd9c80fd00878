// The ns-3 module's ns3-gym API for real: the opengym-example scenario (ns-3, built by
// scripts/build-cpp.sh) plays against our TypeScript GymServer; a dead agent ends it with a
// clear message and a non-zero exit instead of a hang.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { execFileSync } from 'node:child_process';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';
import { GymServer } from '../../src/server/index.js';
import { Discrete } from '../../src/env/index.js';
import { encodeEnvActMsg, encodeSimInitAck, toWireData } from '../../src/wire/index.js';
import { checkBuilt, cppBin, cppBuildDir, killAll, runProgram, startProgram, tempDir } from './programs.js';

const example = cppBin('opengym-example');
const haveExample = checkRequirement(ns3Requirement()) && checkBuilt(example);

function hasValgrind(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveValgrind = haveExample && checkRequirement({ name: 'valgrind', available: hasValgrind(), install: 'apt-get install valgrind' });

const tmp = tempDir();
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp.remove();
});

describe.skipIf(!haveExample)('ctest of build/cpp (bridge in Release, the ns3-gym API layer against an in-process agent)', () => {
  it('passes every test, including ns3ts_api', async () => {
    const result = await runProgram('ctest', ['--test-dir', cppBuildDir, '--output-on-failure', '--timeout', '60'], 120_000);
    const line = result.stdout.match(/(\d+)% tests passed, (\d+) tests failed out of (\d+)/);
    expect(line, result.stdout + result.stderr).not.toBeNull();
    expect(Number(line![2]), result.stdout).toBe(0);
    expect(result.stdout).toMatch(/ns3ts_api \.+\s+Passed/);
    expect(result.code).toBe(0);
  }, 130_000);
});

describe.skipIf(!haveExample)('opengym-example (ns-3) against the TypeScript GymServer', () => {
  it('plays a full episode: handshake with seed, Box UINT observations, Discrete actions, game over', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('example.sock') });
    try {
      const endpoint = await server.listen();
      const run = startProgram(example, [`--openGymEndpoint=${endpoint}`, '--simSeed=3', '--maxSteps=10', '--stepTime=0.1', '--simTime=100', '--openGymTimeoutMs=10000'], 30_000);
      const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 20_000 });
      expect(session.seed).toBe(3);
      expect(session.capabilities.version).not.toBeNull();
      expect(session.observationSpace.toJSON()).toMatchObject({ type: 'Box', dtype: 'uint32', shape: [5], low: 0, high: 10 });
      expect(session.actionSpace.toJSON()).toMatchObject({ type: 'Discrete', n: 5 });
      const simTimes: (number | null)[] = [];
      const infos: string[] = [];
      let gameOver = false;
      for (let step = 0; step < 50 && !gameOver; step++) {
        const event = await session.nextEvent(10_000);
        if (event.kind === 'end') throw new Error(`session ended early: ${event.reason}: ${event.message}`);
        simTimes.push(event.state.simTime);
        infos.push(event.state.info);
        const obs = event.state.obs as { data: Uint32Array; shape: number[] };
        expect(obs.data).toBeInstanceOf(Uint32Array);
        expect(Math.max(...obs.data)).toBeLessThanOrEqual(10);
        gameOver = event.state.gameOver;
        if (gameOver) {
          expect(event.state.reason).toBe('GameOver');
        } else {
          // Serve the longest queue: the scenario then rewards 1.
          session.act(obs.data.indexOf(Math.max(...obs.data)));
        }
      }
      expect(gameOver).toBe(true);
      expect(infos.length).toBe(10);
      expect(infos[9]).toBe('step=10|seed=3');
      expect(simTimes[0] ?? 0).toBeCloseTo(0, 9);
      expect(simTimes[9]).toBeCloseTo(0.9, 6);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toContain('done after 10 steps');
    } finally {
      await server.close();
    }
  }, 40_000);

  it('connects over tcp with --openGymHost and the program\'s own --openGymPort', async () => {
    const server = new GymServer({ endpoint: 'tcp://127.0.0.1:0' });
    try {
      const endpoint = await server.listen();
      const port = Number(endpoint.split(':').pop());
      const run = startProgram(example, ['--openGymHost=127.0.0.1', `--openGymPort=${port}`, '--maxSteps=3', '--simSeed=5', '--openGymTimeoutMs=10000'], 30_000);
      const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 20_000 });
      expect(session.seed).toBe(5);
      let states = 0;
      for (;;) {
        const event = await session.nextEvent(10_000);
        if (event.kind === 'end') throw new Error(`session ended early: ${event.reason}`);
        states++;
        if (event.state.gameOver) break;
        session.act(0);
      }
      expect(states).toBe(3);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`endpoint=tcp://127.0.0.1:${port}`);
    } finally {
      await server.close();
    }
  }, 40_000);

  it('exits with status 3 and names the endpoint when its agent dies mid-episode', async () => {
    // A bare REP socket plays an agent that acknowledges the handshake, reads a state, then dies.
    const endpoint = tmp.ipc('dead-agent.sock');
    const rep = new zmq.Reply({ linger: 0 });
    await rep.bind(endpoint);
    try {
      const run = startProgram(example, [`--openGymEndpoint=${endpoint}`, '--maxSteps=10', '--openGymTimeoutMs=500'], 30_000);
      await rep.receive(); // SimInitMsg
      await rep.send(encodeSimInitAck({ done: true }));
      await rep.receive(); // the first state, never answered
      rep.close();
      const result = await run.done;
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`ns3ts: fatal: no reply from the agent at ${endpoint} within 500 ms`);
      expect(result.stderr).toContain("the agent's action");
    } finally {
      if (!rep.closed) rep.close();
    }
  }, 40_000);

  it('the C++ echo agent (the bridge benchmark\'s ceiling) serves 300 steps blocking and spinning, and refuses a bad --spin-us', async () => {
    // Discrete(3) action 1 (what the benchmark encodes from the example's action space).
    const actionHex = Buffer.from(encodeEnvActMsg({ actData: toWireData(new Discrete(3), 1) })).toString('hex');
    for (const spin of ['0', '200']) {
      const endpoint = tmp.ipc(`echo-${spin}.sock`);
      const agent = startProgram(cppBin('gym-echo-agent'), ['--endpoint', endpoint, '--action-hex', actionHex, '--idle-ms', '300', '--spin-us', spin], 30_000);
      const sim = await runProgram(example, [`--openGymEndpoint=${endpoint}`, '--maxSteps=301', '--stepTime=0.001', '--simTime=1000', '--openGymTimeoutMs=10000'], 30_000);
      expect(sim.code, sim.stderr).toBe(0);
      const result = await agent.done;
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout.trim()) as { states: number; stepsPerSec: number };
      expect(report.states).toBe(301);
      expect(report.stepsPerSec).toBeGreaterThan(0);
    }
    const bad = await runProgram(cppBin('gym-echo-agent'), ['--endpoint', tmp.ipc('bad.sock'), '--action-hex', actionHex, '--spin-us', '-1'], 10_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--spin-us: got -1, expected 0 to 1000000');
  }, 60_000);

  it('times out with exit status 3 and a clear message when the agent never answers', async () => {
    const endpoint = tmp.ipc('silent-agent.sock');
    const rep = new zmq.Reply({ linger: 0 });
    await rep.bind(endpoint);
    try {
      const run = startProgram(example, [`--openGymEndpoint=${endpoint}`, '--openGymTimeoutMs=500'], 30_000);
      await rep.receive(); // SimInitMsg; never answered
      const result = await run.done;
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`ns3ts: fatal: no reply from the agent at ${endpoint} within 500 ms`);
    } finally {
      rep.close();
    }
  }, 40_000);

  it.skipIf(!haveValgrind)('runs an episode under valgrind without errors or definite leaks (ns3ts module + bridge)', async () => {
    const server = new GymServer({ endpoint: tmp.ipc('valgrind.sock'), initTimeoutMs: 60_000, stepTimeoutMs: 60_000 });
    try {
      const endpoint = await server.listen();
      const run = startProgram(
        'valgrind',
        ['-q', '--error-exitcode=9', '--leak-check=full', '--errors-for-leak-kinds=definite', example, `--openGymEndpoint=${endpoint}`, '--maxSteps=15', '--openGymTimeoutMs=60000'],
        90_000,
      );
      const session = await server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 60_000 });
      for (;;) {
        const event = await session.nextEvent(60_000);
        if (event.kind === 'end') throw new Error(`session ended early: ${event.reason}`);
        if (event.state.gameOver) break;
        session.act(1);
      }
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/definitely lost|Invalid (read|write)|uninitialised/);
    } finally {
      await server.close();
    }
  }, 100_000);
});

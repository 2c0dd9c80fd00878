// The edges found by running `ns3ts agent` against stock ns3-gym simulators and ns3ts's own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { afterAll, describe, expect, it } from 'vitest';
import { Box, Dict, Discrete, ndarray } from '../../src/env/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { actionFromJson, runAgent } from '../../src/server/index.js';
import { train } from '../../src/train/index.js';
import { selfCommand } from '../../src/util/index.js';
import { decodeEnvActMsg, decodeSimInitAck, encodeEnvStateMsg, encodeSimInitMsg, spaceToWire, toWireData } from '../../src/wire/index.js';
import { ipcEndpoint, killChildren, waitForExit } from '../server/helpers.js';

afterAll(killChildren);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `listening` resolves once it printed its endpoint. */
function startCli(args: string[]): { listening: Promise<void>; exited: Promise<CliRun> } {
  const self = selfCommand();
  const child = spawn(self.command, [...self.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${stdout} ${stderr}`)), 60_000);
    child.on('exit', () => clearTimeout(timer));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  listening.catch(() => undefined);
  const killer = setTimeout(() => child.kill('SIGKILL'), 170_000);
  const exited = new Promise<CliRun>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { listening, exited };
}

/** `ns3ts sim` (the synthetic slicing simulator) against `endpoint`. */
function startSim(endpoint: string, episodes: number, seed: number) {
  const self = selfCommand();
  return spawn(self.command, [...self.args, 'sim', '--endpoint', endpoint, '--episodes', String(episodes), '--simSeed', String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('ns3ts agent: a game-over state without obsData', () => {
  it('is answered with stopSimReq and ends the episode normally (exit 0)', async () => {
    const ipc = ipcEndpoint();
    const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--timeout', '20', '--policy', 'constant:1']);
    const socket = new zmq.Request({ linger: 0, receiveTimeout: 20_000 });
    try {
      await agent.listening;
      socket.connect(ipc.endpoint);
      const obsSpace = new Box({ low: 0, high: 10, shape: [2] });
      const actSpace = new Discrete(3);
      await socket.send(encodeSimInitMsg({ simProcessId: 77, obsSpace: spaceToWire(obsSpace), actSpace: spaceToWire(actSpace) }));
      expect(decodeSimInitAck((await socket.receive())[0]!).done).toBe(true);
      for (let i = 0; i < 3; i++) {
        await socket.send(encodeEnvStateMsg({ obsData: toWireData(obsSpace, ndarray('float32', [2], [i, i]), 'obs'), reward: 1 }));
        expect(decodeEnvActMsg((await socket.receive())[0]!).actData).toEqual({ type: 'Discrete', value: 1 });
      }
      // What ns3-gym's OpenGymInterface sends when the simulation ends without a last observation.
      await socket.send(encodeEnvStateMsg({ reward: 2, isGameOver: true, reason: 'SimulationEnd' }));
      expect(decodeEnvActMsg((await socket.receive())[0]!).stopSimReq).toBe(true);
      const result = await agent.exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/episode 1: simulator 77, 3 steps, reward 4, truncated \(SimulationEnd\)/);
    } finally {
      socket.close();
      ipc.cleanup();
    }
  }, 60_000);

  it('a state without obsData that is not game over is still a protocol error', async () => {
    const ipc = ipcEndpoint();
    const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--timeout', '20']);
    const socket = new zmq.Request({ linger: 0, receiveTimeout: 20_000 });
    try {
      await agent.listening;
      socket.connect(ipc.endpoint);
      await socket.send(encodeSimInitMsg({ simProcessId: 78, obsSpace: spaceToWire(new Discrete(2)), actSpace: spaceToWire(new Discrete(2)) }));
      await socket.receive();
      await socket.send(encodeEnvStateMsg({ reward: 1 }));
      expect(decodeEnvActMsg((await socket.receive())[0]!).stopSimReq).toBe(true);
      const result = await agent.exited;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/carries no obsData \(field 1\), which only a game-over state may omit/);
    } finally {
      socket.close();
      ipc.cleanup();
    }
  }, 60_000);
});

describe('--policy constant: values are checked against the action space', () => {
  it("a Box value outside the dtype's range or the space's bounds is an input error, not a wrapped value", () => {
    const box = new Box({ low: 0, high: 10, shape: [2], dtype: 'uint32' });
    expect(actionFromJson(box, [0, 10], 'p')).toEqual({ data: new Uint32Array([0, 10]), shape: [2] });
    expect(() => actionFromJson(box, [-1, 1e10], 'p')).toThrowError('p[0]: got -1, expected a value a uint32 holds exactly');
    expect(() => actionFromJson(box, [1, 1e10], 'p')).toThrowError('p[1]: got 10000000000, expected a value a uint32 holds exactly');
    expect(() => actionFromJson(box, [1, 11], 'p')).toThrowError('p[1]: got 11, expected a value in [0, 10] (the action space\'s bounds)');
    expect(() => actionFromJson(box, 2.5, 'p')).toThrowError('p[0]: got 2.5, expected a value a uint32 holds exactly');
    const wide = new Box({ low: -Infinity, high: Infinity, shape: [1], dtype: 'float32' });
    expect(() => actionFromJson(wide, 1e39, 'p')).toThrowError('p: got 1e+39, expected a value a float32 holds exactly');
    const big = new Box({ low: 0, high: Infinity, shape: [1], dtype: 'int64' });
    expect(actionFromJson(big, 2 ** 40, 'p')).toEqual({ data: new BigInt64Array([2n ** 40n]), shape: [1] });
    expect(() => actionFromJson(new Box({ low: -5, high: 5, shape: [1], dtype: 'uint8' }), -1, 'p')).toThrowError(/a value a uint8 holds exactly/);
  });

  it('an extra Dict key is an error', () => {
    const dict = new Dict({ a: new Discrete(2), b: new Discrete(3) });
    expect(actionFromJson(dict, { a: 1, b: 2 }, 'p')).toEqual({ a: 1, b: 2 });
    expect(() => actionFromJson(dict, { a: 1, b: 2, c: 0 }, 'p')).toThrowError("p.c: got 0, expected no such key: the action space's keys are a, b");
  });
});

describe('ns3ts agent --mode router with simulators that stop on their own', () => {
  it('exits 0 when they finish normally (ns3ts sim --episodes 2), no failed session', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--mode', 'router', '--timeout', '30']);
      await agent.listening;
      const sim = startSim(ipc.endpoint, 2, 3);
      const [result, simExit] = await Promise.all([agent.exited, waitForExit(sim)]);
      expect(result.code, result.stderr).toBe(0);
      expect(simExit.code).toBe(0);
      expect(result.stderr).not.toMatch(/ended:/);
      expect(result.stdout.match(/^episode \d+:/gm)).toHaveLength(2);
      expect(result.stdout).toMatch(/^done: 2 episode\(s\), 192 step\(s\)$/m);
    } finally {
      ipc.cleanup();
    }
  }, 180_000);

  it('--max-episodes 4 serves exactly 4 episodes to simulators that would play more', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--mode', 'router', '--max-episodes', '4', '--timeout', '30']);
      await agent.listening;
      // Simulators without an episode budget: the agent alone decides when they stop.
      const sims = [1, 2].map((seed) => startSim(ipc.endpoint, 0, seed));
      const result = await agent.exited;
      const exits = await Promise.all(sims.map(waitForExit));
      expect(result.code, result.stderr).toBe(0);
      // Both simulators are gone once the agent has served its 4 episodes. How each one ends (a stop,
      // or its own timeout when it was waiting on a reply as the agent closed) is a race, so only
      // the agent's side is asserted exactly.
      expect(exits.every((e) => e.code !== null || e.signal !== null)).toBe(true);
      expect(result.stdout.match(/^episode \d+:/gm)).toHaveLength(4);
      expect(result.stdout).toMatch(/^done: 4 episode\(s\), 384 step\(s\)$/m);
      expect(result.stderr).toBe('');
    } finally {
      ipc.cleanup();
    }
  }, 180_000);
});

describe('ns3ts agent --policy checkpoint:<run-dir>', () => {
  it('serves the trained policy of a run to an external slicing simulator', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'ns3ts-agent-ckpt-'));
    const ipc = ipcEndpoint();
    try {
      await train({ scenario: loadScenario('slicing-synthetic'), agent: 'td3', episodes: 1, evalEvery: 0, outDir, runId: 'r1', progress: false, backend: 'cpu' });
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--timeout', '60', '--policy', `checkpoint:${join(outDir, 'r1')}`]);
      await agent.listening;
      const sim = startSim(ipc.endpoint, 1, 4);
      const [result, simExit] = await Promise.all([agent.exited, waitForExit(sim)]);
      expect(result.code, result.stderr).toBe(0);
      expect(simExit.code).toBe(0);
      expect(result.stdout).toContain(`policy checkpoint:${join(outDir, 'r1')}`);
      expect(result.stdout).toMatch(/episode 1: simulator \d+, 96 steps, reward [\d.]+, truncated \(SimulationEnd\)/);

      const missing = await startCli(['agent', '--endpoint', ipc.endpoint, '--timeout', '1', '--policy', `checkpoint:${join(outDir, 'none')}`]).exited;
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('expected checkpoint:<run-dir> naming an ns3ts train run directory (with config.json)');
    } finally {
      ipc.cleanup();
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('the policy reaches runAgent as a callback made per simulator from its spaces', async () => {
    const ipc = ipcEndpoint();
    const seen: unknown[] = [];
    try {
      const summary = runAgent(
        {
          endpoint: ipc.endpoint,
          policy: 'random',
          mode: 'rep',
          timeout: 20,
          seed: 0,
          external: {
            name: 'echo-step',
            create: (_obs, act) => ({ act: (obs, step) => (seen.push(obs), step % (act as Discrete).n) }),
          },
        },
        () => undefined,
      );
      const socket = new zmq.Request({ linger: 0, receiveTimeout: 20_000 });
      try {
        await new Promise((r) => setTimeout(r, 200));
        socket.connect(ipc.endpoint);
        await socket.send(encodeSimInitMsg({ simProcessId: 5, obsSpace: spaceToWire(new Discrete(9)), actSpace: spaceToWire(new Discrete(2)) }));
        await socket.receive();
        const actions: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          await socket.send(encodeEnvStateMsg({ obsData: { type: 'Discrete', value: i + 4 }, reward: 0 }));
          actions.push(decodeEnvActMsg((await socket.receive())[0]!).actData);
        }
        await socket.send(encodeEnvStateMsg({ isGameOver: true }));
        await socket.receive();
        expect(actions).toEqual([0, 1, 0].map((value) => ({ type: 'Discrete', value })));
      } finally {
        socket.close();
      }
      expect(await summary).toMatchObject({ episodes: 1, steps: 3 });
      expect(seen).toEqual([4, 5, 6]);
    } finally {
      ipc.cleanup();
    }
  }, 60_000);
});

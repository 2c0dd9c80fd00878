// What one hostile connection can do to a GymServer: declare huge or deep spaces, send oversized
// frames or non-finite times, or (in REP mode) talk over the simulator being served.
import * as zmq from 'zeromq';
import { describe, expect, it } from 'vitest';
import { Box, Discrete, ndarray, type NdArray } from '../../src/env/index.js';
import { RemoteEnv } from '../../src/remote/index.js';
import { GymServer, SimulatorPeer, isLoopbackEndpoint } from '../../src/server/index.js';
import { encodeEnvStateMsg, encodeSimInitMsg, fromHex, spaceToWire, type WireSpace } from '../../src/wire/index.js';
import { rawRequest } from './helpers.js';

const box = new Box({ low: 0, high: 10, shape: [2], dtype: 'float32' });
const initFrame = encodeSimInitMsg({ simProcessId: 9, obsSpace: spaceToWire(box), actSpace: spaceToWire(new Discrete(2)) });


describe.each(['rep', 'router'] as const)('%s server limits', (mode) => {
  it('a SimInitMsg declaring a Box of 2e7 elements is refused with a reason and a stop reply, nothing allocated', async () => {
    const server = new GymServer({ mode, initTimeoutMs: 5000 });
    await server.listen();
    try {
      const huge: WireSpace = { type: 'Box', low: 0, high: 1, dtype: 'DOUBLE', shape: [20_000_000] };
      const frame = encodeSimInitMsg({ simProcessId: 5, obsSpace: huge, actSpace: spaceToWire(new Discrete(2)) });
      const before = process.memoryUsage().arrayBuffers;
      expect(await rawRequest(server.endpoint, [frame])).toEqual(['1001']);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 2 ** 20);
      expect(server.errors.map((e) => e.message).join('\n')).toMatch(/SimInitMsg\.obsSpace\.shape: got \[20000000\] .*expected at most 1048576 elements \(maxElements\)/);
      expect(server.sessions).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('limits are configurable per server; a frame over maxFrameBytes ends its session', async () => {
    const server = new GymServer({ mode, initTimeoutMs: 5000, limits: { maxFrameBytes: 4096, maxDepth: 2 } });
    await server.listen();
    try {
      const big = encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: new Float32Array(2000) } });
      expect(await rawRequest(server.endpoint, [initFrame, big])).toEqual(['0801', '1001']);
      expect(server.errors.at(-1)!.message).toMatch(/^simulator 9 \(s\d+, connection [0-9a-f]+\): EnvStateMsg: got \d+ bytes, expected at most 4096 bytes \(maxFrameBytes\)$/);
      const deep = encodeSimInitMsg({ obsSpace: { type: 'Tuple', elements: [{ type: 'Tuple', elements: [{ type: 'Tuple', elements: [{ type: 'Discrete', n: 2 }] }] }] }, actSpace: { type: 'Discrete', n: 2 } });
      expect(await rawRequest(server.endpoint, [deep])).toEqual(['1001']);
      expect(server.errors.at(-1)!.message).toMatch(/nesting depth 3, expected at most 2 \(maxDepth\)/);
    } finally {
      await server.close();
    }
  });

  it('EnvStateMsg.simTime NaN or infinite ends the session with a clear error', async () => {
    const server = new GymServer({ mode, initTimeoutMs: 5000 });
    await server.listen();
    try {
      for (const simTime of [Number.NaN, Infinity, -Infinity]) {
        // Field 6 (double) appended by hand: the encoder leaves out what is not a real time.
        const time = new Uint8Array(9);
        time[0] = 0x31;
        new DataView(time.buffer).setFloat64(1, simTime, true);
        const state = encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [1, 2] } });
        const frame = new Uint8Array([...state, ...time]);
        expect(await rawRequest(server.endpoint, [initFrame, frame])).toEqual(['0801', '1001']);
        expect(server.errors.at(-1)!.message).toContain(`EnvStateMsg.simTime: got ${simTime}, expected a finite number`);
      }
    } finally {
      await server.close();
    }
  });
});

describe('frames far beyond maxFrameBytes', () => {
  it('ZeroMQ drops the connection before allocating; the server keeps serving others', async () => {
    const server = new GymServer({ mode: 'router', initTimeoutMs: 5000, limits: { maxFrameBytes: 4096 } });
    await server.listen();
    const socket = new zmq.Request({ linger: 0, receiveTimeout: 500 });
    try {
      socket.connect(server.endpoint);
      await socket.send(new Uint8Array(3 * 4096));
      await expect(socket.receive()).rejects.toThrow();
      expect(await rawRequest(server.endpoint, [initFrame])).toEqual(['0801']);
    } finally {
      socket.close();
      await server.close();
    }
  });
});

describe('REP mode: one simulator served, other connections named and kept out', () => {
  it('a frame from another connection is refused and blamed on it; the simulator being served keeps running', async () => {
    const env = await RemoteEnv.listen<NdArray, number>({ mode: 'rep', initTimeoutMs: 5000, stepTimeoutMs: 5000 });
    const peer = new SimulatorPeer<NdArray, number>({ endpoint: env.server.endpoint, timeoutMs: 5000, simProcessId: 4242 });
    try {
      await peer.init({ observationSpace: box, actionSpace: new Discrete(2) });
      const sim = (async () => {
        for (let i = 0; ; i++) {
          const reply = await peer.step({ obs: ndarray('float32', [2], [i % 10, 1]), reward: 1, gameOver: i === 6 });
          if (reply.kind === 'stop') return i;
        }
      })();
      await env.reset();
      await env.step(1);
      // One garbage frame and one bad state from an intruder while the episode runs.
      const garbage = await rawRequest(env.server.endpoint, [fromHex('0aff01')]);
      const badState = await rawRequest(env.server.endpoint, [encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [Number.NaN, 1] } })]);
      expect([garbage, badState]).toEqual([['1001'], ['1001']]);
      let steps = 1;
      for (;;) {
        const r = await env.step(1);
        steps++;
        if (r.terminated || r.truncated) {
          expect(r.terminated).toBe(true);
          break;
        }
      }
      expect(steps).toBe(6);
      expect(await sim).toBe(6);
      const errors = env.server.errors.map((e) => e.message);
      expect(errors).toHaveLength(2);
      for (const message of errors) {
        expect(message).toMatch(/^connection [0-9a-f]+ \(not simulator 4242's, connection [0-9a-f]+\): frame refused/);
      }
    } finally {
      await peer.close();
      await env.close();
    }
  });
});

describe('bind addresses', () => {
  it('tcp://*:P and tcp://0.0.0.0:P report the real bind address, not loopback', async () => {
    for (const endpoint of ['tcp://*:0', 'tcp://0.0.0.0:0']) {
      const server = new GymServer({ endpoint });
      await server.listen();
      try {
        expect(server.bindAddress).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
        expect(server.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
        expect(isLoopbackEndpoint(server.bindAddress)).toBe(false);
      } finally {
        await server.close();
      }
    }
    const local = new GymServer({ endpoint: 'tcp://127.0.0.1:0' });
    await local.listen();
    expect(local.bindAddress).toBe(local.endpoint);
    expect(isLoopbackEndpoint(local.bindAddress)).toBe(true);
    await local.close();
    expect(isLoopbackEndpoint('ipc:///tmp/x/gym.sock')).toBe(true);
    expect(isLoopbackEndpoint('tcp://[::1]:5555')).toBe(true);
    expect(isLoopbackEndpoint('tcp://192.168.1.4:5555')).toBe(false);
  });
});

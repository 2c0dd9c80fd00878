import * as zmq from 'zeromq';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { BOX_DTYPES, Box, Dict, Discrete, Tuple, ndarray, type GymSpace, type NdArray } from '../../src/env/index.js';
import { RemoteEnv, RemoteVectorEnv } from '../../src/remote/index.js';
import { GymServer, ProtocolError, SimulatorPeer, normalizeEndpoint } from '../../src/server/index.js';
import { encodeEnvStateMsg, encodeSimInitMsg, fromHex, spaceToWire, toHex } from '../../src/wire/index.js';
import { ipcEndpoint, killChildren, rawRequest, spawnSimChild, waitForExit, waitForLine } from './helpers.js';

afterAll(killChildren);

/**
 * One episode over a real socket: the simulator sends samples of `obsSpace` (seeded), the agent
 * answers samples of `actSpace`; both sides check that what arrived is what was sent.
 */
async function episode(endpoint: string | undefined, obsSpace: GymSpace, actSpace: GymSpace, steps: number): Promise<void> {
  const env = await RemoteEnv.listen({ endpoint: endpoint ?? 'tcp://127.0.0.1:0', mode: 'rep', initTimeoutMs: 10_000, stepTimeoutMs: 10_000 });
  const simRng = new Rng(1);
  const sentObs: unknown[] = [];
  const receivedActions: unknown[] = [];
  const sim = (async () => {
    const peer = new SimulatorPeer({ endpoint: env.server.endpoint, timeoutMs: 10_000 });
    await peer.init({ observationSpace: obsSpace, actionSpace: actSpace });
    for (let i = 0; i <= steps; i++) {
      const obs = obsSpace.sample(simRng);
      sentObs.push(obs);
      const reply = await peer.step({ obs, reward: i, gameOver: i === steps, reason: 'GameOver' });
      if (reply.kind !== 'action') return reply.kind;
      receivedActions.push(reply.action);
    }
    return 'no-stop';
  })();
  try {
    const agentRng = new Rng(2);
    const { obs } = await env.reset();
    const receivedObs = [obs];
    const sentActions: unknown[] = [];
    expect(env.observationSpace.toJSON()).toEqual(obsSpace.toJSON());
    expect(env.actionSpace.toJSON()).toEqual(actSpace.toJSON());
    for (let i = 0; i < steps; i++) {
      const action = env.actionSpace.sample(agentRng);
      sentActions.push(action);
      const r = await env.step(action);
      receivedObs.push(r.obs);
      expect(r.reward).toBe(i + 1);
      expect(r.terminated).toBe(i === steps - 1);
    }
    expect(await sim).toBe('stop');
    expect(receivedObs).toEqual(sentObs);
    expect(receivedActions).toEqual(sentActions);
  } finally {
    await env.close();
  }
}

const SPACES: Array<[string, GymSpace]> = [
  ['Discrete', new Discrete(7)],
  ...BOX_DTYPES.map((dtype): [string, GymSpace] => [`Box ${dtype}`, new Box({ low: 0, high: 50, shape: [2, 3], dtype })]),
  ['Tuple', new Tuple([new Discrete(3), new Box({ low: -1, high: 1, shape: [2], dtype: 'float64' })])],
  [
    'nested Dict',
    new Dict({
      cell: new Dict({ load: new Box({ low: 0, high: 1, shape: [3] }), users: new Box({ low: 0, high: 9, shape: [3], dtype: 'uint16' }) }),
      mode: new Discrete(2),
    }),
  ],
];

describe('a full session over a real ZeroMQ socket', () => {
  for (const transport of ['tcp', 'ipc'] as const) {
    it.each(SPACES)(`${transport}: %s`, async (_name, space) => {
      const ipc = transport === 'ipc' ? ipcEndpoint() : null;
      try {
        await episode(ipc?.endpoint, space, space, 3);
      } finally {
        ipc?.cleanup();
      }
    });
  }
});

describe('episode ends', () => {
  async function endWith(reason: 'GameOver' | 'SimulationEnd') {
    const env = await RemoteEnv.listen<NdArray, number>({ stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    const peer = new SimulatorPeer<NdArray, number>({ endpoint: env.server.endpoint, timeoutMs: 5000 });
    const obsSpace = new Box({ low: 0, high: 10, shape: [1] });
    const replies: string[] = [];
    const sim = (async () => {
      await peer.init({ observationSpace: obsSpace, actionSpace: new Discrete(2) });
      replies.push((await peer.step({ obs: ndarray('float32', [1], [1]), reward: 0 })).kind);
      replies.push((await peer.step({ obs: ndarray('float32', [1], [2]), reward: 5, gameOver: true, reason, info: 'done|1' })).kind);
    })();
    await env.reset();
    const r = await env.step(1);
    await sim;
    await env.close();
    return { r, replies };
  }

  it('GameOver -> terminated, answered at once with stopSimReq', async () => {
    const { r, replies } = await endWith('GameOver');
    expect(r).toMatchObject({ reward: 5, terminated: true, truncated: false, info: { reason: 'GameOver', extraInfo: 'done|1' } });
    expect(replies).toEqual(['action', 'stop']);
  });

  it('SimulationEnd -> truncated, answered at once with stopSimReq', async () => {
    const { r, replies } = await endWith('SimulationEnd');
    expect(r).toMatchObject({ terminated: false, truncated: true, info: { reason: 'SimulationEnd' } });
    expect(replies).toEqual(['action', 'stop']);
  });

  it('agent-side close answers the pending state with stopSimReq', async () => {
    const env = await RemoteEnv.listen({ stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    const peer = new SimulatorPeer({ endpoint: env.server.endpoint, timeoutMs: 5000 });
    await peer.init({ observationSpace: new Discrete(3), actionSpace: new Discrete(3) });
    const pending = peer.step({ obs: 1, reward: 0 });
    await env.reset();
    await env.close();
    expect(await pending).toEqual({ kind: 'stop' });
    await peer.close();
  });
});

describe('ROUTER: many simulators on one endpoint', () => {
  it('8 simulators step concurrently with independent episodes', async () => {
    const vec = await RemoteVectorEnv.listen<NdArray, number>({ numEnvs: 8, initTimeoutMs: 10_000, stepTimeoutMs: 10_000 });
    const obsSpace = new Box({ low: 0, high: 1e6, shape: [2], dtype: 'float64' });
    // Simulator slot k plays episodes of 2 + k steps, each as a new connection, until the test
    // ends; obs = [tag, step] with a tag unique per connection.
    let stopping = false;
    const peers = new Set<SimulatorPeer<NdArray, number>>();
    const sims = Array.from({ length: 8 }, async (_, k) => {
      for (let ep = 0; !stopping; ep++) {
        const tag = 100 * (k + 1) + ep;
        const peer = new SimulatorPeer<NdArray, number>({ endpoint: vec.server.endpoint, timeoutMs: 10_000, simProcessId: tag });
        peers.add(peer);
        try {
          await peer.init({ observationSpace: obsSpace, actionSpace: new Discrete(4) });
          for (let i = 0; ; i++) {
            const reply = await peer.step({ obs: ndarray('float64', [2], [tag, i]), reward: tag, gameOver: i === 2 + k });
            if (reply.kind === 'stop') break;
            expect(reply).toEqual({ kind: 'action', action: tag % 4 });
          }
        } finally {
          await peer.close();
          peers.delete(peer);
        }
      }
    });
    try {
      const reset = await vec.reset({ seed: 1 });
      const tags = reset.info.map((i) => i.simProcessId as number);
      expect(new Set(tags).size).toBe(8);
      const stepOf = tags.map(() => 0);
      reset.obs.forEach((o, i) => expect(Array.from(o.data as Float64Array)).toEqual([tags[i], 0]));
      let finished = 0;
      for (let t = 0; t < 10; t++) {
        const r = await vec.step(tags.map((tag) => tag % 4));
        for (let i = 0; i < 8; i++) {
          const [tag, step] = Array.from(r.obs[i]!.data as Float64Array);
          if (r.info[i]!.simProcessId !== undefined) {
            // next-step autoreset: this env started a new episode with another simulator.
            tags[i] = r.info[i]!.simProcessId as number;
            stepOf[i] = 0;
            expect(r.reward[i]).toBe(0);
            expect(step).toBe(0);
          } else {
            stepOf[i]!++;
            expect(r.reward[i]).toBe(tags[i]);
            expect(step).toBe(stepOf[i]);
            const k = Math.floor(tags[i]! / 100) - 1;
            expect(r.terminated[i]).toBe(step === 2 + k);
            if (r.terminated[i]) finished++;
          }
          expect(tag).toBe(tags[i]);
        }
      }
      expect(finished).toBeGreaterThanOrEqual(8);
    } finally {
      stopping = true;
      await vec.close();
      for (const p of peers) await p.close();
      await Promise.allSettled(sims);
    }
  });
});

describe('a simulator that dies or goes silent', () => {
  it('a child simulator killed with SIGKILL mid-episode ends as truncated within the timeout; the other keeps running', async () => {
    const vec = await RemoteVectorEnv.listen<NdArray, number>({ numEnvs: 2, initTimeoutMs: 20_000, stepTimeoutMs: 4000 });
    const child = spawnSimChild([vec.server.endpoint, 'forever']);
    await waitForLine(child, /^init$/);
    const peer = new SimulatorPeer<NdArray, number>({ endpoint: vec.server.endpoint, timeoutMs: 10_000, simProcessId: 424242 });
    const obsSpace = new Box({ low: 0, high: 100, shape: [4], dtype: 'float32' });
    const sim = (async () => {
      await peer.init({ observationSpace: obsSpace, actionSpace: new Discrete(3) });
      for (let i = 0; ; i++) {
        const reply = await peer.step({ obs: ndarray('float32', [4], [i, i, i, i]), reward: 1 });
        if (reply.kind === 'stop') return i;
      }
    })();
    try {
      const reset = await vec.reset();
      const childIndex = reset.info.findIndex((i) => i.simProcessId === child.pid);
      expect(childIndex).toBeGreaterThanOrEqual(0);
      await vec.step([0, 0]);
      child.kill('SIGKILL');
      await waitForExit(child);
      const started = Date.now();
      const r = await vec.step([1, 1]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.truncated[childIndex]).toBe(true);
      expect(r.info[childIndex]).toMatchObject({ reason: 'timeout' });
      expect(r.truncated[1 - childIndex]).toBe(false);
      expect(r.reward[1 - childIndex]).toBe(1);
    } finally {
      await vec.close();
    }
    expect(await sim).toBeGreaterThanOrEqual(2);
  });

  for (const transport of ['tcp', 'ipc'] as const) {
    it(`${transport}: the only simulator killed mid-episode is seen as disconnected long before the step timeout`, async () => {
      const ipc = transport === 'ipc' ? ipcEndpoint() : null;
      const env = await RemoteEnv.listen<NdArray, number>({ endpoint: ipc?.endpoint ?? 'tcp://127.0.0.1:0', initTimeoutMs: 20_000, stepTimeoutMs: 25_000 });
      try {
        const child = spawnSimChild([env.server.endpoint, 'forever']);
        await env.reset();
        await env.step(0);
        child.kill('SIGKILL');
        await waitForExit(child);
        const started = Date.now();
        const r = await env.step(0);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(r).toMatchObject({ truncated: true, terminated: false, info: { reason: 'disconnected' } });
      } finally {
        await env.close();
        ipc?.cleanup();
      }
    });
  }

  it('waiting for a simulator that never comes rejects with a clear message', async () => {
    const server = new GymServer({ initTimeoutMs: 300 });
    await server.listen();
    await expect(server.acceptSession()).rejects.toThrowError(/timed out after 300 ms waiting for a simulator to connect to tcp:\/\/127\.0\.0\.1:\d+/);
    await server.close();
  });
});

describe('bad frames', () => {
  const box = new Box({ low: 0, high: 10, shape: [2], dtype: 'float32' });
  const initFrame = encodeSimInitMsg({ simProcessId: 9, obsSpace: spaceToWire(box), actSpace: spaceToWire(new Discrete(2)) });

  it('each kind gives its error to its session only; a good session keeps running and the server survives', async () => {
    const server = new GymServer({ mode: 'router', initTimeoutMs: 5000, stepTimeoutMs: 5000 });
    await server.listen();
    const good = new RemoteEnv<NdArray, number>({ server });
    const peer = new SimulatorPeer<NdArray, number>({ endpoint: server.endpoint, timeoutMs: 5000, simProcessId: 1 });
    await peer.init({ observationSpace: box, actionSpace: new Discrete(2) });
    const goodSim = (async () => {
      for (let i = 0; i < 40; i++) {
        const reply = await peer.step({ obs: ndarray('float32', [2], [i % 10, 1]), reward: 1, gameOver: i === 39 });
        if (reply.kind === 'stop') return i;
      }
      return -1;
    })();
    await good.reset();
    const stepping = (async () => {
      let steps = 0;
      for (;;) {
        const r = await good.step(1);
        steps++;
        if (r.terminated || r.truncated) return { steps, r };
      }
    })();

    const unknownUrl = fromHex(toHex(initFrame).replace(Buffer.from('BoxSpace').toString('hex'), Buffer.from('BoxSpade').toString('hex')));
    const state = (data: Parameters<typeof encodeEnvStateMsg>[0]['obsData']) => encodeEnvStateMsg({ obsData: data!, reward: 1 });
    const cases: Array<[string, Uint8Array[], RegExp]> = [
      ['malformed first frame', [fromHex('ffffffff0a')], /not a valid SimInitMsg/],
      ['unknown Any type URL', [unknownUrl], /unknown Any type URL "type\.googleapis\.com\/ns3opengym\.BoxSpade"/],
      ['malformed state', [initFrame, fromHex('0aff01')], /malformed EnvStateMsg/],
      ['wrong dtype', [initFrame, state({ type: 'Box', dtype: 'DOUBLE', shape: [2], doubleData: [1, 2] })], /obs\.dtype: got "DOUBLE", expected FLOAT/],
      ['wrong shape', [initFrame, state({ type: 'Box', dtype: 'FLOAT', shape: [3], floatData: [1, 2, 3] })], /obs\.shape: got \[3\], expected \[2\]/],
      ['NaN', [initFrame, state({ type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [Number.NaN, 2] })], /obs\[0\]: got NaN, expected a finite number/],
      ['Inf', [initFrame, state({ type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [1, -Infinity] })], /obs\[1\]: got -Infinity/],
    ];
    for (const [name, frames, pattern] of cases) {
      const before = server.errors.length;
      const replies = await rawRequest(server.endpoint, frames);
      // The bad frame is answered with stopSimReq (`10 01`, the same bytes in SimInitAck and EnvActMsg).
      expect(replies.at(-1), name).toBe('1001');
      const errors = server.errors.slice(before).map((e) => e.message);
      expect(errors.some((m) => pattern.test(m)), `${name}: ${JSON.stringify(errors)}`).toBe(true);
      // Sessions that were created for the bad peers are not handed out; drain and check them.
      while (server.sessions.some((s) => s.simProcessId === 9)) {
        const s = await server.acceptSession({ simProcessId: 9, timeoutMs: 1000 });
        const ev = await s.nextEvent(1000);
        expect(ev).toMatchObject({ kind: 'end', reason: 'protocol-error' });
      }
    }
    const { steps, r } = await stepping;
    expect(steps).toBe(39);
    expect(r.terminated).toBe(true);
    expect(await goodSim).toBe(39);
    await good.close();
    await server.close();
  });

  it('REP mode: a bad state makes RemoteEnv.step throw a ProtocolError', async () => {
    const env = await RemoteEnv.listen({ mode: 'rep', stepTimeoutMs: 5000, initTimeoutMs: 5000 });
    const socket = new zmq.Request({ linger: 0, receiveTimeout: 5000 });
    socket.connect(env.server.endpoint);
    try {
      await socket.send(initFrame);
      // A peer without capabilities (stock ns3-gym) gets exactly ns3-gym's SimInitAck bytes.
      expect(toHex((await socket.receive())[0]!)).toBe('0801');
      await socket.send(encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [1, 2] } }));
      await env.reset();
      const stepped = env.step(0);
      const [action] = await socket.receive();
      expect(toHex(action!)).not.toBe('1001');
      await socket.send(encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [2], floatData: [Number.NaN, 2] } }));
      await expect(stepped).rejects.toThrowError(ProtocolError);
      await expect(stepped).rejects.toThrowError(/obs\[0\]: got NaN/);
      expect(toHex((await socket.receive())[0]!)).toBe('1001');
    } finally {
      socket.close();
      await env.close();
    }
  });
});

describe('endpoints', () => {
  it('normalises ports, localhost and port 0', () => {
    expect(normalizeEndpoint('5555')).toBe('tcp://127.0.0.1:5555');
    expect(normalizeEndpoint('tcp://localhost:5555')).toBe('tcp://127.0.0.1:5555');
    expect(normalizeEndpoint('tcp://0.0.0.0:0')).toBe('tcp://0.0.0.0:*');
    expect(normalizeEndpoint('ipc:///tmp/x.sock')).toBe('ipc:///tmp/x.sock');
    expect(() => normalizeEndpoint('udp://x:1')).toThrowError(/endpoint: got "udp:\/\/x:1", expected tcp:\/\/host:port/);
    expect(() => normalizeEndpoint('tcp://h:70000')).toThrowError(/a port in 1\.\.65535/);
  });

  it('port 0 binds a free port and reports it', async () => {
    const server = new GymServer({ endpoint: 'tcp://127.0.0.1:0' });
    const ep = await server.listen();
    expect(ep).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(ep).not.toMatch(/:0$/);
    await server.close();
  });
});

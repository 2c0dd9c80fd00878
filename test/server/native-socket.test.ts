// The server on the addon's libzmq ROUTER socket (GymServer transport 'native', what `ns3ts agent`
// uses by default when the addon has it): real sockets, simulators in child processes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeZmqRouter } from '../../src/native/index.js';
import { Box, Discrete, ndarray } from '../../src/env/index.js';
import { GymServer, SimulatorPeer } from '../../src/server/index.js';
import { selfCommand } from '../../src/util/index.js';
import { ipcEndpoint, killChildren, spawnSimChild, waitForExit, waitForLine } from './helpers.js';

afterAll(killChildren);

const available = nativeZmqRouter() !== null;

describe.skipIf(!available)('native agent socket', () => {
  it('serves a simulator in another process to its end, on tcp and on ipc', async () => {
    for (const transport of ['tcp', 'ipc'] as const) {
      const ipc = ipcEndpoint();
      try {
        const server = new GymServer({ endpoint: transport === 'ipc' ? ipc.endpoint : 'tcp://127.0.0.1:0', transport: 'native' });
        const endpoint = await server.listen();
        expect(server.transportInUse).toBe('native');
        const sim = spawnSimChild([endpoint, '200', 'gameover']);
        const session = await server.acceptSession({ timeoutMs: 30_000 });
        let steps = 0;
        for (;;) {
          const event = await session.nextEvent(10_000);
          if (event.kind === 'end') break;
          expect(event.state.obs).toMatchObject({ shape: [4] });
          if (event.state.gameOver) break;
          session.act(steps % 3);
          steps++;
        }
        expect(steps).toBe(199);
        expect((await waitForExit(sim)).code).toBe(0);
        await server.close();
      } finally {
        ipc.cleanup();
      }
    }
  });

  it('a simulator killed mid-episode ends `ns3ts agent --socket native` with a reason, not a hang', async () => {
    const ipc = ipcEndpoint();
    try {
      const self = selfCommand();
      const started = Date.now();
      const agent = spawn(self.command, [...self.args, 'agent', '--endpoint', ipc.endpoint, '--timeout', '60', '--socket', 'native'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      agent.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      await waitForLine(agent, /^listening on/, 60_000);
      const sim = spawnSimChild([ipc.endpoint, 'forever']);
      await waitForLine(sim, /^step 20$/, 60_000);
      sim.kill('SIGKILL');
      const exit = await waitForExit(agent);
      expect(exit.code).toBe(1);
      expect(stderr).toMatch(/episode cut: simulator \d+ disconnected/);
      // Seen by the lost connection (a quarter of a second's grace), long before the 60 s timeout.
      expect(Date.now() - started).toBeLessThan(50_000);
    } finally {
      ipc.cleanup();
    }
  }, 120_000);

  it("'auto' picks the native socket, and zeromq.js when CURVE is on; 'native' with CURVE is refused", async () => {
    const server = new GymServer({ transport: 'auto' });
    await server.listen();
    expect(server.transportInUse).toBe('native');
    await server.close();
    const keys = { publicKey: 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7', secretKey: 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6', clientPublicKeys: ['Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID'] };
    expect(() => new GymServer({ transport: 'native', curve: keys })).toThrow(/transport: got "?native"?, expected 'zeromq' or 'auto' with CURVE/);
  });
});

describe('synchronous answers (Session.answerWith)', () => {
  const transports = available ? (['native', 'zeromq'] as const) : (['zeromq'] as const);

  it.each(transports)('%s socket: a handler answers every state where it arrives; the observations it kept are intact', async (transport) => {
    const ipc = ipcEndpoint();
    try {
      const server = new GymServer({ endpoint: ipc.endpoint, transport });
      const endpoint = await server.listen();
      const sim = spawnSimChild([endpoint, '200', 'gameover']);
      const session = await server.acceptSession({ timeoutMs: 30_000 });
      const kept: number[][] = [];
      session.answerWith((state) => {
        kept.push([...(state.obs as { data: Float32Array }).data]);
        if (!state.gameOver) session.act(kept.length % 3);
      });
      const end = await session.nextEvent(10_000);
      expect(end).toMatchObject({ kind: 'end', reason: 'finished' });
      // The native loop receives every frame into one reused buffer: what a handler kept must not change.
      expect(kept).toEqual(Array.from({ length: 200 }, (_, i) => [i, i + 1, i + 2, i + 3]));
      expect((await waitForExit(sim)).code).toBe(0);
      await server.close();
    } finally {
      ipc.cleanup();
    }
  });

  it.each(transports)('%s socket: a simulator that goes silent ends the session by the timeout, counted from its last state', async (transport) => {
    const ipc = ipcEndpoint();
    try {
      const server = new GymServer({ endpoint: ipc.endpoint, transport });
      const endpoint = await server.listen();
      const sim = spawnSimChild([endpoint, 'forever']);
      const session = await server.acceptSession({ timeoutMs: 30_000 });
      let last = 0;
      session.answerWith(() => {
        last = Date.now();
        session.act(1);
      });
      await waitForLine(sim, /^step 30$/, 30_000);
      sim.kill('SIGSTOP');
      const end = await session.nextEvent(1500);
      expect(end).toMatchObject({ kind: 'end', reason: 'timeout' });
      const silentFor = Date.now() - last;
      expect(silentFor).toBeGreaterThanOrEqual(1400);
      expect(silentFor).toBeLessThan(6000);
      sim.kill('SIGKILL');
      await server.close();
    } finally {
      ipc.cleanup();
    }
  }, 60_000);
});

/** `ns3ts agent --socket native --endpoint <endpoint> ...rest` in a child process, once it listens. */
async function startAgent([endpoint, ...rest]: string[]): Promise<ChildProcess> {
  const self = selfCommand();
  const agent = spawn(self.command, [...self.args, 'agent', '--endpoint', endpoint!, ...rest, '--socket', 'native'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(agent, /^listening on/, 60_000);
  return agent;
}

describe.skipIf(!available)('native agent socket: more than one simulator, big frames, signals', () => {
  it('a frame larger than the reused receive buffer is served as well (simulator in the same process)', async () => {
    const ipc = ipcEndpoint();
    try {
      const server = new GymServer({ endpoint: ipc.endpoint, transport: 'native' });
      const endpoint = await server.listen();
      const peer = new SimulatorPeer({ endpoint, timeoutMs: 10_000 });
      const size = 40_000; // 160 kB of float32 per state
      const observationSpace = new Box({ low: 0, high: 1e6, shape: [size], dtype: 'float32' });
      const init = peer.init({ observationSpace, actionSpace: new Discrete(2) });
      const session = await server.acceptSession({ timeoutMs: 10_000 });
      await init;
      const seen: number[] = [];
      session.answerWith((state) => {
        const data = (state.obs as { data: Float32Array }).data;
        seen.push(data[size - 1]!);
        if (!state.gameOver) session.act(0);
      });
      for (let i = 0; i < 3; i++) {
        const reply = await peer.step({ obs: ndarray('float32', [size], new Float32Array(size).fill(i + 7)), reward: 0, gameOver: i === 2 });
        expect(reply.kind).toBe(i === 2 ? 'stop' : 'action');
      }
      expect(seen).toEqual([7, 8, 9]);
      await peer.close();
      await server.close();
    } finally {
      ipc.cleanup();
    }
  });

  it('`ns3ts agent --socket native --mode router --max-episodes 3` serves three simulators at once and exits 0', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = await startAgent([ipc.endpoint, '--mode', 'router', '--max-episodes', '3', '--timeout', '30']);
      let stdout = '';
      agent.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      const sims = [0, 1, 2].map(() => spawnSimChild([ipc.endpoint, '100', 'gameover']));
      expect((await waitForExit(agent)).code).toBe(0);
      expect(stdout).toMatch(/done: 3 episode\(s\), 297 step\(s\)/);
      for (const sim of sims) expect((await waitForExit(sim)).code).toBe(0);
    } finally {
      ipc.cleanup();
    }
  }, 120_000);

  it('SIGINT before a simulator comes and SIGTERM while a state is awaited end `ns3ts agent --socket native` promptly', async () => {
    const ipc = ipcEndpoint();
    try {
      const args = [ipc.endpoint, '--timeout', '60'];
      const idle = await startAgent(args);
      await new Promise((r) => setTimeout(r, 200));
      let sent = Date.now();
      idle.kill('SIGINT');
      expect((await waitForExit(idle)).signal).toBe('SIGINT');
      expect(Date.now() - sent).toBeLessThan(2000);

      const busy = await startAgent(args);
      const sim = spawnSimChild([ipc.endpoint, 'forever']);
      await waitForLine(sim, /^step 20$/, 60_000);
      sim.kill('SIGSTOP'); // the agent now waits for a state that does not come
      await new Promise((r) => setTimeout(r, 200));
      sent = Date.now();
      busy.kill('SIGTERM');
      expect((await waitForExit(busy)).signal).toBe('SIGTERM');
      expect(Date.now() - sent).toBeLessThan(2000);
      sim.kill('SIGKILL');
    } finally {
      ipc.cleanup();
    }
  }, 120_000);

  it('`ns3ts agent` runs in a relaunched Node with --single-threaded that exits when its launcher is killed', async () => {
    const ipc = ipcEndpoint();
    try {
      const launcher = await startAgent([ipc.endpoint, '--timeout', '60']);
      const children = execFileSync('pgrep', ['-P', String(launcher.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
      expect(children).toHaveLength(1);
      const agentPid = children[0]!;
      expect(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8').split('\0')).toContain('--single-threaded');
      launcher.kill('SIGKILL');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && existsSync(`/proc/${agentPid}`) && !readFileSync(`/proc/${agentPid}/stat`, 'utf8').includes(') Z ')) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(existsSync(`/proc/${agentPid}`) && !readFileSync(`/proc/${agentPid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    } finally {
      ipc.cleanup();
    }
  }, 120_000);
});

describe.skipIf(!available)('spinning for the next state (native socket)', () => {
  it('receiveInto with spinUs receives what arrives, and checks spinUs', () => {
    const Router = nativeZmqRouter()!;
    const ipc = ipcEndpoint();
    const router = new Router({ maxMessageSize: 1 << 20 });
    try {
      const endpoint = router.bind(ipc.endpoint);
      const frame = new Uint8Array(1024);
      const peerId = new Uint8Array(256);
      expect(() => router.receiveInto(10, frame, peerId, -1)).toThrow(/spinUs: expected a number of microseconds/);
      const sim = spawnSimChild([endpoint, '5', 'gameover']);
      // The simulator's SimInitMsg ([routing id, empty, payload]) arrives while this thread spins or waits.
      let size = -1;
      for (let i = 0; i < 30 && size === -1; i++) size = router.receiveInto(1000, frame, peerId, 200_000);
      expect(size).toBeGreaterThan(0);
      expect(peerId[0]).toBeGreaterThan(0);
      sim.kill('SIGKILL');
    } finally {
      router.close();
      ipc.cleanup();
    }
  });

  it("GymServer's spinMicroseconds is checked, and a server that spins serves a simulator to its end", async () => {
    expect(() => new GymServer({ transport: 'native', spinMicroseconds: -5 })).toThrow(/spinMicroseconds.*-5.*microseconds in \[0, 1000000\]/);
    const ipc = ipcEndpoint();
    try {
      const server = new GymServer({ endpoint: ipc.endpoint, transport: 'native', spinMicroseconds: 500 });
      const endpoint = await server.listen();
      const sim = spawnSimChild([endpoint, '300', 'gameover']);
      const session = await server.acceptSession({ timeoutMs: 30_000 });
      let steps = 0;
      session.answerWith((state) => {
        if (state.gameOver) return session.stop('closed', 'episode over');
        session.act(steps++ % 3);
      });
      const end = await session.nextEvent(30_000);
      expect(end.kind).toBe('end');
      expect(steps).toBe(299);
      expect((await waitForExit(sim)).code).toBe(0);
      await server.close();
    } finally {
      ipc.cleanup();
    }
  }, 60_000);
});

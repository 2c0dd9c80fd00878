// The server on the addon's libzmq ROUTER socket (GymServer transport 'native', what `ns3ts agent`
// uses by default when the addon has it): real sockets, simulators in child processes.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeZmqRouter } from '../../src/native/index.js';
import { GymServer } from '../../src/server/index.js';
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

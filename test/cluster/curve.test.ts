import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Box, Discrete } from '../../src/env/index.js';
import { Rng } from '../../src/util/index.js';
import { RemoteVectorEnv } from '../../src/remote/index.js';
import {
  SimulatorPeer,
  curveAvailable,
  curveServerKeys,
  generateCurveRunKeys,
  writeCurveKeyFile,
  z85Encode,
  type CurveRunKeys,
} from '../../src/server/index.js';

// CURVE on a ROUTER endpoint bound to every interface: simulators with the run's keys are served,
// a plain client or one with another key pair never gets a session, and the others keep stepping.
const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-curve-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const obsSpace = new Box({ low: 0, high: 10, shape: [2], dtype: 'float32' });
const actSpace = new Discrete(3);

function peerWith(endpoint: string, keys: CurveRunKeys | null, seed: number): SimulatorPeer {
  return new SimulatorPeer({
    endpoint,
    timeoutMs: 1500,
    seed,
    simProcessId: 1000 + seed,
    ...(keys ? { curve: { serverPublicKey: keys.server.publicKey, publicKey: keys.client.publicKey, secretKey: keys.client.secretKey } } : {}),
  });
}

/** A simulator that plays `steps` steps and a game-over state; resolves with the replies it got. */
async function play(peer: SimulatorPeer, steps: number): Promise<string[]> {
  const replies: string[] = [];
  const rng = new Rng(steps);
  await peer.init({ observationSpace: obsSpace, actionSpace: actSpace });
  for (let i = 0; i <= steps; i++) {
    const reply = await peer.step({ obs: obsSpace.sample(rng), reward: 1, gameOver: i === steps });
    replies.push(reply.kind);
    if (reply.kind !== 'action') break;
  }
  peer.close();
  return replies;
}

describe.skipIf(!curveAvailable())('CURVE on the ROUTER endpoint', () => {
  it('Z85 encodes keys as libzmq does (RFC 32 test vector)', () => {
    const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
  });

  it('writes the simulators\' key file with mode 0600', () => {
    const keys = generateCurveRunKeys();
    const path = join(tmp, 'curve.keys');
    writeCurveKeyFile(path, keys);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`server-public ${keys.server.publicKey}\npublic ${keys.client.publicKey}\nsecret ${keys.client.secretKey}\n`);
  });

  it('serves simulators holding the run keys; a plain client and a stranger\'s key never get a session', async () => {
    const keys = generateCurveRunKeys();
    const venv = await RemoteVectorEnv.listen({
      endpoint: 'tcp://0.0.0.0:0',
      numEnvs: 2,
      curve: curveServerKeys(keys),
      initTimeoutMs: 5000,
      stepTimeoutMs: 5000,
    });
    try {
      expect(venv.server.curveEnabled).toBe(true);
      const endpoint = venv.server.endpoint;
      const good = [play(peerWith(endpoint, keys, 1), 6), play(peerWith(endpoint, keys, 2), 6)];
      // Intruders: plain ZeroMQ, and CURVE with the right server key but a client pair of their own.
      const stranger = generateCurveRunKeys();
      const intruders = [
        play(peerWith(endpoint, null, 3), 2).then(() => 'served', (err: Error) => err.message),
        play(peerWith(endpoint, { server: keys.server, client: stranger.client }, 4), 2).then(() => 'served', (err: Error) => err.message),
      ];
      const { info } = await venv.reset();
      expect(info.map((i) => i.simProcessId).sort()).toEqual([1001, 1002]);
      let steps = 0;
      for (let done = false; !done; steps++) {
        const r = await venv.step([0, 1]);
        done = r.terminated.every(Boolean);
        expect(r.truncated).toEqual([false, false]);
      }
      expect(steps).toBe(6);
      await venv.close(); // answers the game-over states with stop
      expect(await Promise.all(good)).toEqual([
        ['action', 'action', 'action', 'action', 'action', 'action', 'stop'],
        ['action', 'action', 'action', 'action', 'action', 'action', 'stop'],
      ]);
      for (const outcome of await Promise.all(intruders)) expect(outcome).toMatch(/no SimInitAck/);
      expect(venv.server.errors.map((e) => e.message).join('\n')).toMatch(/failed the CURVE handshake/);
    } finally {
      await venv.close();
    }
  }, 30_000);
});

// Per-stage cost of one agent step on a real ns-3 state: the simulator (build/cpp/bin/<sim>) runs
// a few steps against a GymServer to capture a state frame and the spaces, then each stage of the
// agent's step (decode, space conversion, action, encode) runs alone, the protobufjs codec next to
// the hand-written one (src/wire/fast-codec.ts), in alternating rounds.
//
//   npx tsx bench/bridge-stages.ts [opengym-example|slicing-null]
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GymServer } from '../src/server/index.js';
import { packageRoot, Rng } from '../src/util/index.js';
import { decodeEnvStateMsg, DEFAULT_WIRE_LIMITS, encodeEnvActMsg, fromWireData, readEnvStateMsg, toWireData, writeEnvActMsg } from '../src/wire/index.js';

const sim = process.argv[2] ?? 'opengym-example';
const args = sim === 'opengym-example' ? ['--simSeed=1', '--maxSteps=20', '--stepTime=0.001', '--simTime=100'] : ['--simSeed=1', '--stepTime=0.1', '--simTime=2'];
const server = new GymServer({ endpoint: `ipc://${join(tmpdir(), `ns3ts-stages-${process.pid}.sock`)}` });
const ep = await server.listen();
const child = spawn(join(packageRoot, 'build', 'cpp', 'bin', sim), [`--openGymEndpoint=${ep}`, ...args], { stdio: 'ignore' });
const session = await server.acceptSession();
// Every state frame the session receives, copied, for the stages below.
const frames: Uint8Array[] = [];
const orig = session.deliver.bind(session);
(session as unknown as { deliver: (f: Uint8Array) => void }).deliver = (f) => { frames.push(new Uint8Array(f)); orig(f); };
const rng = new Rng(1);
for (;;) { const ev = await session.nextEvent(5000); if (ev.kind === 'end' || ev.state.gameOver) break; session.act(session.actionSpace.sample(rng)); }
session.stop(); await server.close(); child.kill();
console.log('obs', JSON.stringify(session.observationSpace.toJSON()), 'act', JSON.stringify(session.actionSpace.toJSON()), 'frame bytes', frames[1]!.length);
const frame = frames[1]!;
const N = 100000;
const msg = decodeEnvStateMsg(frame);
const action = session.actionSpace.sample(rng);
const wire = toWireData(session.actionSpace, action);
const fastMsg = readEnvStateMsg(frame, DEFAULT_WIRE_LIMITS);
const stages: Array<[string, () => unknown]> = [
  ['decodeEnvStateMsg', () => decodeEnvStateMsg(frame)],
  ['readEnvStateMsg (fast)', () => readEnvStateMsg(frame, DEFAULT_WIRE_LIMITS)],
  ['fromWireData(obs)', () => fromWireData(session.observationSpace, msg.obsData!, 'obs')],
  ['fromWireData(fast obs)', () => fromWireData(session.observationSpace, fastMsg.obsData!, 'obs')],
  ['actionSpace.sample', () => session.actionSpace.sample(rng)],
  ['toWireData(action)', () => toWireData(session.actionSpace, action)],
  ['encodeEnvActMsg', () => encodeEnvActMsg({ actData: wire })],
  ['writeEnvActMsg (fast)', () => writeEnvActMsg({ actData: wire })],
];
const best = new Map<string, number>();
for (let round = 0; round < 5; round++) {
  for (const [name, f] of stages) {
    for (let i = 0; i < 5000; i++) f();
    const t = performance.now();
    for (let i = 0; i < N; i++) f();
    const us = ((performance.now() - t) * 1000) / N;
    best.set(name, Math.min(best.get(name) ?? Infinity, us));
  }
}
for (const [name, us] of best) console.log(name.padEnd(28), us.toFixed(2), 'us (best of 5 alternating rounds)');

// js-echo-agent: the C++ gym-echo-agent (bridge/examples/gym-echo-agent.cc) in TypeScript on
// zeromq.js: a bare REP socket that answers the SimInitMsg with SimInitAck{done} and every state
// with the same EnvActMsg bytes, without decoding anything. It is the ceiling of any agent built
// on zeromq.js (one promise per receive and per send), next to the C++ one.
//
//   npx tsx bench/js-echo-agent.ts --endpoint ipc:///tmp/gym.sock --action-hex 0a050801120101 [--idle-ms 500]
//
// Prints {"states":..,"seconds":..,"stepsPerSec":..} like gym-echo-agent.
import * as zmq from 'zeromq';

function option(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  const value = i > 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) {
    process.stderr.write(`js-echo-agent: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const endpoint = option('--endpoint');
const action = Buffer.from(option('--action-hex'), 'hex');
const idleMs = Number(option('--idle-ms', '1000'));
const timeoutMs = Number(option('--timeout-ms', '60000'));
// SimInitAck{done: true}: field 1, varint 1.
const INIT_ACK = Buffer.from([0x08, 0x01]);

const socket = new zmq.Reply({ linger: 0, receiveTimeout: timeoutMs });
await socket.bind(endpoint);
await socket.receive();
await socket.send(INIT_ACK);
socket.receiveTimeout = timeoutMs;
let states = 0;
let first = 0;
let last = 0;
for (;;) {
  try {
    await socket.receive();
  } catch {
    if (states > 0) break;
    process.stderr.write(`js-echo-agent: no state at ${endpoint} within ${timeoutMs} ms\n`);
    process.exit(3);
  }
  last = performance.now();
  if (states++ === 0) {
    first = last;
    socket.receiveTimeout = idleMs;
  }
  await socket.send(action);
}
socket.close();
const seconds = (last - first) / 1000;
process.stdout.write(`${JSON.stringify({ states, seconds, stepsPerSec: seconds > 0 ? (states - 1) / seconds : 0 })}\n`);

// C++ rows of the bridge benchmark: the C++ simulator side (bridge/ through ns3ts-peer, and the
// ns-3 programs built on it) against our TypeScript GymServer, next to a plain C++ ZeroMQ REQ/REP
// echo measured in the same run (the floor: no protobuf, no agent, no simulator).
//
// Used by bench/bridge.ts; runs on its own too: `npx tsx bench/bridge-cpp.ts`.
// Needs the programs from scripts/build-cpp.sh (build/cpp/bin); missing ones are left out.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GymServer, type ServerMode, type Session } from '../src/server/index.js';
import { Rng, textTableLines } from '../src/util/index.js';
import { CPP_BIN_DIR, finishedOk, freeTcpPort, killStartedProcesses, startProcess, type StartedProcess } from './processes.js';

export interface CppBridgeRow {
  /** GymServer socket mode: 'rep' (ns3-gym's) or 'router' (many simulators on one endpoint). */
  mode: string;
  transport: string;
  peers: number;
  stepsPerSec: number;
  /** Round trips per second of the plain C++ REQ/REP echo on the same transport, measured right before. */
  echoStepsPerSec: number;
  /** stepsPerSec / echoStepsPerSec. */
  ratio: number;
  impl: string;
}

export interface CppBridgeOptions {
  /** Steps per simulator (default 1000). */
  steps?: number;
  /** Echo round trips before each row (default 5000). */
  echoCount?: number;
  /** Echo payload bytes (default 96, about one small EnvStateMsg). */
  echoBytes?: number;
  transports?: Array<'ipc' | 'tcp'>;
  /** Runs per row (and per floor); the best is reported (default 3). */
  repeats?: number;
}

type Run = StartedProcess;

/** A program of scripts/build-cpp.sh. */
function start(program: string, args: string[], timeoutMs: number): Run {
  return startProcess(join(CPP_BIN_DIR, program), args, timeoutMs);
}

async function finished(run: Run, what: string): Promise<string> {
  return (await finishedOk(run, what)).stdout;
}

/** Round trips per second of zmq-echo (rep and req processes) on `endpoint`. */
async function echoRate(endpoint: string, count: number, bytes: number): Promise<number> {
  const rep = start('zmq-echo', ['--role', 'rep', '--endpoint', endpoint, '--count', String(count)], 120_000);
  await new Promise((r) => setTimeout(r, 100)); // let it bind (REQ would queue anyway)
  const req = start('zmq-echo', ['--role', 'req', '--endpoint', endpoint, '--count', String(count), '--bytes', String(bytes)], 120_000);
  const out = await finished(req, 'zmq-echo req');
  await finished(rep, 'zmq-echo rep');
  const lines = out.trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]!) as { roundTripsPerSec: number }).roundTripsPerSec;
}

/** Plays a session to its end with one fixed valid action; returns [steps, first state ms, end ms]. */
async function drive(session: Session): Promise<{ steps: number; first: number; last: number }> {
  const action = session.actionSpace.sample(new Rng(1));
  let steps = 0;
  let first = 0;
  for (;;) {
    const event = await session.nextEvent(30_000);
    if (event.kind === 'end') throw new Error(`session ended: ${event.reason}: ${event.message}`);
    if (first === 0) first = performance.now();
    if (event.state.gameOver) return { steps, first, last: performance.now() };
    session.act(action);
    steps++;
  }
}

/** Steps per second of `peers` simulators started by `launch` against one GymServer. */
async function serverRate(mode: ServerMode, endpoint: string, peers: number, launch: (endpoint: string, index: number) => Run): Promise<number> {
  const server = new GymServer({ endpoint, mode });
  try {
    const bound = await server.listen();
    const runs = Array.from({ length: peers }, (_, i) => launch(bound, i));
    // A simulator that exits before its handshake fails the row at once, with its last words.
    const sessions = await Promise.all(
      runs.map((run, i) =>
        Promise.race([
          server.acceptSession({ simProcessId: run.child.pid, timeoutMs: 60_000 }),
          run.done.then((r) => {
            throw new Error(`simulator ${i} exited (${r.code}) before its handshake: ${r.stderr.trim().split('\n').pop() ?? ''} ${server.errors.map((e) => e.message).join('; ')}`);
          }),
        ]),
      ),
    );
    const results = await Promise.all(sessions.map((s) => drive(s)));
    await Promise.all(runs.map((run, i) => finished(run, `simulator ${i}`)));
    const steps = results.reduce((a, r) => a + r.steps, 0);
    const seconds = (Math.max(...results.map((r) => r.last)) - Math.min(...results.map((r) => r.first))) / 1000;
    return seconds > 0 ? steps / seconds : 0;
  } finally {
    await server.close();
  }
}

export async function cppBridgeRows(options: CppBridgeOptions = {}): Promise<CppBridgeRow[]> {
  const steps = options.steps ?? 1000;
  const echoCount = options.echoCount ?? 5000;
  const echoBytes = options.echoBytes ?? 96;
  const transports = options.transports ?? ['ipc', 'tcp'];
  const repeats = Math.max(1, options.repeats ?? 3);
  const has = (program: string): boolean => existsSync(join(CPP_BIN_DIR, program));
  if (!has('zmq-echo') || !has('ns3ts-peer')) {
    process.stderr.write(`bridge-cpp: ${CPP_BIN_DIR} lacks zmq-echo/ns3ts-peer (run scripts/build-cpp.sh); no C++ rows\n`);
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-cpp-'));
  let counter = 0;
  const endpointFor = (transport: string): string => (transport === 'ipc' ? `ipc://${join(dir, `e${counter++}.sock`)}` : 'tcp://127.0.0.1:0');
  const rows: CppBridgeRow[] = [];
  try {
    // Warm-up (discarded): the first sessions run the TypeScript server before V8 has compiled it.
    const warm = (e: string, i: number): Run => start('ns3ts-peer', ['--endpoint', e, '--steps', '500', '--seed', String(i + 1), '--timeout-ms', '30000'], 120_000);
    await serverRate('rep', endpointFor('ipc'), 1, warm);
    await serverRate('router', endpointFor('ipc'), 2, warm);
    for (const transport of transports) {
      // The floor is measured right before each row, so that a row and its floor see the same
      // machine load (the ratio is what compares across machines).
      const row = async (mode: ServerMode, peers: number, impl: string, measure: () => Promise<number>): Promise<void> => {
        // Best of `repeats`, floor and row interleaved: on a shared machine the best run is the
        // one least disturbed by others.
        let echo = 0;
        let rate = 0;
        for (let r = 0; r < repeats; r++) {
          const echoEndpoint = transport === 'ipc' ? endpointFor('ipc') : `tcp://127.0.0.1:${await freeTcpPort()}`;
          echo = Math.max(echo, await echoRate(echoEndpoint, echoCount, echoBytes));
          rate = Math.max(rate, await measure());
        }
        rows.push({ mode, transport, peers, stepsPerSec: Math.round(rate), echoStepsPerSec: Math.round(echo), ratio: echo > 0 ? Number((rate / echo).toFixed(3)) : 0, impl });
      };
      const peerArgs = (endpoint: string, i: number): string[] => ['--endpoint', endpoint, '--obs-shape', '5', '--dtype', 'float', '--act', 'discrete:4', '--steps', String(steps), '--seed', String(i + 1), '--timeout-ms', '30000', '--quiet'];
      await row('rep', 1, 'C++ ns3ts-peer (bridge/)', () => serverRate('rep', endpointFor(transport), 1, (e, i) => start('ns3ts-peer', peerArgs(e, i), 120_000)));
      await row('router', 4, 'C++ ns3ts-peer (bridge/)', () => serverRate('router', endpointFor(transport), 4, (e, i) => start('ns3ts-peer', peerArgs(e, i), 120_000)));
      if (has('opengym-example')) {
        const args = (e: string, i: number): string[] => [`--openGymEndpoint=${e}`, `--simSeed=${i + 1}`, `--maxSteps=${steps + 1}`, '--stepTime=0.001', '--simTime=1000000', '--openGymTimeoutMs=30000'];
        await row('rep', 1, 'ns-3 opengym-example', () => serverRate('rep', endpointFor(transport), 1, (e, i) => start('opengym-example', args(e, i), 300_000)));
      }
      if (has('slicing-null')) {
        const stepTime = 0.1;
        const args = (e: string, i: number): string[] => [`--openGymEndpoint=${e}`, `--simSeed=${i + 1}`, `--stepTime=${stepTime}`, `--simTime=${(steps + 1) * stepTime}`, '--openGymTimeoutMs=30000'];
        await row('rep', 1, 'ns-3 slicing-null', () => serverRate('rep', endpointFor(transport), 1, (e, i) => start('slicing-null', args(e, i), 300_000)));
        await row('router', 4, 'ns-3 slicing-null', () => serverRate('router', endpointFor(transport), 4, (e, i) => start('slicing-null', args(e, i), 300_000)));
      }
    }
  } finally {
    killStartedProcesses();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await cppBridgeRows();
  const header = ['impl', 'mode', 'transport', 'peers', 'steps/s', 'echo/s', 'ratio'];
  const cells = rows.map((r) => [r.impl, r.mode, r.transport, String(r.peers), String(r.stepsPerSec), String(r.echoStepsPerSec), r.ratio.toFixed(3)]);
  console.log(textTableLines([header, ...cells], { leftColumns: 3 }).join('\n'));
}

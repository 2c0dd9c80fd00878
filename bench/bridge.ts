/**
 * Bridge throughput: steps/s through our GymServer + RemoteEnv/RemoteVectorEnv with TypeScript
 * SimulatorPeers (in a separate process, as a real simulator would be), against a plain ZeroMQ
 * REQ/REP (or REQ/ROUTER) echo of the same message sizes measured in the same run — the floor of
 * any ZeroMQ bridge. Configurations: REP with 1 peer, ROUTER with 1, 4 and 16 peers, over tcp and
 * ipc. With bench/bridge-cpp.ts present, its C++ rows are appended; with bench/bridge-ns3.ts, the
 * ns-3 rows (one simulator served by the bare C++ agent, `ns3ts agent` and a RemoteEnv loop).
 *
 *   npm run bench:bridge -- [--seconds 1] [--rounds 3] [--socket zeromq|native|auto] [--soak 1000000] [--idle 200] [--no-cpp] [--no-ns3]
 *
 * --socket: the socket of our server's rows (GymServerOptions.transport; default auto: what the
 * envs of ns3 scenarios and `ns3ts agent` use; zeromq is the GymServer library default).
 * Echo and ours alternate for --rounds rounds per configuration and the best reading of each is
 * kept (the one least disturbed by other load on the machine).
 *
 * --soak N: N steps through the server (REP, ipc, 1 peer) reporting resident memory after a
 * warm-up and at the end, then the memory each idle session costs (--idle sessions connected).
 * Writes bench-results/bridge.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as zmq from 'zeromq';
import { Box, ndarray, type NdArray } from '../src/env/index.js';
import { RemoteEnv, RemoteVectorEnv } from '../src/remote/index.js';
import { GymServer, SimulatorPeer, STOP_FRAME, type ServerTransport } from '../src/server/index.js';
import { InputError, packageRoot, writeJsonAtomic } from '../src/util/index.js';
import { encodeEnvActMsg, encodeEnvStateMsg, toWireData } from '../src/wire/index.js';
import type { Ns3AgentRow } from './bridge-ns3.js';

// A slicing-sized exchange: 3 cells x 3 slices x 12 features of float32 out, 3x3 shares back.
const OBS_SHAPE = [3, 3, 12];
const ACT_SHAPE = [3, 3];
const obsSpace = new Box({ low: -Infinity, high: Infinity, shape: OBS_SHAPE, dtype: 'float32' });
const actSpace = new Box({ low: 0, high: 1, shape: ACT_SHAPE, dtype: 'float32' });
const obsValue = ndarray('float32', OBS_SHAPE, Array.from({ length: 108 }, (_, i) => (i % 17) / 7));
const actValue = ndarray('float32', ACT_SHAPE, new Array<number>(9).fill(0.3));
const INFO = '{"step":1}';
const STATE_BYTES = encodeEnvStateMsg({ obsData: toWireData(obsSpace, obsValue), reward: 1.5, info: INFO, simTime: 0.1 });
const ACTION_BYTES = encodeEnvActMsg({ actData: toWireData(actSpace, actValue) });

const selfPath = fileURLToPath(import.meta.url);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Peer role: runs in a child process, N simulators against one endpoint until told to stop.

async function peerRole(): Promise<void> {
  const endpoint = arg('--endpoint')!;
  const peers = Number(arg('--peers'));
  const kind = arg('--kind');
  const idle = process.argv.includes('--idle-peers');
  const sockets: Array<{ close(): Promise<void> | void }> = [];
  const one = async (i: number): Promise<void> => {
    if (kind === 'echo') {
      const socket = new zmq.Request({ linger: 0 });
      sockets.push({ close: () => socket.close() });
      socket.connect(endpoint);
      for (;;) {
        await socket.send(STATE_BYTES);
        const [reply] = await socket.receive();
        if (reply!.length === STOP_FRAME.length && reply![0] === 0x10) break;
      }
      socket.close();
      return;
    }
    const peer = new SimulatorPeer<NdArray, NdArray>({ endpoint, timeoutMs: 120_000, simProcessId: process.pid * 100 + i });
    sockets.push(peer);
    await peer.init({ observationSpace: obsSpace, actionSpace: actSpace });
    if (idle) {
      process.stdout.write('idle\n');
      setInterval(() => undefined, 1 << 30); // keeps the process (and its connection) alive until killed
      await new Promise(() => undefined);
    }
    for (;;) {
      const reply = await peer.step({ obs: obsValue, reward: 1.5, info: INFO, simTime: 0.1 });
      if (reply.kind === 'stop') break;
    }
    await peer.close();
  };
  await Promise.all(Array.from({ length: peers }, (_, i) => one(i).catch((err: Error) => process.stderr.write(`peer ${i}: ${err.message}\n`))));
  process.exit(0);
}

/** Idle-server role: a fresh process holding a ROUTER server, measuring what idle sessions cost. */
async function idleServerRole(): Promise<void> {
  const count = Number(arg('--sessions'));
  const server = new GymServer({ endpoint: arg('--endpoint')!, mode: 'router' });
  await server.listen();
  gc();
  await new Promise((r) => setTimeout(r, 300));
  gc();
  const before = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const deadline = Date.now() + 120_000;
  while (server.sessions.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  gc();
  const after = process.memoryUsage();
  const n = Math.max(1, server.sessions.length);
  process.stdout.write(
    `${JSON.stringify({
      sessions: server.sessions.length,
      rssKiB: (after.rss - before.rss) / n / 1024,
      heapKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / n / 1024,
    })}\n`,
  );
  await server.close();
  process.exit(0);
}

/** Resolves with the next JSON line a child prints. */
function nextJsonLine(child: ChildProcess, timeoutMs: number): Promise<Record<string, number | boolean>> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no JSON line from the child within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(JSON.parse(buffer.slice(0, newline)) as Record<string, number | boolean>);
    };
    child.stdout!.on('data', onData);
  });
}

const children = new Set<ChildProcess>();

function spawnPeers(endpoint: string, peers: number, kind: 'ours' | 'echo', extra: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', selfPath, '--role', 'peers', '--endpoint', endpoint, '--peers', String(peers), '--kind', kind, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.on('exit', () => resolve()));
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// Agent side

type Mode = 'rep' | 'router';
type Transport = 'tcp' | 'ipc';

let tmp: string | null = null;
let counter = 0;
function endpointFor(transport: Transport): string {
  if (transport === 'tcp') return 'tcp://127.0.0.1:0';
  tmp ??= mkdtempSync(join(tmpdir(), 'ns3ts-bench-'));
  return `ipc://${join(tmp, `b${counter++}.sock`)}`;
}

interface Measurement {
  /** Steps (round trips) per second. */
  rate: number;
  /** CPU time of this (agent) process per step, microseconds: independent of other load. */
  cpuUs: number;
}

function cpuUsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** The socket of our server's rows (--socket, see the header). */
function serverSocketArg(): ServerTransport {
  const text = arg('--socket') ?? 'auto';
  if (text !== 'zeromq' && text !== 'native' && text !== 'auto') throw new InputError('--socket', text, "'zeromq', 'native' or 'auto'");
  return text;
}

/** Steps/s of our server: RemoteEnv (REP) or RemoteVectorEnv (ROUTER), constant action. */
async function measureOurs(mode: Mode, transport: Transport, peers: number, seconds: number, socket: ServerTransport): Promise<Measurement> {
  const warmup = 300;
  if (mode === 'rep') {
    const env = await RemoteEnv.listen<NdArray, NdArray>({ endpoint: endpointFor(transport), mode: 'rep', transport: socket });
    const child = spawnPeers(env.server.endpoint, 1, 'ours');
    await env.reset();
    for (let i = 0; i < warmup; i++) await env.step(actValue);
    const cpu = process.cpuUsage();
    const start = performance.now();
    let steps = 0;
    while (performance.now() - start < seconds * 1000) {
      for (let i = 0; i < 100; i++) await env.step(actValue);
      steps += 100;
    }
    const rate = steps / ((performance.now() - start) / 1000);
    const cpuUs = cpuUsSince(cpu) / steps;
    await env.close();
    await exited(child);
    return { rate, cpuUs };
  }
  const vec = await RemoteVectorEnv.listen<NdArray, NdArray>({ endpoint: endpointFor(transport), numEnvs: peers, transport: socket });
  const child = spawnPeers(vec.server.endpoint, peers, 'ours');
  const actions = new Array<NdArray>(peers).fill(actValue);
  await vec.reset();
  for (let i = 0; i < warmup / peers + 10; i++) await vec.step(actions);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let steps = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 20; i++) await vec.step(actions);
    steps += 20 * peers;
  }
  const rate = steps / ((performance.now() - start) / 1000);
  const cpuUs = cpuUsSince(cpu) / steps;
  await vec.close();
  await exited(child);
  return { rate, cpuUs };
}

/** Round trips/s of a plain echo: REP (or ROUTER) answering each request with the action bytes. */
async function measureEcho(mode: Mode, transport: Transport, peers: number, seconds: number): Promise<Measurement> {
  const socket = mode === 'rep' ? new zmq.Reply({ linger: 0 }) : new zmq.Router({ linger: 0 });
  await socket.bind(endpointFor(transport).replace(/:0$/, ':*'));
  const child = spawnPeers(socket.lastEndpoint!, peers, 'echo');
  let count = 0;
  let start = 0;
  let stopping = false;
  let stopped = 0;
  let rate = 0;
  let cpuUs = 0;
  let cpu = process.cpuUsage();
  const warmup = 300;
  for (;;) {
    const frames = await socket.receive();
    count++;
    if (count === warmup) {
      start = performance.now();
      cpu = process.cpuUsage();
    }
    if (!stopping && count > warmup && performance.now() - start >= seconds * 1000) {
      stopping = true;
      count -= 1;
      rate = (count - warmup) / ((performance.now() - start) / 1000);
      cpuUs = cpuUsSince(cpu) / (count - warmup);
    }
    const reply = stopping ? STOP_FRAME : ACTION_BYTES;
    if (mode === 'rep') await (socket as zmq.Reply).send(reply);
    else await (socket as zmq.Router).send([frames[0]!, Buffer.alloc(0), reply]);
    if (stopping && ++stopped === peers) break;
  }
  await exited(child);
  socket.close();
  return { rate, cpuUs };
}

interface Row {
  mode: string;
  transport: string;
  peers: number;
  stepsPerSec: number;
  echoStepsPerSec: number;
  ratio: number;
  /** Agent-process CPU per step (best round), ours and echo, microseconds. */
  cpuUsPerStep?: number;
  echoCpuUsPerStep?: number;
  impl?: string;
}

// A full GC before each memory reading, so that readings compare live memory.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

async function soak(totalSteps: number, idleSessions: number): Promise<Record<string, number>> {
  // Idle sessions: simulators that sent SimInitMsg and nothing since, held by a server in a fresh
  // process (so the reading is not blurred by what this process did before).
  const idleEndpoint = endpointFor('ipc');
  const holder = spawn(process.execPath, ['--import', 'tsx', selfPath, '--role', 'idle-server', '--endpoint', idleEndpoint, '--sessions', String(idleSessions)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(holder);
  await nextJsonLine(holder, 60_000);
  const idle = spawnPeers(idleEndpoint, idleSessions, 'ours', ['--idle-peers']);
  const idleResult = await nextJsonLine(holder, 180_000);
  idle.kill('SIGKILL');
  await Promise.all([exited(idle), exited(holder)]);
  const connected = Number(idleResult.sessions);
  if (connected < idleSessions) process.stderr.write(`bridge: only ${connected} of ${idleSessions} idle sessions connected\n`);
  const perSession = Number(idleResult.rssKiB);
  const heapPerSession = Number(idleResult.heapKiB);

  const env = await RemoteEnv.listen<NdArray, NdArray>({ endpoint: endpointFor('ipc'), mode: 'rep' });
  const child = spawnPeers(env.server.endpoint, 1, 'ours');
  await env.reset();
  const warmup = Math.min(50_000, Math.floor(totalSteps / 10));
  for (let i = 0; i < warmup; i++) await env.step(actValue);
  gc();
  const rssStart = rssMiB();
  const heapStart = process.memoryUsage().heapUsed / 2 ** 20;
  const started = performance.now();
  let lastReport = started;
  for (let i = warmup; i < totalSteps; i++) {
    await env.step(actValue);
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      process.stderr.write(`soak: ${i}/${totalSteps} steps, rss ${rssMiB().toFixed(1)} MiB\n`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  gc();
  const rssEnd = rssMiB();
  const heapEnd = process.memoryUsage().heapUsed / 2 ** 20;
  await env.close();
  await exited(child);

  return {
    soakSteps: totalSteps,
    soakStepsPerSec: Math.round((totalSteps - warmup) / seconds),
    rssStartMiB: Number(rssStart.toFixed(1)),
    rssEndMiB: Number(rssEnd.toFixed(1)),
    heapStartMiB: Number(heapStart.toFixed(1)),
    heapEndMiB: Number(heapEnd.toFixed(1)),
    idleSessions: connected,
    idleSessionKiB: Number(perSession.toFixed(1)),
    idleSessionHeapKiB: Number(heapPerSession.toFixed(1)),
  };
}

async function main(): Promise<void> {
  const seconds = Number(arg('--seconds') ?? 1);
  if (!(seconds > 0)) throw new InputError('--seconds', arg('--seconds'), 'a positive number');
  const rounds = Number(arg('--rounds') ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new InputError('--rounds', arg('--rounds'), 'a positive integer');
  const socket = serverSocketArg();
  const soakSteps = arg('--soak') !== undefined ? Number(arg('--soak')) : 0;
  const idleSessions = Number(arg('--idle') ?? 200);
  const configs: Array<[Mode, Transport, number]> = [];
  for (const transport of ['tcp', 'ipc'] as const) {
    configs.push(['rep', transport, 1]);
    for (const peers of [1, 4, 16]) configs.push(['router', transport, peers]);
  }
  const runs: Array<Row | Ns3AgentRow> = [];
  process.stdout.write(
    `bridge: GymServer + TS SimulatorPeer (separate process) vs plain ZeroMQ echo; state ${STATE_BYTES.length} B, action ${ACTION_BYTES.length} B, best of ${rounds} rounds of ${seconds} s, our server on ${socket}\n\n`,
  );
  const header = `${'mode'.padEnd(7)}${'transport'.padEnd(10)}${'peers'.padStart(6)}${'steps/s'.padStart(12)}${'echo/s'.padStart(12)}${'ratio'.padStart(8)}${'cpu us/step'.padStart(13)}${'echo cpu'.padStart(10)}`;
  process.stdout.write(`${header}\n`);
  const print = (r: Row): void => {
    process.stdout.write(
      `${r.mode.padEnd(7)}${r.transport.padEnd(10)}${String(r.peers).padStart(6)}${Math.round(r.stepsPerSec).toString().padStart(12)}${Math.round(r.echoStepsPerSec).toString().padStart(12)}${r.ratio.toFixed(2).padStart(8)}${(r.cpuUsPerStep?.toFixed(1) ?? '-').padStart(13)}${(r.echoCpuUsPerStep?.toFixed(1) ?? '-').padStart(10)}${r.impl ? `  ${r.impl}` : ''}\n`,
    );
  };
  for (const [mode, transport, peers] of configs) {
    // Echo and ours alternate for `rounds` rounds; the best of each is kept, the reading least
    // disturbed by other load on the machine.
    let echo: Measurement = { rate: 0, cpuUs: Infinity };
    let ours: Measurement = { rate: 0, cpuUs: Infinity };
    for (let round = 0; round < rounds; round++) {
      const e = await measureEcho(mode, transport, peers, seconds);
      const o = await measureOurs(mode, transport, peers, seconds, socket);
      echo = { rate: Math.max(echo.rate, e.rate), cpuUs: Math.min(echo.cpuUs, e.cpuUs) };
      ours = { rate: Math.max(ours.rate, o.rate), cpuUs: Math.min(ours.cpuUs, o.cpuUs) };
    }
    const row: Row = {
      mode,
      transport,
      peers,
      stepsPerSec: Math.round(ours.rate),
      echoStepsPerSec: Math.round(echo.rate),
      ratio: Number((ours.rate / echo.rate).toFixed(3)),
      cpuUsPerStep: Number(ours.cpuUs.toFixed(1)),
      echoCpuUsPerStep: Number(echo.cpuUs.toFixed(1)),
    };
    runs.push(row);
    print(row);
  }
  const cppModule = join(packageRoot, 'bench', 'bridge-cpp.ts');
  if (!process.argv.includes('--no-cpp') && existsSync(cppModule)) {
    try {
      const mod = (await import(pathToFileURL(cppModule).href)) as { cppBridgeRows?: () => Promise<Row[]> };
      const rows = (await mod.cppBridgeRows?.()) ?? [];
      for (const r of rows) {
        runs.push(r);
        print(r);
      }
    } catch (err) {
      process.stderr.write(`bridge: C++ rows failed: ${(err as Error).message}\n`);
    }
  }
  const ns3Module = join(packageRoot, 'bench', 'bridge-ns3.ts');
  if (!process.argv.includes('--no-ns3') && existsSync(ns3Module)) {
    try {
      const mod = (await import(pathToFileURL(ns3Module).href)) as typeof import('./bridge-ns3.js');
      process.stdout.write(`\nns-3 simulators: the bare C++ agent (the ceiling) vs ns3ts agent and a RemoteEnv loop, median of ${rounds} alternating rounds\n${mod.NS3_ROW_HEADER}\n`);
      for (const r of await mod.ns3AgentRows({ rounds })) {
        runs.push(r);
        process.stdout.write(`${mod.formatNs3Row(r)}\n`);
      }
    } catch (err) {
      process.stderr.write(`bridge: ns-3 rows failed: ${(err as Error).message}\n`);
    }
  }
  const result: Record<string, unknown> = { runs, serverSocket: socket };
  if (soakSteps > 0) {
    process.stdout.write(`\nsoak: ${soakSteps} steps (REP, ipc, 1 peer), then ${idleSessions} idle sessions (ROUTER)\n`);
    const s = await soak(soakSteps, idleSessions);
    result.soak = s;
    process.stdout.write(
      `rss after warm-up ${s.rssStartMiB} MiB, at end ${s.rssEndMiB} MiB (JS heap ${s.heapStartMiB} -> ${s.heapEndMiB} MiB; ${s.soakStepsPerSec} steps/s)\n` +
        `idle session ${s.idleSessionKiB} KiB resident (${s.idleSessionHeapKiB} KiB JS heap) each over ${s.idleSessions} sessions\n`,
    );
  }
  const out = join(packageRoot, 'bench-results', 'bridge.json');
  writeJsonAtomic(out, result);
  process.stdout.write(`\nwrote ${out}\n`);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

if (arg('--role') === 'peers') await peerRole();
else if (arg('--role') === 'idle-server') await idleServerRole();
else {
  await main().catch((error: unknown) => {
    // Bad options end the run with one line naming the option.
    if (!(error instanceof InputError)) throw error;
    process.stderr.write(`bench:bridge: ${error.message}\n`);
    process.exit(2);
  });
}

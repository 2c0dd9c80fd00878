// A seeded fuzz campaign against the agent side of the protocol: hostile SimInitMsgs, states with
// wrong dtypes, shapes and non-finite values, truncated and garbage protobuf, oversized frames.
// Targets: `ns3ts agent` in REP and ROUTER mode (real child processes over ipc://) and the library
// GymServer in this process; a well-behaved simulator is served by each target throughout, and the
// target's peak RSS is measured. Used by test/server/fuzz.test.ts (bounded, in CI) and by
// `npm run fuzz` (test/server/fuzz-run.ts, the large campaign).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { Rng, selfCommand } from '../../src/util/index.js';
import { Box, Discrete, ndarray, type NdArray } from '../../src/env/index.js';
import { GymServer, SimulatorPeer, type Session } from '../../src/server/index.js';
import {
  decodeSimInitMsg,
  encodeEnvStateMsg,
  encodeSimInitMsg,
  spaceFromWire,
  type WireData,
  type WireDtype,
  type WireSpace,
} from '../../src/wire/index.js';

export type FrameKind = 'sim-init' | 'state' | 'garbage' | 'oversized';
export const FRAME_KINDS: readonly FrameKind[] = ['sim-init', 'state', 'garbage', 'oversized'];
export type TargetName = 'agent-rep' | 'agent-router' | 'server-rep' | 'server-router';
export const TARGETS: readonly TargetName[] = ['agent-rep', 'agent-router', 'server-rep', 'server-router'];

/** Frames are kept small so that "oversized" means just past this limit, not hundreds of MB. */
export const FUZZ_MAX_FRAME_BYTES = 64 * 1024;

export interface TargetResult {
  target: TargetName;
  frames: number;
  framesByKind: Record<FrameKind, number>;
  /** Replies by what they were: stop (`10 01`), SimInitAck, action; and frames left unanswered. */
  replies: { stop: number; ack: number; action: number; none: number };
  /** The target's own reasons (server errors, agent stderr lines), by class. */
  rejections: Record<string, number>;
  seconds: number;
  /** Peak resident set size of the target process (bytes). */
  rssPeakBytes: number;
  /** Steps of the well-behaved simulator, and whether it ran to its end unharmed. */
  goodSteps: number;
  goodOk: boolean;
  goodError: string | null;
  /** Exit code of an agent child (null for the library server). */
  exitCode: number | null;
}

// ---------------------------------------------------------------------------------------------
// Frames

const GOOD_OBS = new Box({ low: 0, high: 100, shape: [4], dtype: 'float32' });
const GOOD_ACT = new Discrete(3);
const goodInit = (pid: number): Uint8Array =>
  encodeSimInitMsg({ simProcessId: pid, obsSpace: { type: 'Box', low: 0, high: 100, dtype: 'FLOAT', shape: [4] }, actSpace: { type: 'Discrete', n: 3 } });
const goodState = encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [4], floatData: [1, 2, 3, 4] }, reward: 1, info: 'x', simTime: 0.5 });

const DTYPES: WireDtype[] = ['INT', 'UINT', 'FLOAT', 'DOUBLE'];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function hostileNumber(rng: Rng): number {
  return pick(rng, [Number.NaN, Infinity, -Infinity, 0, -1, 1e38, -1e38, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, rng.normal() * 1e6]);
}

function hostileShape(rng: Rng): number[] {
  switch (rng.int(6)) {
    case 0:
      return [pick(rng, [1e8, 3e8, 2 ** 31, 2 ** 32 - 1])];
    case 1:
      return Array.from({ length: 2 + rng.int(4) }, () => 65536 + rng.int(1e6));
    case 2:
      return Array.from({ length: 33 + rng.int(100) }, () => 1 + rng.int(2));
    case 3:
      return [0, 2 ** 32 - 1];
    case 4:
      return [];
    default:
      return [1 + rng.int(2000)];
  }
}

function hostileSpace(rng: Rng, depth = 0): WireSpace {
  const r = rng.int(10);
  if (r < 4 || depth > 3) {
    const shape = hostileShape(rng);
    const box: WireSpace = { type: 'Box', low: hostileNumber(rng), high: hostileNumber(rng), dtype: pick(rng, DTYPES), shape };
    if (rng.next() < 0.3) box.lows = Array.from({ length: rng.int(50) }, () => hostileNumber(rng));
    if (rng.next() < 0.3) box.highs = Array.from({ length: rng.int(50) }, () => hostileNumber(rng));
    if (rng.next() < 0.3) box.bits = pick(rng, [0, 1, 7, 8, 16, 33, 64, 1000]);
    return box;
  }
  if (r < 5) return { type: 'Discrete', n: pick(rng, [0, -1, 2 ** 31 - 1, 2 ** 31, 1 + rng.int(10)]) };
  if (r < 6) {
    // Nesting beyond the limit.
    let space: WireSpace = { type: 'Discrete', n: 2 };
    const levels = 33 + rng.int(60);
    for (let i = 0; i < levels; i++) space = rng.next() < 0.5 ? { type: 'Tuple', elements: [space] } : { type: 'Dict', elements: [{ ...space, name: 'k' }] };
    return space;
  }
  if (r < 7) {
    // Many entries, or duplicate and prototype-named keys.
    const n = rng.next() < 0.5 ? 4097 + rng.int(2000) : 1 + rng.int(6);
    const names = ['a', 'a', '__proto__', 'constructor', 'toString', ''];
    return { type: 'Dict', elements: Array.from({ length: n }, (_, i) => ({ type: 'Discrete', n: 2, name: n > 10 ? `k${i}` : pick(rng, names) })) };
  }
  return { type: pick(rng, ['Tuple', 'Dict'] as const), elements: Array.from({ length: rng.int(4) }, (_, i) => ({ ...hostileSpace(rng, depth + 1), name: `e${i}` })) };
}

/** Seeded bytes: a random 1 KB block tiled (drawing every byte of a 100 KB frame would dominate the run). */
function randomBytes(rng: Rng, size: number): Uint8Array {
  const block = Uint8Array.from({ length: Math.min(size, 1024) }, () => rng.int(256));
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += block.length) out.set(block.subarray(0, Math.min(block.length, size - at)), at);
  return out;
}

function mutate(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const flips = 1 + rng.int(4);
  for (let i = 0; i < flips && out.length > 0; i++) {
    const at = rng.int(out.length);
    out[at] = rng.next() < 0.5 ? out[at]! ^ (1 << rng.int(8)) : rng.int(256);
  }
  return out;
}

function hostileData(rng: Rng): WireData {
  switch (rng.int(8)) {
    case 0:
      return { type: 'Box', dtype: 'DOUBLE', shape: [4], doubleData: [1, 2, 3, 4] };
    case 1:
      return { type: 'Box', dtype: 'FLOAT', shape: [3 + rng.int(5)], floatData: Array.from({ length: 5 }, () => rng.next()) };
    case 2:
      return { type: 'Box', dtype: 'FLOAT', shape: [4], floatData: [1, hostileNumber(rng), 3, Number.NaN] };
    case 3:
      return { type: 'Box', dtype: 'INT', shape: [4], intData: [1, 2, 3, 4] };
    case 4:
      return { type: 'Discrete', value: rng.int(10) };
    case 5: {
      let data: WireData = { type: 'Box', dtype: 'FLOAT', shape: [4], floatData: [1, 2, 3, 4] };
      const levels = rng.next() < 0.5 ? 1 + rng.int(3) : 33 + rng.int(50);
      for (let i = 0; i < levels; i++) data = { type: 'Tuple', elements: [data] };
      return data;
    }
    case 6:
      return { type: 'Dict', elements: [{ type: 'Discrete', value: 1, name: 'a' }, { type: 'Discrete', value: 2, name: 'a' }] };
    default:
      return { type: 'Box', dtype: 'FLOAT', shape: hostileShape(rng), floatData: Array.from({ length: rng.int(20) }, () => hostileNumber(rng)) };
  }
}

/** One frame of a kind, seeded; `maxFrameBytes` is the target's limit (oversized frames exceed it). */
export function makeFrame(kind: FrameKind, rng: Rng, maxFrameBytes: number): Uint8Array {
  switch (kind) {
    case 'sim-init':
      if (rng.next() < 0.25) return mutate(rng, goodInit(1 + rng.int(1e6)));
      try {
        const frame = encodeSimInitMsg({ simProcessId: rng.int(1e6), obsSpace: hostileSpace(rng), actSpace: rng.next() < 0.5 ? hostileSpace(rng) : { type: 'Discrete', n: 3 } });
        return frame.length > maxFrameBytes ? frame.subarray(0, maxFrameBytes) : frame;
      } catch {
        return mutate(rng, goodInit(7));
      }
    case 'state': {
      if (rng.next() < 0.25) return mutate(rng, goodState);
      const time = rng.next() < 0.3 ? hostileNumber(rng) : 0.1;
      const frame = encodeEnvStateMsg({ obsData: hostileData(rng), reward: rng.next() < 0.3 ? hostileNumber(rng) : 1, simTime: time, isGameOver: rng.next() < 0.05 });
      if (Number.isFinite(time)) return frame;
      // The encoder leaves a non-finite time out: append field 6 (double) by hand.
      const extra = new Uint8Array(9);
      extra[0] = 0x31;
      new DataView(extra.buffer).setFloat64(1, time, true);
      return new Uint8Array([...frame, ...extra]);
    }
    case 'garbage': {
      const r = rng.int(4);
      if (r === 0) return new Uint8Array(0);
      if (r === 1) return Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256));
      const whole = r === 2 ? goodInit(3) : goodState;
      return whole.subarray(0, rng.int(whole.length));
    }
    case 'oversized': {
      // Past the limit, below the ceiling where ZeroMQ drops the connection instead (2x).
      const size = maxFrameBytes + 1 + rng.int(maxFrameBytes / 2);
      if (rng.next() < 0.5) return randomBytes(rng, size);
      const n = Math.ceil(size / 4);
      return encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [n], floatData: new Float32Array(n) } });
    }
  }
}

/** True when a frame would start a session (REP targets: it would replace the good simulator, by design). */
function validSimInit(frame: Uint8Array): boolean {
  try {
    const init = decodeSimInitMsg(frame, { maxFrameBytes: FUZZ_MAX_FRAME_BYTES });
    spaceFromWire(init.obsSpace);
    spaceFromWire(init.actSpace);
    return true;
  } catch {
    return false;
  }
}

/** Classes of the reasons a target gives, for the report. */
export function reasonClass(message: string): string {
  const rules: Array<[RegExp, string]> = [
    [/maxFrameBytes/, 'frame too large (maxFrameBytes)'],
    [/maxElements/, 'space too large (maxElements)'],
    [/maxDepth/, 'nesting too deep (maxDepth)'],
    [/maxKeys/, 'too many entries (maxKeys)'],
    [/unique Dict keys/, 'duplicate Dict key'],
    [/unknown Any type URL|missing Any payload/, 'Any type URL'],
    [/malformed|must carry|index out of range|invalid wire type/, 'malformed protobuf'],
    [/dimensions/, 'too many dimensions'],
    [/simTime/, 'simTime not finite'],
    [/reward/, 'reward not finite'],
    [/finite number/, 'NaN/Inf in data'],
    [/\.dtype|dtype \d+ is not/, 'dtype'],
    [/\.shape|\.length/, 'shape/length'],
    [/\.type|space type|container type/, 'container type'],
    [/Box bounds|Box\.(low|high)|Box\.shape/, 'Box bounds'],
    [/Discrete\.n/, 'Discrete.n'],
    [/range/, 'integer out of range'],
    [/not a SimInitMsg|carries no obsData/, 'not a SimInitMsg / no data'],
    [/replaced/, 'replaced'],
    [/timeout|no state/, 'timeout'],
    [/disconnected/, 'disconnected'],
  ];
  for (const [pattern, name] of rules) if (pattern.test(message)) return name;
  return 'other';
}

// ---------------------------------------------------------------------------------------------
// The well-behaved simulator

interface GoodSimulator {
  steps(): number;
  /** Ends its episode with a game over; resolves with the outcome. */
  finish(): Promise<{ ok: boolean; error: string | null }>;
}

function startGoodSimulator(endpoint: string): GoodSimulator {
  let steps = 0;
  let stopRequested = false;
  const peer = new SimulatorPeer<NdArray, number>({ endpoint, timeoutMs: 20_000, simProcessId: 424242 });
  const run = (async (): Promise<{ ok: boolean; error: string | null }> => {
    try {
      const ack = await peer.init({ observationSpace: GOOD_OBS, actionSpace: GOOD_ACT });
      if (ack.stopSimReq) return { ok: false, error: 'stopped at init' };
      for (;;) {
        const last = stopRequested;
        const reply = await peer.step({ obs: ndarray('float32', [4], [steps % 100, 1, 2, 3]), reward: 1, gameOver: last, reason: 'GameOver', simTime: steps * 0.1 });
        if (reply.kind === 'stop') return last ? { ok: true, error: null } : { ok: false, error: `stopped after ${steps} steps` };
        if (reply.kind !== 'action' || !GOOD_ACT.contains(reply.action)) return { ok: false, error: `unexpected reply ${JSON.stringify(reply)}` };
        steps++;
        // A simulated step takes a moment; the fuzzer's frames interleave with ours.
        await new Promise((r) => setTimeout(r, 2));
      }
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    } finally {
      await peer.close();
    }
  })();
  return {
    steps: () => steps,
    finish: () => {
      stopRequested = true;
      return run;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Targets

interface RunningTarget {
  endpoint: string;
  /** Reasons collected so far. */
  reasons: string[];
  rssPeakBytes(): number;
  stop(): Promise<number | null>;
}

function ipcDir(): { endpoint: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-fuzz-'));
  return { endpoint: `ipc://${join(dir, 'gym.sock')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function procPeakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function startAgent(mode: 'rep' | 'router'): Promise<RunningTarget> {
  const ipc = ipcDir();
  const self = selfCommand();
  const args = ['agent', '--endpoint', ipc.endpoint, '--mode', mode, '--timeout', '30', '--policy', 'random', '--max-frame-bytes', String(FUZZ_MAX_FRAME_BYTES)];
  const child: ChildProcess = spawn(self.command, [...self.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reasons: string[] = [];
  let stdout = '';
  let pending = '';
  child.stdout!.on('data', (c: Buffer) => {
    if (stdout.length < 4096) stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    pending += c.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.startsWith('ns3ts agent:')) reasons.push(line);
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, procPeakRss(child.pid!))), 100);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start: ${stdout}`)), 30_000);
    const check = (): void => {
      if (stdout.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`agent exited before listening: ${stdout}`)));
  });
  return {
    endpoint: ipc.endpoint,
    reasons,
    rssPeakBytes: () => Math.max(peak, procPeakRss(child.pid!)),
    stop: async () => {
      peak = Math.max(peak, procPeakRss(child.pid!));
      // REP: the agent exits by itself once its one simulator finished; ROUTER keeps serving.
      const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), mode === 'rep' ? 10_000 : 500))]);
      clearInterval(sampler);
      if (code === 'running') {
        child.kill('SIGTERM');
        await exited;
        ipc.cleanup();
        return null;
      }
      ipc.cleanup();
      return code;
    },
  };
}

async function startLibraryServer(mode: 'rep' | 'router'): Promise<RunningTarget> {
  const ipc = ipcDir();
  const server = new GymServer({ endpoint: ipc.endpoint, mode, initTimeoutMs: 30_000, stepTimeoutMs: 30_000, limits: { maxFrameBytes: FUZZ_MAX_FRAME_BYTES } });
  const reasons: string[] = [];
  server.on('protocol-error', (e: { message: string }) => reasons.push(e.message));
  const rng = new Rng(99);
  const serve = async (session: Session): Promise<void> => {
    for (;;) {
      const event = await session.nextEvent(30_000);
      if (event.kind === 'end') return;
      if (event.state.gameOver) {
        session.stop('closed', 'episode over');
        return;
      }
      session.act(session.actionSpace.sample(rng));
    }
  };
  server.on('session', (s: Session) => {
    void serve(s).catch(() => undefined);
  });
  await server.listen();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    endpoint: ipc.endpoint,
    reasons,
    rssPeakBytes: () => Math.max(peak, process.memoryUsage().rss),
    stop: async () => {
      clearInterval(sampler);
      await server.close();
      ipc.cleanup();
      return null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The campaign

export interface CampaignOptions {
  seed: number;
  /** Frames of each kind sent to each target. */
  framesPerKind: number;
  targets?: readonly TargetName[];
  /** Concurrent hostile connections per target. */
  connections?: number;
  onProgress?: (line: string) => void;
}

const REPLY_TIMEOUT_MS = 10_000;

/** Sends the campaign's frames to one target while a well-behaved simulator is served by it. */
export async function fuzzTarget(target: TargetName, options: CampaignOptions): Promise<TargetResult> {
  const running = target === 'agent-rep' ? await startAgent('rep') : target === 'agent-router' ? await startAgent('router') : await startLibraryServer(target === 'server-rep' ? 'rep' : 'router');
  const rep = target.endsWith('-rep');
  const rng = new Rng(options.seed * 7919 + TARGETS.indexOf(target));
  const good = startGoodSimulator(running.endpoint);
  // Let the good simulator's session start first: in REP mode it is the one being served.
  const startWait = Date.now();
  while (good.steps() < 3 && Date.now() - startWait < 20_000) await new Promise((r) => setTimeout(r, 10));

  const replies = { stop: 0, ack: 0, action: 0, none: 0 };
  const framesByKind = Object.fromEntries(FRAME_KINDS.map((k) => [k, 0])) as Record<FrameKind, number>;
  const started = Date.now();
  const plan: FrameKind[] = FRAME_KINDS.flatMap((k) => new Array<FrameKind>(options.framesPerKind).fill(k));
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    const wrng = new Rng(options.seed * 104729 + w * 31 + TARGETS.indexOf(target));
    let socket = new zmq.Request({ linger: 0, receiveTimeout: REPLY_TIMEOUT_MS, sendTimeout: REPLY_TIMEOUT_MS });
    socket.connect(running.endpoint);
    // ROUTER targets: half the connections open a valid session first, so states reach a session.
    const opensSession = !rep && w % 2 === 0;
    let inSession = false;
    while (next < plan.length) {
      const kind = plan[next++]!;
      let frame = makeFrame(kind, wrng, FUZZ_MAX_FRAME_BYTES);
      // REP: a valid SimInitMsg from any connection replaces the session being served (ns3-gym's
      // relaunch); that is the documented exposure of REP endpoints, not what is fuzzed here.
      if (rep) while (validSimInit(frame)) frame = makeFrame(kind, wrng, FUZZ_MAX_FRAME_BYTES);
      framesByKind[kind]++;
      try {
        if (opensSession && !inSession && kind === 'state') {
          // A valid handshake first (not counted), so that the hostile state reaches a session.
          await socket.send(goodInit(500_000 + w));
          const [ack] = await socket.receive();
          inSession = ack![0] === 0x08;
        }
        await socket.send(frame);
        const [reply] = await socket.receive();
        const first = reply![0];
        if (reply!.length === 2 && first === 0x10 && reply![1] === 0x01) {
          replies.stop++;
          inSession = false;
        } else if (first === 0x08) {
          replies.ack++;
          inSession = true;
        } else {
          replies.action++;
        }
      } catch {
        // No reply (a frame ZeroMQ itself dropped): a REQ socket cannot go on, open a new one.
        replies.none++;
        socket.close();
        socket = new zmq.Request({ linger: 0, receiveTimeout: REPLY_TIMEOUT_MS, sendTimeout: REPLY_TIMEOUT_MS });
        socket.connect(running.endpoint);
        inSession = false;
      }
    }
    socket.close();
  };
  let lastProgress = Date.now();
  const progress = setInterval(() => {
    if (options.onProgress && Date.now() - lastProgress >= 5000) {
      lastProgress = Date.now();
      options.onProgress(`  ${target}: ${next}/${plan.length} frames, good simulator at step ${good.steps()}`);
    }
  }, 1000);
  const stepsBefore = good.steps();
  await Promise.all(Array.from({ length: options.connections ?? 4 }, (_, w) => worker(w)));
  clearInterval(progress);
  const seconds = (Date.now() - started) / 1000;
  const goodSteps = good.steps();
  const outcome = await good.finish();
  const rssPeakBytes = running.rssPeakBytes();
  const exitCode = await running.stop();
  const rejections: Record<string, number> = {};
  for (const line of running.reasons) {
    if (/ended: (closed|finished)/.test(line)) continue;
    const name = reasonClass(line);
    rejections[name] = (rejections[name] ?? 0) + 1;
  }
  return {
    target,
    frames: plan.length,
    framesByKind,
    replies,
    rejections,
    seconds,
    rssPeakBytes,
    goodSteps,
    goodOk: outcome.ok && goodSteps > stepsBefore,
    goodError: outcome.error,
    exitCode,
  };
}

export async function runCampaign(options: CampaignOptions): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const target of options.targets ?? TARGETS) results.push(await fuzzTarget(target, options));
  return results;
}

/** The report `npm run fuzz` prints. */
export function formatResults(results: readonly TargetResult[]): string {
  const lines: string[] = [];
  let frames = 0;
  let seconds = 0;
  const total: Record<string, number> = {};
  for (const r of results) {
    frames += r.frames;
    seconds += r.seconds;
    lines.push(
      `${r.target}: ${r.frames} frames in ${r.seconds.toFixed(1)} s (${Math.round(r.frames / r.seconds)} frames/s); ` +
        `replies stop ${r.replies.stop}, ack ${r.replies.ack}, action ${r.replies.action}, none ${r.replies.none}; ` +
        `RSS peak ${(r.rssPeakBytes / 2 ** 20).toFixed(0)} MB; good simulator ${r.goodOk ? 'served' : `FAILED (${r.goodError})`} (${r.goodSteps} steps)` +
        (r.exitCode !== null ? `; agent exit ${r.exitCode}` : ''),
    );
    for (const [name, n] of Object.entries(r.rejections)) total[name] = (total[name] ?? 0) + n;
  }
  lines.push(`total: ${frames} frames in ${seconds.toFixed(1)} s (${Math.round(frames / seconds)} frames/s)`);
  lines.push('rejections by reason (all targets):');
  for (const [name, n] of Object.entries(total).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(7)}  ${name}`);
  return lines.join('\n');
}

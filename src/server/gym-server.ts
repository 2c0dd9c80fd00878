import { EventEmitter } from 'node:events';
import * as zmq from 'zeromq';
import { InputError, Ns3tsError } from '../util/index.js';
import { nativeZmqRouter, PEER_ID_BYTES, RECEIVE_NOTHING, RECEIVE_WITH_RECEIVE, type NativeZmqRouter } from '../native/index.js';
import { decodeSimInitMsg, encodeSimInitAck, resolveWireLimits, spaceFromWire, type WireLimits } from '../wire/index.js';
import { connectEndpoint, formatCapabilities, normalizeEndpoint } from './endpoint.js';
import { removeIpcSocketFile } from './ipc-socket.js';
import { Session, STOP_FRAME, type SessionHost } from './session.js';
import { checkCurveKey, registerCurveClients, unregisterCurveClients, type CurveServerKeys } from './curve.js';

/** REP: one simulator at a time, exactly like ns3-gym. ROUTER: many simulators on one endpoint. */
export type ServerMode = 'rep' | 'router';

/** Default timeouts (milliseconds). */
export const DEFAULT_TIMEOUTS = {
  /** Waiting for a simulator to connect and send SimInitMsg (process start, ns-3 set-up). */
  initTimeoutMs: 60_000,
  /** Waiting for the next state after an action (one simulated step). */
  stepTimeoutMs: 30_000,
} as const;

export interface GymServerOptions {
  /** tcp://host:port (port 0 = a free port), ipc://path, or a port number. Default tcp://127.0.0.1:0. */
  endpoint?: string;
  /** Default 'rep' (ns3-gym's behaviour). */
  mode?: ServerMode;
  initTimeoutMs?: number;
  stepTimeoutMs?: number;
  /** Capabilities the server advertises in SimInitAck (default: the ns3ts base set plus soft-reset). */
  capabilities?: string;
  /**
   * What a simulator may declare and send (frame bytes, elements and nesting of a space, Tuple/Dict
   * entries); a frame beyond them ends its session with the reason and a stop reply. Defaults:
   * DEFAULT_WIRE_LIMITS.
   */
  limits?: Partial<WireLimits>;
  /**
   * ZeroMQ CURVE: encrypt the endpoint and admit only simulators holding one of the client key
   * pairs listed (see curve.ts). Default: plain ZeroMQ.
   */
  curve?: CurveServerKeys;
  /**
   * The socket under the server: 'zeromq' (zeromq.js, the default), 'native' (the addon's libzmq
   * ROUTER, driven synchronously: for a process that does nothing but serve, see
   * NATIVE_WAIT_MS), or 'auto' (native when the addon has it and CURVE is off, else zeromq.js).
   * CURVE always runs on zeromq.js.
   */
  transport?: ServerTransport;
  /**
   * Native socket only: after answering a state, poll for the next one for up to this many
   * microseconds before the thread blocks (default NATIVE_SPIN_US; 0 blocks at once). Spinning
   * pauses by itself while the simulator takes longer than that per step (see SPIN_MISSES_TO_PAUSE).
   */
  spinMicroseconds?: number;
}

/** Which socket a GymServer binds (GymServerOptions.transport). */
export type ServerTransport = 'zeromq' | 'native' | 'auto';

export interface ServerError {
  at: number;
  sessionId: string | null;
  message: string;
}

/** Sessions an env may claim: by the simulator's pid (launcher) or the next one to connect. */
export interface AcceptOptions {
  simProcessId?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface AcceptWaiter {
  simProcessId: number | undefined;
  resolve: (session: Session) => void;
  reject: (err: Error) => void;
}

const MAX_ERRORS = 100;

/**
 * ZeroMQ reports connections, not peers: when the last connection to the endpoint closes, every
 * live session has lost its simulator. The grace period lets the 'accept' of a simulator that
 * connected at the same moment arrive first.
 */
const DISCONNECT_GRACE_MS = 250;

/**
 * Frames up to this multiple of maxFrameBytes are received and refused with a reason and a stop
 * reply; beyond it ZeroMQ drops the connection before it allocates the frame.
 */
const HARD_FRAME_FACTOR = 2;

/**
 * The native transport blocks the thread in zmq_poll for at most this long while no reply is
 * owed, then yields to the event loop (timers, signals, the disconnect check) before waiting again.
 */
const NATIVE_WAIT_MS = 20;

/**
 * After this many turns of the event loop with a reply still owed and nothing arriving, the native
 * loop stops spinning: each turn it then waits up to NATIVE_OWED_WAIT_MS in libzmq, woken at once
 * by a frame, before the next event-loop turn. A vector env owes replies to the simulators that
 * sent a state until the others have sent theirs, and those states are what it waits for.
 */
const NATIVE_SPIN_TURNS = 64;
const NATIVE_OWED_WAIT_MS = 1;

/**
 * After answering a state, the native loop polls for the next one for up to this many microseconds
 * before blocking in libzmq. Blocking means the thread is put to sleep and woken by libzmq's I/O
 * thread when the state arrives: on two cores that wake-up, not the agent's work, was most of an
 * agent's share of a step's round trip (`ns3ts agent` on opengym-example over ipc, 2000 steps,
 * five runs each: 5,800–6,600 steps/s blocking at once, 9,300–10,100 spinning up to 200 µs, the
 * blocking C++ echo agent 10,600–11,500). The cost is CPU: at most this long per step, and
 * nothing while spinning is paused.
 */
export const NATIVE_SPIN_US = 200;
/** After this many spins in a row that ended without a state, spinning pauses (a slow simulator). */
const SPIN_MISSES_TO_PAUSE = 8;
/** While spinning is paused, one receive in this many spins anyway, to notice states coming fast again. */
const SPIN_PROBE_EVERY = 64;

/** With frames arriving back to back, the native loop reads its connection counts every this many frames. */
const NATIVE_EVENTS_EVERY = 64;

/**
 * While states are answered synchronously (Session.answerWith), the native loop serves them back
 * to back and yields to the event loop once this many milliseconds have passed since it last did:
 * timers (session timeouts, the disconnect check) and signal handlers run at least this often.
 */
const NATIVE_PASS_MS = 5;

/**
 * The native loop's reused receive buffer: per-step frames up to this size land in it; a larger
 * one (a big observation, a handshake with large spaces) comes as its own Buffer instead.
 */
const NATIVE_FRAME_BYTES = 64 * 1024;

/**
 * The agent side of the ns3-gym protocol: binds, receives SimInitMsg from simulators and hands
 * out one Session per simulator. In REP mode it serves one simulator at a time, as ns3-gym's
 * agent socket does (a new SimInitMsg replaces the session: a relaunched simulator); in ROUTER
 * mode every REQ simulator connected to the endpoint is its own session. Both bind a ZeroMQ
 * ROUTER socket, so every frame is known by its connection (routing id): in REP mode a frame
 * from another connection than the simulator being served is refused and blamed on that
 * connection, and cannot end the session.
 *
 * Events: 'session' (a new Session), 'protocol-error' (ServerError).
 */
export class GymServer extends EventEmitter implements SessionHost {
  readonly mode: ServerMode;
  readonly initTimeoutMs: number;
  readonly stepTimeoutMs: number;
  readonly limits: WireLimits;
  /** Recent protocol errors, newest last (at most 100). */
  readonly errors: ServerError[] = [];
  private readonly requested: string;
  private readonly ackCapabilities: string;
  private readonly curve: CurveServerKeys | null;
  private zapDomain: string | null = null;
  private socket: zmq.Router | null = null;
  private native: NativeZmqRouter | null = null;
  private readonly transport: ServerTransport;
  private readonly spinMicroseconds: number;
  private boundEndpoint: string | null = null;
  private boundAddressText: string | null = null;
  private closed = false;
  /** Replies waiting for the socket (zeromq.js sends one message at a time), and its drain loop. */
  private readonly outbox: Array<{ peer: Buffer; payload: Uint8Array }> = [];
  private draining: Promise<void> | null = null;
  private readonly byPeer = new Map<string, Session>();
  private readonly recentlyEnded = new Set<string>();
  private repSession: Session | null = null;
  private readonly unclaimed: Session[] = [];
  private readonly acceptWaiters: AcceptWaiter[] = [];
  private readonly live = new Set<Session>();
  private loop: Promise<void> | null = null;
  private connections = 0;
  private disconnectTimer: NodeJS.Timeout | null = null;

  constructor(options: GymServerOptions = {}) {
    super();
    this.requested = normalizeEndpoint(options.endpoint ?? 'tcp://127.0.0.1:0');
    this.mode = options.mode ?? 'rep';
    if (this.mode !== 'rep' && this.mode !== 'router') throw new InputError('mode', this.mode, "'rep' or 'router'");
    this.initTimeoutMs = positive(options.initTimeoutMs ?? DEFAULT_TIMEOUTS.initTimeoutMs, 'initTimeoutMs');
    this.stepTimeoutMs = positive(options.stepTimeoutMs ?? DEFAULT_TIMEOUTS.stepTimeoutMs, 'stepTimeoutMs');
    this.ackCapabilities = options.capabilities ?? formatCapabilities(['box-bounds', 'int64', 'seed', 'sim-time', 'soft-reset']);
    this.limits = resolveWireLimits(options.limits ?? {}, 'limits.');
    this.curve = options.curve ?? null;
    this.transport = options.transport ?? 'zeromq';
    if (this.transport !== 'zeromq' && this.transport !== 'native' && this.transport !== 'auto') {
      throw new InputError('transport', this.transport, "'zeromq', 'native' or 'auto'");
    }
    this.spinMicroseconds = options.spinMicroseconds ?? NATIVE_SPIN_US;
    if (!(Number.isFinite(this.spinMicroseconds) && this.spinMicroseconds >= 0 && this.spinMicroseconds <= 1e6)) {
      throw new InputError('spinMicroseconds', this.spinMicroseconds, 'a number of microseconds in [0, 1000000]');
    }
    if (this.transport === 'native' && this.curve) throw new InputError('transport', this.transport, "'zeromq' or 'auto' with CURVE (the native socket has no CURVE)");
    if (this.transport === 'native' && !nativeZmqRouter()) {
      throw new InputError('transport', this.transport, "'zeromq' or 'auto': the native addon is not built with libzmq (npm run build:native)");
    }
    if (this.curve) {
      checkCurveKey('curve.publicKey', this.curve.publicKey);
      checkCurveKey('curve.secretKey', this.curve.secretKey);
      if (this.curve.clientPublicKeys.length === 0) throw new InputError('curve.clientPublicKeys', [], 'at least one client public key');
    }
  }

  /** Whether the endpoint uses CURVE (encrypted, clients authenticated by key). */
  get curveEnabled(): boolean {
    return this.curve !== null;
  }

  /** Which socket serves the endpoint (after listen()): 'native' or 'zeromq'. */
  get transportInUse(): 'native' | 'zeromq' | null {
    return this.native ? 'native' : this.socket ? 'zeromq' : null;
  }

  /** Binds the endpoint; resolves with the endpoint simulators should connect to. */
  async listen(): Promise<string> {
    if (this.socket || this.native) return this.endpoint;
    if (this.closed) throw new Ns3tsError('the server is closed');
    const Native = this.transport !== 'zeromq' && !this.curve ? nativeZmqRouter() : null;
    if (Native) return this.listenNative(Native);
    if (this.curve && this.zapDomain === null) this.zapDomain = await registerCurveClients(this.curve.clientPublicKeys);
    const socket = new zmq.Router({
      linger: 0,
      maxMessageSize: Math.min(this.limits.maxFrameBytes * HARD_FRAME_FACTOR, Number.MAX_SAFE_INTEGER),
      ...(this.curve ? { curveServer: true, curveSecretKey: this.curve.secretKey, zapDomain: this.zapDomain } : {}),
    });
    try {
      await socket.bind(this.requested);
    } catch (err) {
      socket.close();
      this.releaseZapDomain();
      throw new Ns3tsError(`cannot bind ${this.requested}: ${(err as Error).message}`);
    }
    this.socket = socket;
    this.boundAddressText = socket.lastEndpoint ?? this.requested;
    this.boundEndpoint = connectEndpoint(this.boundAddressText);
    socket.events.on('accept', () => this.connectionEvents(1, 0));
    socket.events.on('disconnect', () => this.connectionEvents(0, 1));
    if (this.curve) {
      // A client without the run's keys never gets a session; the others are served as before.
      for (const type of ['handshake:error:auth', 'handshake:error:protocol', 'handshake:error:other'] as const) {
        socket.events.on(type, (event) => {
          this.recordError(null, `a client at ${event.address} failed the CURVE handshake (${type.slice('handshake:error:'.length)}: ${event.error.message})`);
        });
      }
    }
    this.loop = this.receiveLoop(socket);
    return this.boundEndpoint;
  }

  private listenNative(Native: NonNullable<ReturnType<typeof nativeZmqRouter>>): string {
    const socket = new Native({ maxMessageSize: Math.min(this.limits.maxFrameBytes * HARD_FRAME_FACTOR, Number.MAX_SAFE_INTEGER) });
    try {
      this.boundAddressText = socket.bind(this.requested);
    } catch (err) {
      socket.close();
      throw new Ns3tsError(`cannot bind ${this.requested}: ${(err as Error).message}`);
    }
    this.native = socket;
    this.boundEndpoint = connectEndpoint(this.boundAddressText);
    this.loop = this.nativeReceiveLoop(socket);
    return this.boundEndpoint;
  }

  private connectionEvents(accepted: number, lost: number): void {
    this.connections = Math.max(0, this.connections + accepted - lost);
    if (lost > 0 && this.connections === 0) this.checkDisconnectedSoon();
  }

  /**
   * The address the socket is bound to, as ZeroMQ reports it: `tcp://0.0.0.0:P` for `tcp://*:P`
   * (every interface), where `endpoint` is the loopback address simulators on this host use.
   */
  get bindAddress(): string {
    if (!this.boundAddressText) throw new Ns3tsError('the server is not listening yet: call listen() first');
    return this.boundAddressText;
  }

  /** The endpoint simulators connect to (after listen()). */
  get endpoint(): string {
    if (!this.boundEndpoint) throw new Ns3tsError('the server is not listening yet: call listen() first');
    return this.boundEndpoint;
  }

  /** Sessions that have not ended. */
  get sessions(): Session[] {
    return [...this.live];
  }

  /**
   * The next session: the one whose SimInitMsg.simProcessId equals `simProcessId` when given,
   * else the oldest one not yet claimed. Rejects after `timeoutMs` (default initTimeoutMs).
   */
  acceptSession(options: AcceptOptions = {}): Promise<Session> {
    if (this.closed) return Promise.reject(new Ns3tsError('the server is closed'));
    const index = this.unclaimed.findIndex((s) => !s.ended && (options.simProcessId === undefined || s.simProcessId === options.simProcessId));
    if (index >= 0) return Promise.resolve(this.unclaimed.splice(index, 1)[0]!);
    const timeoutMs = options.timeoutMs ?? this.initTimeoutMs;
    return new Promise<Session>((resolve, reject) => {
      const waiter: AcceptWaiter = {
        simProcessId: options.simProcessId,
        resolve: (s) => {
          cleanup();
          resolve(s);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = (): void => waiter.reject(new Ns3tsError('waiting for a simulator was aborted'));
      const timer = setTimeout(() => {
        const who = options.simProcessId === undefined ? 'a simulator' : `simulator pid ${options.simProcessId}`;
        waiter.reject(new Ns3tsError(`timed out after ${timeoutMs} ms waiting for ${who} to connect to ${this.boundEndpoint ?? this.requested}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const i = this.acceptWaiters.indexOf(waiter);
        if (i >= 0) this.acceptWaiters.splice(i, 1);
      };
      options.signal?.addEventListener('abort', onAbort);
      this.acceptWaiters.push(waiter);
    });
  }

  /** Stops every session (stopSimReq where a reply is owed) and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    for (const s of [...this.live]) s.end('server-closed', 'the server was closed');
    for (const w of [...this.acceptWaiters]) w.reject(new Ns3tsError('the server was closed'));
    await this.draining;
    // Give queued stop replies a moment to leave before the socket goes (linger is 0).
    await new Promise((r) => setTimeout(r, 20));
    this.socket?.close();
    await this.loop?.catch(() => undefined);
    this.native?.close();
    if (this.socket || this.native) removeIpcSocketFile(this.boundEndpoint);
    this.releaseZapDomain();
  }

  private releaseZapDomain(): void {
    if (this.zapDomain === null) return;
    unregisterCurveClients(this.zapDomain);
    this.zapDomain = null;
  }

  // SessionHost -------------------------------------------------------------------------------

  reply(peer: Buffer | null, payload: Uint8Array): void {
    const native = this.native;
    if (native) {
      // Sent now, in the turn that computed it: no outbox, no promise.
      if (!peer || native.closed) return;
      if (!native.send(peer, payload) && !this.closed) this.recordError(null, `send failed: connection ${peer.toString('hex')} is gone or not reading`);
      return;
    }
    const socket = this.socket;
    if (!socket || this.closed && socket.closed || !peer) return;
    this.outbox.push({ peer, payload });
    this.draining ??= this.drain(socket);
  }

  sessionEnded(session: Session): void {
    this.live.delete(session);
    const i = this.unclaimed.indexOf(session);
    if (i >= 0) this.unclaimed.splice(i, 1);
    if (session.peer) {
      const key = session.peer.toString('hex');
      if (this.byPeer.get(key) === session) this.byPeer.delete(key);
      this.recentlyEnded.add(key);
      if (this.recentlyEnded.size > 1024) this.recentlyEnded.delete(this.recentlyEnded.values().next().value as string);
    }
    if (this.repSession === session) this.repSession = null;
  }

  recordError(session: Session | null, message: string): void {
    const error: ServerError = { at: Date.now(), sessionId: session?.id ?? null, message };
    this.errors.push(error);
    if (this.errors.length > MAX_ERRORS) this.errors.shift();
    if (this.listenerCount('protocol-error') > 0) this.emit('protocol-error', error);
  }

  private checkDisconnectedSoon(): void {
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    this.disconnectTimer = setTimeout(() => {
      this.disconnectTimer = null;
      // The native loop reads its connection counts between frames; read them now, so that a
      // simulator that connected (and perhaps sent its SimInitMsg) since then is not taken for gone.
      if (!this.closed) this.readNativeConnectionEvents();
      if (this.closed || this.connections > 0) return;
      for (const s of [...this.live]) s.end('disconnected', `simulator ${s.simProcessId} disconnected from ${this.boundEndpoint ?? this.requested}`);
    }, DISCONNECT_GRACE_MS);
    this.disconnectTimer.unref();
  }

  // Receive loops -----------------------------------------------------------------------------

  /** Sends the queued replies in order; one loop per burst, not a promise chain per reply. */
  private async drain(socket: zmq.Router): Promise<void> {
    for (let next = this.outbox.shift(); next !== undefined; next = this.outbox.shift()) {
      try {
        await socket.send([next.peer, EMPTY, next.payload]);
      } catch (err) {
        if (!this.closed) this.recordError(null, `send failed: ${(err as Error).message}`);
      }
    }
    this.draining = null;
  }

  private async receiveLoop(socket: zmq.Router): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (err) {
        if (this.closed || socket.closed) return;
        this.recordError(null, `receive failed: ${(err as Error).message}`);
        continue;
      }
      this.handleMessage(frames);
    }
  }

  /**
   * The native socket's loop: waits in libzmq (at most NATIVE_WAIT_MS) while no reply is owed,
   * receives the state into a reused buffer and hands it to its session. A session answered by
   * a synchronous handler (Session.answerWith) has replied by the time deliver() returns, so the
   * loop goes straight back to waiting: receive, decode, policy, encode and send in one pass,
   * yielding to the event loop every NATIVE_PASS_MS. Any other consumer gets a microtask turn to
   * answer; while a reply is still owed (a consumer that needs more than microtasks) the loop
   * polls without waiting and yields to the event loop, and after NATIVE_SPIN_TURNS such turns
   * waits up to NATIVE_OWED_WAIT_MS in libzmq per turn (a frame ends the wait at once). After a
   * state was answered, the wait for the next starts with a spin of up to spinMicroseconds, paused
   * after SPIN_MISSES_TO_PAUSE spins in a row that caught nothing (probing every SPIN_PROBE_EVERY).
   */
  private async nativeReceiveLoop(socket: NativeZmqRouter): Promise<void> {
    const frame = Buffer.allocUnsafe(NATIVE_FRAME_BYTES);
    const peer = Buffer.alloc(PEER_ID_BYTES);
    let owedTurns = 0;
    let sinceEvents = 0;
    let yielded = performance.now();
    // Armed by a frame received, used by the next wait with no reply owed (an asynchronous
    // consumer may take a few event-loop turns to answer; the spin waits for the state after).
    let spinArmed = false;
    let spinMisses = 0;
    let pausedReceives = 0;
    while (!this.closed) {
      const owed = this.replyOwed();
      let spin = 0;
      if (spinArmed && !owed && this.spinMicroseconds > 0) {
        const paused = spinMisses >= SPIN_MISSES_TO_PAUSE;
        if (!paused || ++pausedReceives % SPIN_PROBE_EVERY === 0) spin = this.spinMicroseconds;
      }
      const spinStarted = spin > 0 ? performance.now() : 0;
      let size: number;
      try {
        size = socket.receiveInto(owed ? (owedTurns > NATIVE_SPIN_TURNS ? NATIVE_OWED_WAIT_MS : 0) : NATIVE_WAIT_MS, frame, peer, spin);
      } catch (err) {
        if (this.closed || socket.closed) return;
        this.recordError(null, `receive failed: ${(err as Error).message}`);
        size = RECEIVE_NOTHING;
      }
      if (size === RECEIVE_NOTHING || ++sinceEvents >= NATIVE_EVENTS_EVERY) {
        sinceEvents = 0;
        this.readNativeConnectionEvents();
      }
      if (spin > 0) {
        // Caught while spinning: a state within the spin's window (the clock read adds well under a microsecond).
        const caught = size !== RECEIVE_NOTHING && (performance.now() - spinStarted) * 1000 <= spin;
        spinMisses = caught ? 0 : spinMisses + 1;
        if (caught) pausedReceives = 0;
      }
      if (!owed) spinArmed = false;
      if (size !== RECEIVE_NOTHING) spinArmed = true;
      if (size === RECEIVE_NOTHING) {
        owedTurns = owed ? owedTurns + 1 : 0;
        await nextTurn();
        yielded = performance.now();
        continue;
      }
      owedTurns = 0;
      if (size === RECEIVE_WITH_RECEIVE) {
        const frames = socket.receive(0);
        if (frames) this.handleMessage(frames);
      } else {
        this.handleNativeFrame(peer, frame.subarray(0, size));
      }
      if (this.replyOwed()) await undefined;
      if (performance.now() - yielded >= NATIVE_PASS_MS) {
        await nextTurn();
        yielded = performance.now();
      }
    }
  }

  /**
   * A per-step frame from the native socket, still in the loop's reused buffers: a state from the
   * connection of a running session goes to it as it is (deliver() decodes it before returning);
   * anything else takes the general path with copies of its own.
   */
  private handleNativeFrame(peer: Buffer, frame: Buffer): void {
    if (!looksLikeSimInit(frame)) {
      const current = this.mode === 'rep' ? this.repSession : this.byPeer.get(peer.toString('hex', 1, 1 + peer[0]!));
      if (current && !current.ended && current.peer !== null && isRoutingId(current.peer, peer)) {
        current.deliver(frame);
        return;
      }
    }
    const id = Buffer.from(peer.subarray(1, 1 + peer[0]!));
    this.handleFrame(id, id.toString('hex'), Buffer.from(frame));
  }

  /** Applies the native socket's connection counts since their last reading (no-op on zeromq.js). */
  private readNativeConnectionEvents(): void {
    const socket = this.native;
    if (!socket || socket.closed) return;
    const [accepted, lost] = socket.connectionEvents();
    if (accepted > 0 || lost > 0) this.connectionEvents(accepted, lost);
  }

  /** True when a session waits for our answer to a state it sent. */
  private replyOwed(): boolean {
    if (this.mode === 'rep') return this.repSession !== null && this.repSession.awaitingReply;
    for (const session of this.live) if (session.awaitingReply) return true;
    return false;
  }

  private handleMessage(frames: Buffer[]): void {
    const peer = frames[0]!;
    // A REQ peer sends [identity, empty delimiter, payload].
    if (frames.length !== 3 || frames[1]!.length !== 0) {
      this.recordError(null, `malformed frame: ${frames.length} parts from a ROUTER peer (a REQ simulator sends exactly one)`);
      if (frames.length >= 2) this.reply(peer, STOP_FRAME);
      return;
    }
    this.handleFrame(peer, peer.toString('hex'), frames[2]!);
  }

  private handleFrame(peer: Buffer, key: string, frame: Buffer): void {
    const current = this.mode === 'router' ? this.byPeer.get(key) : this.repSession;
    if (!current || current.ended) {
      const started = this.startSession(peer, key, frame);
      if (typeof started === 'string') {
        if (!this.recentlyEnded.has(key)) this.recordError(null, `frame from a new simulator (connection ${key}) is not a valid SimInitMsg: ${started}`);
        // `10 01` means stopSimReq in SimInitAck and in EnvActMsg alike: the peer stops either way.
        this.reply(peer, STOP_FRAME);
      }
      return;
    }
    const sameConnection = current.peer !== null && current.peer.equals(peer);
    if (sameConnection && !looksLikeSimInit(frame)) {
      current.deliver(frame);
      return;
    }
    // The simulator started over, or (REP mode) a relaunched one connected: the old episode is cut.
    const started = looksLikeSimInit(frame) ? this.startSession(peer, key, frame) : 'not a SimInitMsg';
    if (typeof started !== 'string') {
      current.end('replaced', `simulator ${current.simProcessId} was replaced by a new SimInitMsg from connection ${key}`);
    } else if (sameConnection) {
      current.deliver(frame);
    } else {
      // REP mode: anything else from another connection is refused and blamed on that connection.
      this.recordError(null, `connection ${key} (not simulator ${current.simProcessId}'s, connection ${current.connection}): frame refused: ${started}`);
      this.reply(peer, STOP_FRAME);
    }
  }

  /** Starts a session from a SimInitMsg (answered with SimInitAck); else returns why the frame is not a valid one. */
  private startSession(peer: Buffer, key: string, frame: Buffer): Session | string {
    let session: Session;
    try {
      const init = decodeSimInitMsg(frame, this.limits);
      const obsSpace = spaceFromWire(init.obsSpace, 'SimInitMsg.obsSpace');
      const actSpace = spaceFromWire(init.actSpace, 'SimInitMsg.actSpace');
      session = new Session(this, peer, init, obsSpace, actSpace);
    } catch (err) {
      return (err as Error).message;
    }
    if (this.mode === 'router') this.byPeer.set(key, session);
    else this.repSession = session;
    this.recentlyEnded.delete(key);
    this.live.add(session);
    this.reply(peer, encodeSimInitAck({ done: true, capabilities: session.capabilities.version !== null ? this.ackCapabilities : '' }));
    this.emit('session', session);
    const waiterIndex = this.acceptWaiters.findIndex((w) => w.simProcessId === undefined || w.simProcessId === session.simProcessId);
    if (waiterIndex >= 0) this.acceptWaiters[waiterIndex]!.resolve(session);
    else this.unclaimed.push(session);
    return session;
  }
}

const EMPTY = Buffer.alloc(0);

/** Whether `id` is the routing id held in `lengthPrefixed` ([length, bytes...], as receiveInto writes it). */
function isRoutingId(id: Buffer, lengthPrefixed: Buffer): boolean {
  const n = lengthPrefixed[0]!;
  if (id.length !== n) return false;
  for (let i = 0; i < n; i++) if (id[i] !== lengthPrefixed[i + 1]) return false;
  return true;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Cheap test whether a frame could be a SimInitMsg rather than an EnvStateMsg: a SimInitMsg opens
 * with field 1, 2 (varints) or 3 (the obs space); an EnvStateMsg with field 1 as a length-
 * delimited container, or field 2 (fixed32 reward) and later.
 */
function looksLikeSimInit(frame: Buffer): boolean {
  const first = frame[0];
  return first === 0x08 || first === 0x10 || first === 0x1a;
}

function positive(value: number, field: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InputError(field, value, 'a positive number of milliseconds');
  return value;
}

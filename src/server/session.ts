import { Ns3tsError } from '../util/index.js';
import type { GymSpace } from '../env/index.js';
import {
  encodeEnvActMsg,
  fromWireData,
  readEnvStateMsg,
  toWireData,
  type GameOverReason,
  type SimInitMsg,
  type WireData,
  type WireLimits,
  writeEnvActMsg,
} from '../wire/index.js';
import { parseCapabilities, type Capabilities } from './endpoint.js';

/** Why a session ended (its episode is then `truncated` with `info.reason` set to this). */
export type SessionEndReason =
  /** The simulator sent nothing within the timeout (silent, hung or killed). */
  | 'timeout'
  /** A frame did not decode, or its data did not match the declared space. */
  | 'protocol-error'
  /** The agent side stopped the session (close, reset). */
  | 'closed'
  /** The simulator process exited (seen by the launcher). */
  | 'simulator-exited'
  /** Every simulator connection to the endpoint closed (the simulator died or closed its socket). */
  | 'disconnected'
  /** The same peer (or, in REP mode, a new simulator) started over with a new SimInitMsg. */
  | 'replaced'
  /** The episode ended normally (game over or simulation end) and was answered with stopSimReq. */
  | 'finished'
  /** The server was closed. */
  | 'server-closed';

/** One state the simulator sent (EnvStateMsg), decoded against the declared observation space. */
export interface SessionState<O = unknown> {
  /**
   * The observation; null only on a game-over state that carries no obsData (legal in ns3-gym:
   * its Python agent accepts it and ends the episode).
   */
  obs: O | null;
  reward: number;
  gameOver: boolean;
  /** GameOver or SimulationEnd when gameOver, else null. */
  reason: GameOverReason | null;
  /** The raw ns3-gym extra-info string. */
  info: string;
  /** Simulation time in seconds (ns3ts extension), null from ns3-gym peers. */
  simTime: number | null;
}

export type SessionEvent<O = unknown> =
  | { kind: 'state'; state: SessionState<O> }
  | { kind: 'end'; reason: SessionEndReason; message: string };

/** A protocol violation by one simulator; its session is stopped, others keep running. */
export class ProtocolError extends Ns3tsError {
  override readonly name = 'ProtocolError';
}

/** What a session needs from its server: a way to reply to its peer, to report, and the limits of its frames. */
export interface SessionHost {
  readonly limits: WireLimits;
  reply(peer: Buffer | null, payload: Uint8Array): void;
  sessionEnded(session: Session): void;
  recordError(session: Session | null, message: string): void;
}

let nextSessionNumber = 1;

/**
 * Answers one state where it is delivered (Session.answerWith): calls `act`, `requestReset` or
 * `stop` on the session, or starts work that does so later.
 */
export type StateHandler<O = unknown> = (state: SessionState<O>) => void;

/**
 * One simulator's connection, from its SimInitMsg to its last state. The protocol alternates:
 * the simulator sends a state and blocks until the agent answers (the deferred reply); `act`,
 * `stop` and `requestReset` are those answers. `nextEvent` waits for the next state or the end.
 */
export class Session<O = unknown, A = unknown> {
  readonly id: string;
  readonly simProcessId: number;
  readonly seed: number;
  readonly capabilities: Capabilities;
  readonly observationSpace: GymSpace<O>;
  readonly actionSpace: GymSpace<A>;
  readonly createdAt = Date.now();
  /** Number of states received. */
  statesReceived = 0;
  private awaiting = false;
  private finalStateSent = false;
  private endInfo: { reason: SessionEndReason; message: string } | null = null;
  private readonly queue: SessionEvent<O>[] = [];
  private waiter: ((event: SessionEvent<O>) => void) | null = null;
  /**
   * The wait's timeout, one timer per session re-armed each wait (refresh) rather than a new one
   * per step; it may fire between waits, when it is ignored. Cleared when the session ends.
   */
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  /** Set by answerWith: states go to it, not to nextEvent. */
  private handler: StateHandler<O> | null = null;
  /** When the wait began or the last state arrived (performance.now()), for the handler's timeout. */
  private lastHeard = 0;

  constructor(
    private readonly host: SessionHost,
    /** ZeroMQ routing id of the simulator's connection. */
    readonly peer: Buffer | null,
    init: SimInitMsg,
    observationSpace: GymSpace<O>,
    actionSpace: GymSpace<A>,
  ) {
    this.id = `s${nextSessionNumber++}`;
    this.simProcessId = init.simProcessId;
    this.seed = init.seed;
    this.capabilities = parseCapabilities(init.capabilities);
    this.observationSpace = observationSpace;
    this.actionSpace = actionSpace;
  }

  /** The simulator's connection as errors name it: its routing id in hex. */
  get connection(): string {
    return this.peer ? this.peer.toString('hex') : 'unknown';
  }

  /** True when the simulator advertised soft reset (EnvActMsg.resetReq). */
  get softReset(): boolean {
    return this.capabilities.set.has('soft-reset');
  }

  get ended(): boolean {
    return this.endInfo !== null;
  }

  get endReason(): { reason: SessionEndReason; message: string } | null {
    return this.endInfo;
  }

  /** True while the simulator waits for our answer to its last state. */
  get awaitingReply(): boolean {
    return this.awaiting;
  }

  /** Called by the server with each frame from this session's peer. */
  deliver(frame: Uint8Array): void {
    if (this.endInfo) {
      // A late frame from a session that already ended: tell the simulator to stop.
      this.host.reply(this.peer, STOP_FRAME);
      return;
    }
    if (this.awaiting) {
      // A REQ peer cannot send twice without an answer; treat it as a protocol violation.
      this.fail('a second state arrived before the previous one was answered');
      return;
    }
    let state: SessionState<O>;
    try {
      const msg = readEnvStateMsg(frame, this.host.limits);
      if (!msg.obsData && !msg.isGameOver) throw new ProtocolError('EnvStateMsg carries no obsData (field 1), which only a game-over state may omit');
      if (!Number.isFinite(msg.reward)) throw new ProtocolError(`EnvStateMsg.reward: got ${msg.reward}, expected a finite number`);
      if (!Number.isFinite(msg.simTime)) throw new ProtocolError(`EnvStateMsg.simTime: got ${msg.simTime}, expected a finite number of seconds`);
      state = {
        obs: msg.obsData ? fromWireData(this.observationSpace, msg.obsData, 'obs') : null,
        reward: msg.reward,
        gameOver: msg.isGameOver,
        reason: msg.isGameOver ? msg.reason : null,
        info: msg.info,
        simTime: msg.simTime || (this.capabilities.set.has('sim-time') ? msg.simTime : null),
      };
    } catch (err) {
      this.awaiting = true; // the simulator waits for an answer to this frame
      this.fail((err as Error).message);
      return;
    }
    this.statesReceived++;
    this.awaiting = true;
    if (state.gameOver && !this.softReset) {
      // ns3-gym answers game over and simulation end at once with stopSimReq.
      this.host.reply(this.peer, STOP_FRAME);
      this.awaiting = false;
      this.finalStateSent = true;
    }
    if (this.handler) this.handOver(this.handler, state);
    else this.push({ kind: 'state', state });
  }

  /**
   * Answers every state from now on with `handler`, called where the state is delivered: with
   * a handler that answers synchronously (act, requestReset or stop before it returns), the
   * server's native loop receives, decodes, answers and sends in one pass, with no promise and
   * no turn of the event loop per step. States no longer go to nextEvent, which then waits for
   * the session's end only (its timeout still counts from the last state); a state already
   * queued is handed over at once. A handler that throws stops the session ('closed', with the
   * error's message).
   */
  answerWith(handler: StateHandler<O>): void {
    if (this.handler) throw new Ns3tsError(`session ${this.id}: answerWith() was already called`);
    this.handler = handler;
    this.lastHeard = performance.now();
    // An ended session keeps its queue for nextEvent (its states, then the end).
    if (this.endInfo) return;
    for (let event = this.queue[0]; event?.kind === 'state'; event = this.queue[0]) {
      this.queue.shift();
      this.handOver(handler, event.state);
    }
  }

  private handOver(handler: StateHandler<O>, state: SessionState<O>): void {
    this.lastHeard = performance.now();
    try {
      handler(state);
    } catch (err) {
      this.stop('closed', `the state handler failed: ${(err as Error).message}`);
      return;
    }
    if (this.finalStateSent && !this.endInfo) this.end('finished', `episode ended (${state.reason ?? 'game over'})`);
  }

  /** Waits for the next state or the end of the session; a timeout ends the session. */
  nextEvent(timeoutMs: number): Promise<SessionEvent<O>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(this.consumed(queued));
    if (this.endInfo) return Promise.resolve({ kind: 'end', ...this.endInfo });
    if (this.waiter) return Promise.reject(new Ns3tsError(`session ${this.id}: nextEvent() is already waiting`));
    return new Promise((resolve) => {
      this.lastHeard = performance.now();
      this.armTimer(timeoutMs);
      this.waiter = (event) => resolve(this.consumed(event));
    });
  }

  private armTimer(timeoutMs: number): void {
    if (this.timer !== null && this.timerMs === timeoutMs) {
      this.timer.refresh();
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerMs = timeoutMs;
    this.timer = setTimeout(this.onTimeout, timeoutMs);
  }

  private readonly onTimeout = (): void => {
    if (!this.waiter) return;
    if (this.handler) {
      // States went to the handler meanwhile (without re-arming the timer each step): wait out the rest.
      const left = this.lastHeard + this.timerMs - performance.now();
      if (left > 1) {
        this.timer = setTimeout(this.onTimeout, left);
        return;
      }
    }
    this.end('timeout', `no state from simulator ${this.simProcessId} within ${this.timerMs} ms`);
  };

  private consumed(event: SessionEvent<O>): SessionEvent<O> {
    if (event.kind === 'state' && this.finalStateSent && !this.endInfo) {
      this.end('finished', `episode ended (${event.state.reason ?? 'game over'})`, false);
    }
    return event;
  }

  /** Answers the pending state with an action (EnvActMsg.actData). */
  act(action: A): void {
    this.requireAwaiting('act');
    const data: WireData = toWireData(this.actionSpace, action, 'action');
    this.awaiting = false;
    this.host.reply(this.peer, writeEnvActMsg({ actData: data }));
  }

  /** Answers the pending state with a soft reset request (simulators advertising soft-reset). */
  requestReset(seed: number): void {
    this.requireAwaiting('requestReset');
    if (!this.softReset) throw new Ns3tsError(`session ${this.id}: the simulator does not advertise soft-reset`);
    this.awaiting = false;
    this.host.reply(this.peer, encodeEnvActMsg({ resetReq: true, resetSeed: seed }));
  }

  /** Stops the simulator (stopSimReq on the pending state, if any) and ends the session. */
  stop(reason: SessionEndReason = 'closed', message = 'stopped by the agent'): void {
    if (this.endInfo) return;
    this.end(reason, message);
  }

  /** Ends the session; a pending state is answered with stopSimReq so the simulator exits. */
  end(reason: SessionEndReason, message: string, notify = true): void {
    if (this.endInfo) return;
    if (this.awaiting) {
      this.awaiting = false;
      this.host.reply(this.peer, STOP_FRAME);
    }
    this.endInfo = { reason, message };
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.host.sessionEnded(this as unknown as Session);
    if (notify) this.push({ kind: 'end', reason, message });
  }

  private fail(message: string): void {
    const text = `simulator ${this.simProcessId} (${this.id}, connection ${this.connection}): ${message}`;
    this.host.recordError(this as unknown as Session, text);
    this.end('protocol-error', text);
  }

  private requireAwaiting(what: string): void {
    if (this.endInfo) throw new Ns3tsError(`session ${this.id}: ${what}() after the session ended (${this.endInfo.reason}: ${this.endInfo.message})`);
    if (!this.awaiting) throw new Ns3tsError(`session ${this.id}: ${what}() but the simulator is not waiting for an answer`);
  }

  private push(event: SessionEvent<O>): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter(event);
    } else {
      this.queue.push(event);
    }
  }
}

/** EnvActMsg{stopSimReq=true}; byte-identical to SimInitAck{stopSimReq=true} (both `10 01`). */
export const STOP_FRAME: Uint8Array = encodeEnvActMsg({ stopSimReq: true });

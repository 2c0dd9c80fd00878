import { deriveSeed, InputError, Ns3tsError } from '../util/index.js';
import { GymServer, ProtocolError, type GymServerOptions, type Session, type SessionEvent, type SessionState } from '../server/index.js';
import type { Env, GymSpace, Info, ResetOptions, ResetResult, SimulatorLauncher, StepResult } from '../env/index.js';

export interface RemoteEnvOptions<O = unknown, A = unknown> {
  /** The server simulators connect to (shared by the envs of a RemoteVectorEnv). */
  server: GymServer;
  /** Starts a simulator per episode (reset = stop + start). Without it, reset waits for the next simulator to connect. */
  launcher?: SimulatorLauncher;
  /** This env's slot in the launcher (default 0). */
  index?: number;
  /** Seed of the first episode when reset() gets none (default 0); later episodes derive theirs from it. */
  seed?: number;
  /** Episode length limit in steps: the step that reaches it returns truncated with info.reason 'time-limit'. */
  maxEpisodeSteps?: number;
  /** Overrides the server's timeouts for this env. */
  initTimeoutMs?: number;
  stepTimeoutMs?: number;
  /** Use EnvActMsg.resetReq when the simulator advertises soft-reset (default true). */
  softReset?: boolean;
  /**
   * What step() does when the simulator breaks the protocol: 'throw' a ProtocolError (default),
   * or 'truncate' the episode with info.reason 'protocol-error' and info.error (vector envs).
   */
  onProtocolError?: 'throw' | 'truncate';
  /** Expected spaces; a simulator declaring others is a protocol error. Default: the first simulator's. */
  observationSpace?: GymSpace<O>;
  actionSpace?: GymSpace<A>;
  /** Close the server with the env (set by RemoteEnv.listen). */
  ownsServer?: boolean;
}

/** How often a waiting env asks the launcher whether its simulator died. */
const EXIT_POLL_MS = 100;

/**
 * A Gymnasium-style Env over one simulator session of a GymServer (ns3-gym semantics):
 * reset() starts an episode (a new simulator, or a soft reset) and returns its first state;
 * step(action) answers the pending state and returns the next one. GameOver -> terminated;
 * SimulationEnd and the time limit -> truncated; a silent, dead or replaced simulator ->
 * truncated with info.reason. info is the simulator's extra-info string parsed as JSON when it
 * is a JSON object, else { extraInfo: "<string>" }.
 */
export class RemoteEnv<O = unknown, A = unknown> implements Env<O, A> {
  readonly server: GymServer;
  readonly index: number;
  private readonly launcher: SimulatorLauncher | null;
  private readonly maxEpisodeSteps: number;
  private readonly initTimeoutMs: number;
  private readonly stepTimeoutMs: number;
  private readonly useSoftReset: boolean;
  private readonly onProtocolError: 'throw' | 'truncate';
  private readonly ownsServer: boolean;
  private obsSpace: GymSpace<O> | null;
  private actSpace: GymSpace<A> | null;
  private session: Session<O, A> | null = null;
  private seedBase: number;
  private episodesSinceSeed = -1;
  private steps = 0;
  private episodeOver = true;
  private lastObs: O | null = null;
  private closed = false;
  /** Episodes started (resets that returned). */
  episodes = 0;

  constructor(options: RemoteEnvOptions<O, A>) {
    this.server = options.server;
    this.launcher = options.launcher ?? null;
    this.index = options.index ?? 0;
    this.seedBase = options.seed ?? 0;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? Infinity;
    if (!(this.maxEpisodeSteps > 0)) throw new InputError('maxEpisodeSteps', options.maxEpisodeSteps, 'a positive integer');
    this.initTimeoutMs = options.initTimeoutMs ?? this.server.initTimeoutMs;
    this.stepTimeoutMs = options.stepTimeoutMs ?? this.server.stepTimeoutMs;
    this.useSoftReset = options.softReset ?? true;
    this.onProtocolError = options.onProtocolError ?? 'throw';
    this.ownsServer = options.ownsServer ?? false;
    this.obsSpace = options.observationSpace ?? null;
    this.actSpace = options.actionSpace ?? null;
  }

  /** Creates a server on `endpoint`, binds it, and returns an env that owns it. */
  static async listen<O = unknown, A = unknown>(
    options: Omit<RemoteEnvOptions<O, A>, 'server' | 'ownsServer'> & GymServerOptions,
  ): Promise<RemoteEnv<O, A>> {
    const server = new GymServer(options);
    await server.listen();
    return new RemoteEnv<O, A>({ ...options, server, ownsServer: true });
  }

  get observationSpace(): GymSpace<O> {
    if (!this.obsSpace) throw new Ns3tsError('the observation space is known once a simulator connected: call reset() first');
    return this.obsSpace;
  }

  get actionSpace(): GymSpace<A> {
    if (!this.actSpace) throw new Ns3tsError('the action space is known once a simulator connected: call reset() first');
    return this.actSpace;
  }

  /** The current simulator session (null before the first reset). */
  get currentSession(): Session<O, A> | null {
    return this.session;
  }

  async reset(options: ResetOptions = {}): Promise<ResetResult<O>> {
    if (this.closed) throw new Ns3tsError('reset() on a closed env');
    let seed: number;
    if (options.seed !== undefined) {
      if (!Number.isInteger(options.seed) || options.seed < 0) throw new InputError('seed', options.seed, 'a non-negative integer');
      this.seedBase = options.seed;
      this.episodesSinceSeed = 0;
      seed = options.seed;
    } else {
      this.episodesSinceSeed++;
      seed = this.episodesSinceSeed === 0 ? this.seedBase : deriveSeed(this.seedBase, 'episode', this.episodesSinceSeed);
    }
    this.steps = 0;
    this.episodeOver = true;

    const session = this.session;
    let event: SessionEvent<O> | null = null;
    if (session && !session.ended && session.awaitingReply && session.softReset && this.useSoftReset) {
      session.requestReset(seed);
      event = await this.waitEvent(session, this.stepTimeoutMs);
      if (event.kind === 'state') return this.begin(session, event.state, seed);
      // The simulator did not come back from the soft reset: fall back to a new one.
    }
    session?.stop('closed', 'reset by the agent');
    this.session = null;
    let next: Session<O, A>;
    if (this.launcher) {
      await this.launcher.stop(this.index);
      const { pid } = await this.launcher.start(this.index, seed, this.server.endpoint);
      next = (await this.server.acceptSession({ simProcessId: pid, timeoutMs: this.initTimeoutMs })) as Session<O, A>;
    } else {
      next = (await this.server.acceptSession({ timeoutMs: this.initTimeoutMs })) as Session<O, A>;
    }
    this.session = next;
    this.checkSpaces(next);
    event = await this.waitEvent(next, this.stepTimeoutMs);
    if (event.kind === 'end') {
      throw new Ns3tsError(`simulator ${next.simProcessId} ended before its first state (${event.reason}: ${event.message})`);
    }
    return this.begin(next, event.state, seed);
  }

  async step(action: A): Promise<StepResult<O>> {
    const session = this.session;
    if (!session || this.episodeOver) throw new Ns3tsError('step() needs an episode in progress: call reset() first');
    if (session.ended) {
      // The session ended while the agent was thinking (e.g. the simulator was replaced).
      return this.endByEvent({ kind: 'end', ...session.endReason! });
    }
    session.act(action);
    const event = await this.waitEvent(session, this.stepTimeoutMs);
    if (event.kind === 'end') return this.endByEvent(event);
    const state = event.state;
    this.steps++;
    // A game-over state may carry no observation: the episode's last one stands for it.
    const obs = state.obs ?? (this.lastObs as O);
    this.lastObs = obs;
    const info = parseInfo(state.info);
    if (state.simTime !== null) info.simTime = state.simTime;
    let terminated = false;
    let truncated = false;
    if (state.gameOver) {
      terminated = state.reason === 'GameOver';
      truncated = !terminated;
      info.reason = state.reason;
    } else if (this.steps >= this.maxEpisodeSteps) {
      truncated = true;
      info.reason = 'time-limit';
    }
    if (terminated || truncated) this.episodeOver = true;
    return { obs, reward: state.reward, terminated, truncated, info };
  }

  /** Stops the simulator (stopSimReq), the launcher and, if owned, the server. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session?.stop('closed', 'the env was closed');
    this.session = null;
    if (this.launcher) await this.launcher.close();
    if (this.ownsServer) await this.server.close();
  }

  private begin(session: Session<O, A>, state: SessionState<O>, seed: number): ResetResult<O> {
    if (state.obs === null) throw new Ns3tsError(`simulator ${session.simProcessId}: its first state of an episode carries no obsData (only a game-over state after a step may omit it)`);
    this.episodes++;
    this.episodeOver = state.gameOver;
    this.lastObs = state.obs;
    const info = parseInfo(state.info);
    info.seed = session.seed || seed;
    info.simProcessId = session.simProcessId;
    if (state.simTime !== null) info.simTime = state.simTime;
    return { obs: state.obs, info };
  }

  private endByEvent(event: { kind: 'end'; reason: string; message: string }): StepResult<O> {
    this.episodeOver = true;
    if (event.reason === 'protocol-error' && this.onProtocolError === 'throw') throw new ProtocolError(event.message);
    return {
      obs: this.lastObs as O,
      reward: 0,
      terminated: false,
      truncated: true,
      info: { reason: event.reason, error: event.message },
    };
  }

  private checkSpaces(session: Session<O, A>): void {
    if (!this.obsSpace) this.obsSpace = session.observationSpace;
    if (!this.actSpace) this.actSpace = session.actionSpace;
    const same = (a: GymSpace, b: GymSpace): boolean => JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());
    if (!same(this.obsSpace, session.observationSpace) || !same(this.actSpace, session.actionSpace)) {
      const message =
        `simulator ${session.simProcessId} declares observation ${JSON.stringify(session.observationSpace.toJSON())} and action ` +
        `${JSON.stringify(session.actionSpace.toJSON())}, expected ${JSON.stringify(this.obsSpace.toJSON())} and ${JSON.stringify(this.actSpace.toJSON())}`;
      session.stop('protocol-error', message);
      this.session = null;
      throw new ProtocolError(message);
    }
  }

  /** Waits for the session's next event; with a launcher, a simulator that exits ends it at once. */
  private async waitEvent(session: Session<O, A>, timeoutMs: number): Promise<SessionEvent<O>> {
    const launcher = this.launcher;
    if (!launcher) return session.nextEvent(timeoutMs);
    const poll = setInterval(() => {
      const exit = launcher.exitInfo(this.index);
      if (exit && !session.ended) {
        const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
        session.end('simulator-exited', `simulator ${this.index} (pid ${session.simProcessId}) exited with ${how}`);
      }
    }, EXIT_POLL_MS);
    try {
      return await session.nextEvent(timeoutMs);
    } finally {
      clearInterval(poll);
    }
  }
}

/** ns3-gym's extra-info string as a Gymnasium info dict: a JSON object as is, else { extraInfo }. */
export function parseInfo(text: string): Info {
  if (!text) return {};
  const first = text.trimStart()[0];
  if (first === '{') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Info;
    } catch {
      // not JSON after all: keep the string
    }
  }
  return { extraInfo: text };
}

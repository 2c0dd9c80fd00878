import * as zmq from 'zeromq';
import { InputError, Ns3tsError } from '../util/index.js';
import { isGymSpace, type GymSpace, type Space } from '../env/index.js';
import {
  DEFAULT_WIRE_LIMITS,
  decodeSimInitAck,
  encodeSimInitMsg,
  fromWireData,
  spaceToWire,
  toWireData,
  readEnvActMsg,
  writeEnvStateMsg,
  type GameOverReason,
} from '../wire/index.js';
import { BASE_CAPABILITIES, formatCapabilities, normalizeEndpoint, parseCapabilities } from './endpoint.js';

/** Default time the simulator waits for the agent's answer (the agent may be training). */
export const DEFAULT_PEER_TIMEOUT_MS = 60_000;

export interface SimulatorPeerOptions {
  /** Where the agent listens: tcp://host:port or ipc://path. */
  endpoint: string;
  /** How long to wait for each answer from the agent (default 60 s). */
  timeoutMs?: number;
  /**
   * The SimInitMsg.capabilities string, sent verbatim. Default
   * "ns3ts/<version> box-bounds,int64,seed,sim-time"; '' behaves like a stock ns3-gym simulator.
   */
  capabilities?: string;
  /** The seed this simulator uses (SimInitMsg.seed). */
  seed?: number;
  /** SimInitMsg.simProcessId; default process.pid. */
  simProcessId?: number;
  /** ZeroMQ CURVE: the agent's public key and this simulator's key pair (default: plain). */
  curve?: { serverPublicKey: string; publicKey: string; secretKey: string };
}

export interface InitAck {
  stopSimReq: boolean;
  capabilities?: string;
}

export interface PeerState<O = unknown> {
  obs: O;
  reward: number;
  gameOver?: boolean;
  /** Default GameOver when gameOver is set. */
  reason?: GameOverReason;
  /** The ns3-gym extra-info string; an object is sent as JSON. */
  info?: string | Record<string, unknown>;
  simTime?: number;
}

export type PeerReply<A = unknown> = { kind: 'action'; action: A } | { kind: 'stop' } | { kind: 'reset'; seed?: number };

/**
 * The simulator side of the protocol in TypeScript (a REQ socket that connects), for tests,
 * benchmarks and `ns3ts sim`: init() sends SimInitMsg, step() sends a state and returns the
 * agent's answer. Every receive has a timeout; after a timeout the peer is closed (a REQ socket
 * cannot recover from a lost reply).
 */
export class SimulatorPeer<O = unknown, A = unknown> {
  readonly endpoint: string;
  readonly timeoutMs: number;
  private readonly capabilities: string;
  private readonly seed: number;
  private readonly simProcessId: number;
  private readonly curve: SimulatorPeerOptions['curve'] | null;
  private socket: zmq.Request | null = null;
  private observationSpace: GymSpace<O> | null = null;
  private actionSpace: GymSpace<A> | null = null;
  private stopped = false;

  constructor(options: SimulatorPeerOptions) {
    this.endpoint = normalizeEndpoint(options.endpoint);
    if (this.endpoint.endsWith(':*')) throw new InputError('endpoint', options.endpoint, 'a concrete port to connect to');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new InputError('timeoutMs', options.timeoutMs, 'a positive number of milliseconds');
    this.capabilities = options.capabilities ?? formatCapabilities([...BASE_CAPABILITIES]);
    this.seed = options.seed ?? 0;
    this.simProcessId = options.simProcessId ?? process.pid;
    this.curve = options.curve ?? null;
  }

  /** True once the agent asked to stop (or the peer was closed). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Sends SimInitMsg with the two spaces; resolves with the SimInitAck. */
  async init(spaces: { observationSpace: Space<O>; actionSpace: Space<A> }): Promise<InitAck> {
    if (this.socket) throw new Ns3tsError('init() was already called on this simulator peer');
    const obs = spaces.observationSpace;
    const act = spaces.actionSpace;
    if (!isGymSpace(obs)) throw new InputError('observationSpace', obs.kind, 'a space from ns3ts (Discrete, Box, ...)');
    if (!isGymSpace(act)) throw new InputError('actionSpace', act.kind, 'a space from ns3ts (Discrete, Box, ...)');
    this.observationSpace = obs as GymSpace<O>;
    this.actionSpace = act as GymSpace<A>;
    const curve = this.curve;
    const socket = new zmq.Request({
      linger: 0,
      receiveTimeout: this.timeoutMs,
      sendTimeout: this.timeoutMs,
      ...(curve ? { curveServerKey: curve.serverPublicKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {}),
    });
    socket.connect(this.endpoint);
    this.socket = socket;
    const reply = await this.request(
      encodeSimInitMsg({
        simProcessId: this.simProcessId,
        obsSpace: spaceToWire(obs),
        actSpace: spaceToWire(act),
        capabilities: this.capabilities,
        seed: this.seed,
      }),
      'SimInitAck',
    );
    const ack = decodeSimInitAck(reply);
    if (ack.stopSimReq) this.stopped = true;
    return ack.capabilities ? { stopSimReq: ack.stopSimReq, capabilities: ack.capabilities } : { stopSimReq: ack.stopSimReq };
  }

  /** Sends one state (EnvStateMsg) and waits for the agent's answer. */
  async step(state: PeerState<O>): Promise<PeerReply<A>> {
    if (!this.socket || !this.observationSpace || !this.actionSpace) throw new Ns3tsError('step() before init()');
    if (this.stopped) throw new Ns3tsError('step() after the agent asked the simulator to stop');
    const info = state.info === undefined ? '' : typeof state.info === 'string' ? state.info : JSON.stringify(state.info);
    const frame = writeEnvStateMsg({
      obsData: toWireData(this.observationSpace, state.obs, 'obs'),
      reward: state.reward,
      isGameOver: Boolean(state.gameOver),
      reason: state.reason ?? 'GameOver',
      info,
      simTime: state.simTime ?? 0,
    });
    const reply = readEnvActMsg(await this.request(frame, 'EnvActMsg'), DEFAULT_WIRE_LIMITS);
    if (reply.stopSimReq) {
      this.stopped = true;
      return { kind: 'stop' };
    }
    if (reply.resetReq) return reply.resetSeed ? { kind: 'reset', seed: reply.resetSeed } : { kind: 'reset' };
    if (!reply.actData) throw new Ns3tsError('the agent answered without an action, stop or reset');
    return { kind: 'action', action: fromWireData(this.actionSpace, reply.actData, 'action') };
  }

  /** Closes the socket. Idempotent. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.socket && !this.socket.closed) this.socket.close();
  }

  /** The capability set the agent advertised in its SimInitAck (empty for ns3-gym agents). */
  static agentCapabilities(ack: InitAck): ReadonlySet<string> {
    return parseCapabilities(ack.capabilities ?? '').set;
  }

  private async request(frame: Uint8Array, what: string): Promise<Uint8Array> {
    const socket = this.socket!;
    try {
      await socket.send(frame);
      const [reply] = await socket.receive();
      if (!reply) throw new Ns3tsError(`empty ${what} from the agent`);
      return reply;
    } catch (err) {
      const e = err as Error & { code?: string };
      await this.close();
      if (e.code === 'EAGAIN') throw new Ns3tsError(`no ${what} from the agent at ${this.endpoint} within ${this.timeoutMs} ms`);
      throw err;
    }
  }
}

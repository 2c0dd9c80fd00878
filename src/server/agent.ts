// The agent of ns3-gym's two-terminal mode (`ns3ts agent`): serves the simulators that connect,
// answering every state with a random or constant action of the declared action space. It works
// on protocol sessions (any spaces, soft resets, concurrent ROUTER sessions), below the Env API.
import { Box, Dict, Discrete, Tuple, ndarray, type BoxDtype, type GymSpace } from '../env/index.js';
import { InputError, Ns3tsError, Rng } from '../util/index.js';
import { isLoopbackEndpoint } from './endpoint.js';
import { GymServer, type ServerError, type ServerMode, type ServerTransport } from './gym-server.js';
import type { Session, SessionEvent, SessionState } from './session.js';

export interface AgentOptions {
  endpoint: string;
  policy: string;
  mode: ServerMode;
  timeout: number;
  maxEpisodes?: number;
  seed: number;
  quiet?: boolean;
  /** The server's socket (GymServerOptions.transport); default 'auto' (the addon's libzmq socket when built with it). */
  socket?: ServerTransport;
  /** Native socket: how long to poll for the next state before blocking (GymServerOptions.spinMicroseconds; default NATIVE_SPIN_US). */
  spinUs?: number;
  /** Exit non-zero at the end when any session ended with an error or a frame was refused. */
  strict?: boolean;
  /** Wire limits (DEFAULT_WIRE_LIMITS when absent). */
  maxFrameBytes?: number;
  maxElements?: number;
  maxDepth?: number;
  maxKeys?: number;
  /**
   * A policy built by the caller (e.g. the CLI from a trained run), used instead of `policy`; the
   * server layer stays free of the agents that make it.
   */
  external?: ExternalPolicy;
}

/** How the agent picks actions. */
export type ActionPolicy = (space: GymSpace, rng: Rng) => unknown;

/** One simulator's policy: an action for each observation (`step` counts from 0 per episode). */
export interface SessionPolicy {
  /** Called at the start of every episode. */
  reset?(): void;
  act(obs: unknown, step: number): unknown;
}

/** A policy served to every simulator that connects: made once per session from its spaces. */
export interface ExternalPolicy {
  name: string;
  create(observationSpace: GymSpace, actionSpace: GymSpace): SessionPolicy | Promise<SessionPolicy>;
}

/** `random` samples the action space; `constant:<json>` sends the same action every step. */
export function parsePolicy(text: string): { name: string; choose: ActionPolicy } {
  if (text === 'random') return { name: 'random', choose: (space, rng) => space.sample(rng) };
  if (text.startsWith('constant:')) {
    const raw = text.slice('constant:'.length);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new InputError('--policy', text, 'constant:<json>, e.g. constant:2 or constant:[0.5,0.5]');
    }
    const cache = new WeakMap<GymSpace, unknown>();
    return {
      name: `constant ${raw}`,
      choose: (space) => {
        if (!cache.has(space)) cache.set(space, actionFromJson(space, json, '--policy constant'));
        return cache.get(space);
      },
    };
  }
  throw new InputError('--policy', text, "'random' or 'constant:<json>' or 'checkpoint:<run-dir>'");
}

/**
 * An action of `space` from plain JSON: Discrete <- integer; Box <- number (every element) or a
 * flat or nested array; Tuple <- array; Dict <- object.
 */
export function actionFromJson(space: GymSpace, json: unknown, field: string): unknown {
  if (space instanceof Discrete) {
    if (!space.contains(json)) throw new InputError(field, json, `an integer in [0, ${space.n - 1}] for Discrete(${space.n})`);
    return json;
  }
  if (space instanceof Box) {
    const values = typeof json === 'number' ? new Array<number>(space.size).fill(json) : Array.isArray(json) ? json.flat(Infinity) : null;
    if (!values || values.length !== space.size || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InputError(field, json, `a number or ${space.size} numbers for ${JSON.stringify(space.toJSON())}`);
    }
    const numbers = values as number[];
    for (let i = 0; i < numbers.length; i++) {
      const at = numbers.length > 1 ? `${field}[${i}]` : field;
      const v = numbers[i]!;
      if (!fitsDtype(space.dtype, v)) throw new InputError(at, v, `a value a ${space.dtype} holds exactly`);
      if (v < space.lowAt(i) || v > space.highAt(i)) throw new InputError(at, v, `a value in [${space.lowAt(i)}, ${space.highAt(i)}] (the action space's bounds)`);
    }
    const bigint = space.dtype === 'int64' || space.dtype === 'uint64';
    return ndarray(space.dtype, space.shape, bigint ? numbers.map((v) => BigInt(v)) : numbers);
  }
  if (space instanceof Tuple) {
    if (!Array.isArray(json) || json.length !== space.spaces.length) throw new InputError(field, json, `an array of ${space.spaces.length} actions (Tuple)`);
    return space.spaces.map((s, i) => actionFromJson(s, json[i], `${field}[${i}]`));
  }
  if (space instanceof Dict) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(field, json, `an object with keys ${space.keys.join(', ')}`);
    const extra = Object.keys(json).filter((k) => !space.keys.includes(k));
    if (extra.length > 0) throw new InputError(`${field}.${extra[0]}`, (json as Record<string, unknown>)[extra[0]!], `no such key: the action space's keys are ${space.keys.join(', ')}`);
    const out: Record<string, unknown> = {};
    for (const k of space.keys) out[k] = actionFromJson(space.spaces[k]!, (json as Record<string, unknown>)[k], `${field}.${k}`);
    return out;
  }
  throw new InputError(field, space.kind, 'a Discrete, Box, Tuple or Dict action space');
}

export interface AgentSummary {
  endpoint: string;
  episodes: number;
  steps: number;
  /** Sessions that ended with an error, and frames refused before a session started. */
  failures: number;
}

/**
 * Serves external simulators the way ns3-gym's agent does in two-terminal mode: prints the spaces
 * each simulator declares and answers every state with the policy's action. Returns after the
 * simulator stops (or after `maxEpisodes`). In REP mode (one simulator) a timeout or a protocol
 * error ends the run with an error; in ROUTER mode it ends that simulator's session only, is
 * reported on `report` (naming the simulator and its connection) and the others keep being
 * served; `strict` then fails the run at its end. Frames refused before a session started are
 * reported the same way in both modes.
 */
export async function runAgent(
  options: AgentOptions,
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  report: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<AgentSummary> {
  const timeoutMs = options.timeout * 1000;
  const policy = options.external ? { name: options.external.name, choose: null } : parsePolicy(options.policy);
  const limits = { maxFrameBytes: options.maxFrameBytes, maxElements: options.maxElements, maxDepth: options.maxDepth, maxKeys: options.maxKeys };
  const server = new GymServer({
    endpoint: options.endpoint,
    mode: options.mode,
    initTimeoutMs: timeoutMs,
    stepTimeoutMs: timeoutMs,
    transport: options.socket ?? 'auto',
    ...(options.spinUs !== undefined ? { spinMicroseconds: options.spinUs } : {}),
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  });
  const endpoint = await server.listen();
  let failures = 0;
  server.on('protocol-error', (error: ServerError) => {
    // Errors of a session are reported when it ends; these are frames refused before one started.
    if (error.sessionId !== null) return;
    failures++;
    report(`ns3ts agent: refused: ${error.message}`);
  });
  const bound = server.bindAddress;
  log(`listening on ${bound} (${options.mode.toUpperCase()}), policy ${policy.name}, timeout ${options.timeout} s`);
  if (!isLoopbackEndpoint(bound)) {
    const everywhere = /^tcp:\/\/(0\.0\.0\.0|\[?::\]?):/.test(bound) ? 'listens on every interface' : 'listens on a non-loopback interface';
    report(`ns3ts agent: warning: ${bound} ${everywhere}: any host that can reach it can connect and send frames (simulators on this host connect to ${endpoint})`);
  }
  const rng = new Rng(options.seed);
  const maxEpisodes = options.maxEpisodes ?? (options.mode === 'rep' ? 1 : Infinity);
  let episodes = 0;
  let steps = 0;
  let startedEpisodes = 0;

  let wakeAccept: () => void = () => undefined;
  /** Counts an episode as started (or, with -1, one that did not start after all). */
  const startEpisodes = (delta: number): void => {
    startedEpisodes += delta;
    wakeAccept();
  };

  /** Plays one session to its end (several episodes when it supports soft reset). */
  const serve = async (session: Session): Promise<void> => {
    log(`simulator ${session.simProcessId} connected${session.capabilities.version ? ` (ns3ts ${session.capabilities.version})` : ''}`);
    log(`  observation space: ${JSON.stringify(session.observationSpace.toJSON())}`);
    log(`  action space: ${JSON.stringify(session.actionSpace.toJSON())}`);
    const external = options.external ? await options.external.create(session.observationSpace, session.actionSpace) : null;
    external?.reset?.();
    const choose = policy.choose;
    const actionSpace = session.actionSpace;
    let episodeSteps = 0;
    let episodeReward = 0;
    // Steps per second run from the episode's first state to its last (what bench:bridge reads).
    let episodeStart = 0;
    // True from a soft reset until the new episode's first state: a simulator that stops there
    // (its own episode budget is spent) finished normally.
    let betweenEpisodes = false;
    /** How the session ended: returns when the run goes on, throws when it fails. */
    const ended = (event: Extract<SessionEvent, { kind: 'end' }>): void => {
      if (event.reason === 'closed' || event.reason === 'server-closed') return;
      if (betweenEpisodes && (event.reason === 'disconnected' || event.reason === 'simulator-exited' || event.reason === 'timeout')) {
        // ZeroMQ reports a lost connection only when it was the endpoint's last one; with others
        // still connected, a simulator that stopped at a reset is seen by its silence instead.
        if (event.reason === 'timeout') log(`simulator ${session.simProcessId} started no episode after its reset within ${options.timeout} s; session closed`);
        startEpisodes(-1);
        return;
      }
      if (options.mode === 'router') {
        // One simulator's failure is its own: report it, keep serving the others.
        failures++;
        startEpisodes(-1);
        report(`ns3ts agent: session ${session.id} of simulator ${session.simProcessId} (connection ${session.connection}) ended: ${event.reason}: ${event.message}`);
        return;
      }
      if (event.reason === 'protocol-error') throw new Ns3tsError(`protocol error: ${event.message}`);
      if (event.reason === 'timeout') throw new Ns3tsError(`simulator ${session.simProcessId} went silent: no state within ${options.timeout} s`);
      throw new Ns3tsError(`episode cut: ${event.message}`);
    };
    /**
     * Answers one state (an action, or at game over a reset or the stop); a promise only when the
     * external policy's action is one.
     */
    const answer = (state: SessionState): Promise<void> | undefined => {
      betweenEpisodes = false;
      if (episodeSteps === 0) episodeStart = performance.now();
      if (episodeSteps > 0) episodeReward += state.reward;
      if (state.gameOver) {
        episodes++;
        const how = state.reason === 'GameOver' ? 'terminated (GameOver)' : 'truncated (SimulationEnd)';
        const seconds = (performance.now() - episodeStart) / 1000;
        const rate = episodeSteps > 0 && seconds > 0 ? `, ${Math.round(episodeSteps / seconds)} steps/s` : '';
        log(`episode ${episodes}: simulator ${session.simProcessId}, ${episodeSteps} steps, reward ${round(episodeReward)}, ${how}${rate}`);
        if (session.softReset && startedEpisodes < maxEpisodes) {
          startEpisodes(1);
          session.requestReset(rng.nextUint32() >>> 1);
          external?.reset?.();
          episodeSteps = 0;
          episodeReward = 0;
          betweenEpisodes = true;
          return undefined;
        }
        session.stop('closed', 'episode over');
        return undefined;
      }
      const action = choose ? choose(actionSpace, rng) : external!.act(state.obs, episodeSteps);
      if (action instanceof Promise) return action.then(actNow);
      actNow(action);
      return undefined;
    };
    const actNow = (action: unknown): void => {
      session.act(action);
      episodeSteps++;
      steps++;
    };
    // Every state is answered where it arrives (no promise per step when the policy is
    // synchronous); what follows only waits for the session's end.
    let failed: Error | null = null;
    const fail = (err: unknown): void => {
      failed ??= err as Error;
      session.stop('closed', `the policy failed: ${(err as Error).message}`);
    };
    session.answerWith((state) => {
      try {
        answer(state)?.catch(fail);
      } catch (err) {
        fail(err);
      }
    });
    for (;;) {
      const event = await session.nextEvent(timeoutMs);
      if (failed) throw failed;
      if (event.kind === 'end') return ended(event);
      // A state queued before the session ended (nextEvent hands those out first).
      await answer(event.state);
    }
  };

  const running = new Set<Promise<void>>();
  let failure: Error | null = null;
  const abort = new AbortController();
  try {
    while (failure === null) {
      if (startedEpisodes >= maxEpisodes) {
        // Every episode asked for is under way; one that does not start after all (its simulator
        // stopped at a reset) reopens the door.
        if (running.size === 0) break;
        await Promise.race(running);
        continue;
      }
      // Without --max-episodes, a ROUTER agent keeps accepting while simulators run and stops
      // once none is left (polling each second); otherwise each wait is bounded by --timeout.
      const polling = options.maxEpisodes === undefined && startedEpisodes > 0;
      const woken = new AbortController();
      const onAbort = (): void => woken.abort();
      abort.signal.addEventListener('abort', onAbort);
      wakeAccept = () => {
        if (startedEpisodes >= maxEpisodes) woken.abort();
      };
      let session: Session;
      try {
        session = await server.acceptSession({ timeoutMs: polling ? 1000 : timeoutMs, signal: woken.signal });
      } catch (err) {
        if (failure) break;
        if (woken.signal.aborted) continue;
        if (polling) {
          if (running.size === 0) break;
          continue;
        }
        throw err;
      } finally {
        abort.signal.removeEventListener('abort', onAbort);
        wakeAccept = () => undefined;
      }
      startedEpisodes++;
      const task: Promise<void> = serve(session)
        .catch((err: Error) => {
          failure ??= err;
          abort.abort();
        })
        .finally(() => running.delete(task));
      running.add(task);
      if (options.mode === 'rep') await task;
    }
    await Promise.all([...running]);
    if (failure) throw failure;
  } finally {
    await server.close();
  }
  log(`done: ${episodes} episode(s), ${steps} step(s)${failures > 0 ? `, ${failures} failed session(s) or refused frame(s)` : ''}`);
  if (options.strict && failures > 0) throw new Ns3tsError(`${failures} session(s) ended with an error (--strict)`);
  return { endpoint, episodes, steps, failures };
}

/**
 * True when a Box of `dtype` stores `value` as given: an integer dtype holds it without wrapping or
 * truncation, a float dtype without overflowing to infinity (float32 rounding is how Box stores it).
 */
function fitsDtype(dtype: BoxDtype, value: number): boolean {
  if (dtype === 'float32') return Number.isFinite(Math.fround(value));
  if (dtype === 'float64') return true;
  if (!Number.isSafeInteger(value)) return false;
  const stored = ndarray(dtype, [1], dtype === 'int64' || dtype === 'uint64' ? [BigInt(value)] : [value]).data[0];
  return Number(stored) === value;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

// The agent of ns3-gym's two-terminal mode (`ns3ts agent`): serves the simulators that connect,
// answering every state with a random or constant action of the declared action space. It works
// on protocol sessions (any spaces, soft resets, concurrent ROUTER sessions), below the Env API.
import { Box, Dict, Discrete, Tuple, ndarray, type GymSpace } from '../env/index.js';
import { InputError, Ns3tsError, Rng } from '../util/index.js';
import { isLoopbackEndpoint } from './endpoint.js';
import { GymServer, type ServerError, type ServerMode } from './gym-server.js';
import type { Session } from './session.js';

export interface AgentOptions {
  endpoint: string;
  policy: string;
  mode: ServerMode;
  timeout: number;
  maxEpisodes?: number;
  seed: number;
  quiet?: boolean;
  /** Exit non-zero at the end when any session ended with an error or a frame was refused. */
  strict?: boolean;
  /** Wire limits (DEFAULT_WIRE_LIMITS when absent). */
  maxFrameBytes?: number;
  maxElements?: number;
  maxDepth?: number;
  maxKeys?: number;
}

/** How the agent picks actions. */
export type ActionPolicy = (space: GymSpace, rng: Rng) => unknown;

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
  throw new InputError('--policy', text, "'random' or 'constant:<json>'");
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
    const bigint = space.dtype === 'int64' || space.dtype === 'uint64';
    return ndarray(space.dtype, space.shape, bigint ? (values as number[]).map((v) => BigInt(Math.trunc(v))) : (values as number[]));
  }
  if (space instanceof Tuple) {
    if (!Array.isArray(json) || json.length !== space.spaces.length) throw new InputError(field, json, `an array of ${space.spaces.length} actions (Tuple)`);
    return space.spaces.map((s, i) => actionFromJson(s, json[i], `${field}[${i}]`));
  }
  if (space instanceof Dict) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(field, json, `an object with keys ${space.keys.join(', ')}`);
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
  const policy = parsePolicy(options.policy);
  const limits = { maxFrameBytes: options.maxFrameBytes, maxElements: options.maxElements, maxDepth: options.maxDepth, maxKeys: options.maxKeys };
  const server = new GymServer({
    endpoint: options.endpoint,
    mode: options.mode,
    initTimeoutMs: timeoutMs,
    stepTimeoutMs: timeoutMs,
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

  /** Plays one session to its end (several episodes when it supports soft reset). */
  const serve = async (session: Session): Promise<void> => {
    log(`simulator ${session.simProcessId} connected${session.capabilities.version ? ` (ns3ts ${session.capabilities.version})` : ''}`);
    log(`  observation space: ${JSON.stringify(session.observationSpace.toJSON())}`);
    log(`  action space: ${JSON.stringify(session.actionSpace.toJSON())}`);
    let episodeSteps = 0;
    let episodeReward = 0;
    startedEpisodes++;
    for (;;) {
      const event = await session.nextEvent(timeoutMs);
      if (event.kind === 'end') {
        if (event.reason === 'closed' || event.reason === 'server-closed') return;
        if (options.mode === 'router') {
          // One simulator's failure is its own: report it, keep serving the others.
          failures++;
          startedEpisodes--;
          report(`ns3ts agent: session ${session.id} of simulator ${session.simProcessId} (connection ${session.connection}) ended: ${event.reason}: ${event.message}`);
          return;
        }
        if (event.reason === 'protocol-error') throw new Ns3tsError(`protocol error: ${event.message}`);
        if (event.reason === 'timeout') throw new Ns3tsError(`simulator ${session.simProcessId} went silent: no state within ${options.timeout} s`);
        throw new Ns3tsError(`episode cut: ${event.message}`);
      }
      const state = event.state;
      if (episodeSteps > 0) episodeReward += state.reward;
      if (state.gameOver) {
        episodes++;
        const how = state.reason === 'GameOver' ? 'terminated (GameOver)' : 'truncated (SimulationEnd)';
        log(`episode ${episodes}: simulator ${session.simProcessId}, ${episodeSteps} steps, reward ${round(episodeReward)}, ${how}`);
        if (session.softReset && startedEpisodes < maxEpisodes) {
          startedEpisodes++;
          session.requestReset(rng.nextUint32() >>> 1);
          episodeSteps = 0;
          episodeReward = 0;
          continue;
        }
        session.stop('closed', 'episode over');
        return;
      }
      session.act(policy.choose(session.actionSpace, rng));
      episodeSteps++;
      steps++;
    }
  };

  const running = new Set<Promise<void>>();
  let failure: Error | null = null;
  const abort = new AbortController();
  try {
    while (startedEpisodes < maxEpisodes && failure === null) {
      // Without --max-episodes, a ROUTER agent keeps accepting while simulators run and stops
      // once none is left (polling each second); otherwise each wait is bounded by --timeout.
      const polling = options.maxEpisodes === undefined && startedEpisodes > 0;
      let session: Session;
      try {
        session = await server.acceptSession({ timeoutMs: polling ? 1000 : timeoutMs, signal: abort.signal });
      } catch (err) {
        if (failure) break;
        if (polling) {
          if (running.size === 0) break;
          continue;
        }
        throw err;
      }
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

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

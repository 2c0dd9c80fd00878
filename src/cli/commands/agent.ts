import { Command, Option } from 'commander';
import { Box, Dict, Discrete, Tuple, ndarray, type GymSpace } from '../../env/index.js';
import { GymServer, isLoopbackEndpoint, type ServerError, type ServerMode, type Session } from '../../server/index.js';
import { InputError, Ns3tsError, Rng } from '../../util/index.js';
import { DEFAULT_WIRE_LIMITS } from '../../wire/index.js';

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

function positiveNumber(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InputError(name, text, 'a positive number');
    return n;
  };
}

function positiveInt(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new InputError(name, text, 'a positive integer');
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < 0) throw new InputError(name, text, 'a non-negative integer');
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('agent')
    .description('serve external simulators as an ns3-gym agent (two-terminal mode): print their spaces, answer every state')
    .option('--endpoint <endpoint>', 'where to listen: tcp://host:port (port 0 = any free port), ipc://path, or a port', 'tcp://127.0.0.1:5555')
    .option('--policy <policy>', "'random' (samples the action space) or 'constant:<json>' (e.g. constant:2, constant:[0.5,0.5])", 'random')
    .addOption(new Option('--mode <mode>', 'REP: one simulator at a time, exactly like ns3-gym; ROUTER: many simulators on one endpoint').choices(['rep', 'router']).default('rep'))
    .option('--timeout <seconds>', 'how long to wait for a simulator to connect and for each state', positiveNumber('--timeout'), 60)
    .option('--max-episodes <n>', 'exit after n episodes (default: when the simulator stops; ROUTER: when no simulator is left)', positiveInt('--max-episodes'))
    .option('--seed <n>', 'seed of the random policy', nonNegativeInt('--seed'), 0)
    .option('--strict', 'ROUTER: exit 1 at the end when any session ended with an error or a frame was refused')
    .option('--max-frame-bytes <n>', `largest frame accepted (default ${DEFAULT_WIRE_LIMITS.maxFrameBytes})`, positiveInt('--max-frame-bytes'))
    .option('--max-elements <n>', `most elements one declared space may hold (default ${DEFAULT_WIRE_LIMITS.maxElements})`, positiveInt('--max-elements'))
    .option('--max-depth <n>', `deepest nesting of Tuple/Dict spaces (default ${DEFAULT_WIRE_LIMITS.maxDepth})`, positiveInt('--max-depth'))
    .option('--max-keys <n>', `most Tuple/Dict entries in one space (default ${DEFAULT_WIRE_LIMITS.maxKeys})`, positiveInt('--max-keys'))
    .addHelpText(
      'after',
      '\nExamples:\n  ns3ts agent --endpoint tcp://127.0.0.1:5555          # then start the ns-3 scenario with --openGymPort=5555\n' +
        '  ns3ts agent --endpoint ipc:///tmp/gym.sock --mode router --max-episodes 8 --policy constant:[0.3,0.3,0.3]\n' +
        '\nExit code 0 when the simulators stopped (or after --max-episodes), 1 with a one-line reason on a timeout or a protocol error.\n' +
          'In ROUTER mode a failing simulator ends its own session (one stderr line naming it and its connection) and the\n' +
          'others keep being served; --strict then exits 1 at the end. Frames beyond the --max-* limits are refused with a stop reply.',
    )
    .action(async (opts: AgentOptions) => {
      await runAgent(opts);
    });
}

import { Command, Option } from 'commander';
import { Box, Dict, Discrete, Tuple, ndarray, type GymSpace } from '../../env/index.js';
import { GymServer, type ServerMode, type Session } from '../../server/index.js';
import { InputError, Ns3tsError, Rng } from '../../util/index.js';
import { integerOption, numberOption } from '../options.js';

export interface AgentOptions {
  endpoint: string;
  policy: string;
  mode: ServerMode;
  timeout: number;
  maxEpisodes?: number;
  seed: number;
  quiet?: boolean;
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
}

/**
 * Serves external simulators the way ns3-gym's agent does in two-terminal mode: prints the spaces
 * each simulator declares and answers every state with the policy's action. Returns after the
 * simulator stops (or after `maxEpisodes`); throws on a timeout or a protocol error.
 */
export async function runAgent(options: AgentOptions, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<AgentSummary> {
  const timeoutMs = options.timeout * 1000;
  const policy = parsePolicy(options.policy);
  const server = new GymServer({ endpoint: options.endpoint, mode: options.mode, initTimeoutMs: timeoutMs, stepTimeoutMs: timeoutMs });
  const endpoint = await server.listen();
  log(`listening on ${endpoint} (${options.mode.toUpperCase()}), policy ${policy.name}, timeout ${options.timeout} s`);
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
  log(`done: ${episodes} episode(s), ${steps} step(s)`);
  return { endpoint, episodes, steps };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function register(program: Command): void {
  program
    .command('agent')
    .description('serve external simulators as an ns3-gym agent (two-terminal mode): print their spaces, answer every state')
    .option('--endpoint <endpoint>', 'where to listen: tcp://host:port (port 0 = any free port), ipc://path, or a port', 'tcp://127.0.0.1:5555')
    .option('--policy <policy>', "'random' (samples the action space) or 'constant:<json>' (e.g. constant:2, constant:[0.5,0.5])", 'random')
    .addOption(new Option('--mode <mode>', 'REP: one simulator at a time, exactly like ns3-gym; ROUTER: many simulators on one endpoint').choices(['rep', 'router']).default('rep'))
    .option('--timeout <seconds>', 'how long to wait for a simulator to connect and for each state', numberOption('--timeout', { above: 0 }), 60)
    .option('--max-episodes <n>', 'exit after n episodes (default: when the simulator stops; ROUTER: when no simulator is left)', integerOption('--max-episodes', { min: 1 }))
    .option('--seed <n>', 'seed of the random policy', integerOption('--seed'), 0)
    .addHelpText(
      'after',
      '\nExamples:\n  ns3ts agent --endpoint tcp://127.0.0.1:5555          # then start the ns-3 scenario with --openGymPort=5555\n' +
        '  ns3ts agent --endpoint ipc:///tmp/gym.sock --mode router --max-episodes 8 --policy constant:[0.3,0.3,0.3]\n' +
        '\nExit code 0 when the simulators stopped (or after --max-episodes), 1 with a one-line reason on a timeout or a protocol error.',
    )
    .action(async (opts: AgentOptions) => {
      await runAgent(opts);
    });
}

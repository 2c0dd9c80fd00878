import type { Command } from 'commander';
import { type NdArray } from '../../env/index.js';
import { SyntheticSlicingEnv, FEATURES_PER_SLICE } from '../../families/index.js';
import { runEpisodes } from '../../rollout/index.js';
import { applyOverrides, loadScenario } from '../../scenario/index.js';
import { SimulatorPeer, BASE_CAPABILITIES, DEFAULT_PEER_TIMEOUT_MS, formatCapabilities, type PeerState } from '../../server/index.js';
import { InputError, deriveSeed } from '../../util/index.js';
import { integerOption, repeatableOption, SET_OPTION_HELP } from '../options.js';

type Obs = NdArray<Float32Array>;

interface SimOptions {
  scenario: string;
  endpoint?: string;
  openGymEndpoint?: string;
  openGymPort?: number;
  simSeed?: number;
  episodes: number;
  timeoutMs: number;
  /** `--set path=value` overrides of the scenario (default none). */
  set?: string[];
}

/**
 * How the agent ended an episode early: 'stop' ends the simulation, 'reset' starts the next
 * episode (thrown out of the policy, which is the agent across the wire, to end the rollout).
 */
class AgentEndedEpisode extends Error {
  constructor(readonly reply: { kind: 'stop' } | { kind: 'reset'; seed?: number }) {
    super(`the agent sent ${reply.kind} mid-episode`);
  }
}

/**
 * Serves a synthetic scenario as an out-of-process simulator over the ns3-gym wire protocol, so
 * everything that talks to ns-3 (servers, launchers, vector envs, the stock ns3-gym agent) can run
 * without ns-3. Accepts the arguments the launcher gives ns-3 programs (--openGymEndpoint or
 * --openGymPort, --simSeed). Advertises soft-reset: an agent that asks for a reset gets a new
 * episode in the same process (with the seed it sends, else one derived from --simSeed).
 *
 * The episodes run through the rollout runner with the agent as the policy: each decision sends
 * the state and waits for the action; after an episode's last step the final state goes out and
 * the agent's answer (reset with a seed, or stop) decides the next episode.
 */
export async function runSimulator(options: SimOptions): Promise<{ episodes: number; steps: number }> {
  const scenario = applyOverrides(loadScenario(options.scenario), options.set ?? []);
  if (scenario.env.kind !== 'synthetic') {
    throw new InputError('--scenario', options.scenario, `a synthetic scenario (this one runs ${scenario.env.kind === 'ns3' ? `ns-3 program ${scenario.env.program}` : `on env kind ${scenario.env.kind}`})`);
  }
  const endpoint =
    options.endpoint ?? options.openGymEndpoint ?? (options.openGymPort !== undefined ? `tcp://127.0.0.1:${options.openGymPort}` : undefined);
  if (!endpoint) throw new InputError('--endpoint', undefined, 'the agent endpoint (tcp://host:port or ipc://path), or --openGymPort');
  const seed = options.simSeed ?? scenario.seed;
  const env = new SyntheticSlicingEnv(scenario, { seed });
  const peer = new SimulatorPeer<Obs, Obs>({
    endpoint,
    timeoutMs: options.timeoutMs,
    seed,
    capabilities: formatCapabilities([...BASE_CAPABILITIES, 'soft-reset']),
  });
  const state = (obs: Obs, reward: number): PeerState<Obs> => {
    const done = env.episodeDone;
    return {
      obs,
      reward,
      gameOver: done,
      ...(done ? { reason: 'SimulationEnd' as const } : {}),
      info: env.info(),
      simTime: env.stepCount * scenario.stepSeconds,
    };
  };
  let episodes = 1;
  let steps = 0;
  // Stop cleanly when the launcher terminates us.
  let signalled = false;
  const onSignal = (): void => {
    signalled = true;
    void peer.close();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const ack = await peer.init({ observationSpace: env.observationSpace, actionSpace: env.actionSpace });
    if (ack.stopSimReq) return { episodes: 0, steps };
    const agentSoftReset = SimulatorPeer.agentCapabilities(ack).has('soft-reset');
    let nextSeed: number = seed;
    let stopped = false;
    /** A reset the agent asked for: the seed of the next episode, or the end when the limit is reached. */
    const startNext = (reply: { seed?: number }): void => {
      if (options.episodes > 0 && episodes >= options.episodes) {
        stopped = true;
        return;
      }
      nextSeed = reply.seed ?? deriveSeed(seed, 'episode', episodes);
      episodes++;
    };
    // What the next state carries: the last step's reward and observation.
    let reward = 0;
    let last: Obs | null = null;
    const agent = async (obs: Obs): Promise<Obs> => {
      const reply = await peer.step(state(obs, reward));
      if (reply.kind !== 'action') throw new AgentEndedEpisode(reply);
      return reply.action;
    };
    while (!stopped) {
      try {
        await runEpisodes<Obs, Obs>(env, agent, {
          episodes: Number.MAX_SAFE_INTEGER,
          seed: () => nextSeed,
          shouldStop: () => stopped,
          onRoundStart: () => void (reward = 0),
          onStep: (t) => {
            reward = t.reward;
            last = t.nextObs;
            steps++;
          },
          onEpisodeEnd: async () => {
            const reply = await peer.step(state(last!, reward));
            // ns3-gym: the simulation ends after game over unless the agent resets softly; an
            // action after game over leaves nothing to simulate.
            if (reply.kind === 'reset' && agentSoftReset) startNext(reply);
            else stopped = true;
          },
        });
      } catch (err) {
        if (!(err instanceof AgentEndedEpisode)) throw err;
        if (err.reply.kind === 'stop') stopped = true;
        else startNext(err.reply);
      }
    }
  } catch (err) {
    if (!signalled) throw err;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await peer.close();
    await env.close();
  }
  return { episodes, steps };
}

/** `ns3ts sim --scenario <synthetic scenario> --endpoint <...>`. */
export function register(program: Command): void {
  program
    .command('sim')
    .description('run a synthetic scenario as an out-of-process simulator that connects to an agent (ns3-gym wire protocol)')
    .option('-s, --scenario <name|path>', 'synthetic scenario name or path', 'slicing-synthetic')
    .option('--endpoint <endpoint>', 'agent endpoint to connect to: tcp://host:port or ipc://path')
    .option('--openGymEndpoint <endpoint>', 'same as --endpoint (the name the launcher gives ns-3 programs)')
    .option('--openGymPort <port>', 'agent port on 127.0.0.1 (ns3-gym style)', integerOption('--openGymPort'))
    .option('--simSeed <n>', "seed of the first episode (default: the scenario's seed)", integerOption('--simSeed'))
    .option('--episodes <n>', 'serve at most this many episodes (0 = until the agent stops)', integerOption('--episodes'), 0)
    .option('--timeout-ms <ms>', 'how long to wait for each answer from the agent', integerOption('--timeout-ms'), DEFAULT_PEER_TIMEOUT_MS)
    .option('--set <path=value>', SET_OPTION_HELP, repeatableOption, [])
    .action(async (options: SimOptions) => {
      await runSimulator(options);
    });
}

import type { Command } from 'commander';
import { type NdArray } from '../../env/index.js';
import { SyntheticSlicingEnv, FEATURES_PER_SLICE } from '../../families/index.js';
import { loadScenario } from '../../scenario/index.js';
import { SimulatorPeer, BASE_CAPABILITIES, DEFAULT_PEER_TIMEOUT_MS, formatCapabilities, type PeerState } from '../../server/index.js';
import { InputError, deriveSeed } from '../../util/index.js';
import { integerOption } from '../options.js';

interface SimOptions {
  scenario: string;
  endpoint?: string;
  openGymEndpoint?: string;
  openGymPort?: number;
  simSeed?: number;
  episodes: number;
  timeoutMs: number;
}

/**
 * Serves a synthetic scenario as an out-of-process simulator over the ns3-gym wire protocol, so
 * everything that talks to ns-3 (servers, launchers, vector envs, the stock ns3-gym agent) can run
 * without ns-3. Accepts the arguments the launcher gives ns-3 programs (--openGymEndpoint or
 * --openGymPort, --simSeed). Advertises soft-reset: an agent that asks for a reset gets a new
 * episode in the same process (with the seed it sends, else one derived from --simSeed).
 */
export async function runSimulator(options: SimOptions): Promise<{ episodes: number; steps: number }> {
  const scenario = loadScenario(options.scenario);
  if (scenario.env.kind !== 'synthetic') {
    throw new InputError('--scenario', options.scenario, `a synthetic scenario (this one runs ns-3 program ${scenario.env.program})`);
  }
  const endpoint =
    options.endpoint ?? options.openGymEndpoint ?? (options.openGymPort !== undefined ? `tcp://127.0.0.1:${options.openGymPort}` : undefined);
  if (!endpoint) throw new InputError('--endpoint', undefined, 'the agent endpoint (tcp://host:port or ipc://path), or --openGymPort');
  const seed = options.simSeed ?? scenario.seed;
  const env = new SyntheticSlicingEnv(scenario, { seed });
  const shape = [scenario.cells, scenario.slices.length, FEATURES_PER_SLICE];
  const peer = new SimulatorPeer<NdArray<Float32Array>, NdArray<Float32Array>>({
    endpoint,
    timeoutMs: options.timeoutMs,
    seed,
    capabilities: formatCapabilities([...BASE_CAPABILITIES, 'soft-reset']),
  });
  const state = (reward: number): PeerState<NdArray<Float32Array>> => {
    const done = env.episodeDone;
    return {
      obs: { data: env.obs.slice(), shape },
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
    env.resetSync(seed);
    const ack = await peer.init({ observationSpace: env.observationSpace, actionSpace: env.actionSpace });
    if (ack.stopSimReq) return { episodes: 0, steps };
    const agentSoftReset = SimulatorPeer.agentCapabilities(ack).has('soft-reset');
    let current = state(0);
    for (;;) {
      const reply = await peer.step(current);
      if (reply.kind === 'stop') break;
      if (current.gameOver && !agentSoftReset) break; // ns3-gym: the simulation ends after game over
      if (reply.kind === 'reset') {
        if (options.episodes > 0 && episodes >= options.episodes) break;
        env.resetSync(reply.seed ?? deriveSeed(seed, 'episode', episodes));
        episodes++;
        current = state(0);
        continue;
      }
      if (current.gameOver) break; // an action after game over: nothing left to simulate
      const reward = env.stepSync(reply.action.data);
      steps++;
      current = state(reward);
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
    .action(async (options: SimOptions) => {
      await runSimulator(options);
    });
}

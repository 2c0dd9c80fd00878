import { Ns3tsError } from '../../util/index.js';
import type { Scenario } from '../../scenario/index.js';
import type { Env, NdArray, VectorEnv } from '../../env/index.js';
import { SyntheticSlicingEnv } from './synthetic/index.js';
import { rewardFromObservation } from './slicing.js';

/** A slicing env: observation [cells, slices, features], action [cells, slices] (see slicing.ts). */
export type SlicingEnv = Env<NdArray<Float32Array>, NdArray<Float32Array>>;
/** N slicing envs stepped together (ns-3 simulators on one endpoint). */
export type SlicingVectorEnv = VectorEnv<NdArray<Float32Array>, NdArray<Float32Array>>;

export interface CreateEnvOptions {
  /** Seed of the first reset without a seed (default: the scenario's seed). */
  seed?: number;
  /** Run directory: simulator processes write their logs there (ns-3 scenarios). */
  runDir?: string;
  /** Further options for the ns-3 env (endpoint, number of simulators, timeouts, ...). */
  [option: string]: unknown;
}

/**
 * Builds the env a scenario names: the in-process synthetic env, the ns-3 env (which binds an
 * endpoint and launches the scenario's simulator program), or the linux-tc env (real traffic).
 */
export async function createEnv(scenario: Scenario, options: CreateEnvOptions = {}): Promise<SlicingEnv> {
  if (scenario.env.kind === 'synthetic') {
    return new SyntheticSlicingEnv(scenario, options.seed === undefined ? {} : { seed: options.seed });
  }
  if (scenario.env.kind === 'linux-tc') {
    // A real kernel data plane (src/enforce): loaded on demand like the ns-3 env.
    const { LinuxTcSlicingEnv } = await import('../../enforce/index.js');
    return new LinuxTcSlicingEnv(scenario, (obs) => rewardFromObservation(obs, 1, scenario.slices.length));
  }
  // The ns-3 env lives in remote/; loaded on demand so the synthetic path never loads ZeroMQ.
  let remote: typeof import('../../remote/index.js');
  try {
    remote = await import('../../remote/index.js');
  } catch (err) {
    throw new Ns3tsError(
      `scenario ${scenario.name}: the ns-3 env (src/remote, createNs3Env) is not available in this build: ${(err as Error).message}`,
    );
  }
  return remote.createNs3Env(scenario, options);
}

/**
 * The env a training run steps: createEnv's, or, for an ns-3 scenario whose `ns3.simulators` asks
 * for more than one, a vector env of that many simulators (local processes or one Slurm job
 * array, see ns3.simExecutor) on one endpoint.
 */
export async function createTrainingEnv(scenario: Scenario, options: CreateEnvOptions = {}): Promise<SlicingEnv | SlicingVectorEnv> {
  const simulators = scenario.env.kind === 'ns3' ? scenario.ns3.simulators : undefined;
  if (simulators === undefined || simulators === 1) return createEnv(scenario, options);
  const remote = await import('../../remote/index.js');
  return remote.createNs3VectorEnv(scenario, options);
}

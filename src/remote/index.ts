// The remote face: envs whose steps happen in another process over the ns3-gym protocol
// (RemoteEnv, RemoteVectorEnv) and the ns-3 env (building the scenario programs, launching the
// simulators). Loading this folder loads ZeroMQ; the synthetic path never imports it.
export { RemoteEnv, parseInfo, type RemoteEnvOptions } from './remote-env.js';
export { RemoteVectorEnv, type RemoteVectorEnvOptions } from './vector-env.js';
export {
  createNs3Env,
  createNs3VectorEnv,
  ns3ScenarioArgs,
  temporaryIpcEndpoint,
  launcherExitSignal,
  ensureNs3Build,
  ns3SourceHash,
  defaultNs3BuildDir,
  ns3BinDir,
  resolveNs3Program,
  ProcessLauncher,
  processAlive,
  SlurmLauncher,
  TASK_LOST,
  ns3Settings,
  type Ns3EnvOptions,
  type SimExecutor,
  type SlurmSimulatorOptions,
  type SlurmLauncherOptions,
  type Ns3BuildOptions,
  type Ns3BuildResult,
  type ProcessLauncherOptions,
  type SimulatorExit,
} from './ns3/index.js';

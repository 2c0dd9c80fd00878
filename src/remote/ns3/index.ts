// The ns-3 env: building the scenario programs, launching simulator processes, and the env of an
// `ns3` scenario (a RemoteEnv whose simulators the launcher starts).
export {
  ensureNs3Build,
  ns3SourceHash,
  defaultNs3BuildDir,
  ns3BinDir,
  resolveNs3Program,
  type Ns3BuildOptions,
  type Ns3BuildResult,
} from './build.js';
export { ProcessLauncher, processAlive, simulatorArgs, onHardExit, type ProcessLauncherOptions, type SimulatorArgOptions, type SimulatorExit } from './launcher.js';
export { SlurmLauncher, TASK_LOST, type SlurmLauncherOptions } from './slurm-launcher.js';
export { createNs3Env, createNs3VectorEnv, ns3ScenarioArgs, ns3Settings, temporaryIpcEndpoint, launcherExitSignal, type Ns3EnvOptions, type SimExecutor, type SlurmSimulatorOptions } from './env.js';

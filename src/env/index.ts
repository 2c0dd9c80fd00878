// The env face: spaces, the Gymnasium-style Env/VectorEnv/ParallelEnv API, wrappers and
// SyncVectorEnv, the NS-3 env and its launcher, and the synthetic slicing env. Other folders
// import only from here.
export type {
  BoxData,
  NdArray,
  Space,
  Info,
  ResetOptions,
  ResetResult,
  StepResult,
  Env,
  AutoresetMode,
  VectorEnv,
  VectorResetResult,
  VectorStepResult,
  SimulatorLauncher,
  SimulatorExitSignal,
  SimulatorExitStatus,
} from './types.js';
export {
  Wrapper,
  TimeLimit,
  RecordEpisodeStatistics,
  FailFastOnExit,
  FailFastOnExitVector,
  unwrap,
  type EpisodeStatistics,
  type FailFastOptions,
} from './wrappers.js';
export { SyncVectorEnv, type SyncVectorEnvOptions } from './sync-vector-env.js';
export {
  SLICE_FEATURES,
  FEATURES_PER_SLICE,
  FEATURE,
  SLICE_TYPES,
  qosLevel,
  sliceUtility,
  qosFromObservation,
  rewardFromObservation,
  type SliceFeature,
  type SliceType,
  type SlicingLayout,
} from './slicing.js';
export {
  SyntheticSlicingEnv,
  slicingModelOf,
  type SlicingModel,
  CQI_SPECTRAL_EFFICIENCY,
  CQI_SINR_THRESHOLDS_DB,
  sinrToCqi,
  cqiToSpectralEfficiency,
  SLOTS_PER_DAY,
  SLOT_SECONDS,
  isWeekend,
  trafficBase,
  dailyMask,
  type SyntheticEnvOptions,
} from './synthetic/index.js';
export { createEnv, type CreateEnvOptions, type SlicingEnv } from './factory.js';
export {
  Discrete,
  Box,
  MultiDiscrete,
  MultiBinary,
  Tuple,
  Dict,
  BOX_DTYPES,
  ndarray,
  dtypeFromWire,
  typedArrayFor,
  spaceFromWire,
  spaceToWire,
  isGymSpace,
  type BoxDtype,
  type BoxOptions,
  type GymSpace,
} from './spaces.js';
export { RemoteEnv, parseInfo, type RemoteEnvOptions } from './remote-env.js';
export { RemoteVectorEnv, type RemoteVectorEnvOptions } from './vector-env.js';
export { SlicingParallelEnv, type ParallelEnv, type ParallelStepResult } from './parallel-env.js';
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
  type Ns3EnvOptions,
  type Ns3BuildOptions,
  type Ns3BuildResult,
  type ProcessLauncherOptions,
  type SimulatorExit,
} from './ns3/index.js';

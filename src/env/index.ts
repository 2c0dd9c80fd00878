// The env face: the Gymnasium-sized core — spaces, the Env/VectorEnv/ParallelEnv API, wrappers
// and SyncVectorEnv. No transport and no env family lives here (the wire form of spaces is in
// wire/, remote envs in remote/, the slicing envs in families/slicing/). Other folders import only
// from here.
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
  ParallelEnv,
  ParallelStepResult,
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
export { SyncVectorEnv, stepWithAutoreset, vectorResetPlan, type SyncVectorEnvOptions } from './sync-vector-env.js';
export {
  Discrete,
  Box,
  MultiDiscrete,
  MultiBinary,
  Tuple,
  Dict,
  BOX_DTYPES,
  ndarray,
  dtypeInfo,
  typedArrayFor,
  isNdArray,
  sameShape,
  isGymSpace,
  type BoxDtype,
  type BoxOptions,
  type DtypeInfo,
  type GymSpace,
} from './spaces.js';

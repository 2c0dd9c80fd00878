// The agents face: the policy interface, learning agents, their registry and checkpoints.
export type { SlicingPolicy, PolicyContext } from './policy.js';
export type {
  Transition,
  EpisodeStats,
  AgentMetrics,
  AgentState,
  TrainableAgent,
  AgentScenario,
  AgentCreateOptions,
  AgentEntry,
  FamilyTrainableAgent,
  FamilyEpisodeStats,
  FamilyRunSummary,
} from './agent.js';
export { SLICING_SPACES } from './agent.js';
export { agentRegistry, agentIds, getAgentEntry, checkAgentFits } from './registry.js';
export {
  selectBackend,
  currentBackend,
  parseBackendChoice,
  BACKEND_CHOICES,
  BACKEND_PACKAGES,
  describeBackend,
  trainingEngine,
  type TrainingEngine,
  type BackendChoice,
  type BackendInfo,
} from './backend.js';
export {
  CHECKPOINT_FILE,
  BEST_CHECKPOINT_FILE,
  readCheckpoint,
  writeCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  arraysWithPrefix,
  type CheckpointContent,
  type StoredArray,
} from './checkpoint.js';
export { loadPolicyFromRun, describeLayout, type PolicyTarget } from './load.js';
export { actorNetworksOfRun, type RunActors, type ActorNetwork, type ActorArrangement, type ActorForward, type ActorSource, type ActorWrap } from './actor-networks.js';
export { MaddpgAgent, AdmmPolicy, actorInputs, MADDPG_DEFAULTS, MADDPG_VARIANT_DEFAULTS, type MaddpgSettings, type MaddpgVariant } from './maddpg/index.js';
export { CellAgent, CellActorPolicy, TD3_DEFAULTS, DDPG_DEFAULTS, type Td3Settings, type CellAgentKind } from './td3/index.js';
export { ReplayBuffer, type ReplayField } from './core/replay.js';
export { projectionOp, projectRows, projectRowsVjp } from './core/projection-op.js';
export {
  DqnAgent,
  DQN_DEFAULTS,
  DQN_VARIANTS,
  resolveDqnSettings,
  dqnPolicyFromRun,
  type DqnSettings,
  type DqnVariant,
  type DqnRunPolicy,
} from './dqn/index.js';
export { PpoAgent, PPO_DEFAULTS, loadPpoRun, evaluatePpo, ppoPolicy, type PpoSettings } from './ppo/index.js';
export { trainFederatedPredictor, trainCentralisedPredictor, forecastError, fedAvg, BiGruPredictor, FEDERATED_DEFAULTS, PREDICTOR_DEFAULTS } from './predictor/index.js';
export { SECONDS_PER_DAY, CLOCK_FEATURES, featuresPerRow, type StepClock, type ActionTime } from './core/features.js';

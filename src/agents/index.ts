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
} from './agent.js';
export { agentRegistry, agentIds, getAgentEntry } from './registry.js';
export {
  selectBackend,
  currentBackend,
  parseBackendChoice,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
} from './backend.js';
export {
  CHECKPOINT_FILE,
  readCheckpoint,
  writeCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  arraysWithPrefix,
  type CheckpointContent,
  type StoredArray,
} from './checkpoint.js';

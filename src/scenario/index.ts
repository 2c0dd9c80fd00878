// The scenario face: schema (types), validation, loading by name or path, overrides.
export type {
  Scenario,
  EnvSpec,
  SyntheticEnvSpec,
  Ns3EnvSpec,
  TrafficProfile,
  TrafficSpec,
  SliceSpec,
  EventKind,
  EventSpec,
  ConstraintKind,
  ConstraintSpec,
  SettingValue,
  Settings,
  AgentSpec,
  TrainingSpec,
  ScenarioSummary,
} from './types.js';
export { TRAFFIC_PROFILES, CONSTRAINT_KINDS } from './types.js';
export {
  SLICE_FEATURES,
  FEATURES_PER_SLICE,
  FEATURE,
  SLICE_TYPES,
  type SliceFeature,
  type SliceType,
  type SlicingLayout,
} from './slicing.js';
export { parseScenario, DEFAULT_AGENT_ID } from './schema.js';
export {
  scenariosDir,
  scenarioPath,
  parseScenarioText,
  loadScenario,
  resolveScenario,
  listScenarios,
  scenarioToYaml,
  scenarioLayout,
  setByPath,
  parseOverrideValue,
  parseOverride,
  applyOverrides,
} from './loader.js';

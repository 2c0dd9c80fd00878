// The scenario face: schema (types), validation, loading by name or path, overrides.
export type {
  Scenario,
  ScenarioBase,
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
export {
  parseScenario,
  parseScenarioBase,
  DEFAULT_AGENT_ID,
  type ScenarioSectionReader,
  type ScenarioBaseOptions,
  type FamilyScenarioOf,
} from './schema.js';
export {
  scenariosDir,
  scenarioPath,
  parseScenarioText,
  parseScenarioTextWith,
  loadScenario,
  loadScenarioWith,
  type ScenarioDocumentReader,
  resolveScenario,
  listScenarios,
  scenarioToYaml,
  scenarioLayout,
  setByPath,
  parseOverrideValue,
} from './loader.js';

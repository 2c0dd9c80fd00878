// IDLA: learned QoS estimator + Lagrangian multi-start allocation search.
export {
  HISTORY,
  IDLA_INPUTS,
  IDLA_INPUTS_EXTENDED,
  INPUT_BACKLOG,
  INPUT_LOAD,
  FEATURE_SETS,
  inputWidth,
  featureSetOfWidth,
  type FeatureSet,
  INPUT_X, INPUT_USERS, INPUT_CQI, INPUT_PHI_TARGET, INPUT_DELAY_TARGET, SliceHistory } from './features.js';
export {
  SAMPLE_FIELDS,
  SAMPLE_WIDTH,
  SampleSet,
  SampleCollector,
  sampleColumns,
  samplesToInputs,
  saveSamples,
  loadSamples,
  type ShareInput,
} from './samples.js';
export { augment, augmentSamples, type LabelledInputs, type AugmentationCounts } from './augment.js';
export {
  ESTIMATOR_HIDDEN,
  fitEstimator,
  forwardSpec,
  maeOf,
  mlpSpecToJson,
  mlpSpecFromJson,
  saveEstimator,
  loadEstimator,
  type EstimatorOptions,
  type EstimatorReport,
  type EstimatorFile,
  type MlpSpecJson,
} from './estimator.js';
export {
  lagrangianSearch,
  type ValueAndGradient,
  type PairEstimator,
  type SearchEstimator,
  type EstimatorOutput,
  type SearchOptions,
  type SearchProblem,
  type SearchResult,
} from './search.js';
export { IdlaPolicy, runnerEstimator, runnerPairEstimator, type IdlaPolicyOptions } from './policy.js';
export { CollectionPolicy } from './collect.js';
export {
  IdlaAgent,
  idlaAgentEntry,
  loadIdlaPolicy,
  resolveIdlaSettings,
  searchOptionsOf,
  IDLA_DEFAULTS,
  ESTIMATOR_FILE,
  type IdlaSettings,
} from './agent.js';

// The tune face: study files, search spaces, samplers (random, grid, TPE), pruners, the study
// store in DuckDB and the study runner on the sweep executors.
export { parseSpace, isActive, checkValue, fromInternal, toInternal, formatParams, type ParamSpec, type FloatParam, type IntParam, type CategoricalParam, type ParamValues } from './space.js';
export { ParzenEstimator, defaultWeights, PARZEN_DEFAULTS, type Dimension, type NumericDimension, type CategoricalDimension, type ParzenSettings } from './parzen.js';
export {
  RandomSampler,
  GridSampler,
  TpeSampler,
  createSampler,
  defaultGamma,
  splitObservations,
  dimensionOf,
  gridValues,
  TPE_DEFAULTS,
  type Sampler,
  type SamplerSettings,
  type ObservedTrial,
  type TpeSettings,
} from './samplers.js';
export { normalCdf, logNormalCdf, logGaussMass, normalQuantile, truncatedNormalLogPdf } from './normal.js';
export { TEST_FUNCTIONS, bestOnTestFunction, branin, hartmann6, rosenbrock, type TestFunction } from './test-functions.js';
export { shouldPrune, pruneOnEvaluations, median, rungValue, promotable, MEDIAN_DEFAULTS, ASHA_DEFAULTS, type PrunerSettings, type PrunerTrial, type MedianPrunerSettings, type SuccessiveHalvingSettings } from './pruners.js';
export { loadStudyFile, parseStudy, MAX_TRIALS, type StudySpec, type Objective } from './schema.js';
export { STUDY_DB, readTrials, readStudyMeta, studyDbPath, StudyMismatchError, type TrialRecord, type TrialState } from './store.js';
export {
  prepareStudy,
  planTrial,
  runStudy,
  observedTrials,
  evaluationCurve,
  bestOf,
  checkStudyDir,
  type PreparedStudy,
  type StudyRunOptions,
  type StudyRunSummary,
} from './run-study.js';
export { readStudy, formatStudyStatus, formatBest, type StudyView } from './status.js';

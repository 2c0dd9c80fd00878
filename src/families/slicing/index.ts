// The slicing family: the slicing contract (observation features, layout, reward, QoS), its
// synthetic env, its parallel (per-slice) env and the env factory of slicing scenarios.
export {
  SLICE_FEATURES,
  FEATURES_PER_SLICE,
  FEATURE,
  SLICE_TYPES,
  qosLevel,
  sliceUtility,
  qosFromObservation,
  rowQos,
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
export { createEnv, createTrainingEnv, type CreateEnvOptions, type SlicingEnv, type SlicingVectorEnv } from './factory.js';
export { SlicingParallelEnv } from './parallel-env.js';
export { stepQos, rowViolates } from './rules.js';
export { shareBounds, type ShareBounds, type ShareBoundsSource } from './bounds.js';
export type { SlicingPolicy, PolicyContext } from './policy.js';
export {
  BASELINE_NAMES,
  StaticPolicy,
  ProportionalPolicy,
  DemandPolicy,
  FixedSharesPolicy,
  OraclePolicy,
  FeasibleProjector,
  createBaseline,
  parseShares,
  type BaselineName,
} from './baselines.js';
export { ConstrainedOraclePolicy, CONSTRAINED_ORACLE_NAME, createConstrainedOracle, shareGrid } from './constrained-oracle.js';
export { MyopicOraclePolicy, MYOPIC_ORACLE_NAMES, MYOPIC_ORACLE_WINDOW, createMyopicOracle, type MyopicOracleName } from './myopic-oracle.js';
export {
  ExpectedOraclePolicy,
  EXPECTED_ORACLE_NAMES,
  EXPECTED_ORACLE_SAMPLES,
  LAGRANGIAN_EXPECTED_ORACLE_NAME,
  createExpectedOracle,
  createLagrangianExpectedOracle,
  isViolationWeight,
  type ExpectedOracleName,
} from './expected-oracle.js';
export {
  KpiAccumulator,
  evaluateConstraints,
  withinLimit,
  constraintCosts,
  convergenceIndex,
  recoveryAfter,
  type EvalKpis,
  type SliceKpis,
  type CellKpis,
  type ConstraintResult,
  type KpiOptions,
} from './kpis.js';
export { slicingFamily, slicingRolloutPolicy } from './family.js';
export { slicingFigures, slicingEpisodeFigures, timelineRows, cdfPoints, delaySamples, qosSamples, type TimelineRow } from './figures.js';

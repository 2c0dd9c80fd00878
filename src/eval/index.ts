// The eval face: baselines, the KPI accumulator, evaluatePolicy and the --policy spec resolver.
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
  shareBounds,
  type BaselineName,
  type ShareBounds,
} from './baselines.js';
export {
  KpiAccumulator,
  evaluateConstraints,
  constraintCosts,
  convergenceIndex,
  type EvalKpis,
  type SliceKpis,
  type CellKpis,
  type ConstraintResult,
  type KpiOptions,
} from './kpis.js';
export {
  evaluatePolicy,
  evaluatePolicySpec,
  resolvePolicies,
  POLICY_SPEC_HELP,
  type PolicyFactory,
  type EvaluateOptions,
  type EvalResult,
  type NamedPolicy,
} from './evaluate.js';

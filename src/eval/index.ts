// The eval face: evaluatePolicy, the --policy spec resolver and the generic evaluation of any
// family. The slicing baselines and KPI accumulator belong to the slicing family
// (src/families/slicing/) and are re-exported here under their old names.
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
} from '../families/index.js';
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
} from '../families/index.js';
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
export {
  evaluateFamilyPolicy,
  meanEpisodeReturn,
  resolveFamilyBaselines,
  type FamilyPolicyFactory,
  type FamilyEvaluateOptions,
  type FamilyEvalResult,
  type NamedFamilyPolicy,
} from './generic.js';

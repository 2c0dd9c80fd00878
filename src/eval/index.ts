// The eval face: evaluatePolicy, the --policy spec resolver and the generic evaluation of any
// family. The slicing baselines live in the slicing family (src/families/slicing/); its KPI types,
// which every evaluation returns, are re-exported here.
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

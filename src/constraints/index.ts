// The constraint layer: exact projections (and their Jacobians) onto the per-cell allocation set.
export {
  projectSimplex,
  simplexThreshold,
  projectWithMinimum,
  projectBoxSimplex,
  projectSimplexJacobian,
  projectSimplexVjp,
} from './projection.js';
export { projectFeasible, type FeasibleBounds } from './feasible.js';
export {
  admmSolve,
  admmSolveAsync,
  createAdmmState,
  resetAdmmState,
  DEFAULT_ADMM_SETTINGS,
  type AdmmSettings,
  type AdmmState,
  type AdmmXStep,
  type AdmmAsyncXStep,
  type AdmmResult,
  type SliceBounds,
} from './admm.js';
export { CostRates, LagrangeMultipliers, type MultiplierSettings, type MultiplierState } from './multiplier.js';

// The constraint layer: exact projections (and their Jacobians) onto the per-cell allocation set.
export {
  projectSimplex,
  simplexThreshold,
  projectWithMinimum,
  projectBoxSimplex,
  projectSimplexJacobian,
  projectSimplexVjp,
} from './projection.js';

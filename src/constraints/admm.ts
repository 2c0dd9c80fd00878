/**
 * ADMM for the per-cell sharing constraint (DeepSlicing's form, docs/algorithms.md#admm). Each cell's
 * slices propose shares in parallel (the x-step, any callback: a closed form, a learned policy),
 * the z-step projects onto {z >= 0, sum z <= budget} exactly, and scaled duals u accumulate the
 * disagreement. The deployed allocation is z, feasible at every iteration — stopping early only
 * costs optimality, never capacity.
 *
 *   x_s = argmax U_s(x_s) - (rho/2)(x_s - (z_s - u_s))^2     (x-step, per slice)
 *   z   = Proj_{z >= 0, sum z <= budget}(x + u)               (z-step)
 *   u   = u + x - z                                           (dual update)
 *
 * Residuals: primal r = x - z, dual s = rho (z - z_prev), Euclidean norms over the cell's active
 * slices. Stop when |r| <= sqrt(n) epsAbs + epsRel max(|x|, |z|) and |s| <= sqrt(n) epsAbs +
 * epsRel |rho u|. Residual balancing (mu, tau): if |r| > mu |s| then rho *= tau, u /= tau; if
 * |s| > mu |r| then rho /= tau, u *= tau (u is scaled, so rho u — the shadow price — is kept).
 */
import { projectFeasible } from './feasible.js';
import { projectSimplex } from './projection.js';

export interface AdmmSettings {
  /** Initial penalty rho (> 0). */
  rho: number;
  /** Maximum iterations per solve. */
  maxIterations: number;
  /** Absolute tolerance (scaled by sqrt(n)). */
  epsAbs: number;
  /** Relative tolerance. */
  epsRel: number;
  /** Residual balancing on/off, with its ratio mu and factor tau. */
  balance: boolean;
  mu: number;
  tau: number;
  /** rho stays within [rhoMin, rhoMax] under balancing. */
  rhoMin: number;
  rhoMax: number;
  /** Capacity per cell. */
  budget: number;
}

export const DEFAULT_ADMM_SETTINGS: AdmmSettings = {
  rho: 1,
  maxIterations: 10,
  epsAbs: 1e-4,
  epsRel: 1e-3,
  balance: true,
  mu: 10,
  tau: 2,
  rhoMin: 1e-3,
  rhoMax: 1e3,
  budget: 1,
};

/**
 * The ADMM state of a batch of cells, row-major [cells, slices]; kept between decision steps so
 * that the next solve warm-starts from the last z, u and rho.
 */
export interface AdmmState {
  readonly cells: number;
  readonly slices: number;
  z: Float64Array;
  u: Float64Array;
  /** Per-cell penalty. */
  rho: Float64Array;
}

export function createAdmmState(cells: number, slices: number, rho = DEFAULT_ADMM_SETTINGS.rho): AdmmState {
  return {
    cells,
    slices,
    z: new Float64Array(cells * slices),
    u: new Float64Array(cells * slices),
    rho: new Float64Array(cells).fill(rho),
  };
}

/** Forgets the warm start (e.g. at an episode start). */
export function resetAdmmState(state: AdmmState, rho = DEFAULT_ADMM_SETTINGS.rho): void {
  state.z.fill(0);
  state.u.fill(0);
  state.rho.fill(rho);
}

/**
 * The x-step for every (cell, slice) at once: given targets v = z - u and each cell's rho, write
 * the proposals into `x` (all [cells, slices] row-major). Inactive entries are ignored.
 */
export type AdmmXStep = (target: Float64Array, rho: Float64Array, x: Float64Array) => void;

export interface AdmmResult {
  /** The last x-step proposals. */
  x: Float64Array;
  /** The deployed allocation (= state.z; feasible). */
  z: Float64Array;
  /** Shadow price of capacity per (cell, slice): rho u. */
  price: Float64Array;
  /** Iterations run per cell. */
  iterations: Int32Array;
  /** Whether each cell met the stopping rule. */
  converged: Uint8Array;
  primalResidual: Float64Array;
  dualResidual: Float64Array;
}

/**
 * Per-slice floors and caps (index = slice, shared by all cells): the z-step then projects onto
 * {lower <= z <= upper, sum z <= budget} over the active slices.
 */
export interface SliceBounds {
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
}

/**
 * The x-step run asynchronously (e.g. an onnxruntime session): same contract as AdmmXStep, `x`
 * written before the promise settles.
 */
export type AdmmAsyncXStep = (target: Float64Array, rho: Float64Array, x: Float64Array) => Promise<void>;

/**
 * Runs ADMM on every cell of `state` (in place: z, u and rho are updated for the warm start).
 * `active` (optional, [cells, slices], nonzero = active) excludes slices: their x, z and u are 0.
 */
export function admmSolve(
  state: AdmmState,
  xStep: AdmmXStep,
  settings: Partial<AdmmSettings> = {},
  active?: ArrayLike<number> | null,
  bounds?: SliceBounds | null,
): AdmmResult {
  const run = startAdmm(state, settings, active, bounds);
  while (nextTargets(run)) {
    xStep(run.target, state.rho, run.x);
    finishIteration(run);
  }
  return admmResult(run);
}

/**
 * admmSolve with an asynchronous x-step: one await per iteration, the same iterations (the two
 * loops share every step below, so their results are identical for the same x-step answers).
 */
export async function admmSolveAsync(
  state: AdmmState,
  xStep: AdmmAsyncXStep,
  settings: Partial<AdmmSettings> = {},
  active?: ArrayLike<number> | null,
  bounds?: SliceBounds | null,
): Promise<AdmmResult> {
  const run = startAdmm(state, settings, active, bounds);
  while (nextTargets(run)) {
    await xStep(run.target, state.rho, run.x);
    finishIteration(run);
  }
  return admmResult(run);
}

/** One solve in progress: the state it updates and its per-solve arrays. */
interface AdmmRun {
  readonly state: AdmmState;
  readonly cfg: AdmmSettings;
  readonly bounds: SliceBounds | null | undefined;
  /** The x-step's proposals and targets v = z - u, [cells, slices]. */
  readonly x: Float64Array;
  readonly target: Float64Array;
  readonly iterations: Int32Array;
  readonly converged: Uint8Array;
  readonly primal: Float64Array;
  readonly dual: Float64Array;
  readonly activeIdx: number[][];
  readonly scratch: CellScratch;
  /** Iterations started so far. */
  k: number;
}

function startAdmm(state: AdmmState, settings: Partial<AdmmSettings>, active: ArrayLike<number> | null | undefined, bounds: SliceBounds | null | undefined): AdmmRun {
  const cfg: AdmmSettings = { ...DEFAULT_ADMM_SETTINGS, ...settings };
  if (!(cfg.rho > 0)) throw new RangeError(`admm rho: got ${cfg.rho}, expected a number > 0`);
  const { cells, slices } = state;
  const n = cells * slices;
  const converged = new Uint8Array(cells);
  const activeIdx = prepareCells(state, active, cfg.rho, converged);
  return {
    state,
    cfg,
    bounds,
    x: new Float64Array(n),
    target: new Float64Array(n),
    iterations: new Int32Array(cells),
    converged,
    primal: new Float64Array(cells),
    dual: new Float64Array(cells),
    activeIdx,
    scratch: cellScratch(slices),
    k: 0,
  };
}

/** Whether another iteration runs; if so, writes its x-step targets v = z - u into run.target. */
function nextTargets(run: AdmmRun): boolean {
  if (run.k >= run.cfg.maxIterations || run.converged.every((done) => done !== 0)) return false;
  // The x-step sees every cell at once (a batched policy), converged cells included.
  const { z, u } = run.state;
  for (let i = 0; i < run.target.length; i++) run.target[i] = z[i]! - u[i]!;
  return true;
}

/** After the x-step wrote run.x: each unconverged cell's z-step, dual update, stopping rule and balancing. */
function finishIteration(run: AdmmRun): void {
  const { state, cfg, x, converged, activeIdx } = run;
  for (let c = 0; c < state.cells; c++) {
    if (converged[c]) continue;
    const idx = activeIdx[c]!;
    projectCell(state, x, idx, c, run.bounds, cfg.budget, run.scratch);
    const residuals = updateCellDuals(state, x, idx, state.rho[c]!, run.scratch.zNew);
    run.primal[c] = residuals.primal;
    run.dual[c] = residuals.dual;
    run.iterations[c] = run.k + 1;
    if (meetsStoppingRule(residuals, idx.length, cfg)) converged[c] = 1;
    else if (cfg.balance) balancePenalty(state, c, idx, residuals, cfg);
  }
  run.k++;
}

function admmResult(run: AdmmRun): AdmmResult {
  const { x, state, iterations, converged, primal, dual } = run;
  return { x, z: state.z, price: shadowPrices(state), iterations, converged, primalResidual: primal, dualResidual: dual };
}

/** Work arrays of one cell's active slices, allocated once per solve. */
interface CellScratch {
  /** x + u, the z-step's input. */
  xu: Float64Array;
  /** The new z. */
  zNew: Float64Array;
  /** Per-slice floors and caps of the z-step. */
  lo: Float64Array;
  hi: Float64Array;
}

function cellScratch(slices: number): CellScratch {
  return { xu: new Float64Array(slices), zNew: new Float64Array(slices), lo: new Float64Array(slices), hi: new Float64Array(slices) };
}

/** Residual norms of one cell after its dual update (the stopping rule's inputs). */
interface CellResiduals {
  /** |x - z| and |rho (z - z_prev)|. */
  primal: number;
  dual: number;
  /** |x|, |z| and |rho u| (the relative tolerances' scales). */
  normX: number;
  normZ: number;
  normPrice: number;
}

/**
 * The active (cell, slice) indices of each cell. Inactive entries take no part: their z and u are
 * zeroed. A cell with no active slice is converged from the start; a cell whose rho is not
 * positive (a fresh state) starts from `rho`.
 */
function prepareCells(state: AdmmState, active: ArrayLike<number> | null | undefined, rho: number, converged: Uint8Array): number[][] {
  const { cells, slices } = state;
  const isActive = (i: number): boolean => !active || active[i]! !== 0;
  const activeIdx: number[][] = [];
  for (let c = 0; c < cells; c++) {
    const idx: number[] = [];
    for (let s = 0; s < slices; s++) {
      const i = c * slices + s;
      if (isActive(i)) idx.push(i);
      else {
        state.z[i] = 0;
        state.u[i] = 0;
      }
    }
    activeIdx.push(idx);
    if (idx.length === 0) converged[c] = 1;
    if (!(state.rho[c]! > 0)) state.rho[c] = rho;
  }
  return activeIdx;
}

/** The z-step of cell c: projects x + u onto the cell's feasible set, into `scratch.zNew`. */
function projectCell(
  state: AdmmState,
  x: Float64Array,
  idx: readonly number[],
  c: number,
  bounds: SliceBounds | null | undefined,
  budget: number,
  scratch: CellScratch,
): void {
  const { xu, zNew, lo, hi } = scratch;
  const m = idx.length;
  for (let j = 0; j < m; j++) {
    const i = idx[j]!;
    const xi = x[i]!;
    // A diverging x-step must not poison the deployed allocation.
    xu[j] = (Number.isFinite(xi) ? xi : state.z[i]!) + state.u[i]!;
  }
  if (bounds) {
    for (let j = 0; j < m; j++) {
      const slice = idx[j]! - c * state.slices;
      lo[j] = bounds.lower[slice]!;
      hi[j] = bounds.upper[slice]!;
    }
    // The one feasibility projection (floors that over-subscribe the budget scaled to it).
    projectFeasible(xu.subarray(0, m), { lower: lo.subarray(0, m), upper: hi.subarray(0, m) }, budget, null, zNew);
  } else {
    projectSimplex(xu.subarray(0, m), budget, false, zNew);
  }
}

/** Takes the new z of a cell, accumulates the scaled duals u += x - z, and measures the residuals. */
function updateCellDuals(state: AdmmState, x: Float64Array, idx: readonly number[], rho: number, zNew: Float64Array): CellResiduals {
  let r2 = 0;
  let s2 = 0;
  let x2 = 0;
  let z2 = 0;
  let p2 = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    // Same rule as the z-step: a non-finite proposal counts as the current z.
    const xi = Number.isFinite(x[i]!) ? x[i]! : state.z[i]!;
    const zi = zNew[j]!;
    const ds = rho * (zi - state.z[i]!);
    state.z[i] = zi;
    state.u[i] = state.u[i]! + xi - zi;
    r2 += (xi - zi) ** 2;
    s2 += ds * ds;
    x2 += xi * xi;
    z2 += zi * zi;
    p2 += (rho * state.u[i]!) ** 2;
  }
  return { primal: Math.sqrt(r2), dual: Math.sqrt(s2), normX: Math.sqrt(x2), normZ: Math.sqrt(z2), normPrice: Math.sqrt(p2) };
}

/** |r| <= sqrt(m) epsAbs + epsRel max(|x|, |z|) and |s| <= sqrt(m) epsAbs + epsRel |rho u|, m active slices. */
function meetsStoppingRule(res: CellResiduals, m: number, cfg: AdmmSettings): boolean {
  const root = Math.sqrt(m);
  const epsPrimal = root * cfg.epsAbs + cfg.epsRel * Math.max(res.normX, res.normZ);
  const epsDual = root * cfg.epsAbs + cfg.epsRel * res.normPrice;
  return res.primal <= epsPrimal && res.dual <= epsDual;
}

/**
 * Residual balancing of cell c: rho grows by tau when the primal residual dominates (by mu),
 * shrinks when the dual one does, within [rhoMin, rhoMax]; u is rescaled so rho u is kept.
 */
function balancePenalty(state: AdmmState, c: number, idx: readonly number[], res: CellResiduals, cfg: AdmmSettings): void {
  const rho = state.rho[c]!;
  let factor = 1;
  if (res.primal > cfg.mu * res.dual) factor = cfg.tau;
  else if (res.dual > cfg.mu * res.primal) factor = 1 / cfg.tau;
  const next = Math.min(cfg.rhoMax, Math.max(cfg.rhoMin, rho * factor));
  if (next !== rho) {
    const scale = rho / next;
    for (const i of idx) state.u[i] = state.u[i]! * scale;
    state.rho[c] = next;
  }
}

/** Shadow price of capacity per (cell, slice): rho u. */
function shadowPrices(state: AdmmState): Float64Array {
  const price = new Float64Array(state.z.length);
  for (let i = 0; i < price.length; i++) {
    const c = Math.floor(i / state.slices);
    price[i] = state.rho[c]! * state.u[i]!;
  }
  return price;
}

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
  const cfg: AdmmSettings = { ...DEFAULT_ADMM_SETTINGS, ...settings };
  if (!(cfg.rho > 0)) throw new RangeError(`admm rho: got ${cfg.rho}, expected a number > 0`);
  const { cells, slices } = state;
  const n = cells * slices;
  const x = new Float64Array(n);
  const target = new Float64Array(n);
  const price = new Float64Array(n);
  const iterations = new Int32Array(cells);
  const converged = new Uint8Array(cells);
  const primal = new Float64Array(cells);
  const dual = new Float64Array(cells);
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
    if (!(state.rho[c]! > 0)) state.rho[c] = cfg.rho;
  }
  const xu = new Float64Array(slices);
  const zNew = new Float64Array(slices);
  const lo = new Float64Array(slices);
  const hi = new Float64Array(slices);
  for (let k = 0; k < cfg.maxIterations; k++) {
    let anyOpen = false;
    for (let c = 0; c < cells; c++) if (!converged[c]) anyOpen = true;
    if (!anyOpen) break;
    for (let i = 0; i < n; i++) target[i] = state.z[i]! - state.u[i]!;
    xStep(target, state.rho, x);
    for (let c = 0; c < cells; c++) {
      if (converged[c]) continue;
      const idx = activeIdx[c]!;
      const m = idx.length;
      for (let j = 0; j < m; j++) {
        const i = idx[j]!;
        const xi = x[i]!;
        // A diverging x-step must not poison the deployed allocation.
        xu[j] = (Number.isFinite(xi) ? xi : state.z[i]!) + state.u[i]!;
      }
      if (bounds) {
        for (let j = 0; j < m; j++) {
          const slice = idx[j]! - c * slices;
          lo[j] = bounds.lower[slice]!;
          hi[j] = bounds.upper[slice]!;
        }
        // The one feasibility projection (floors that over-subscribe the budget scaled to it).
        projectFeasible(xu.subarray(0, m), { lower: lo.subarray(0, m), upper: hi.subarray(0, m) }, cfg.budget, null, zNew);
      } else {
        projectSimplex(xu.subarray(0, m), cfg.budget, false, zNew);
      }
      let r2 = 0;
      let s2 = 0;
      let x2 = 0;
      let z2 = 0;
      let p2 = 0;
      const rho = state.rho[c]!;
      for (let j = 0; j < m; j++) {
        const i = idx[j]!;
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
      const r = Math.sqrt(r2);
      const s = Math.sqrt(s2);
      primal[c] = r;
      dual[c] = s;
      iterations[c] = k + 1;
      const root = Math.sqrt(m);
      const epsPrimal = root * cfg.epsAbs + cfg.epsRel * Math.max(Math.sqrt(x2), Math.sqrt(z2));
      const epsDual = root * cfg.epsAbs + cfg.epsRel * Math.sqrt(p2);
      if (r <= epsPrimal && s <= epsDual) {
        converged[c] = 1;
        continue;
      }
      if (cfg.balance) {
        let factor = 1;
        if (r > cfg.mu * s) factor = cfg.tau;
        else if (s > cfg.mu * r) factor = 1 / cfg.tau;
        const next = Math.min(cfg.rhoMax, Math.max(cfg.rhoMin, rho * factor));
        if (next !== rho) {
          const scale = rho / next;
          for (const i of idx) state.u[i] = state.u[i]! * scale;
          state.rho[c] = next;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / slices);
    price[i] = state.rho[c]! * state.u[i]!;
  }
  return { x, z: state.z, price, iterations, converged, primalResidual: primal, dualResidual: dual };
}

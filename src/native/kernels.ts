/**
 * Batched constraint kernels over a [rows × cols] matrix (rows = cells, or cells × starts;
 * cols = slices), row-major, one independent problem per row: the exact projections of
 * src/constraints and one ADMM z-step + dual update. Native when active, else TypeScript; both
 * compute in float64 whatever the storage type, so results agree to ~1e-12 for Float64Array.
 */
import { InputError } from '../util/index.js';
import { loadState, type NativeAddon } from './addon.js';
import { checkBatch, checkFinite } from './runner.js';
import { tsAdmmZDualBatch, tsProjectBoxSimplexBatch, tsProjectSimplexBatch } from './fallback.js';

/** Float64Array is preferred (exactness); Float32Array works too (computed in float64, stored rounded). */
export type FloatArray = Float32Array | Float64Array;

/** A budget a for every row, or one per row (Float64Array of length rows). Default 1. */
export type Budget = number | Float64Array;

export interface KernelOptions {
  /** 'auto' (default): native when active; 'ts' forces the fallback; 'native' requires the addon. */
  impl?: 'auto' | 'native' | 'ts';
  /** Most threads for a native call (default: NS3TS_NATIVE_THREADS, else all). */
  threads?: number;
}

function pickAddon(options: KernelOptions | undefined): { addon: NativeAddon | undefined; threads: number } {
  const state = loadState();
  const choice = options?.impl ?? 'auto';
  if (choice !== 'auto' && choice !== 'ts' && choice !== 'native') {
    throw new InputError('options.impl', choice, "'auto', 'native' or 'ts'");
  }
  if (choice === 'native' && !state.addon) {
    throw new InputError('options.impl', 'native', `the TypeScript implementation or an active addon (${state.reason})`);
  }
  const threads = options?.threads ?? (Number(process.env.NS3TS_NATIVE_THREADS) || 0);
  if (!Number.isInteger(threads) || threads < 0) throw new InputError('options.threads', threads, 'a positive integer');
  return { addon: choice === 'ts' ? undefined : state.addon, threads };
}

function checkFloats(value: unknown, field: string, length: number): asserts value is FloatArray {
  if (!(value instanceof Float64Array || value instanceof Float32Array)) {
    throw new InputError(field, value, `a Float64Array or Float32Array of length ${length}`);
  }
  if (value.length !== length) throw new InputError(`${field}.length`, value.length, `${length}`);
}

function checkShape(rows: number, cols: number): void {
  checkBatch(rows, 'rows');
  checkBatch(cols, 'cols');
}

function checkBudget(budget: Budget, rows: number): void {
  if (typeof budget === 'number') {
    if (!(budget >= 0) || !Number.isFinite(budget)) throw new InputError('budget', budget, 'a finite number >= 0');
    return;
  }
  if (!(budget instanceof Float64Array) || budget.length !== rows) {
    throw new InputError('budget', budget, `a number or a Float64Array of length ${rows} (rows)`);
  }
  for (let r = 0; r < rows; r++) {
    const a = budget[r]!;
    if (!(a >= 0) || !Number.isFinite(a)) throw new InputError(`budget[${r}]`, a, 'a finite number >= 0');
  }
}

function sameType(values: FloatArray, length: number): FloatArray {
  return values instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/**
 * Row-wise exact projection onto {x >= 0, sum x <= a} (with `equality`, {x >= 0, sum x = a}).
 * values and out are [rows × cols] of the same type (out allocated when omitted; out may be
 * `values` itself for an in-place projection). Equals src/constraints projectSimplex per row.
 */
export function projectSimplexBatch(
  values: FloatArray,
  rows: number,
  cols: number,
  budget: Budget = 1,
  out?: FloatArray,
  equality = false,
  options?: KernelOptions,
): FloatArray {
  checkShape(rows, cols);
  checkFloats(values, 'values', rows * cols);
  checkBudget(budget, rows);
  const result = out ?? sameType(values, rows * cols);
  checkFloats(result, 'out', rows * cols);
  if (result.constructor !== values.constructor) throw new InputError('out', result, `a ${values.constructor.name} like values`);
  checkFinite(values, 'values');
  if (rows === 0 || cols === 0) return result;
  const { addon, threads } = pickAddon(options);
  if (addon) addon.projectSimplexBatch(values, rows, cols, budget, result, equality, threads);
  else tsProjectSimplexBatch(values, rows, cols, budget, result, equality);
  return result;
}

/**
 * Row-wise exact projection onto {lower <= x <= upper, sum x <= a}: x = clip(v - theta, l, u)
 * with theta = 0 when that fits, else the root of sum clip(v - theta, l, u) = a. lower and
 * upper are per column (length cols, shared by every row) or per element ([rows × cols]);
 * upper may be +Infinity; each row needs lower <= upper and sum(lower) <= a.
 * Equals src/constraints projectBoxSimplex per row.
 */
export function projectBoxSimplexBatch(
  values: FloatArray,
  lower: FloatArray,
  upper: FloatArray,
  rows: number,
  cols: number,
  budget: Budget = 1,
  out?: FloatArray,
  options?: KernelOptions,
): FloatArray {
  checkShape(rows, cols);
  checkFloats(values, 'values', rows * cols);
  checkBudget(budget, rows);
  for (const [bound, field] of [
    [lower, 'lower'],
    [upper, 'upper'],
  ] as const) {
    if (!(bound instanceof Float64Array || bound instanceof Float32Array) || (bound.length !== cols && bound.length !== rows * cols)) {
      throw new InputError(field, bound, `a Float64Array or Float32Array of length ${cols} (cols) or ${rows * cols} (rows × cols)`);
    }
  }
  const result = out ?? sameType(values, rows * cols);
  checkFloats(result, 'out', rows * cols);
  if (result.constructor !== values.constructor) throw new InputError('out', result, `a ${values.constructor.name} like values`);
  checkFinite(values, 'values');
  checkFinite(lower, 'lower');
  const lowerStride = lower.length === cols ? 0 : cols;
  const upperStride = upper.length === cols ? 0 : cols;
  const boundRows = lowerStride === 0 && upperStride === 0 ? Math.min(rows, 1) : rows;
  for (let r = 0; r < boundRows; r++) {
    for (let c = 0; c < cols; c++) {
      const l = lower[r * lowerStride + c]!;
      const u = upper[r * upperStride + c]!;
      if (!(u >= l)) throw new InputError(`upper[${r * upperStride + c}]`, u, `a number >= its floor ${l}`);
    }
  }
  let lowerSum = 0;
  for (let r = 0; r < rows; r++) {
    if (r === 0 || lowerStride !== 0) {
      lowerSum = 0;
      for (let c = 0; c < cols; c++) lowerSum += lower[r * lowerStride + c]!;
    }
    const a = typeof budget === 'number' ? budget : budget[r]!;
    if (lowerSum > a + 1e-12) throw new InputError(`lower (row ${r})`, lowerSum, `floors summing to at most the budget ${a}`);
  }
  if (rows === 0 || cols === 0) return result;
  const { addon, threads } = pickAddon(options);
  if (addon) addon.projectBoxSimplexBatch(values, lower, upper, rows, cols, budget, result, threads);
  else tsProjectBoxSimplexBatch(values, lower, upper, rows, cols, budget, result);
  return result;
}

export interface AdmmOptions extends KernelOptions {
  /**
   * The previous z on entry (for the dual residual), the new z on exit: [rows × cols], same type
   * as x. Omitted: z_prev = 0 and a new array is returned.
   */
  z?: FloatArray;
  /** ADMM penalty rho, only scales the dual residual (default 1). */
  rho?: number;
  /** Preallocated [rows] residual buffers. */
  primalResidual?: Float64Array;
  dualResidual?: Float64Array;
}

export interface AdmmStep {
  /** z = Proj_{z >= 0, sum z <= a}(x + u), [rows × cols]. */
  z: FloatArray;
  /** The updated scaled dual u + x - z: the same array as the `u` argument (updated in place). */
  u: FloatArray;
  /** Per row |x - z| (Euclidean). */
  primalResidual: Float64Array;
  /** Per row rho |z - z_prev| (Euclidean). */
  dualResidual: Float64Array;
}

/**
 * One ADMM z-step and dual update for every row (cell) at once (docs/algorithms.md#admm, DeepSlicing's
 * form): z = Proj(x + u); u <- u + x - z (in place); residuals per row. x, u (and options.z)
 * are [rows × cols] of the same type, x a separate array from u and z. The shadow price of
 * capacity is rho * u. A typical loop keeps z and u across iterations (and steps, warm start):
 *   for (k...) { xStep(z, u, x); const s = admmZDualBatch(x, u, rows, cols, 1, { z, rho }); if (converged(s)) break; }
 */
export function admmZDualBatch(
  x: FloatArray,
  u: FloatArray,
  rows: number,
  cols: number,
  budget: Budget = 1,
  options: AdmmOptions = {},
): AdmmStep {
  checkShape(rows, cols);
  checkFloats(x, 'x', rows * cols);
  checkFloats(u, 'u', rows * cols);
  if (u.constructor !== x.constructor) throw new InputError('u', u, `a ${x.constructor.name} like x`);
  checkBudget(budget, rows);
  const rho = options.rho ?? 1;
  if (!(rho > 0) || !Number.isFinite(rho)) throw new InputError('options.rho', rho, 'a finite number > 0');
  const z = options.z ?? sameType(x, rows * cols);
  checkFloats(z, 'options.z', rows * cols);
  if (z.constructor !== x.constructor) throw new InputError('options.z', z, `a ${x.constructor.name} like x`);
  const primalResidual = options.primalResidual ?? new Float64Array(rows);
  const dualResidual = options.dualResidual ?? new Float64Array(rows);
  if (!(primalResidual instanceof Float64Array) || primalResidual.length !== rows) {
    throw new InputError('options.primalResidual', primalResidual, `a Float64Array of length ${rows}`);
  }
  if (!(dualResidual instanceof Float64Array) || dualResidual.length !== rows) {
    throw new InputError('options.dualResidual', dualResidual, `a Float64Array of length ${rows}`);
  }
  checkFinite(x, 'x');
  checkFinite(u, 'u');
  checkFinite(z, 'options.z');
  if (rows > 0) {
    const { addon, threads } = pickAddon(options);
    if (addon) addon.admmZDualBatch(x, u, z, rows, cols, budget, rho, primalResidual, dualResidual, threads);
    else tsAdmmZDualBatch(x, u, z, rows, cols, budget, rho, primalResidual, dualResidual);
  }
  return { z, u, primalResidual, dualResidual };
}

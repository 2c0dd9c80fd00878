/**
 * IDLA's per-cell allocation search (docs/algorithms.md#lagrangian-multi-start-search), batched over all cells and starts:
 *
 *   maximize  sum_s log(f(x_s, z_s) + 1)   subject to  x >= 0, sum_s x_s <= 1
 *
 * by primal-dual gradient steps on the Lagrangian,
 *   dL/dx_s = f'(x_s) / (f(x_s) + 1) - lambda,   x_s <- [x_s + dx_i dL/dx_s]_+ (and <= 1),
 *   lambda <- [lambda - dlambda_i (1 - sum_s x_s)]_+,
 * where the multiplier step reads the sum at the extrapolated point 2 x_new - x_old (the
 * Popov / Chambolle-Pock correction: the plain simultaneous update oscillates for a long time
 * when f is flat, the correction damps it without changing the fixed point),
 * with decreasing steps dx_i = dx / (1 + decay i) (likewise dlambda), until i_max or until
 * max_s |x_s change| < eta (and lambda's change < eta: shares can pause at a turning point of
 * the primal-dual oscillation while lambda is still off). Each cell runs 1 + P starts: the warm start (last step's solution)
 * and P neighbours x + eps, eps ~ N(0, 0.05). All starts of all cells go through the estimator in
 * one batched call per iteration; a converged start drops out of the batch. The best start per
 * cell by the objective (evaluated after the exact projection) is returned, projected onto
 * {x >= 0, sum x <= 1}, so the result is always feasible. Inactive slices get 0.
 */
import { projectSimplex } from '../../constraints/index.js';
import { InputError, Rng } from '../../util/index.js';
import { IDLA_INPUTS, INPUT_X } from './features.js';

/**
 * The estimator seen by the search: for `batch` rows of IDLA_INPUTS inputs, f per row and
 * df/dx (the derivative with respect to input column INPUT_X) per row.
 */
export type ValueAndGradient = (
  inputs: Float32Array,
  batch: number,
) => EstimatorOutput | Promise<EstimatorOutput>;

export interface EstimatorOutput {
  value: ArrayLike<number>;
  gradient: ArrayLike<number>;
}

/**
 * The estimator in "pair" form: `prepare` receives the fixed inputs of every (cell, slice) once
 * per search ([pairs, inputWidth], x column ignored), then `evaluate` takes rows as (pair index,
 * x) only. On the MLP runner this folds the fixed inputs into the first layer once
 * (`firstLayerOffsets`), so an iteration neither builds input rows nor recomputes that layer.
 */
export interface PairEstimator {
  prepare(templates: Float32Array, pairs: number, inputWidth: number): void;
  evaluate(pairOf: Int32Array, x: Float32Array, batch: number): EstimatorOutput;
}

export type SearchEstimator = ValueAndGradient | PairEstimator;

function isPairEstimator(estimator: SearchEstimator): estimator is PairEstimator {
  return typeof estimator !== 'function';
}

export interface SearchOptions {
  /** Neighbours of the warm start (P). Default 5. */
  neighbours?: number;
  /** Standard deviation of the neighbours' perturbation. Default 0.05. */
  noise?: number;
  /** i_max. Default 60. */
  maxIterations?: number;
  /** Stop a start when no share moves more than eta. Default 1e-3. */
  eta?: number;
  /** Initial primal step dx. Default 0.1. */
  stepX?: number;
  /** Initial dual step dlambda. Default 0.5. */
  stepLambda?: number;
  /** Step decay: step_i = step / (1 + decay i). Default 0.05. */
  decay?: number;
  /**
   * Score the starts with one more estimator pass at their projected end points. Default false:
   * each start is scored from its last evaluation, f(x_last) + f'(x_last) (x_end - x_last) —
   * exact to first order, since the last step and the projection move x by little — which saves
   * a whole pass over cells x starts x slices.
   */
  exactFinalEvaluation?: boolean;
  /**
   * Spread a cell's unused capacity equally over its active slices after choosing the best start.
   * The estimator is nondecreasing in x (augmentation rule 2 teaches it exactly that), so this
   * never lowers the estimated objective, and it hedges against the estimator's errors. Default
   * true; false gives the paper's plain search result.
   */
  fillSlack?: boolean;
  /**
   * Grid start: 0 = off (the paper's starts only). G > 1 adds one start per cell at the best
   * point of the grid {0, 1/(G-1), ..., 1} per slice under sum x <= 1, by the estimator. The
   * objective is separable over the slices (f_s depends on x_s and the slice's own inputs only),
   * so that point is exact for the grid with G forward rows per (cell, slice) and a knapsack-style
   * dynamic program of O(slices G^2) per cell, instead of the C(G + slices - 1, slices) points of
   * a brute-force grid. The gradient search then refines it off the grid like any other start,
   * and the unrefined grid point also competes in the best-of. Why: QoS curves have plateaus
   * (r held at d* / d_max while a slice is overloaded, then a jump to 1), where df/dx = 0 and the
   * gradient steps cannot leave a start that landed on one. Default 0.
   */
  gridPoints?: number;
  /**
   * Stop trailing starts from this iteration on (0 = never): a live start whose objective
   * sum_s log(f + 1) at its last evaluation trails the best of its cell's starts by more than
   * `pruneMargin` stops where it is. It keeps its shares and still competes in the best-of, so
   * the result stays the projected, feasible best of the starts; what is lost is only a start
   * that would have overtaken the leader later. Default 0 (off); see docs/algorithms.md for the
   * measured effect.
   */
  pruneAfter?: number;
  /** Objective gap (in log(f + 1) summed over the cell's slices) beyond which a start is pruned. Default 0.05. */
  pruneMargin?: number;
  /**
   * Stop a live start whose shares and multiplier are all within this distance of an earlier live
   * start of the same cell (0 = never): from the same point at the same iteration the two follow
   * the same path, so the later one only repeats the work. Default 0 (off).
   */
  mergeTolerance?: number;
}

export interface SearchProblem {
  cells: number;
  slices: number;
  /** [cells * slices] 1 = active. */
  active: ArrayLike<number>;
  /** [cells * slices, inputWidth] estimator inputs per (cell, slice); the x column is ignored. */
  templates: Float32Array;
  /** Estimator input width: IDLA_INPUTS (the paper's, default) or IDLA_INPUTS_EXTENDED. */
  inputWidth?: number;
  /** [cells * slices] warm-start shares (e.g. last step's solution). */
  warmStart: ArrayLike<number>;
  /** [cells] warm-start multipliers; 0 when omitted. */
  warmLambda?: ArrayLike<number>;
  /**
   * [cells] 1 = the cell has no previous solution (first decision, or its set of active slices
   * changed): with a grid start, the starts are centred on the grid point instead of `warmStart`
   * (which then takes the grid start's place). Omitted: every cell is warm.
   */
  cold?: ArrayLike<number>;
}

export interface SearchResult {
  /** [cells * slices] feasible shares (inactive = 0). */
  x: Float32Array;
  /** [cells] the multiplier of the chosen start (the shadow price of capacity). */
  lambda: Float32Array;
  /** [cells] objective sum_s log(f + 1) of the returned shares. */
  objective: Float64Array;
  /** Iterations until every start stopped. */
  iterations: number;
  /** Mean iterations per start. */
  meanIterations: number;
  /** Estimator rows evaluated in total. */
  rowsEvaluated: number;
}

export async function lagrangianSearch(
  estimator: SearchEstimator,
  problem: SearchProblem,
  rng: Rng,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const settings = resolveSearchSettings(problem, options);
  const layout = layoutStarts(problem, settings.starts);
  const G = settings.gridPoints;
  const batch = new SearchBatch(estimator, problem.templates, settings.inputWidth, layout);
  const grid = G > 0 && layout.pairIndex.length > 0 ? await gridOptimum(estimator, problem.templates, settings.inputWidth, layout.pairIndex, layout.first, layout.cells, G) : null;
  const gridRows = grid ? layout.pairIndex.length * G : 0;
  const { x, lambda } = initialStarts(problem, layout, grid, rng, settings.noise);
  const ascent = await ascend(batch, layout, x, lambda, settings);
  projectOverBudget(layout, x);
  // Estimated f at every slot's end point: a fresh pass, or first order from the last evaluation.
  const endF = options.exactFinalEvaluation || ascent.iterations === 0 ? await evaluateEndPoints(batch, layout, x) : firstOrderEndPoints(ascent, x);
  const chosen = chooseBestStarts(layout, x, lambda, endF, grid, options.fillSlack ?? true);
  return {
    x: chosen.x,
    lambda: chosen.lambda,
    objective: chosen.objective,
    iterations: ascent.iterations,
    meanIterations: meanIterations(layout, ascent.iterationsOf),
    rowsEvaluated: gridRows + batch.rowsEvaluated,
  };
}

/** The search's settings with their defaults, checked against the problem's sizes. */
type SearchSettings = Required<
  Pick<SearchOptions, 'neighbours' | 'noise' | 'maxIterations' | 'eta' | 'stepX' | 'stepLambda' | 'decay' | 'gridPoints' | 'pruneAfter' | 'pruneMargin' | 'mergeTolerance'>
> & {
  inputWidth: number;
  /** Starts per cell: the warm start, the neighbours and (with a grid) the grid start. */
  starts: number;
};

function resolveSearchSettings(problem: SearchProblem, options: SearchOptions): SearchSettings {
  const P = options.neighbours ?? 5;
  const maxIterations = options.maxIterations ?? 60;
  const { cells, slices } = problem;
  if (!(Number.isInteger(P) && P >= 0)) throw new InputError('neighbours', P, 'an integer >= 0');
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) throw new InputError('maxIterations', maxIterations, 'an integer >= 0');
  const n = cells * slices;
  if (problem.active.length !== n) throw new InputError('active length', problem.active.length, `${n}`);
  const W = problem.inputWidth ?? IDLA_INPUTS;
  if (!(Number.isInteger(W) && W > INPUT_X)) throw new InputError('inputWidth', W, `an integer > ${INPUT_X}`);
  if (problem.templates.length !== n * W) throw new InputError('templates length', problem.templates.length, `${n * W} (${n} rows x ${W})`);
  if (problem.warmStart.length !== n) throw new InputError('warmStart length', problem.warmStart.length, `${n}`);
  if (problem.cold && problem.cold.length !== cells) throw new InputError('cold length', problem.cold.length, `${cells} (one per cell)`);
  const G = options.gridPoints ?? 0;
  if (!(Number.isInteger(G) && (G === 0 || G >= 2))) throw new InputError('gridPoints', G, 'an integer >= 2, or 0 for no grid start');
  const pruneAfter = options.pruneAfter ?? 0;
  if (!(Number.isInteger(pruneAfter) && pruneAfter >= 0)) throw new InputError('pruneAfter', pruneAfter, 'an integer >= 0 (0 = no pruning)');
  const pruneMargin = options.pruneMargin ?? 0.05;
  if (!(pruneMargin >= 0)) throw new InputError('pruneMargin', pruneMargin, 'a number >= 0');
  const mergeTolerance = options.mergeTolerance ?? 0;
  if (!(mergeTolerance >= 0)) throw new InputError('mergeTolerance', mergeTolerance, 'a number >= 0 (0 = no merging)');
  return {
    neighbours: P,
    noise: options.noise ?? 0.05,
    maxIterations,
    eta: options.eta ?? 1e-3,
    stepX: options.stepX ?? 0.1,
    stepLambda: options.stepLambda ?? 0.5,
    decay: options.decay ?? 0.05,
    gridPoints: G,
    pruneAfter,
    pruneMargin,
    mergeTolerance,
    inputWidth: W,
    starts: 1 + P + (G > 0 ? 1 : 0),
  };
}

/**
 * Where the starts live. The active (cell, slice) pairs are grouped by cell: cell c's are
 * pairIndex[first[c] .. first[c] + count[c]). Start p of cell c (id c * starts + p) owns the
 * slots [starts * first[c] + p * count[c], ... + count[c]) of the shares and evaluation arrays.
 */
interface StartLayout {
  cells: number;
  slices: number;
  starts: number;
  count: Int32Array;
  first: Int32Array;
  pairIndex: Int32Array;
  /** starts × active pairs. */
  slots: number;
}

function layoutStarts(problem: SearchProblem, starts: number): StartLayout {
  const { cells, slices } = problem;
  const count = new Int32Array(cells);
  const first = new Int32Array(cells + 1);
  const pairs: number[] = [];
  for (let c = 0; c < cells; c++) {
    first[c] = pairs.length;
    for (let s = 0; s < slices; s++) if (problem.active[c * slices + s]! >= 0.5) pairs.push(c * slices + s);
    count[c] = pairs.length - first[c]!;
  }
  first[cells] = pairs.length;
  return { cells, slices, starts, count, first, pairIndex: Int32Array.from(pairs), slots: starts * pairs.length };
}

/** Every start of every cell with at least one active slice, in slot order. */
function allStarts(layout: StartLayout): Int32Array {
  const ids: number[] = [];
  for (let c = 0; c < layout.cells; c++) if (layout.count[c]! > 0) for (let p = 0; p < layout.starts; p++) ids.push(c * layout.starts + p);
  return Int32Array.from(ids);
}

/**
 * The starts of every cell: start 0 the warm start (made feasible first so every start begins
 * inside the box), the last one the grid point (with a grid), the others neighbours of start 0
 * (N(0, noise) per share). Every start's multiplier begins at the warm multiplier.
 */
function initialStarts(
  problem: SearchProblem,
  layout: StartLayout,
  grid: { x: Float32Array } | null,
  rng: Rng,
  noise: number,
): { x: Float32Array; lambda: Float32Array } {
  const { cells, starts, count, first, pairIndex } = layout;
  const x = new Float32Array(layout.slots);
  const lambda = new Float32Array(cells * starts);
  for (let c = 0; c < cells; c++) {
    const k = count[c]!;
    const warm = new Float64Array(k);
    for (let j = 0; j < k; j++) warm[j] = clamp01(problem.warmStart[pairIndex[first[c]! + j]!]!);
    let centre: Float64Array = projectIfNeeded(warm);
    let other: Float64Array | null = grid ? Float64Array.from(grid.x.subarray(first[c]!, first[c]! + k)) : null;
    // A cold cell has no solution worth staying near: centre its starts on the grid point.
    if (other && problem.cold && problem.cold[c]! >= 0.5) [centre, other] = [other, centre];
    for (let p = 0; p < starts; p++) {
      const base = starts * first[c]! + p * k;
      for (let j = 0; j < k; j++) {
        x[base + j] = p === 0 ? centre[j]! : other && p === starts - 1 ? other[j]! : clamp01(centre[j]! + rng.normal(0, noise));
      }
      lambda[c * starts + p] = Math.max(0, problem.warmLambda?.[c] ?? 0);
    }
  }
  return { x, lambda };
}

/**
 * The estimator's rows: one per active slice of each live start, given as (pair index, x). A pair
 * estimator takes them as they are; for a function estimator the full input rows are built from
 * the templates. The row buffers are owned by the caller and compacted in place by the step.
 */
class SearchBatch {
  /** Rows evaluated by this batch so far. */
  rowsEvaluated = 0;
  private inputs = new Float32Array(0);

  constructor(
    private readonly estimator: SearchEstimator,
    private readonly templates: Float32Array,
    private readonly W: number,
    layout: StartLayout,
  ) {
    if (isPairEstimator(estimator)) estimator.prepare(templates, layout.cells * layout.slices, W);
  }

  /** f and df/dx of the first `rows` rows (rowPair[r], rowX[r]). */
  async evaluate(rowPair: Int32Array, rowX: Float32Array, rows: number): Promise<EstimatorOutput> {
    const { estimator, W, templates } = this;
    let out: EstimatorOutput;
    if (isPairEstimator(estimator)) {
      out = await estimator.evaluate(rowPair.subarray(0, rows), rowX.subarray(0, rows), rows);
    } else {
      if (this.inputs.length < rows * W) this.inputs = new Float32Array(rows * W);
      const inputs = this.inputs;
      for (let r = 0; r < rows; r++) {
        const o = r * W;
        inputs.set(templates.subarray(rowPair[r]! * W, rowPair[r]! * W + W), o);
        inputs[o + INPUT_X] = rowX[r]!;
      }
      out = await estimator(inputs.subarray(0, rows * W), rows);
    }
    checkOutput(out, rows);
    this.rowsEvaluated += rows;
    return out;
  }
}

/** Writes the rows of the starts in `live` (pair index and current share, in live order); returns the row count. */
function fillRows(layout: StartLayout, live: Int32Array, x: Float32Array, rowPair: Int32Array, rowX: Float32Array): number {
  const { starts, count, first, pairIndex } = layout;
  let row = 0;
  for (let q = 0; q < live.length; q++) {
    const id = live[q]!;
    const c = (id / starts) | 0;
    const k = count[c]!;
    const base = starts * first[c]! + (id - c * starts) * k;
    for (let j = 0; j < k; j++, row++) {
      rowPair[row] = pairIndex[first[c]! + j]!;
      rowX[row] = x[base + j]!;
    }
  }
  return row;
}

/** What the ascent leaves behind, besides the shares and multipliers it updates in place. */
interface Ascent {
  /** Iterations until every start stopped. */
  iterations: number;
  /** Iterations each start ran, [cells * starts]. */
  iterationsOf: Int32Array;
  /** The last evaluation of each slot: where (x), f and df/dx. */
  evalX: Float32Array;
  evalF: Float32Array;
  evalG: Float32Array;
}

/** Primal-dual steps on every live start until each has stopped or maxIterations have run. */
async function ascend(batch: SearchBatch, layout: StartLayout, x: Float32Array, lambda: Float32Array, settings: SearchSettings): Promise<Ascent> {
  const { slots } = layout;
  const ascent: Ascent = {
    iterations: 0,
    iterationsOf: new Int32Array(layout.cells * layout.starts),
    evalX: new Float32Array(slots),
    evalF: new Float32Array(slots),
    evalG: new Float32Array(slots),
  };
  // Live starts (those with at least one active slice that have not stopped) and their rows, both
  // compacted in place as starts stop: nothing is allocated per iteration.
  const live = allStarts(layout);
  const rowPair = new Int32Array(slots);
  const rowX = new Float32Array(slots);
  const state: LiveSet = { live, starts: live.length, rows: fillRows(layout, live, x, rowPair, rowX), rowPair, rowX };
  for (let i = 0; i < settings.maxIterations && state.starts > 0; i++) {
    const out = await batch.evaluate(rowPair, rowX, state.rows);
    ascent.iterations = i + 1;
    primalDualStep(layout, state, out, x, lambda, ascent, i, settings);
    const prune = settings.pruneAfter > 0 && i + 1 >= settings.pruneAfter;
    if (prune || settings.mergeTolerance > 0) dropRedundantStarts(layout, state, x, lambda, ascent, prune, settings);
  }
  return ascent;
}

/** The live starts (live[0 .. starts)) and their estimator rows (rowPair, rowX [0 .. rows)). */
interface LiveSet {
  live: Int32Array;
  starts: number;
  rows: number;
  rowPair: Int32Array;
  rowX: Float32Array;
}

/**
 * Iteration i of every live start (the header's update rules), from the estimator's `out`, whose
 * rows are the live set's rows. The starts that go on, and their rows with the new shares, move to
 * the front of the live set.
 */
function primalDualStep(
  layout: StartLayout,
  state: LiveSet,
  out: EstimatorOutput,
  x: Float32Array,
  lambda: Float32Array,
  ascent: Ascent,
  i: number,
  settings: SearchSettings,
): void {
  const { starts, count, first } = layout;
  const { evalX, evalF, evalG, iterationsOf } = ascent;
  const { live, rowPair, rowX } = state;
  const value = out.value;
  const gradient = out.gradient;
  const dx = settings.stepX / (1 + settings.decay * i);
  const dl = settings.stepLambda / (1 + settings.decay * i);
  const eta = settings.eta;
  let row = 0;
  let kept = 0;
  let keptRows = 0;
  for (let q = 0; q < state.starts; q++) {
    const id = live[q]!;
    const c = (id / starts) | 0;
    const k = count[c]!;
    const base = starts * first[c]! + (id - c * starts) * k;
    const lam = lambda[id]!;
    let extrapolatedSum = 0;
    let moved = 0;
    for (let j = 0; j < k; j++) {
      const f = value[row + j]!;
      const g = gradient[row + j]!;
      const old = x[base + j]!;
      evalX[base + j] = old;
      evalF[base + j] = f;
      evalG[base + j] = g;
      const next = clamp01(old + dx * (g / (f + 1) - lam));
      x[base + j] = next;
      extrapolatedSum += 2 * next - old;
      const change = next > old ? next - old : old - next;
      if (change > moved) moved = change;
    }
    const nextLambda = Math.max(0, lam - dl * (1 - extrapolatedSum));
    lambda[id] = nextLambda;
    iterationsOf[id] = i + 1;
    // A start whose shares pause at a turning point while lambda still moves has not converged.
    if (moved >= eta || Math.abs(nextLambda - lam) >= eta) {
      live[kept++] = id;
      for (let j = 0; j < k; j++) {
        rowPair[keptRows + j] = rowPair[row + j]!;
        rowX[keptRows + j] = x[base + j]!;
      }
      keptRows += k;
    }
    row += k;
  }
  state.starts = kept;
  state.rows = keptRows;
}

/**
 * Among the live starts (in slot order, so a cell's starts are adjacent), stops the duplicates
 * (mergeTolerance) and, with `prune`, the starts that trail their cell's best (pruneMargin);
 * compacts the live set and its rows.
 */
function dropRedundantStarts(layout: StartLayout, state: LiveSet, x: Float32Array, lambda: Float32Array, ascent: Ascent, prune: boolean, settings: SearchSettings): void {
  const { starts, count, first } = layout;
  const { evalF } = ascent;
  const { live, rowPair, rowX } = state;
  const tolerance = settings.mergeTolerance;
  let kept = 0;
  let readRow = 0;
  let keptRows = 0;
  let q = 0;
  while (q < state.starts) {
    const c = (live[q]! / starts) | 0;
    let end = q + 1;
    while (end < state.starts && ((live[end]! / starts) | 0) === c) end++;
    const k = count[c]!;
    const cellBase = starts * first[c]!;
    // The cell's best objective at the starts' last evaluations (stopped starts included).
    let best = -Infinity;
    if (prune) {
      for (let p = 0; p < starts; p++) {
        let value = 0;
        for (let j = 0; j < k; j++) value += Math.log(evalF[cellBase + p * k + j]! + 1);
        if (value > best) best = value;
      }
    }
    const cellKept = kept;
    for (let r = q; r < end; r++, readRow += k) {
      const id = live[r]!;
      const base = cellBase + (id - c * starts) * k;
      if (prune) {
        let value = 0;
        for (let j = 0; j < k; j++) value += Math.log(evalF[base + j]! + 1);
        if (value < best - settings.pruneMargin) continue;
      }
      let duplicate = false;
      if (tolerance > 0) {
        for (let e = cellKept; e < kept && !duplicate; e++) {
          const other = live[e]!;
          if (Math.abs(lambda[other]! - lambda[id]!) >= tolerance) continue;
          const otherBase = cellBase + (other - c * starts) * k;
          let close = true;
          for (let j = 0; j < k && close; j++) close = Math.abs(x[otherBase + j]! - x[base + j]!) < tolerance;
          duplicate = close;
        }
      }
      if (duplicate) continue;
      live[kept++] = id;
      for (let j = 0; j < k; j++) {
        rowPair[keptRows + j] = rowPair[readRow + j]!;
        rowX[keptRows + j] = rowX[readRow + j]!;
      }
      keptRows += k;
    }
    q = end;
  }
  state.starts = kept;
  state.rows = keptRows;
}

/** Projects every start whose shares sum above 1 onto {x >= 0, sum x = 1}, in place. */
function projectOverBudget(layout: StartLayout, x: Float32Array): void {
  const { cells, starts, count, first } = layout;
  const scratch = new Float64Array(Math.max(1, layout.slices));
  for (let c = 0; c < cells; c++) {
    const k = count[c]!;
    for (let p = 0; p < starts; p++) {
      const base = starts * first[c]! + p * k;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += x[base + j]!;
      // Shares are already in [0, 1]; only a cell over budget needs the projection.
      if (sum <= 1) continue;
      projectInPlace(x, base, k, scratch);
    }
  }
}

/** f at every slot's end point by one more estimator pass. */
async function evaluateEndPoints(batch: SearchBatch, layout: StartLayout, x: Float32Array): Promise<Float32Array> {
  const endF = new Float32Array(layout.slots);
  const live = allStarts(layout);
  const rowPair = new Int32Array(layout.slots);
  const rowX = new Float32Array(layout.slots);
  const rows = fillRows(layout, live, x, rowPair, rowX);
  if (rows > 0) {
    const out = await batch.evaluate(rowPair, rowX, rows);
    // Live starts were listed in slot order, so batch rows and slots coincide.
    for (let r = 0; r < rows; r++) endF[r] = out.value[r]!;
  }
  return endF;
}

/** f at every slot's end point to first order from the slot's last evaluation. */
function firstOrderEndPoints(ascent: Ascent, x: Float32Array): Float32Array {
  const { evalX, evalF, evalG } = ascent;
  const endF = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) endF[i] = clamp01(evalF[i]! + evalG[i]! * (x[i]! - evalX[i]!));
  return endF;
}

/**
 * Per cell, the start with the best objective sum log(f + 1) at its end point (or the unrefined
 * grid point when that scores higher), its spare capacity spread over the active slices when
 * `fillSlack`, written as feasible Float32 shares.
 */
function chooseBestStarts(
  layout: StartLayout,
  x: Float32Array,
  lambda: Float32Array,
  endF: Float32Array,
  grid: { x: Float32Array; objective: Float64Array } | null,
  fillSlack: boolean,
): { x: Float32Array; lambda: Float32Array; objective: Float64Array } {
  const { cells, starts, count, first, pairIndex } = layout;
  const result = new Float32Array(cells * layout.slices);
  const bestLambda = new Float32Array(cells);
  const objective = new Float64Array(cells);
  if (pairIndex.length === 0) return { x: result, lambda: bestLambda, objective };
  let row = 0;
  for (let c = 0; c < cells; c++) {
    const k = count[c]!;
    if (k === 0) continue;
    let best = -Infinity;
    let bestP = 0;
    for (let p = 0; p < starts; p++) {
      let value = 0;
      for (let j = 0; j < k; j++, row++) value += Math.log(endF[row]! + 1);
      // Ties keep the earlier start (the warm start first), so a settled cell stays put.
      if (value > best + 1e-9) {
        best = value;
        bestP = p;
      }
    }
    let chosenX: Float32Array = x.subarray(starts * first[c]! + bestP * k, starts * first[c]! + (bestP + 1) * k);
    // The unrefined grid point competes too: refining from it can lose when the estimator has
    // a plateau next to the jump the grid point sits on.
    if (grid && grid.objective[c]! > best + 1e-9) {
      best = grid.objective[c]!;
      bestP = starts - 1;
      chosenX = grid.x.subarray(first[c]!, first[c]! + k);
    }
    let spare = 0;
    if (fillSlack) {
      let used = 0;
      for (let j = 0; j < k; j++) used += chosenX[j]!;
      spare = Math.max(0, 1 - used) / k;
    }
    // x + spare stays inside {x >= 0, sum x <= 1} up to rounding; the projection settles that.
    const chosen = projectIfNeeded(Float64Array.from(chosenX, (v) => v + spare));
    writeFeasible(chosen, result, pairIndex.subarray(first[c]!, first[c]! + k));
    bestLambda[c] = lambda[c * starts + bestP]!;
    objective[c] = best;
  }
  return { x: result, lambda: bestLambda, objective };
}

/** Mean iterations per start, over the starts of cells with an active slice. */
function meanIterations(layout: StartLayout, iterationsOf: Int32Array): number {
  const ids = allStarts(layout);
  let iterationSum = 0;
  for (const id of ids) iterationSum += iterationsOf[id]!;
  return ids.length > 0 ? iterationSum / ids.length : 0;
}

/**
 * Per cell, the best point of the grid {0, 1/(G-1), ..., 1}^k under sum x <= 1 for the separable
 * objective sum_j log(f_j(x_j) + 1): one batched estimator pass over G points per active pair,
 * then a dynamic program over grid units (best[j][u] = max_v best[j-1][u-v] + value_j(v)).
 * Returns the points [pairs] (in pair order) and their objective per cell.
 */
async function gridOptimum(
  estimator: SearchEstimator,
  templates: Float32Array,
  W: number,
  pairIndex: Int32Array,
  first: Int32Array,
  cells: number,
  G: number,
): Promise<{ x: Float32Array; objective: Float64Array }> {
  const pairs = pairIndex.length;
  const rows = pairs * G;
  let out: EstimatorOutput;
  if (isPairEstimator(estimator)) {
    const pairOf = new Int32Array(rows);
    const xs = new Float32Array(rows);
    for (let q = 0; q < pairs; q++) {
      for (let g = 0; g < G; g++) {
        pairOf[q * G + g] = pairIndex[q]!;
        xs[q * G + g] = g / (G - 1);
      }
    }
    out = await estimator.evaluate(pairOf, xs, rows);
  } else {
    const inputs = new Float32Array(rows * W);
    for (let q = 0; q < pairs; q++) {
      const from = pairIndex[q]! * W;
      for (let g = 0; g < G; g++) {
        const o = (q * G + g) * W;
        for (let w = 0; w < W; w++) inputs[o + w] = templates[from + w]!;
        inputs[o + INPUT_X] = g / (G - 1);
      }
    }
    out = await estimator(inputs, rows);
  }
  checkOutput(out, rows);
  const value = new Float64Array(rows);
  for (let r = 0; r < rows; r++) value[r] = Math.log(clamp01(out.value[r]!) + 1);
  return bestGridPoints(value, first, cells, G);
}

/**
 * The dynamic program of gridOptimum over `value` ([pairs, G]: log(f + 1) of each pair at each
 * grid point): per cell, the grid units per slice that maximize the sum within G - 1 units.
 */
function bestGridPoints(value: Float64Array, first: Int32Array, cells: number, G: number): { x: Float32Array; objective: Float64Array } {
  const x = new Float32Array(first[cells]!);
  const objective = new Float64Array(cells);
  const U = G - 1;
  let best = new Float64Array(G);
  let next = new Float64Array(G);
  let choice = new Int32Array(0);
  for (let c = 0; c < cells; c++) {
    const k = first[c + 1]! - first[c]!;
    if (k === 0) continue;
    if (choice.length < k * G) choice = new Int32Array(k * G);
    // best[u]: the best objective of the slices so far using at most u units.
    best.fill(0);
    for (let j = 0; j < k; j++) {
      const v0 = (first[c]! + j) * G;
      for (let u = 0; u <= U; u++) {
        let top = -Infinity;
        let arg = 0;
        for (let v = 0; v <= u; v++) {
          const candidate = best[u - v]! + value[v0 + v]!;
          if (candidate > top + 1e-12) {
            top = candidate;
            arg = v;
          }
        }
        next[u] = top;
        choice[j * G + u] = arg;
      }
      [best, next] = [next, best];
    }
    objective[c] = best[U]!;
    let u = U;
    for (let j = k - 1; j >= 0; j--) {
      const v = choice[j * G + u]!;
      x[first[c]! + j] = v / U;
      u -= v;
    }
  }
  return { x, objective };
}

function clamp01(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0;
}

/**
 * In-place exact projection of x[base .. base + k) (already >= 0, summing above 1) onto
 * {x >= 0, sum x = 1}: theta = max_j (S_j - 1) / j over the descending sort (docs/algorithms.md#feasibility-projection), done
 * with an insertion sort in `scratch` since k is the handful of slices of one cell.
 */
function projectInPlace(x: Float32Array, base: number, k: number, scratch: Float64Array): void {
  for (let j = 0; j < k; j++) {
    const v = x[base + j]!;
    let i = j;
    while (i > 0 && scratch[i - 1]! < v) {
      scratch[i] = scratch[i - 1]!;
      i--;
    }
    scratch[i] = v;
  }
  let prefix = 0;
  let theta = -Infinity;
  for (let j = 0; j < k; j++) {
    prefix += scratch[j]!;
    const candidate = (prefix - 1) / (j + 1);
    if (candidate > theta) theta = candidate;
  }
  for (let j = 0; j < k; j++) x[base + j] = Math.max(x[base + j]! - theta, 0);
}

/** Exact projection onto {x >= 0, sum x <= 1}; the identity when x already lies inside. */
function projectIfNeeded(v: Float64Array): Float64Array {
  let sum = 0;
  let inside = true;
  for (const value of v) {
    if (!(value >= 0)) inside = false;
    sum += value;
  }
  if (inside && sum <= 1) return v;
  return projectSimplex(v, 1) as Float64Array;
}

/**
 * Stores shares as Float32 so that their sum, read back, is still <= 1: rounding to Float32 can
 * push an exact sum of 1 a hair above it, which the env would count as a capacity violation.
 */
function writeFeasible(shares: Float64Array, out: Float32Array, slots: Int32Array): void {
  let scale = 1;
  for (let attempt = 0; attempt < 4; attempt++) {
    let sum = 0;
    for (let j = 0; j < shares.length; j++) {
      out[slots[j]!] = shares[j]! * scale;
      sum += out[slots[j]!]!;
    }
    if (sum <= 1) return;
    scale *= (1 - 1e-7) / sum;
  }
}

function checkOutput(out: EstimatorOutput, rows: number): void {
  if (out.value.length < rows || out.gradient.length < rows) {
    throw new InputError('estimator output length', [out.value.length, out.gradient.length], `at least ${rows} values each`);
  }
}

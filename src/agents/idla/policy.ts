/**
 * The IDLA allocator as a SlicingPolicy: keeps the per-(cell, slice) history, builds the
 * estimator inputs of every active (cell, slice), and runs the batched Lagrangian search warm-
 * started from its own previous solution. Joining or leaving slices need no retraining: the one
 * estimator covers any (x, history, targets); a cell whose set of active slices changed is
 * searched cold: from the estimator's grid optimum (with a grid start) and equal shares over its
 * active slices.
 */
import { type NdArray } from '../../env/index.js';
import { FEATURE, FEATURES_PER_SLICE } from '../../families/index.js';
import { createMlpRunner, type MlpImplChoice, type MlpRunner, type MlpSpec } from '../../native/index.js';
import { InputError, Rng } from '../../util/index.js';
import type { PolicyContext, SlicingPolicy } from '../policy.js';
import { type FeatureSet, IDLA_INPUTS, IDLA_INPUTS_EXTENDED, INPUT_X, SliceHistory, featureSetOfWidth, inputWidth } from './features.js';
import { lagrangianSearch, type PairEstimator, type SearchEstimator, type SearchOptions, type SearchResult, type ValueAndGradient } from './search.js';

/** The estimator as the search sees it, on the native MLP runner (or its TS fallback). */
export function runnerEstimator(runner: MlpRunner): ValueAndGradient {
  let output = new Float32Array(0);
  let gradient = new Float32Array(0);
  return (inputs, batch) => {
    if (output.length < batch) {
      output = new Float32Array(batch);
      gradient = new Float32Array(batch);
    }
    const result = runner.forwardWithInputGradient(inputs, batch, {
      inputIndex: INPUT_X,
      outputIndex: 0,
      output: output.subarray(0, batch),
      gradient: gradient.subarray(0, batch),
    });
    return { value: result.output, gradient: result.gradient };
  };
}

/**
 * The estimator as the search sees it in pair form, on the native MLP runner (or its TS
 * fallback): the fixed inputs of each (cell, slice) are folded into the first layer once per
 * search, and each iteration passes only (pair, x) per row.
 */
export function runnerPairEstimator(runner: MlpRunner): PairEstimator {
  let offsets = new Float32Array(0);
  let output = new Float32Array(0);
  let gradient = new Float32Array(0);
  return {
    prepare(templates, pairs) {
      const size = pairs * runner.firstLayerSize;
      if (offsets.length !== size) offsets = new Float32Array(size);
      runner.firstLayerOffsets(templates, pairs, INPUT_X, offsets);
    },
    evaluate(pairOf, x, batch) {
      if (output.length < batch) {
        output = new Float32Array(batch);
        gradient = new Float32Array(batch);
      }
      const result = runner.forwardWithInputGradientFromOffsets(offsets, pairOf, x, batch, {
        inputIndex: INPUT_X,
        outputIndex: 0,
        output: output.subarray(0, batch),
        gradient: gradient.subarray(0, batch),
      });
      return { value: result.output, gradient: result.gradient };
    },
  };
}

export interface IdlaPolicyOptions {
  search?: SearchOptions;
  seed?: number;
  /** MLP implementation for the search ('auto' = native when built). */
  impl?: MlpImplChoice;
  id?: string;
  /** Inputs of a function estimator; an MlpSpec's own input width decides for it. Default 'paper'. */
  features?: FeatureSet;
}

export class IdlaPolicy implements SlicingPolicy {
  readonly id: string;
  readonly estimator: SearchEstimator;
  /** Figures of the last decision (iterations, rows), for logs and benchmarks. */
  lastSearch: Omit<SearchResult, 'x' | 'lambda' | 'objective'> | null = null;
  private history: SliceHistory | null = null;
  private previous: Float32Array | null = null;
  private previousLambda: Float32Array | null = null;
  private previousActive: Uint8Array | null = null;
  /** The search's RNG (a checkpoint keeps its state, so a resumed run searches as an uninterrupted one). */
  readonly rng: Rng;
  private readonly seed: number;
  /** Estimator input width (the paper's 13, or 15 with the extended inputs). */
  readonly inputWidth: number;

  constructor(
    estimator: MlpSpec | ValueAndGradient,
    private readonly options: IdlaPolicyOptions = {},
  ) {
    this.id = options.id ?? 'idla';
    this.estimator = typeof estimator === 'function' ? estimator : runnerPairEstimator(createMlpRunner(estimator, { impl: options.impl ?? 'auto' }));
    if (typeof estimator === 'function') {
      this.inputWidth = inputWidth(options.features ?? 'paper');
    } else {
      const width = estimator.layers[0]?.inSize ?? 0;
      if (featureSetOfWidth(width) === undefined) throw new InputError('IDLA estimator input size', width, `${IDLA_INPUTS} or ${IDLA_INPUTS_EXTENDED}`);
      this.inputWidth = width;
    }
    this.seed = options.seed ?? 1;
    this.rng = new Rng(this.seed);
  }

  reset(): void {
    this.history?.clear();
    this.previous = null;
    this.previousLambda = null;
    this.previousActive = null;
  }

  async act(obs: NdArray<Float32Array>, _context?: PolicyContext): Promise<Float32Array> {
    const [cells, slices, features] = obs.shape;
    if (obs.shape.length !== 3 || features !== FEATURES_PER_SLICE || !(cells! > 0) || !(slices! > 0)) {
      throw new InputError('observation shape', obs.shape, `[cells, slices, ${FEATURES_PER_SLICE}]`);
    }
    const C = cells!;
    const S = slices!;
    const n = C * S;
    if (!this.history || this.history.cells !== C || this.history.slices !== S) {
      this.history = new SliceHistory(C, S);
      this.previous = null;
    }
    const data = obs.data;
    this.history.push(data);
    const active = new Uint8Array(n);
    const W = this.inputWidth;
    const templates = new Float32Array(n * W);
    for (let i = 0; i < n; i++) {
      const row = i * FEATURES_PER_SLICE;
      if (data[row + FEATURE.active]! < 0.5) continue;
      active[i] = 1;
      const phiTarget = data[row + FEATURE.phiTarget]!;
      const delayTarget = data[row + FEATURE.delayTarget]!;
      if (this.history.known(i)) this.history.writeInputs(i, 0, phiTarget, delayTarget, templates, i * W, W);
      else this.history.writeCellPrior((i / S) | 0, 0, phiTarget, delayTarget, templates, i * W, W);
    }
    const warmStart = new Float32Array(n);
    const warmLambda = new Float32Array(C);
    const cold = new Uint8Array(C);
    for (let c = 0; c < C; c++) {
      let count = 0;
      let changed = this.previous === null;
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        count += active[i]!;
        if (this.previousActive && this.previousActive[i] !== active[i]) changed = true;
      }
      for (let s = 0; s < S; s++) {
        const i = c * S + s;
        warmStart[i] = changed ? (active[i] ? 1 / count : 0) : this.previous![i]!;
      }
      warmLambda[c] = changed || !this.previousLambda ? 0 : this.previousLambda[c]!;
      cold[c] = changed ? 1 : 0;
    }
    const result = await lagrangianSearch(this.estimator, { cells: C, slices: S, active, templates, inputWidth: W, warmStart, warmLambda, cold }, this.rng, this.options.search);
    this.previous = result.x;
    this.previousLambda = result.lambda;
    this.previousActive = active;
    this.lastSearch = { iterations: result.iterations, meanIterations: result.meanIterations, rowsEvaluated: result.rowsEvaluated };
    return result.x.slice();
  }
}

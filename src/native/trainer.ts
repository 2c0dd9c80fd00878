/**
 * The training engine's face: one dense MLP with its gradients, Adam moments and step count, on
 * the native addon (oneDNN products when built with them) or the TypeScript fallback — the same
 * computation, the same buffers. Agents compose trainers: a critic's `backward` with `input: true`
 * gives dQ/dinput, whose action columns a caller pushes through its own function into the actor's
 * `backward`. A multi-head output is one identity layer of width k whose columns are the heads.
 *
 * The state lives in Float32Array/Float64Array buffers that both implementations read and write in
 * place: `params`, `grads`, `adamM`, `adamV` (layout: per layer W row-major [inSize, outSize],
 * then b) and `step`. Checkpoints copy them (`getState`) and write them back (`setState`); a
 * restored trainer continues exactly as the original would have.
 */
import { InputError } from '../util/index.js';
import { loadState, type NativeTrainerJob } from './addon.js';
import type { Activation, MlpSpec } from './mlp-spec.js';
import { resolveImpl, resolveThreads, validateMlpSpec, type MlpImplChoice } from './runner.js';
import { rejectNonFinite, TsTrainerCore, type TrainerBuffers, type TrainerCore, type TrainerLayerShape } from './trainer-fallback.js';

export type LossKind = 'mse' | 'huber';

export interface AdamOptions {
  learningRate: number;
  /** Default 0.9 (Kingma & Ba 2015). */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8, added to sqrt(v̂) as in PyTorch's Adam. */
  epsilon?: number;
  /** Default 0 (none). */
  weightDecay?: number;
  /** true: AdamW's decoupled decay (Loshchilov & Hutter 2019); false (default): L2 in the gradient. */
  decoupled?: boolean;
}

export interface MlpTrainerOptions {
  /** Default 'auto': native when the addon is active (see nativeStatus()), else TS. */
  impl?: MlpImplChoice;
  /** Most rows one forward may take; buffers are sized for it once (default 256). */
  maxBatch?: number;
  /** Threads of the matrix products (default NS3TS_NATIVE_THREADS, else all); ignored by TS. */
  threads?: number;
  /** Adam settings for `adamStep` (default learningRate 1e-3). */
  adam?: AdamOptions;
}

export interface BackwardOptions {
  /** Write the weight and bias gradients into `grads` (default true). */
  weights?: boolean;
  /** Add to `grads` instead of overwriting them (default false). */
  accumulate?: boolean;
  /** Compute dLoss/dInput and return it (default false). */
  input?: boolean;
  /**
   * Only input columns [from, from + count) of dLoss/dInput, returned compact as [batch, count]
   * (implies `input`). An actor needs only its critic's action columns: the rest of the first
   * layer's input gradient would be computed for nothing.
   */
  inputColumns?: { from: number; count: number };
}

/** A checkpoint of a trainer: copies of its state buffers. */
export interface MlpTrainerState {
  params: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  step: number;
}

export interface MlpTrainer {
  readonly impl: 'native' | 'ts';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly parameterCount: number;
  readonly layers: readonly TrainerLayerShape[];
  /** Live buffers (read and write in place; lengths are fixed). */
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly adamM: Float32Array;
  readonly adamV: Float32Array;
  /** Adam steps taken (the bias correction's t). */
  step: number;
  /** [maxBatch, outSize]: dLoss/dOutput written by `loss` (its first batch × outSize values). */
  readonly outputGradient: Float32Array;
  /** The last forward's output [batch, outSize] (a view, valid until the next forward). */
  lastOutput(): Float32Array;

  /**
   * output[batch, outSize] = f(input[batch, inSize]), keeping the activations for `backward`.
   * Returns a view of the trainer's output buffer, valid until the next forward.
   */
  forward(input: Float32Array, batch: number): Float32Array;
  /** Mean MSE or Huber loss of the last forward against target [batch, outSize]; fills outputGradient. */
  loss(kind: LossKind, target: Float32Array, options?: { huberDelta?: number }): number;
  /**
   * Back-propagates gradOutput [batch, outSize] (default: outputGradient, i.e. after `loss`)
   * through the last forward. Returns dLoss/dInput [batch, inSize] (a view, valid until the next
   * backward) when `input`, its columns [batch, count] with `inputColumns`, else undefined.
   */
  backward(gradOutput?: Float32Array, options?: BackwardOptions): Float32Array | undefined;
  zeroGradients(): void;
  /** Scales grads to a global L2 norm of at most maxNorm; returns the norm before clipping. */
  clipGradientNorm(maxNorm: number): number;
  /** One Adam step (bias-corrected) with the trainer's settings, any of them overridden here. */
  adamStep(overrides?: Partial<AdamOptions>): void;
  /** params = tau source + (1 - tau) params: Polyak averaging toward a trainer or weight buffer. */
  softUpdateFrom(source: MlpTrainer | Float32Array, tau: number): void;
  /** A hard copy of the source's parameters (tau = 1). */
  copyFrom(source: MlpTrainer | Float32Array): void;
  getState(): MlpTrainerState;
  setState(state: MlpTrainerState): void;
  /** The current weights as an MlpSpec (copies), e.g. for createMlpRunner. */
  toSpec(): MlpSpec;
}

const LOSS_KINDS: Record<LossKind, number> = { mse: 0, huber: 1 };

function checkFloat32(value: unknown, field: string, length: number): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) throw new InputError(field, value, `a Float32Array of length ${length}`);
  if (value.length !== length) throw new InputError(`${field}.length`, value.length, `${length}`);
}

// Predicates of the per-update checks, made once (not a closure per call).
const isPositiveFinite = (v: number): boolean => Number.isFinite(v) && v > 0;
const isUnitInterval = (v: number): boolean => v >= 0 && v <= 1;

function checkNumber(value: unknown, field: string, expected: string, ok: (v: number) => boolean): number {
  if (typeof value !== 'number' || !ok(value)) throw new InputError(field, value, expected);
  return value;
}

function resolveAdam(adam: AdamOptions | undefined, field: string): Required<AdamOptions> {
  const resolved: Required<AdamOptions> = {
    learningRate: adam?.learningRate ?? 1e-3,
    beta1: adam?.beta1 ?? 0.9,
    beta2: adam?.beta2 ?? 0.999,
    epsilon: adam?.epsilon ?? 1e-8,
    weightDecay: adam?.weightDecay ?? 0,
    decoupled: adam?.decoupled ?? false,
  };
  checkNumber(resolved.learningRate, `${field}.learningRate`, 'a finite number >= 0', (v) => Number.isFinite(v) && v >= 0);
  checkNumber(resolved.beta1, `${field}.beta1`, 'a number in [0, 1)', (v) => v >= 0 && v < 1);
  checkNumber(resolved.beta2, `${field}.beta2`, 'a number in [0, 1)', (v) => v >= 0 && v < 1);
  checkNumber(resolved.epsilon, `${field}.epsilon`, 'a finite number > 0', (v) => Number.isFinite(v) && v > 0);
  checkNumber(resolved.weightDecay, `${field}.weightDecay`, 'a finite number >= 0', (v) => Number.isFinite(v) && v >= 0);
  return resolved;
}

class Trainer implements MlpTrainer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly parameterCount: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly adamM: Float32Array;
  readonly adamV: Float32Array;
  readonly outputGradient: Float32Array;
  private readonly buffers: TrainerBuffers;
  // Read by runTrainerJobs (this module) as well.
  readonly engine: TrainerCore;
  readonly adam: Required<AdamOptions>;
  // Views of the output and input-gradient buffers for the last batch size (no allocation per call).
  private outputView: Float32Array;
  private inputGradientView: Float32Array;

  constructor(
    readonly impl: 'native' | 'ts',
    readonly layers: readonly TrainerLayerShape[],
    readonly maxBatch: number,
    readonly threads: number,
    adam: Required<AdamOptions>,
    core: (buffers: TrainerBuffers) => TrainerCore,
  ) {
    this.inputSize = layers[0]!.inSize;
    this.outputSize = layers[layers.length - 1]!.outSize;
    this.parameterCount = layers.reduce((n, l) => n + l.inSize * l.outSize + l.outSize, 0);
    this.buffers = {
      params: new Float32Array(this.parameterCount),
      grads: new Float32Array(this.parameterCount),
      adamM: new Float32Array(this.parameterCount),
      adamV: new Float32Array(this.parameterCount),
      step: new Float64Array(1),
      output: new Float32Array(maxBatch * this.outputSize),
      outputGradient: new Float32Array(maxBatch * this.outputSize),
      inputGradient: new Float32Array(maxBatch * this.inputSize),
    };
    ({ params: this.params, grads: this.grads, adamM: this.adamM, adamV: this.adamV, outputGradient: this.outputGradient } = this.buffers);
    this.adam = adam;
    this.outputView = this.buffers.output.subarray(0, 0);
    this.inputGradientView = this.buffers.inputGradient.subarray(0, 0);
    this.engine = core(this.buffers);
  }

  get step(): number {
    return this.buffers.step[0]!;
  }

  set step(value: number) {
    this.buffers.step[0] = checkNumber(value, 'step', 'an integer >= 0', (v) => Number.isInteger(v) && v >= 0);
  }

  forward(input: Float32Array, batch: number): Float32Array {
    // Checked inline: this runs several times per update, and the message is only built on failure.
    if (!(typeof batch === 'number' && Number.isInteger(batch) && batch >= 1 && batch <= this.maxBatch)) {
      throw new InputError('batch', batch, `an integer in [1, ${this.maxBatch}] (maxBatch)`);
    }
    checkFloat32(input, 'input', batch * this.inputSize);
    this.engine.forward(input, batch, this.threads);
    return this.lastOutput();
  }

  lastOutput(): Float32Array {
    const n = this.engine.batch * this.outputSize;
    if (this.outputView.length !== n) this.outputView = this.buffers.output.subarray(0, n);
    return this.outputView;
  }

  private requireForward(method: string): number {
    const batch = this.engine.batch;
    if (batch === 0) throw new InputError(method, 'called before forward', 'forward(input, batch) first');
    return batch;
  }

  loss(kind: LossKind, target: Float32Array, options: { huberDelta?: number } = {}): number {
    const batch = this.requireForward('loss');
    const code = LOSS_KINDS[kind];
    if (code === undefined) throw new InputError('kind', kind, "'mse' or 'huber'");
    checkFloat32(target, 'target', batch * this.outputSize);
    const delta = checkNumber(options.huberDelta ?? 1, 'options.huberDelta', 'a finite number > 0', isPositiveFinite);
    return this.engine.loss(code, target, delta);
  }

  backward(gradOutput?: Float32Array, options: BackwardOptions = {}): Float32Array | undefined {
    const batch = this.requireForward('backward');
    if (gradOutput !== undefined) checkFloat32(gradOutput, 'gradOutput', batch * this.outputSize);
    const columns = options.inputColumns;
    let from = 0;
    let count = options.input === true ? this.inputSize : 0;
    if (columns !== undefined) {
      ({ from, count } = columns);
      if (!Number.isInteger(from) || from < 0 || from >= this.inputSize) {
        throw new InputError('options.inputColumns.from', from, `an integer in [0, ${this.inputSize - 1}]`);
      }
      if (!Number.isInteger(count) || count < 1 || from + count > this.inputSize) {
        throw new InputError('options.inputColumns.count', count, `an integer in [1, ${this.inputSize - from}]`);
      }
    }
    this.engine.backward(gradOutput ?? this.outputGradient, options.weights ?? true, options.accumulate ?? false, from, count, this.threads);
    if (count === 0) return undefined;
    if (this.inputGradientView.length !== batch * count) this.inputGradientView = this.buffers.inputGradient.subarray(0, batch * count);
    return this.inputGradientView;
  }

  zeroGradients(): void {
    this.engine.zeroGradients();
  }

  clipGradientNorm(maxNorm: number): number {
    checkNumber(maxNorm, 'maxNorm', 'a finite number > 0', isPositiveFinite);
    return this.engine.clipGradientNorm(maxNorm);
  }

  adamStep(overrides?: Partial<AdamOptions>): void {
    const a = overrides === undefined ? this.adam : resolveAdam({ ...this.adam, ...overrides }, 'overrides');
    this.engine.adamStep(a.learningRate, a.beta1, a.beta2, a.epsilon, a.weightDecay, a.decoupled);
  }

  softUpdateFrom(source: MlpTrainer | Float32Array, tau: number): void {
    checkNumber(tau, 'tau', 'a number in [0, 1]', isUnitInterval);
    const params = source instanceof Float32Array ? source : source.params;
    checkFloat32(params, 'source.params', this.parameterCount);
    this.engine.softUpdate(params, tau);
  }

  copyFrom(source: MlpTrainer | Float32Array): void {
    this.softUpdateFrom(source, 1);
  }

  getState(): MlpTrainerState {
    return { params: this.params.slice(), adamM: this.adamM.slice(), adamV: this.adamV.slice(), step: this.step };
  }

  setState(state: MlpTrainerState): void {
    checkFloat32(state.params, 'state.params', this.parameterCount);
    checkFloat32(state.adamM, 'state.adamM', this.parameterCount);
    checkFloat32(state.adamV, 'state.adamV', this.parameterCount);
    this.step = state.step;
    this.params.set(state.params);
    this.adamM.set(state.adamM);
    this.adamV.set(state.adamV);
  }

  toSpec(): MlpSpec {
    let offset = 0;
    return {
      layers: this.layers.map((l) => {
        const weights = this.params.slice(offset, offset + l.inSize * l.outSize);
        offset += l.inSize * l.outSize;
        const bias = this.params.slice(offset, offset + l.outSize);
        offset += l.outSize;
        return { inSize: l.inSize, outSize: l.outSize, weights, bias, activation: l.activation as Activation };
      }),
    };
  }
}

/** Work for one trainer in runTrainerJobs. */
export interface TrainerJob {
  trainer: MlpTrainer;
  input: Float32Array;
  batch: number;
  /** With a target: after the forward, the loss, the weight gradients, clipping and one Adam step. */
  target?: Float32Array;
  /** Default 'mse'. */
  loss?: LossKind;
  /** Default 1. */
  huberDelta?: number;
  /** Clip the gradients' global L2 norm to this before the step (default 0: no clipping). */
  clipNorm?: number;
  /** The trainer's Adam settings with these overridden, for this step. */
  adam?: Partial<AdamOptions>;
}

/**
 * Runs jobs on distinct trainers, each as `forward(input, batch)` and, with a target,
 * `loss(kind, target)`, `backward()`, `clipGradientNorm(clipNorm)` and `adamStep(adam)` would —
 * twin critics' steps, or the target critics' forwards. Returns the losses before the steps (NaN
 * for a forward only); each trainer's `lastOutput()` holds its forward.
 *
 * On the addon the jobs run side by side, each from start to end on one thread with its products
 * on that thread: with two threads, two critics step at once instead of splitting every product
 * in two, and a job gives the same bits with 1 or 2 threads. Otherwise (the TypeScript fallback,
 * trainers of both kinds, an addon built before this) they run one after another. Every input
 * and target is checked before any job runs, so a rejected call changes no trainer.
 */
export function runTrainerJobs(jobs: readonly TrainerJob[]): Float64Array {
  const trainers: Trainer[] = [];
  const adams: Required<AdamOptions>[] = [];
  let native = true;
  let threads = 0;
  jobs.forEach((job, j) => {
    const field = `jobs[${j}]`;
    const trainer = job.trainer;
    if (!(trainer instanceof Trainer)) throw new InputError(`${field}.trainer`, trainer, 'a trainer from createMlpTrainer');
    const same = trainers.indexOf(trainer);
    if (same >= 0) throw new InputError(`${field}.trainer`, `the trainer of jobs[${same}]`, 'distinct trainers');
    if (!(Number.isInteger(job.batch) && job.batch >= 1 && job.batch <= trainer.maxBatch)) {
      throw new InputError(`${field}.batch`, job.batch, `an integer in [1, ${trainer.maxBatch}] (maxBatch)`);
    }
    checkFloat32(job.input, `${field}.input`, job.batch * trainer.inputSize);
    if (job.target !== undefined) {
      checkFloat32(job.target, `${field}.target`, job.batch * trainer.outputSize);
      if (LOSS_KINDS[job.loss ?? 'mse'] === undefined) throw new InputError(`${field}.loss`, job.loss, "'mse' or 'huber'");
      checkNumber(job.huberDelta ?? 1, `${field}.huberDelta`, 'a finite number > 0', isPositiveFinite);
      checkNumber(job.clipNorm ?? 0, `${field}.clipNorm`, 'a finite number >= 0', (v) => Number.isFinite(v) && v >= 0);
    }
    adams.push(job.adam === undefined ? trainer.adam : resolveAdam({ ...trainer.adam, ...job.adam }, `${field}.adam`));
    trainers.push(trainer);
    native &&= trainer.impl === 'native';
    threads = Math.max(threads, trainer.threads);
  });
  const trainJobs = native ? loadState().addon?.trainJobs : undefined;
  if (trainJobs) {
    const nativeJobs: NativeTrainerJob[] = jobs.map((job, j) => {
      const a = adams[j]!;
      const nativeJob: NativeTrainerJob = { trainer: trainers[j]!.engine, input: job.input, batch: job.batch };
      if (job.target === undefined) return nativeJob;
      return {
        ...nativeJob,
        target: job.target,
        loss: LOSS_KINDS[job.loss ?? 'mse'],
        huberDelta: job.huberDelta ?? 1,
        clipNorm: job.clipNorm ?? 0,
        adam: Float64Array.of(a.learningRate, a.beta1, a.beta2, a.epsilon, a.weightDecay, a.decoupled ? 1 : 0),
      };
    });
    return trainJobs(nativeJobs, threads);
  }
  // One after another: every input and target is checked first, as the addon does.
  jobs.forEach((job, j) => {
    rejectNonFinite(`jobs[${j}].input`, job.input, job.input.length);
    if (job.target !== undefined) rejectNonFinite(`jobs[${j}].target`, job.target, job.target.length);
  });
  const losses = new Float64Array(jobs.length).fill(Number.NaN);
  jobs.forEach((job, j) => {
    const trainer = trainers[j]!;
    trainer.forward(job.input, job.batch);
    if (job.target === undefined) return;
    losses[j] = trainer.loss(job.loss ?? 'mse', job.target, { huberDelta: job.huberDelta ?? 1 });
    trainer.backward();
    if ((job.clipNorm ?? 0) > 0) trainer.clipGradientNorm(job.clipNorm!);
    const a = adams[j]!;
    trainer.engine.adamStep(a.learningRate, a.beta1, a.beta2, a.epsilon, a.weightDecay, a.decoupled);
  });
  return losses;
}

/**
 * A trainer for `spec`'s layers starting from its weights (validated like createMlpRunner's).
 * Throws an InputError naming the field for bad shapes or options; forward/loss/backward throw
 * one for non-finite inputs, targets or output gradients.
 */
export function createMlpTrainer(spec: MlpSpec, options: MlpTrainerOptions = {}): MlpTrainer {
  validateMlpSpec(spec);
  const impl = resolveImpl(options.impl);
  const threads = resolveThreads(options.threads);
  const maxBatch = checkNumber(options.maxBatch ?? 256, 'options.maxBatch', 'an integer in [1, 4194304]', (v) => Number.isInteger(v) && v >= 1 && v <= 1 << 22);
  const adam = resolveAdam(options.adam, 'options.adam');
  const layers = spec.layers.map((l) => ({ inSize: l.inSize, outSize: l.outSize, activation: l.activation }));
  const addon = loadState().addon;
  const core =
    impl === 'native' && addon
      ? (buffers: TrainerBuffers): TrainerCore => new addon.MlpTrainer(layers, maxBatch, buffers)
      : (buffers: TrainerBuffers): TrainerCore => new TsTrainerCore(layers, maxBatch, buffers);
  const trainer = new Trainer(impl, layers, maxBatch, threads, adam, core);
  let offset = 0;
  for (const layer of spec.layers) {
    trainer.params.set(layer.weights, offset);
    offset += layer.weights.length;
    trainer.params.set(layer.bias, offset);
    offset += layer.bias.length;
  }
  return trainer;
}

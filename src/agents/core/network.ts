/**
 * One trainable network of an agent on either engine, behind one face: the training engine's
 * MlpTrainer (src/native: the addon or its TypeScript fallback) or a TensorFlow.js TfMlp with the
 * host Adam (the reference path, `--backend tfjs`). Agents write their update once per engine
 * (TF.js: a loss closure and autodiff; the engine: forward, output gradient, backward) and share
 * everything else here: initialization (the same draws on both engines), target copies, export to
 * an MlpSpec and the checkpoint arrays, whose layout is the same on both engines — W and b per
 * layer, then Adam's m per variable, then v per variable, and the step count — so a checkpoint of
 * either engine loads into the other.
 *
 * On the engine a sigmoid output layer is kept linear inside the trainer and the sigmoid applied
 * on the host: the actors' regularizer needs the pre-activation and its gradient at the
 * pre-activation, which a sigmoid inside the trainer would hide.
 */
import type { MlpSpec } from '../../native/index.js';
import { createMlpTrainer, runTrainerJobs, type MlpTrainer } from '../../native/index.js';
import type { Rng } from '../../util/index.js';
import type { TrainingEngine } from '../backend.js';
import { Adam } from './adam.js';
import { initialMlpSpec, TfMlp, type MlpShape } from './mlp.js';

export interface NetworkOptions {
  engine: TrainingEngine;
  /** Adam's learning rate (0 for target networks, which are never stepped). */
  learningRate: number;
  /** Global gradient-norm clip before each Adam step (0 = off). */
  clipNorm: number;
  /** Most rows one engine forward takes at first (grows on demand). */
  maxBatch: number;
}

/** Optimizer state as checkpoints store it: Adam's t and [m per variable..., v per variable...]. */
export interface OptimizerArrays {
  t: number;
  arrays: Float32Array[];
}

/** Adam's defaults of core/adam.ts (Kingma & Ba 2015), which both engines use. */
const ADAM_EPSILON = 1e-8;
const ADAM_BETA2 = 0.999;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** A network and the rows it runs on ([batch, inputSize]). */
export interface NetworkBatch {
  network: Network;
  input: Float32Array;
  batch: number;
}

/** A network, its rows and their regression targets ([batch, outputSize]). */
export interface NetworkTarget extends NetworkBatch {
  target: Float32Array;
}

export class Network {
  readonly engine: TrainingEngine;
  readonly inputSize: number;
  readonly outputSize: number;
  /** The TF.js network and its optimizer (engine 'tfjs'). */
  readonly tf: TfMlp | null = null;
  readonly adam: Adam | null = null;
  /** Whether the output layer's sigmoid is applied on the host (engine only). */
  readonly hostSigmoid: boolean;
  private trainerInstance: MlpTrainer | null = null;
  private readonly spec: MlpSpec;
  private readonly clipNorm: number;
  private readonly learningRate: number;
  private readonly epsilon = { epsilon: ADAM_EPSILON };

  constructor(shape: MlpShape, rng: Rng, options: NetworkOptions) {
    this.engine = options.engine;
    this.inputSize = shape.inputSize;
    this.outputSize = shape.outputSize;
    this.clipNorm = options.clipNorm;
    this.learningRate = options.learningRate;
    this.spec = initialMlpSpec(shape, rng);
    const last = this.spec.layers[this.spec.layers.length - 1]!;
    this.hostSigmoid = this.engine !== 'tfjs' && last.activation === 'sigmoid';
    if (this.engine === 'tfjs') {
      this.tf = TfMlp.fromSpec(shape, this.spec);
      this.adam = new Adam(this.tf.variables(), { learningRate: options.learningRate, clipNorm: options.clipNorm });
    } else {
      const engineSpec = { layers: this.spec.layers.map((l, i) => (i === this.spec.layers.length - 1 && this.hostSigmoid ? { ...l, activation: 'linear' as const } : l)) };
      this.trainerInstance = this.createTrainer(engineSpec, options.maxBatch);
    }
  }

  private createTrainer(spec: MlpSpec, maxBatch: number): MlpTrainer {
    return createMlpTrainer(spec, { impl: this.engine === 'native' ? 'native' : 'ts', maxBatch, adam: { learningRate: this.learningRate } });
  }

  /** The engine's trainer (throws on the TF.js path). */
  get trainer(): MlpTrainer {
    if (!this.trainerInstance) throw new Error('Network.trainer: this network trains on TensorFlow.js');
    return this.trainerInstance;
  }

  /** A trainer that takes `batch` rows (rebuilt with the same state when the batch outgrows it). */
  reserve(batch: number): MlpTrainer {
    const trainer = this.trainer;
    if (batch <= trainer.maxBatch) return trainer;
    const grown = this.createTrainer(trainer.toSpec(), Math.max(batch, 2 * trainer.maxBatch));
    grown.setState(trainer.getState());
    this.trainerInstance = grown;
    return grown;
  }

  /**
   * Engine: forward keeping the activations for `backward`; returns the pre-activation of the
   * output layer (a view valid until the next forward). `output` receives the activated output.
   */
  forwardTrain(input: Float32Array, batch: number, output: Float32Array): Float32Array {
    const pre = this.reserve(batch).forward(input, batch);
    const n = batch * this.outputSize;
    if (this.hostSigmoid) for (let i = 0; i < n; i++) output[i] = sigmoid(pre[i]!);
    else output.set(pre.subarray(0, n));
    return pre;
  }

  /**
   * Engine: back-propagates dLoss/dPreActivation of the output layer, clips the gradient's global
   * norm (when the network clips) and takes one Adam step.
   */
  step(gradPre: Float32Array): void {
    const trainer = this.trainer;
    trainer.backward(gradPre);
    if (this.clipNorm > 0) trainer.clipGradientNorm(this.clipNorm);
    trainer.adamStep(this.nextAdamEpsilon());
  }

  // The agents' Adam (core/adam.ts) adds epsilon to sqrt(v), not to sqrt(v̂) as the engine does:
  // epsilon / sqrt(1 - beta2^t) for the coming step t makes the two the same step.
  private nextAdamEpsilon(): { epsilon: number } {
    this.epsilon.epsilon = ADAM_EPSILON / Math.sqrt(1 - ADAM_BETA2 ** (this.trainer.step + 1));
    return this.epsilon;
  }

  /**
   * Engine: one MSE step of each network toward its target [batch, outputSize], each as
   * `forward`, `loss` and `step` would, side by side on the addon (runTrainerJobs): the twin
   * critics. Returns the losses before the steps.
   */
  static mseStepEach(items: readonly NetworkTarget[]): Float64Array {
    return runTrainerJobs(
      items.map(({ network, input, target, batch }) => ({
        trainer: network.reserve(batch),
        input,
        batch,
        target,
        clipNorm: network.clipNorm,
        adam: { ...network.nextAdamEpsilon() },
      })),
    );
  }

  /** Plain forward on host data, [batch, outputSize] (a copy, valid until the next predict). */
  predict(input: Float32Array, batch: number): Float32Array {
    if (this.tf) return this.tf.predict(input, batch);
    return this.activatedCopy(this.reserve(batch).forward(input, batch), batch);
  }

  // The output of an engine forward, through the host sigmoid where there is one (a copy).
  private activatedCopy(pre: Float32Array, batch: number): Float32Array {
    const n = batch * this.outputSize;
    const out = new Float32Array(n);
    if (this.hostSigmoid) for (let i = 0; i < n; i++) out[i] = sigmoid(pre[i]!);
    else out.set(pre.subarray(0, n));
    return out;
  }

  /**
   * Each network's forward on its input (the twin target critics), side by side on the addon
   * (runTrainerJobs); [batch, outputSize] copies, as `predict` gives.
   */
  static predictEach(items: readonly NetworkBatch[]): Float32Array[] {
    if (items.some((item) => item.network.tf)) return items.map(({ network, input, batch }) => network.predict(input, batch));
    const trainers = items.map(({ network, batch }) => network.reserve(batch));
    runTrainerJobs(items.map(({ input, batch }, k) => ({ trainer: trainers[k]!, input, batch })));
    return items.map(({ network, batch }, k) => network.activatedCopy(trainers[k]!.lastOutput(), batch));
  }

  /** target <- tau * this + (1 - tau) * target (tau = 1: hard copy). */
  softUpdateInto(target: Network, tau: number): void {
    if (this.tf) this.tf.softUpdateInto(target.tf!, tau);
    else target.trainer.softUpdateFrom(this.trainer.params, tau);
  }

  /** The current weights as the portable MlpSpec the policies run (copies). */
  toSpec(): MlpSpec {
    if (this.tf) return this.tf.toSpec();
    const spec = this.trainer.toSpec();
    if (this.hostSigmoid) spec.layers[spec.layers.length - 1]!.activation = 'sigmoid';
    return spec;
  }

  /** [W0, b0, W1, b1, ...] (copies). */
  getArrays(): Float32Array[] {
    if (this.tf) return this.tf.getArrays();
    return this.split(this.trainer.params);
  }

  setArrays(arrays: readonly Float32Array[]): void {
    if (this.tf) {
      this.tf.setArrays(arrays);
      this.adam?.syncFromVariables();
      return;
    }
    this.join(arrays, this.trainer.params, 'mlp weights');
  }

  getOptimizer(): OptimizerArrays {
    if (this.adam) return this.adam.getState();
    const t = this.trainer;
    return { t: t.step, arrays: [...this.split(t.adamM), ...this.split(t.adamV)] };
  }

  setOptimizer(state: OptimizerArrays): void {
    if (this.adam) {
      this.adam.setState(state.t, state.arrays);
      return;
    }
    const t = this.trainer;
    const L = 2 * t.layers.length;
    if (state.arrays.length !== 2 * L) throw new RangeError(`adam state: got ${state.arrays.length} arrays, expected ${2 * L}`);
    this.join(state.arrays.slice(0, L), t.adamM, 'adam state m');
    this.join(state.arrays.slice(L), t.adamV, 'adam state v');
    t.step = state.t;
  }

  private split(flat: Float32Array): Float32Array[] {
    const out: Float32Array[] = [];
    let offset = 0;
    for (const l of this.trainer.layers) {
      out.push(flat.slice(offset, offset + l.inSize * l.outSize));
      offset += l.inSize * l.outSize;
      out.push(flat.slice(offset, offset + l.outSize));
      offset += l.outSize;
    }
    return out;
  }

  private join(arrays: readonly Float32Array[], flat: Float32Array, what: string): void {
    const layers = this.trainer.layers;
    if (arrays.length !== 2 * layers.length) throw new RangeError(`${what}: got ${arrays.length} arrays, expected ${2 * layers.length}`);
    let offset = 0;
    arrays.forEach((a, i) => {
      const l = layers[i >> 1]!;
      const size = i % 2 === 0 ? l.inSize * l.outSize : l.outSize;
      if (a.length !== size) throw new RangeError(`${what}[${i}]: got ${a.length} values, expected ${size}`);
      flat.set(a, offset);
      offset += size;
    });
  }

  dispose(): void {
    this.tf?.dispose();
    this.adam?.dispose();
  }
}

/** Stores each array under `${prefix}/${i}` (the checkpoint naming of every agent). */
export function putArrays(arrays: Record<string, Float32Array | Float64Array | Int32Array | Uint8Array>, prefix: string, list: readonly Float32Array[]): void {
  list.forEach((a, i) => (arrays[`${prefix}/${i}`] = a));
}

/** The arrays `${prefix}/0..count-1`; a missing one is an error naming it. */
export function takeArrays(arrays: Record<string, unknown>, prefix: string, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => {
    const a = arrays[`${prefix}/${i}`];
    if (!(a instanceof Float32Array)) throw new RangeError(`checkpoint array ${prefix}/${i}: missing or not float32`);
    return a;
  });
}

/** A network's weights and optimizer state into checkpoint arrays; returns Adam's t. */
export function storeNetwork(arrays: Record<string, Float32Array | Float64Array | Int32Array | Uint8Array>, weights: string, optimizer: string | null, net: Network): number {
  putArrays(arrays, weights, net.getArrays());
  if (optimizer === null) return 0;
  const o = net.getOptimizer();
  putArrays(arrays, optimizer, o.arrays);
  return o.t;
}

/** The inverse of storeNetwork (`layers`: dense layers of the network). */
export function restoreNetwork(arrays: Record<string, unknown>, weights: string, optimizer: string | null, net: Network, layers: number, t = 0): void {
  net.setArrays(takeArrays(arrays, weights, 2 * layers));
  if (optimizer !== null) net.setOptimizer({ t, arrays: takeArrays(arrays, optimizer, 4 * layers) });
}

/**
 * Dense MLPs as TensorFlow.js variables (no tf.layers: we control the names, the seeded
 * initialization — identical on every backend — and the export to the portable MlpSpec).
 */
import * as tf from '../tf.js';
import type { Activation, MlpSpec } from '../../native/index.js';
import type { Rng } from '../../util/index.js';

export interface MlpShape {
  inputSize: number;
  hidden: readonly number[];
  outputSize: number;
  hiddenActivation?: Activation;
  outputActivation?: Activation;
  /** Uniform range of the last layer's initial weights (small: outputs start near neutral). */
  finalInitScale?: number;
}

function activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    default:
      return x;
  }
}

/**
 * The initial weights of an MLP of `shape`, drawn from `rng` (the same draws on every engine):
 * Glorot-uniform hidden layers; a small uniform final layer as in DDPG; zero biases.
 */
export function initialMlpSpec(shape: MlpShape, rng: Rng): MlpSpec {
  const sizes = [shape.inputSize, ...shape.hidden, shape.outputSize];
  const layers: MlpSpec['layers'] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const fanOut = sizes[l + 1]!;
    const last = l + 2 === sizes.length;
    const limit = last ? (shape.finalInitScale ?? 3e-3) : Math.sqrt(6 / (fanIn + fanOut));
    const weights = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-limit, limit);
    const activation = last ? (shape.outputActivation ?? 'linear') : (shape.hiddenActivation ?? 'relu');
    layers.push({ inSize: fanIn, outSize: fanOut, weights, bias: new Float32Array(fanOut), activation });
  }
  return { layers };
}

export class TfMlp {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly activations: Activation[];
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];

  /** `init`: the rng to draw the initial weights from (initialMlpSpec), or the weights themselves. */
  constructor(
    readonly shape: MlpShape,
    init: Rng | MlpSpec,
  ) {
    this.inputSize = shape.inputSize;
    this.outputSize = shape.outputSize;
    this.activations = [];
    const spec = 'layers' in init ? init : initialMlpSpec(shape, init);
    for (const layer of spec.layers) {
      this.weights.push(tf.variable(tf.tensor2d(layer.weights, [layer.inSize, layer.outSize]), true));
      this.biases.push(tf.variable(tf.tensor1d(layer.bias), true));
      this.activations.push(layer.activation);
    }
  }

  static fromSpec(shape: MlpShape, spec: MlpSpec): TfMlp {
    return new TfMlp(shape, spec);
  }

  /** Output and the last layer's pre-activation (for the policy regularizer). */
  applyWithPre(x: tf.Tensor2D): { out: tf.Tensor2D; pre: tf.Tensor2D } {
    let h = x;
    let pre = x;
    for (let l = 0; l < this.weights.length; l++) {
      pre = tf.add(tf.matMul(h, this.weights[l] as tf.Tensor2D), this.biases[l]!) as tf.Tensor2D;
      h = activate(pre, this.activations[l]!);
    }
    return { out: h, pre };
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.applyWithPre(x).out;
  }

  /** Plain forward on host data (no gradient), returns [batch, outputSize]. */
  predict(input: Float32Array, batch: number): Float32Array {
    return tf.tidy(() => this.apply(tf.tensor2d(input, [batch, this.inputSize])).dataSync() as Float32Array);
  }

  variables(): tf.Variable[] {
    const vars: tf.Variable[] = [];
    for (let l = 0; l < this.weights.length; l++) vars.push(this.weights[l]!, this.biases[l]!);
    return vars;
  }

  /** target <- tau * this + (1 - tau) * target (tau = 1: hard copy). */
  softUpdateInto(target: TfMlp, tau: number): void {
    const src = this.variables();
    const dst = target.variables();
    tf.tidy(() => {
      for (let i = 0; i < src.length; i++) {
        dst[i]!.assign(tau === 1 ? src[i]! : tf.add(tf.mul(src[i]!, tau), tf.mul(dst[i]!, 1 - tau)));
      }
    });
  }

  toSpec(): MlpSpec {
    return {
      layers: this.weights.map((w, l) => ({
        inSize: w.shape[0]!,
        outSize: w.shape[1]!,
        weights: Float32Array.from(w.dataSync() as Float32Array),
        bias: Float32Array.from(this.biases[l]!.dataSync() as Float32Array),
        activation: this.activations[l]!,
      })),
    };
  }

  getArrays(): Float32Array[] {
    return this.variables().map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  setArrays(arrays: readonly Float32Array[]): void {
    const vars = this.variables();
    if (arrays.length !== vars.length) throw new RangeError(`mlp weights: got ${arrays.length} arrays, expected ${vars.length}`);
    tf.tidy(() => {
      vars.forEach((v, i) => {
        if (arrays[i]!.length !== v.size) throw new RangeError(`mlp weights[${i}]: got ${arrays[i]!.length} values, expected ${v.size}`);
        v.assign(tf.tensor(arrays[i]!, v.shape));
      });
    });
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** A spec from stored arrays (checkpoint) without TensorFlow.js: [W0, b0, W1, b1, ...]. */
export function specFromArrays(arrays: readonly Float32Array[], activations: readonly Activation[]): MlpSpec {
  const layers = [];
  for (let l = 0; l < activations.length; l++) {
    const weights = arrays[2 * l]!;
    const bias = arrays[2 * l + 1]!;
    layers.push({ inSize: weights.length / bias.length, outSize: bias.length, weights, bias, activation: activations[l]! });
  }
  return { layers };
}

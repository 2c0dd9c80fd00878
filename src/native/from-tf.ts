/**
 * Builds an MlpSpec from a TensorFlow.js model made of Dense layers, so agents can hand their
 * trained networks to createMlpRunner. Structural types keep this module free of a tfjs import.
 */
import { InputError } from '../util/index.js';
import type { Activation, DenseLayerSpec, MlpSpec } from './mlp-spec.js';

/** The part of a tf.Tensor read here. */
export interface TfTensorLike {
  readonly shape: number[];
  dataSync(): ArrayLike<number>;
}

/** The part of a tf.layers.Layer read here. */
export interface TfLayerLike {
  getClassName(): string;
  getConfig(): { activation?: unknown; useBias?: unknown; units?: unknown };
  getWeights(): TfTensorLike[];
}

/** The part of a tf.LayersModel (or tf.Sequential) read here. */
export interface TfModelLike {
  readonly layers: TfLayerLike[];
}

const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'tanh', 'sigmoid'];

/**
 * Copies the weights of `model` (InputLayer and Dropout skipped; every other layer must be Dense
 * with a linear, relu, tanh or sigmoid activation) into an MlpSpec. The arrays are copies: later
 * training does not change the spec — call again and `runner.setWeights(spec)` after an update.
 */
export function mlpSpecFromTfModel(model: TfModelLike): MlpSpec {
  const layers: DenseLayerSpec[] = [];
  model.layers.forEach((layer, index) => {
    const className = layer.getClassName();
    const weights = layer.getWeights();
    // Identity at inference time; anything else that is not Dense would change the function.
    if (className === 'InputLayer' || className === 'Dropout') return;
    if (className !== 'Dense') throw new InputError(`model.layers[${index}]`, className, 'a Dense layer');
    const config = layer.getConfig();
    const activation = (config.activation ?? 'linear') as Activation;
    if (!ACTIVATIONS.includes(activation)) {
      throw new InputError(`model.layers[${index}].activation`, config.activation, ACTIVATIONS.join(', '));
    }
    const kernel = weights[0];
    if (!kernel || kernel.shape.length !== 2) {
      throw new InputError(`model.layers[${index}].kernel`, kernel?.shape, 'a 2-D kernel [inSize, outSize]');
    }
    const [inSize, outSize] = kernel.shape as [number, number];
    const biasTensor = config.useBias === false ? undefined : weights[1];
    layers.push({
      inSize,
      outSize,
      weights: Float32Array.from(kernel.dataSync()),
      bias: biasTensor ? Float32Array.from(biasTensor.dataSync()) : new Float32Array(outSize),
      activation,
    });
  });
  if (layers.length === 0) throw new InputError('model.layers', model.layers.length, 'at least one Dense layer');
  return { layers };
}

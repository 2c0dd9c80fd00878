/**
 * The portable description of a dense MLP: what agents export after each update, what the native
 * addon and its TypeScript fallback run, and what checkpoints store (weights as plain arrays).
 *
 * Layer l maps inSize -> outSize: y = act(x W + b), with W row-major [inSize, outSize] — the same
 * layout as a TensorFlow.js Dense kernel, so `kernel.dataSync()` can be used as is.
 */
export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid';

export interface DenseLayerSpec {
  inSize: number;
  outSize: number;
  /** Row-major [inSize, outSize]. */
  weights: Float32Array;
  bias: Float32Array;
  activation: Activation;
}

export interface MlpSpec {
  layers: DenseLayerSpec[];
}

/** Input width of an MLP (its first layer's inSize). */
export function mlpInputSize(spec: MlpSpec): number {
  return spec.layers[0]?.inSize ?? 0;
}

/** Output width of an MLP (its last layer's outSize). */
export function mlpOutputSize(spec: MlpSpec): number {
  return spec.layers[spec.layers.length - 1]?.outSize ?? 0;
}

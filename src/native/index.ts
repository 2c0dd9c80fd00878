// The native face: the N-API addon when it is built, else a pure-TypeScript fallback (same results).
export {
  mlpInputSize,
  mlpOutputSize,
  type Activation,
  type DenseLayerSpec,
  type MlpSpec,
} from './mlp-spec.js';
export { nativeStatus, type NativeStatus } from './status.js';
export {
  createMlpRunner,
  validateMlpSpec,
  type MlpRunner,
  type MlpRunnerOptions,
  type MlpImplChoice,
  type InputGradientOptions,
  type ForwardWithGradient,
  type OffsetGradientOptions,
} from './runner.js';
export { mlpSpecFromTfModel, type TfModelLike, type TfLayerLike, type TfTensorLike } from './from-tf.js';

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
export {
  createMlpTrainer,
  runTrainerJobs,
  type TrainerJob,
  type MlpTrainer,
  type MlpTrainerOptions,
  type MlpTrainerState,
  type AdamOptions,
  type BackwardOptions,
  type LossKind,
} from './trainer.js';
export type { TrainerLayerShape } from './trainer-fallback.js';
export { mlpSpecFromTfModel, type TfModelLike, type TfLayerLike, type TfTensorLike } from './from-tf.js';
export {
  createQuantizedMlpRunner,
  quantizeMlpSpec,
  validateQuantizedMlpSpec,
  quantizeValue,
  type QuantizedMlpSpec,
  type QuantizedLayerSpec,
  type QuantizedMlpRunner,
  type QuantizedMlpRunnerOptions,
  type QuantizeOptions,
  type Int8KernelName,
} from './quantized.js';
export { nativeZmqRouter, PEER_ID_BYTES, RECEIVE_NOTHING, RECEIVE_WITH_RECEIVE, type NativeZmqRouter } from './zmq-router.js';

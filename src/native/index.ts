// The native face: the N-API addon when it is built, else a pure-TypeScript fallback.
export {
  mlpInputSize,
  mlpOutputSize,
  type Activation,
  type DenseLayerSpec,
  type MlpSpec,
} from './mlp-spec.js';
export { nativeStatus, type NativeStatus } from './status.js';

export { SyntheticSfcEnv, sfcObservationSpace, type SfcObservation } from './env.js';
export {
  SfcModel,
  hourOfStep,
  arrivalRate,
  typeWeights,
  processingDelayMs,
  type VnfInstance,
  type SfcRequest,
  type ActiveSfc,
  type SfcStepInfo,
  type SfcMeasurement,
} from './model.js';

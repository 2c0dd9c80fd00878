// The built-in synthetic slicing env (no NS-3 needed).
export { SyntheticSlicingEnv, slicingModelOf, type SlicingModel, type SyntheticEnvOptions } from './env.js';
export { CQI_SPECTRAL_EFFICIENCY, CQI_SINR_THRESHOLDS_DB, sinrToCqi, cqiToSpectralEfficiency } from './radio.js';
export { SLOTS_PER_DAY, SLOT_SECONDS, isWeekend, trafficBase, dailyMask } from './traffic.js';

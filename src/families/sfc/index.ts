// The SFC provisioning family (docs/sfc.md): scenario reader, observation layout, reward rules,
// the synthetic env, KPIs and baselines.
export { sfcFamily } from './family.js';
export { parseSfcScenario, isSfcScenario, readSfcSection, SFC_DEFAULTS, SFC_ENV_KINDS, type SfcScenario, type SfcSection, type DataCentreSpec, type VnfSpec } from './scenario.js';
export { sfcObservationLayout, sfcTokens, sfcActionMask, TOKEN_KINDS, TOKEN_KIND_OFFSET, TYPE_SCALE_OUT_FLAG, TYPE_SCALE_IN_FLAG, TYPE_CAPACITY, TYPE_TRAFFIC, TYPE_PENDING_MBPS, TYPE_INSTANCE_GAP, MAX_INSTANCE_GAP, type SfcObservationLayout } from './observation.js';
export { SFC_REWARD, sfcReward, type SfcStepEvents } from './rules.js';
export {
  SyntheticSfcEnv,
  SfcModel,
  sfcObservationSpace,
  hourOfStep,
  arrivalRate,
  typeWeights,
  processingDelayMs,
  type SfcObservation,
  type SfcStepInfo,
  type VnfInstance,
  type SfcRequest,
  type ActiveSfc,
} from './synthetic/index.js';
export { sfcKpis, quantile, SFC_KPI_NAMES, type SfcKpiName } from './kpis.js';
export { SFC_BASELINES, thresholdPolicy, greedyLatencyPolicy, staticPolicy, staticInstanceTargets, typeViews, type TypeView } from './baselines.js';

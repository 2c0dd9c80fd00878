// The serve face: `ns3ts serve`, a trained policy behind an authenticated HTTP API with Prometheus
// metrics; every allocation it serves goes through the constraint layer (allocate.ts).
export { ServeApp, SERVE_DEFAULTS, isLoopback, type ServeOptions } from './server.js';
export { allocate, activeFlags, SERVE_BUDGET, GUARD_TOLERANCE, type AllocationResult, type ServeBounds } from './allocate.js';
export { loadApiKeys, hashApiKey, generateApiKey, presentedKey, API_KEYS_ENV, type ApiKeySet } from './auth.js';
export { ServeMetrics, createServeMetrics, METRIC_PREFIX } from './metrics.js';
export { loadPolicySource } from './load.js';
export { SERVABLE_AGENTS } from './checkpoint-source.js';
export { parsePolicySpec, POLICY_SOURCE_HELP, localSecondsOfDay, servedSecondsOfDay, SECONDS_PER_DAY, type PolicySource, type PolicySourceOptions, type PolicySpec, type ModelMetadata, type ServedSlice } from './source.js';
export { watchedFile } from './watch.js';

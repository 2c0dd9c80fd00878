// The enforce face: Linux traffic control as the data plane of an allocation (docs/enforce.md).
export { loadMapping, parseMapping, type EnforceMapping, type SliceClass, type MatchRule } from './mapping.js';
export { setupLines, allocationLines, teardownLine, parseRate, checkShares, classRates, MARKER_HANDLE, type LeafQdisc, type PlanOptions } from './plan.js';
export { describeTarget, hasNetAdmin, type TcTarget } from './tc.js';
export { statePath, readState, type EnforceState } from './state.js';
export { measure, slicingObservation, type KernelSample, type SliceMeasurement } from './observe.js';
export { Enforcer, checkTarget, cleanStale, teardownSync, type EnforcerOptions, type PeriodObservation } from './enforcer.js';
export { Testbed, type TrafficFlow } from './testbed.js';
export { runDemo, DEMO_DEFAULTS, DEMO_MAPPING, demoFlows, type DemoOptions, type DemoResult } from './demo.js';
export { allocateBody, ServeAllocator, type AllocateRequest } from './serve-client.js';
export { LinuxTcSlicingEnv } from './env.js';

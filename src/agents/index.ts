// The agents face: the policy interface, learning agents, and their checkpoints.
export type { SlicingPolicy, PolicyContext } from './policy.js';

// The policy interface is part of the slicing contract (src/families/slicing/policy.ts); the
// agents' files keep importing it from here.
export type { SlicingPolicy, PolicyContext } from '../families/index.js';

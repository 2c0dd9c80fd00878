// The library face of ns3ts (`import { ... } from 'ns3ts'`): each layer's own face, re-exported.
export * from './env/index.js';
export * from './scenario/index.js';
export * from './wire/index.js';
export * from './server/index.js';
export * from './constraints/index.js';
export * from './native/index.js';
export * from './agents/index.js';
export * from './eval/index.js';
export * from './train/index.js';
// sweep: after RunConfig rename

// The library face of ns3ts (`import { ... } from 'ns3ts'`): each layer's own face, re-exported.
// Everything here runs without ZeroMQ; the envs over the wire (RemoteEnv, the ns-3 env, the gym
// server and the protobuf codec) are the subpath `ns3ts/remote` (src/remote.ts), so importing the
// library for the synthetic env never loads the transport.
export * from './env/index.js';
export * from './scenario/index.js';
export * from './constraints/index.js';
export * from './native/index.js';
export * from './families/index.js';
export * from './agents/index.js';
export * from './eval/index.js';
export * from './train/index.js';
export * from './sweep/index.js';
export * from './report/index.js';
export * from './tune/index.js';

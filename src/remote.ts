// The library's `ns3ts/remote` face: envs whose steps happen in another process (RemoteEnv,
// RemoteVectorEnv, the ns-3 env and its launcher and build), the ZeroMQ gym server, and the
// ns3-gym wire codec. Loading it loads ZeroMQ.
export * from './remote/index.js';
export * from './server/index.js';
export * from './wire/index.js';

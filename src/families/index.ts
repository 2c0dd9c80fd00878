// The families face: env families, one folder each (today only slicing/). A family holds its
// contract (observation/action layout, reward, QoS and the rules over them), its envs and the
// factory that builds them from a scenario; agents, eval and train import it from here.
//
// Scenario sections: scenario/ must not import a family, so the vocabulary a scenario's slicing
// section is written in (slice types, the static layout, the observation's feature names) lives in
// scenario/slicing.ts as plain data, next to the generic loader, and is re-exported here; the
// rules over it live in the family. A family whose scenario section is more than plain data (SFC
// provisioning, VNF migration) brings the same split: its vocabulary in scenario/<family>.ts, its
// rules and envs in families/<family>/. Moving whole schema sections into the families would need
// a section registry in scenario/ that families fill at load time; we keep the plain-data split
// until a second family shows what such a registry must carry.
export * from './slicing/index.js';

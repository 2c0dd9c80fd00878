// The families face: env families as plugins (docs/families.md). family.ts is the interface a
// family implements (scenario reader, envs, spaces, KPIs, baselines) and what agents declare they
// accept; registry.ts resolves a scenario's family (its `family:` field, slicing when absent) and
// refuses an agent whose spaces do not fit. One folder per family (today slicing/), holding its
// contract (observation/action layout, reward, QoS and the rules over them), its envs, KPIs and
// baselines; agents, eval and train import it from here.
//
// Scenario sections: scenario/ must not import a family, so the vocabulary a scenario's slicing
// section is written in (slice types, the static layout, the observation's feature names) lives in
// scenario/slicing.ts as plain data, next to the generic loader, and is re-exported here; the
// rules over it live in the family. A family whose scenario section is more than plain data (SFC
// provisioning, VNF migration) brings the same split: its vocabulary in scenario/<family>.ts, its
// rules and envs in families/<family>/. Rather than a section registry in scenario/ that families
// fill at load time, a family reads its own scenario documents (EnvFamily.parseScenario, with
// scenario/ parseScenarioBase for the fields every scenario has) and the registry dispatches on
// the document's `family:` field (parseFamilyScenario).
export * from './slicing/index.js';
export * from './sfc/index.js';
export * from './vnf/index.js';
export {
  SPACE_KINDS,
  describeSpace,
  type SpaceKind,
  type FamilySpaces,
  type FamilyEnvOptions,
  type FamilyPolicy,
  type FamilyBaseline,
  type FamilyKpis,
  type FamilyTraceStep,
  type FamilyEpisodeTrace,
  type FamilyFigure,
  type FamilyFigureProvider,
  type EnvFamily,
  type AcceptedSpaces,
} from './family.js';
export {
  DEFAULT_FAMILY_ID,
  familyIds,
  listFamilies,
  registerFamily,
  getFamily,
  familyOf,
  isSlicingScenario,
  parseFamilyScenario,
  loadFamilyScenario,
  resolveFamilyScenario,
  checkAcceptedSpaces,
  checkAgentSpaces,
  SpaceMismatchError,
} from './registry.js';

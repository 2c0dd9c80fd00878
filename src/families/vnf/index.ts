// The vnf-migration family's face (docs/vnf-migration.md): the scenario reader, the twin and its
// env, the baselines, KPIs and figures.
export { VNF_FAMILY_ID, parseVnfScenario, readVnfSection, type VnfScenario } from './scenario.js';
export { buildNodes, nodePower, pathLinks, migrationCost, JOULES_PER_KWH, type VnfNode, type MigrationCost } from './topology.js';
export { vnfPopulation, historySteps, dailyFactor, syntheticDemand, traceDemand, demandSeries, type VnfPopulation } from './demand.js';
export { VnfTwin, lastValueForecaster, seasonalForecaster, variance, type DemandForecaster, type VnfStepRecord, type VnfMove } from './twin.js';
export {
  VnfEnv,
  OBSERVATION,
  NODE_FEATURES,
  VNF_FEATURES,
  HEADER_FEATURES,
  observationSize,
  nodeCount,
  nodeRow,
  vnfRow,
  vnfSpaces,
  noMigration,
  movesToAction,
  naiveForecaster,
  type VnfObs,
  type VnfAction,
  type VnfEnvOptions,
} from './env.js';
export { VNF_BASELINES, THRESHOLD_UTILISATION, FFD_FILL, noMigrationPolicy, thresholdMoves, ffdMoves, ffdPlacement, ffdNodeOrder } from './baselines.js';
export { vnfKpis, VNF_KPIS, type VnfKpi } from './kpis.js';
export { vnfFigures, vnfEpisodeFigures, vnfTimelineRows, type VnfTimelineRow } from './figures.js';
export { vnfFamily } from './family.js';

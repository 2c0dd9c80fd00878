// The VNF-migration family as the registry sees it (docs/vnf-migration.md): scenarios with
// `family: vnf-migration`, the synthetic twin env, MultiDiscrete migration actions over a Box
// observation, the KPIs of kpis.ts, the baselines of baselines.ts and the figures of figures.ts.
import type { EnvFamily } from '../family.js';
import { VNF_BASELINES } from './baselines.js';
import { VnfEnv, vnfSpaces, type VnfAction, type VnfObs } from './env.js';
import { vnfFigures } from './figures.js';
import { vnfKpis } from './kpis.js';
import { VNF_FAMILY_ID, parseVnfScenario, type VnfScenario } from './scenario.js';
import type { DemandForecaster } from './twin.js';

export const vnfFamily: EnvFamily<VnfScenario, VnfObs, VnfAction> = {
  id: VNF_FAMILY_ID,
  description: 'digital-twin VNF migration over edge/fog/cloud nodes: MultiDiscrete moves, energy + λ·load variance cost',
  envKinds: ['synthetic'],
  baselines: VNF_BASELINES,
  parseScenario: (document, fallbackName) => parseVnfScenario(document, fallbackName),
  spaces: (scenario) => vnfSpaces(scenario),
  createEnv: (scenario, options = {}) => {
    const forecaster = options.forecaster as DemandForecaster | undefined;
    return Promise.resolve(new VnfEnv(scenario, { seed: options.seed ?? scenario.seed, ...(forecaster ? { forecaster } : {}) }));
  },
  kpis: () => vnfKpis(),
  figures: vnfFigures,
};

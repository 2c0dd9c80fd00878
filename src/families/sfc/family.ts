/**
 * The SFC provisioning family (`family: sfc`, docs/sfc.md): a VNF orchestrator scales each of five
 * VNF types out or in across data centres as SFC requests arrive and expire. Envs: the seeded
 * synthetic model (`synthetic`) and the ns-3 co-simulation (`ns3`, loaded lazily from remote/).
 */
import { Discrete, type Env } from '../../env/index.js';
import { SFC_ACTIONS } from '../../scenario/index.js';
import type { EnvFamily } from '../family.js';
import { SFC_BASELINES } from './baselines.js';
import { sfcKpis } from './kpis.js';
import { sfcObservationLayout } from './observation.js';
import { SFC_ENV_KINDS, parseSfcScenario, type SfcScenario } from './scenario.js';
import { SyntheticSfcEnv, sfcObservationSpace, type SfcObservation } from './synthetic/index.js';

export const sfcFamily: EnvFamily<SfcScenario, SfcObservation, number> = {
  id: 'sfc',
  description: 'SFC provisioning: scale 5 VNF types out/in across data centres, Discrete(15) actions',
  envKinds: SFC_ENV_KINDS,
  baselines: SFC_BASELINES,
  parseScenario: parseSfcScenario,
  spaces: (scenario) => ({
    observation: sfcObservationSpace(sfcObservationLayout(scenario.sfc.dataCentres.length, scenario.sfc.maxActive, scenario.sfc.maxPending).size),
    action: new Discrete(SFC_ACTIONS),
  }),
  createEnv: async (scenario, options = {}): Promise<Env<SfcObservation, number>> => {
    const seed = options.seed ?? scenario.seed;
    if (scenario.env.kind === 'ns3') {
      const { createSfcNs3Env } = await import('./ns3-env.js');
      return createSfcNs3Env(scenario, { seed, ...(options.runDir === undefined ? {} : { runDir: options.runDir }) });
    }
    return new SyntheticSfcEnv(scenario, seed);
  },
  kpis: sfcKpis,
};

/**
 * The ns-3 env of SFC scenarios (`env.kind: ns3`). Loaded with a dynamic import by the family so
 * the synthetic path never loads the transport.
 */
import type { Env } from '../../env/index.js';
import { Ns3tsError } from '../../util/index.js';
import type { SfcScenario } from './scenario.js';
import type { SfcObservation } from './synthetic/index.js';

export function createSfcNs3Env(scenario: SfcScenario, _options: { seed: number; runDir?: string }): Promise<Env<SfcObservation, number>> {
  return Promise.reject(new Ns3tsError(`scenario ${scenario.name}: the ns-3 env of family sfc is not built in this version (use env.kind: synthetic)`));
}

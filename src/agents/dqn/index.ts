// DQN for SFC provisioning (docs/sfc.md#dqn): the registry entry, its settings and ablations.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, Ns3tsError } from '../../util/index.js';
import { isSfcScenario, type FamilyPolicy, type SfcObservation, type SfcScenario } from '../../families/index.js';
import type { ScenarioBase } from '../../scenario/index.js';
import type { AgentEntry } from '../agent.js';
import { BEST_CHECKPOINT_FILE, CHECKPOINT_FILE, arraysWithPrefix, readCheckpoint } from '../checkpoint.js';
import { DqnAgent } from './agent.js';

export { DqnAgent } from './agent.js';
export { QNetwork, type QNetworkConfig } from './qnet.js';
export { AttentionEncoder, glorot, type EncoderConfig } from './encoder.js';
export { DenseHead, duelingCombine, duelingBackward, type HeadConfig } from './head.js';
export { SumTree } from './sum-tree.js';
export { DqnReplay, type ReplayBatch } from './replay.js';
export { dqnTargets, argmax, tdLoss, nStepTransition, type StepRecord, type NStepTransition } from './targets.js';
export { DQN_DEFAULTS, DQN_VARIANTS, resolveDqnSettings, phasedEpsilon, scheduledLearningRate, type DqnSettings, type DqnVariant } from './settings.js';

function sfcScenario(scenario: ScenarioBase): SfcScenario {
  if (!isSfcScenario(scenario)) throw new InputError('scenario', scenario.name, 'a scenario of family sfc (the DQN reads its token layout)');
  return scenario;
}

/** Which policy of a run: the best on its validation episodes (best.bin, when the run kept one) or the last (checkpoint.bin). */
export type DqnRunPolicy = 'best' | 'last';

/**
 * The greedy policy of a DQN run on its scenario (as the run's config has it): by default the one
 * that scored best on the run's validation episodes, the last checkpoint's when the run kept no
 * best (validateEvery 0) or when asked for `last`.
 */
export async function dqnPolicyFromRun(runDir: string, scenario: SfcScenario, which: DqnRunPolicy = 'best'): Promise<FamilyPolicy<SfcObservation, number>> {
  const fromBest = which === 'best' && existsSync(join(runDir, BEST_CHECKPOINT_FILE));
  const ckpt = readCheckpoint(runDir, fromBest ? BEST_CHECKPOINT_FILE : CHECKPOINT_FILE);
  const agentMeta = ckpt.meta.agent as Record<string, unknown> | undefined;
  if (ckpt.meta.agentId !== 'dqn' || !agentMeta) throw new Ns3tsError(`${runDir}: not a DQN checkpoint (agent ${String(ckpt.meta.agentId)})`);
  const agent = new DqnAgent(scenario, { seed: 0, settings: { ...(agentMeta.settings as Record<string, unknown>) } });
  const state = { meta: agentMeta, arrays: arraysWithPrefix(ckpt.arrays, 'agent') };
  if (fromBest) agent.setPolicyState(state);
  else agent.setState(state);
  return Promise.resolve(agent.evaluationPolicy());
}

export const dqnEntry: AgentEntry = {
  description: 'DQN for SFC provisioning: double targets, dueling head, prioritized replay, 8-head attention over data centres, VNF types and requests',
  accepts: { observation: ['Box'], action: ['Discrete'], families: ['sfc'] },
  create: () => {
    throw new Ns3tsError('agent dqn trains on scenarios of family sfc only');
  },
  load: (runDir) => Promise.reject(new Ns3tsError(`${runDir}: a DQN run is evaluated on its sfc scenario (ns3ts eval -s <sfc scenario> -p checkpoint:${runDir})`)),
  createForFamily: (scenario, options) => new DqnAgent(sfcScenario(scenario), options),
  loadForFamily: async (runDir, scenario) => (await dqnPolicyFromRun(runDir, sfcScenario(scenario))) as FamilyPolicy,
};

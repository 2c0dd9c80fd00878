// PPO for the vnf-migration family: the agent (agent.ts), its features (features.ts), the PPO
// arithmetic (math.ts) and what its run needs in the family training loop (run.ts), registered as `ppo`.
import { InputError } from '../../util/index.js';
import type { AgentEntry } from '../agent.js';
import { VnfEnv } from '../../families/index.js';
import { createPpoForFamily, loadPpoRun, ppoPolicy } from './run.js';

export { PpoAgent, PPO_DEFAULTS, type PpoSettings, type PpoUpdateMetrics } from './agent.js';
export { computeGae, normalise, clippedSurrogate, maskedSoftmax, entropyOf, addCategoricalGradient, sampleIndex, argmax } from './math.js';
export { vnfRows, targetRows, valueInput, VNF_ROW, TARGET_ROW, VALUE_INPUT, GLOBAL_FEATURES, type SlotState } from './features.js';
export { createPpoForFamily, loadPpoRun, evaluatePpo, ppoPolicy, PREDICTORS, EPISODE_LOG_FILE, type PredictorChoice } from './run.js';

export const ppoEntry: AgentEntry = {
  description: 'PPO over masked VNF→node migrations with a federated Bi-GRU demand predictor (family vnf-migration)',
  accepts: { observation: ['Box'], action: ['MultiDiscrete'], families: ['vnf-migration'] },
  create: () => {
    throw new InputError('--agent', 'ppo', 'a scenario of family vnf-migration (ppo trains in the family loop: createForFamily)');
  },
  load: (runDir) => Promise.reject(new InputError('checkpoint', runDir, 'a slicing run (ppo runs are read with loadPpoRun)')),
  createForFamily: (scenario, options) => createPpoForFamily(scenario, options),
  loadFamilyPolicy: (runDir) => {
    const { agent, forecaster } = loadPpoRun(runDir);
    return Promise.resolve((env) => {
      if (!(env instanceof VnfEnv)) throw new InputError('env', env?.constructor?.name, 'the VNF-migration env');
      // The policy plans with the run's own predictor.
      env.setForecaster(forecaster);
      return ppoPolicy(agent, env);
    });
  },
};

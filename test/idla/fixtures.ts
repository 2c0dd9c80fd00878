import { CollectionPolicy, SampleCollector, type SampleSet } from '../../src/agents/idla/index.js';
import { FEATURES_PER_SLICE, SyntheticSlicingEnv } from '../../src/families/index.js';
import { loadScenario } from '../../src/scenario/index.js';

/**
 * The estimator samples of the first `steps` steps of idla-12cell (three slices) under the
 * agent's collection policy (all cell-steps random), the env seeded with `seed` and the policy
 * with `policySeed`.
 */
export function collectIdlaSamples(steps: number, seed: number, policySeed: number): SampleSet {
  const env = new SyntheticSlicingEnv(loadScenario('idla-12cell'), { seed });
  const C = env.cells;
  const S = env.sliceCount;
  const collector = new SampleCollector(C, S);
  const policy = new CollectionPolicy(policySeed, 1);
  let obs = env.resetSync(seed);
  collector.observe(obs, true);
  for (let t = 0; t < steps; t++) {
    env.stepSync(policy.act({ data: obs, shape: [C, S, FEATURES_PER_SLICE] }));
    obs = env.obs;
    collector.observe(obs);
  }
  return collector.samples;
}

import { loadScenario, resolveScenario, scenarioLayout, type Scenario } from '../../src/scenario/index.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import type { TrainableAgent } from '../../src/agents/index.js';

/** Tiny network and replay settings: fast enough for unit tests, still learning-shaped. */
export const TINY_MADDPG = { hidden: [16, 16], updateEvery: 1, batchSize: 32, warmupSteps: 6, bufferCapacity: 4000, targetAdmmIterations: 2, admmIterations: 5, exploreAdmmIterations: 5 };
export const TINY_TD3 = { hidden: [16, 16], updateEvery: 1, batchSize: 32, warmupSteps: 6, bufferCapacity: 4000 };

/** slicing-synthetic cut down: 2 cells, short episodes; the mMTC slice joins late and leaves early. */
export function tinyScenario(overrides: Record<string, unknown> = {}): Scenario {
  const base = loadScenario('slicing-synthetic') as unknown as Record<string, unknown>;
  const slices = (base.slices as Array<Record<string, unknown>>).map((s) => (s.name === 'mmtc' ? { ...s, joinStep: 3, leaveStep: 10 } : s));
  return resolveScenario({
    ...base,
    name: 'tiny-synthetic',
    cells: 2,
    episodeSteps: 12,
    slices,
    agent: { id: 'maddpg-admm', ...TINY_MADDPG },
    training: { episodes: 4, evalEvery: 2, evalEpisodes: 1 },
    ...overrides,
  });
}

export function tinyLayout(scenario: Scenario = tinyScenario()) {
  return scenarioLayout(scenario);
}

/** Runs `steps` env steps with exploration and feeds them to the agent. */
export async function fillAgent(agent: TrainableAgent, scenario: Scenario, steps: number, seed = 3): Promise<void> {
  const env = new SyntheticSlicingEnv(scenario);
  let { obs } = await env.reset({ seed });
  for (let t = 0; t < steps; t++) {
    const action = await agent.actExplore(obs, { layout: scenarioLayout(scenario), step: t });
    const r = await env.step({ data: action, shape: [scenario.cells, scenario.slices.length] });
    await agent.observe({ obs, action, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, step: t });
    obs = r.obs;
    if (r.truncated || r.terminated) obs = (await env.reset({ seed: seed + t + 1 })).obs;
  }
}

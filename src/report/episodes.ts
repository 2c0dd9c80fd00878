import type { PolicyContext } from '../agents/index.js';
import type { NdArray } from '../env/index.js';
import { KpiAccumulator, resolvePolicies } from '../eval/index.js';
import { createEnv } from '../families/index.js';
import { runEpisodes } from '../rollout/index.js';
import { scenarioLayout, type Scenario } from '../scenario/index.js';
import type { PolicyEpisode, TraceStep } from './figure.js';

/**
 * Plays one evaluation episode (reset with `seed`) for each policy of `specs` (`--policy` specs:
 * checkpoint:<run-dir>, all-baselines, ...), recording every step: the same episode for all of
 * them, so their traces can be laid side by side.
 */
export async function playEpisodes(scenario: Scenario, specs: readonly string[], seed: number): Promise<PolicyEpisode[]> {
  const layout = scenarioLayout(scenario);
  const shape = [scenario.cells, scenario.slices.length];
  const out: PolicyEpisode[] = [];
  for (const named of specs.flatMap((spec) => resolvePolicies(spec, scenario))) {
    const env = await createEnv(scenario, { seed });
    try {
      const policy = await named.create(env, scenario);
      const acc = new KpiAccumulator(layout, scenario.episodeSteps, { events: scenario.events });
      const steps: TraceStep[] = [];
      const context: PolicyContext = { layout, step: 0 };
      await runEpisodes<NdArray<Float32Array>, NdArray<Float32Array>>(
        env,
        async (obs, at) => {
          context.step = at.step;
          return { data: await policy.act(obs, context), shape };
        },
        {
          episodes: 1,
          seed: () => seed,
          onRoundStart: () => {
            policy.reset?.();
            acc.beginEpisode();
          },
          onStep: (t) => {
            acc.addEnvStep(t.action.data, t.nextObs.data, t.reward, t.step + 1, t.info);
            steps.push({ step: t.step, action: Float32Array.from(t.action.data), obs: Float32Array.from(t.nextObs.data), reward: t.reward });
          },
        },
      );
      const kpis: Record<string, number> = {};
      for (const [k, v] of Object.entries(acc.result().kpis)) if (typeof v === 'number' && Number.isFinite(v)) kpis[k] = v;
      out.push({ policy: named.id, seed, steps, kpis });
    } finally {
      await env.close();
    }
  }
  return out;
}

import { getAgentEntry, type PolicyContext } from '../agents/index.js';
import type { NdArray } from '../env/index.js';
import { KpiAccumulator, resolveFamilyBaselines, resolvePolicies, type FamilyPolicyFactory } from '../eval/index.js';
import { createEnv, familyOf } from '../families/index.js';
import { runEpisodes } from '../rollout/index.js';
import { scenarioLayout, type Scenario, type ScenarioBase } from '../scenario/index.js';
import { InputError } from '../util/index.js';
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

/**
 * playEpisodes for a run of a family other than slicing: the run's trained policy (its agent's
 * loadFamilyPolicy) and the family's baselines (`baselines`: all-baselines or baseline:<name>),
 * one episode each from `seed`, through the family's env and KPIs. Actions and observations are
 * recorded flat, as the family's figure provider reads them.
 */
export async function playFamilyEpisodes(scenario: ScenarioBase, run: { dir: string; agent: string }, baselines: string, seed: number): Promise<PolicyEpisode[]> {
  const family = familyOf(scenario);
  const load = getAgentEntry(run.agent).loadFamilyPolicy;
  if (!load) throw new InputError('run agent', run.agent, `an agent with a family policy loader (family ${family.id})`);
  const policies: Array<{ id: string; create: FamilyPolicyFactory }> = [{ id: `checkpoint:${run.dir}`, create: await load(run.dir) }, ...resolveFamilyBaselines(baselines, scenario)];
  const out: PolicyEpisode[] = [];
  const flat = (value: unknown): Float32Array => {
    const data = (value as { data?: ArrayLike<number> } | null)?.data;
    return data ? Float32Array.from(data) : typeof value === 'number' ? Float32Array.of(value) : new Float32Array(0);
  };
  for (const named of policies) {
    const env = await family.createEnv(scenario, { seed });
    try {
      const policy = await named.create(env, scenario);
      const kpis = family.kpis(scenario);
      const steps: TraceStep[] = [];
      await runEpisodes(env, (obs, at) => policy.act(obs, at), {
        episodes: 1,
        seed: () => seed,
        onRoundStart: () => {
          policy.reset?.();
          kpis.beginEpisode();
        },
        onStep: (t) => {
          kpis.addStep(t);
          steps.push({ step: t.step, action: flat(t.action), obs: flat(t.nextObs), reward: t.reward });
        },
      });
      const numbers: Record<string, number> = {};
      for (const [k, v] of Object.entries(kpis.result())) if (typeof v === 'number' && Number.isFinite(v)) numbers[k] = v;
      out.push({ policy: named.id, seed, steps, kpis: numbers });
    } finally {
      await env.close();
    }
  }
  return out;
}

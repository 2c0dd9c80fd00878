// The slicing family as the registry sees it (docs/families.md): scenarios without a `family:`
// field, the synthetic and ns-3 slicing envs, the Box spaces of slicing.ts, the evaluation KPIs of
// kpis.ts, the four baselines of baselines.ts and the episode figures of figures.ts.
import { Box, type NdArray } from '../../env/index.js';
import { parseScenario, scenarioLayout, type Scenario } from '../../scenario/index.js';
import type { EnvFamily, FamilyBaseline, FamilyKpis, FamilyPolicy } from '../family.js';
import { BASELINE_NAMES, createBaseline, type BaselineName } from './baselines.js';
import { createEnv, type SlicingEnv } from './factory.js';
import { slicingFigures } from './figures.js';
import { KpiAccumulator, type EvalKpis } from './kpis.js';
import type { PolicyContext, SlicingPolicy } from './policy.js';
import { FEATURES_PER_SLICE } from './slicing.js';
import { slicingModelOf } from './synthetic/index.js';

type Shares = NdArray<Float32Array>;

const BASELINE_DESCRIPTIONS: Record<BaselineName, string> = {
  static: 'equal shares over the active slices of each cell',
  proportional: "shares proportional to each slice's offered traffic in the last step",
  demand: 'the share each slice needs to meet its targets, from its load and radio quality',
  oracle: "a search over share grids scored with the synthetic env's true model (synthetic scenarios only)",
};

/** A slicing policy as the episode runner calls it: shares [cells, slices] as an NdArray. */
export function slicingRolloutPolicy(policy: SlicingPolicy, scenario: Scenario): FamilyPolicy<Shares, Shares> {
  const context: PolicyContext = { layout: scenarioLayout(scenario), step: 0 };
  const shape = [scenario.cells, scenario.slices.length];
  const wrap = (data: Float32Array): Shares => ({ data, shape });
  return {
    id: policy.id,
    reset: () => policy.reset?.(),
    act: (obs, at) => {
      context.step = at.step;
      const shares = policy.act(obs, context);
      return shares instanceof Promise ? shares.then(wrap) : wrap(shares);
    },
  };
}

function baseline(name: BaselineName): FamilyBaseline<Scenario, Shares, Shares> {
  return {
    description: BASELINE_DESCRIPTIONS[name],
    create: (env, scenario) => slicingRolloutPolicy(createBaseline(name, scenario, slicingModelOf(env as SlicingEnv)), scenario),
  };
}

/** The numeric KPIs of a slicing evaluation (the per-slice and per-cell tables stay with evaluatePolicy). */
function slicingKpis(scenario: Scenario): FamilyKpis<Shares, Shares> {
  const acc = new KpiAccumulator(scenarioLayout(scenario), scenario.episodeSteps, { events: scenario.events });
  return {
    beginEpisode: () => acc.beginEpisode(),
    addStep: (t) => acc.addEnvStep(t.action.data, t.nextObs.data, t.reward, t.step + 1, t.info),
    result: () => {
      const kpis: EvalKpis = acc.result().kpis;
      const out: Record<string, number | null> = {};
      for (const [key, value] of Object.entries(kpis)) if (typeof value === 'number' || value === null) out[key] = value;
      return out;
    },
  };
}

export const slicingFamily: EnvFamily<Scenario, Shares, Shares> = {
  id: 'slicing',
  description: "RAN slicing: shares of each cell's resource blocks per slice (Box), QoS-level reward",
  envKinds: ['synthetic', 'ns3', 'linux-tc'],
  baselines: Object.fromEntries(BASELINE_NAMES.map((name) => [name, baseline(name)])),
  parseScenario: (document, fallbackName) => parseScenario(document, fallbackName),
  spaces: (scenario) => ({
    // The spaces every slicing env declares (slicing.ts): the synthetic env and the ns-3 programs.
    observation: new Box({ dtype: 'float32', shape: [scenario.cells, scenario.slices.length, FEATURES_PER_SLICE], low: 0, high: Number.POSITIVE_INFINITY }),
    action: new Box({ dtype: 'float32', shape: [scenario.cells, scenario.slices.length], low: 0, high: 1 }),
  }),
  createEnv: (scenario, options) => createEnv(scenario, options),
  kpis: slicingKpis,
  figures: slicingFigures,
};

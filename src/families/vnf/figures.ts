// The VNF-migration family's figures of evaluation episodes for `ns3ts report`: energy per step,
// utilisation variance per step, and both combined (energy + λ·variance, the cost without the
// migration terms), one line per policy. They are computed from the observation after each step
// (each node's utilisation and whether it hosts a VNF) with the power model, so a figure needs no
// more than what the rollout recorded.
import type { TopLevelSpec } from 'vega-lite';
import type { FamilyEpisodeTrace, FamilyFigure, FamilyFigureProvider } from '../family.js';
import { nodeCount, nodeRow } from './env.js';
import type { VnfScenario } from './scenario.js';
import { JOULES_PER_KWH, buildNodes, nodePower } from './topology.js';
import { variance } from './twin.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const SECTION = 'evaluation episode';

export interface VnfTimelineRow {
  policy: string;
  step: number;
  series: 'energyKWh' | 'loadVariance' | 'combined';
  value: number;
}

/** Energy (kWh), utilisation variance and energy + λ·variance of every step of every episode. */
export function vnfTimelineRows(scenario: VnfScenario, episodes: readonly FamilyEpisodeTrace[]): VnfTimelineRow[] {
  const nodes = buildNodes(scenario.vnf);
  const N = nodeCount(scenario);
  const rows: VnfTimelineRow[] = [];
  for (const episode of episodes) {
    for (const st of episode.steps) {
      const util = new Float64Array(N);
      let watts = 0;
      for (let n = 0; n < N; n++) {
        util[n] = st.obs[nodeRow(n) + 1]!;
        watts += nodePower(nodes[n]!, util[n]!, st.obs[nodeRow(n) + 3]! > 0.5, scenario.vnf.sleepEmptyNodes);
      }
      const energy = (watts * scenario.vnf.stepSeconds) / JOULES_PER_KWH;
      const v = variance(util);
      rows.push({ policy: episode.policy, step: st.step, series: 'energyKWh', value: energy });
      rows.push({ policy: episode.policy, step: st.step, series: 'loadVariance', value: v });
      rows.push({ policy: episode.policy, step: st.step, series: 'combined', value: energy + scenario.vnf.lambda * v });
    }
  }
  return rows;
}

function lineSpec(rows: readonly VnfTimelineRow[], policies: readonly string[], yTitle: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    data: { values: rows.map((r) => ({ ...r })) },
    width: 520,
    height: 200,
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'policy', type: 'nominal', title: 'policy', sort: [...policies] },
    },
  } as TopLevelSpec;
}

export function vnfEpisodeFigures(scenario: VnfScenario, episodes: readonly FamilyEpisodeTrace[]): FamilyFigure[] {
  if (episodes.length === 0) return [];
  const policies = episodes.map((e) => e.policy);
  const rows = vnfTimelineRows(scenario, episodes);
  const of = (series: VnfTimelineRow['series']): VnfTimelineRow[] => rows.filter((r) => r.series === series);
  return [
    { id: 'vnf-energy', title: 'Energy per step', caption: 'Energy of all nodes over each step (kWh), LEAF-style linear power model, per policy.', section: SECTION, spec: lineSpec(of('energyKWh'), policies, 'energy (kWh)') },
    { id: 'vnf-load-variance', title: 'Utilisation variance per step', caption: 'Population variance of node utilisation after each step, per policy.', section: SECTION, spec: lineSpec(of('loadVariance'), policies, 'variance of utilisation') },
    {
      id: 'vnf-combined',
      title: 'Energy + λ · variance per step',
      caption: `The step cost without migration terms: energy (kWh) + λ·variance, λ = ${scenario.vnf.lambda}.`,
      section: SECTION,
      spec: lineSpec(of('combined'), policies, 'energy + λ·variance'),
    },
  ];
}

export const vnfFigures: FamilyFigureProvider<VnfScenario> = { episodeFigures: vnfEpisodeFigures };

// The slicing family's figures of evaluation episodes, for `ns3ts report`: per-slice share,
// demand and throughput over time, delay against its target, scenario events marked; CDFs of
// per-slice delay and of the QoS ratio r; a bar chart of every policy's KPIs. The slicing family
// hands them to the report as its EnvFamily.figures (family.ts); the report (a layer above)
// takes them from the family registry, so this file does not import the report.
import type { TopLevelSpec } from 'vega-lite';
import type { Scenario } from '../../scenario/index.js';
import { FEATURE, FEATURES_PER_SLICE, rowQos } from './slicing.js';

/** One step of an evaluation episode: flat action [cells·slices] and observation after it. */
interface EpisodeStep {
  step: number;
  action: Float32Array;
  obs: Float32Array;
}

/** One policy's evaluation episode. */
interface PolicyEpisode {
  policy: string;
  steps: readonly EpisodeStep[];
  kpis: Record<string, number>;
}

interface SlicingFigure {
  id: string;
  title: string;
  caption: string;
  section: string;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const SECTION = 'evaluation episode';
/** Timelines of longer episodes are averaged over buckets of steps, so that a figure stays small. */
export const MAX_TIMELINE_POINTS = 300;
/** Points of a drawn CDF (quantiles of the samples); the data, not the drawing, are what is exact. */
export const MAX_CDF_POINTS = 200;
/** The KPIs of the bar chart, when the episodes have them. */
export const BAR_KPIS = ['meanUtility', 'qosSatisfaction', 'meanR', 'slaViolationRate', 'utilization', 'jainFairness'] as const;

export interface TimelineRow {
  policy: string;
  step: number;
  slice: string;
  series: string;
  value: number;
}

/**
 * Per policy, step and slice: the mean over the cells where the slice is active of `feature`
 * (the share is the policy's action; the others are read from the observation after the step).
 * Steps are averaged in buckets when the episode has more than MAX_TIMELINE_POINTS steps.
 */
export function timelineRows(scenario: Scenario, episodes: readonly PolicyEpisode[], feature: 'share' | 'offeredLoad' | 'throughput' | 'meanDelay' | 'delayTarget', series: string = feature): TimelineRow[] {
  const S = scenario.slices.length;
  const rows: TimelineRow[] = [];
  for (const episode of episodes) {
    const bucket = Math.max(1, Math.ceil(episode.steps.length / MAX_TIMELINE_POINTS));
    for (let start = 0; start < episode.steps.length; start += bucket) {
      const chunk = episode.steps.slice(start, start + bucket);
      for (let s = 0; s < S; s++) {
        let sum = 0;
        let n = 0;
        for (const st of chunk) {
          for (let c = 0; c < scenario.cells; c++) {
            const row = (c * S + s) * FEATURES_PER_SLICE;
            if (st.obs[row + FEATURE.active]! < 0.5) continue;
            sum += feature === 'share' ? st.action[c * S + s]! : st.obs[row + FEATURE[feature]]!;
            n++;
          }
        }
        if (n > 0) rows.push({ policy: episode.policy, step: chunk[0]!.step, slice: scenario.slices[s]!.name, series, value: sum / n });
      }
    }
  }
  return rows;
}

/** Lines over the steps, one panel per policy, one colour per slice; scenario events as shaded spans. */
function timelineSpec(rows: readonly TimelineRow[], scenario: Scenario, policies: readonly string[], yTitle: string, dashed = false): TopLevelSpec {
  const events = policies.flatMap((policy) =>
    scenario.events.map((e) => ({ policy, kind: 'event', event: e.kind, step: e.step, end: e.step + e.duration })),
  );
  const values = [...rows.map((r) => ({ ...r, kind: 'value' })), ...events];
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { field: 'policy', type: 'nominal', title: null, sort: [...policies] },
    columns: 3,
    resolve: { scale: { y: 'shared' } },
    spec: {
      width: 220,
      height: 140,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'event'" }],
          mark: { type: 'rect', opacity: 0.15, color: '#d62728' },
          encoding: { x: { field: 'step', type: 'quantitative' }, x2: { field: 'end' }, tooltip: [{ field: 'event' }, { field: 'step' }, { field: 'end' }] },
        },
        {
          transform: [{ filter: "datum.kind === 'value'" }],
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'step' },
            y: { field: 'value', type: 'quantitative', title: yTitle },
            color: { field: 'slice', type: 'nominal', title: 'slice' },
            ...(dashed ? { strokeDash: { field: 'series', type: 'nominal', title: null } } : {}),
          },
        },
      ],
    },
  };
}

/** The empirical CDF of `samples` at up to MAX_CDF_POINTS quantiles: (value, fraction <= value). */
export function cdfPoints(samples: readonly number[]): Array<{ value: number; fraction: number }> {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const points = Math.min(n, MAX_CDF_POINTS);
  const out: Array<{ value: number; fraction: number }> = [];
  for (let k = 1; k <= points; k++) {
    const i = Math.ceil((k * n) / points) - 1;
    out.push({ value: sorted[i]!, fraction: (i + 1) / n });
  }
  return out;
}

/** Per-slice delay samples (ms) over the active (step, cell) of an episode. */
export function delaySamples(scenario: Scenario, episode: PolicyEpisode, slice: number): number[] {
  const S = scenario.slices.length;
  const out: number[] = [];
  for (const st of episode.steps) {
    for (let c = 0; c < scenario.cells; c++) {
      const row = (c * S + slice) * FEATURES_PER_SLICE;
      if (st.obs[row + FEATURE.active]! >= 0.5) out.push(st.obs[row + FEATURE.meanDelay]!);
    }
  }
  return out;
}

/** QoS ratio r over the active (step, cell, slice) of an episode. */
export function qosSamples(scenario: Scenario, episode: PolicyEpisode): number[] {
  const n = scenario.cells * scenario.slices.length;
  const out: number[] = [];
  for (const st of episode.steps) {
    for (let i = 0; i < n; i++) {
      const r = rowQos(st.obs, i);
      if (!Number.isNaN(r)) out.push(r);
    }
  }
  return out;
}

function cdfSpec(values: ReadonlyArray<Record<string, unknown>>, xTitle: string, policies: readonly string[], facetBySlice: boolean): TopLevelSpec {
  const mark = { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 } as const;
  const encoding = {
    x: { field: 'value', type: 'quantitative', title: xTitle },
    y: { field: 'fraction', type: 'quantitative', title: 'fraction ≤ x', scale: { domain: [0, 1] } },
    color: { field: 'policy', type: 'nominal', title: 'policy', sort: [...policies] },
  } satisfies Record<string, unknown>;
  if (!facetBySlice) return { $schema: SCHEMA, data: { values: [...values] }, width: 260, height: 180, mark, encoding } as TopLevelSpec;
  return {
    $schema: SCHEMA,
    data: { values: [...values] },
    facet: { column: { field: 'slice', type: 'nominal', title: null } },
    resolve: { scale: { x: 'independent' } },
    spec: { width: 260, height: 180, mark, encoding },
  } as TopLevelSpec;
}

/** Bars of each KPI (one panel each), one bar per policy. */
function kpiBarSpec(episodes: readonly PolicyEpisode[]): TopLevelSpec | null {
  const values = episodes.flatMap((e) => BAR_KPIS.filter((k) => k in e.kpis).map((kpi) => ({ policy: e.policy, kpi, value: e.kpis[kpi]! })));
  if (values.length === 0) return null;
  const policies = episodes.map((e) => e.policy);
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'kpi', type: 'nominal', title: null, sort: [...BAR_KPIS] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 110,
      height: 160,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'policy', type: 'nominal', title: null, sort: policies, axis: { labelAngle: -45 } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'policy', type: 'nominal', sort: policies, legend: null },
      },
    },
  };
}

/** The slicing family's episode figures (see the header). */
export function slicingEpisodeFigures(scenario: Scenario, episodes: readonly PolicyEpisode[]): SlicingFigure[] {
  if (episodes.length === 0) return [];
  const policies = episodes.map((e) => e.policy);
  const figures: SlicingFigure[] = [];
  const add = (id: string, title: string, caption: string, spec: TopLevelSpec | null): void => {
    if (spec) figures.push({ id, title, caption, section: SECTION, spec });
  };
  const events = scenario.events.length > 0 ? ' Shaded spans are the scenario events.' : '';
  add('episode-share', 'Share per slice', `Share of each cell's resource blocks per slice, mean over the cells where the slice is active.${events}`, timelineSpec(timelineRows(scenario, episodes, 'share'), scenario, policies, 'share'));
  add('episode-demand', 'Demand per slice', `Offered load per slice and cell (Mbit/s), mean over the cells.${events}`, timelineSpec(timelineRows(scenario, episodes, 'offeredLoad'), scenario, policies, 'offered load (Mbit/s)'));
  add('episode-throughput', 'Throughput per slice', `Mean throughput per active user (Mbit/s), mean over the cells.${events}`, timelineSpec(timelineRows(scenario, episodes, 'throughput'), scenario, policies, 'throughput (Mbit/s)'));
  const delay = [...timelineRows(scenario, episodes, 'meanDelay', 'delay'), ...timelineRows(scenario, episodes, 'delayTarget', 'target').filter((r) => r.value > 0)];
  add('episode-delay', 'Delay against its target', `Mean packet delay (ms) per slice, solid; the slice's delay target, dashed.${events}`, timelineSpec(delay, scenario, policies, 'delay (ms)', true));
  const delayCdf = episodes.flatMap((e) =>
    scenario.slices.flatMap((slice, s) => cdfPoints(delaySamples(scenario, e, s)).map((p) => ({ policy: e.policy, slice: slice.name, ...p }))),
  );
  add('cdf-delay', 'CDF of the delay per slice', 'Fraction of the active (step, cell) whose mean delay is at most x, per slice.', delayCdf.length > 0 ? cdfSpec(delayCdf, 'delay (ms)', policies, true) : null);
  const rCdf = episodes.flatMap((e) => cdfPoints(qosSamples(scenario, e)).map((p) => ({ policy: e.policy, ...p })));
  add('cdf-r', 'CDF of the QoS ratio r', 'Fraction of the active (step, cell, slice) whose QoS ratio r is at most x (r ≥ 1: the target is met).', rCdf.length > 0 ? cdfSpec(rCdf, 'r', policies, false) : null);
  add('kpis', 'KPIs per policy', 'KPIs of each policy over the same evaluation episode.', kpiBarSpec(episodes));
  return figures;
}

/** The slicing family's figure provider (the report's FigureProvider, structurally). */
export const slicingFigures = {
  family: 'slicing',
  accepts: (scenario: Scenario): boolean => scenario.slices.length > 0,
  episodeFigures: slicingEpisodeFigures,
};

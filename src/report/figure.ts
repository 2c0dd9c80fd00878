import type { TopLevelSpec } from 'vega-lite';
import type { ScenarioBase } from '../scenario/index.js';

/**
 * A figure of a report: a Vega-Lite spec with its data inline (`data.values`), so the spec alone
 * is the figure. The report renders it to SVG; tests read the data back from the spec.
 */
export interface Figure {
  /** File name stem of the figure's SVG, unique within a report (e.g. "train-return"). */
  id: string;
  title: string;
  /** One or two sentences under the figure: what is plotted and how to read it. */
  caption: string;
  /** Where the figure goes in the report ("training", "evaluation episode", "sweep", ...). */
  section: string;
  spec: TopLevelSpec;
}

/** One step of an evaluation episode, as the env produced it (flat arrays, the family knows the layout). */
export interface TraceStep {
  step: number;
  action: Float32Array;
  /** Observation after the step. */
  obs: Float32Array;
  reward: number;
}

/** One evaluation episode of one policy, step by step, with its KPIs. */
export interface PolicyEpisode {
  policy: string;
  seed: number;
  steps: TraceStep[];
  /** The policy's KPIs over the episode (a flat record of numbers, e.g. meanUtility, qosSatisfaction). */
  kpis: Record<string, number>;
}

/**
 * What an env family brings to a report: figures of evaluation episodes in its own terms (the
 * slicing family: per-slice share, demand, throughput and delay over time, CDFs, KPI bars). The
 * report code knows no family; it runs the episodes and hands them over. Each family brings its
 * own (EnvFamily.figures, the same shape written in families/); providers.ts takes them from the
 * family registry.
 */
export interface FigureProvider {
  /** The family's name (e.g. "slicing"). */
  family: string;
  /** Whether this provider draws episodes of the scenario. */
  accepts(scenario: ScenarioBase): boolean;
  /** Figures of the same evaluation episode (same seed) played by each policy; the first is the trained one. */
  episodeFigures(scenario: ScenarioBase, episodes: readonly PolicyEpisode[]): Figure[];
}

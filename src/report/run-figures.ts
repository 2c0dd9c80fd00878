import type { TopLevelSpec } from 'vega-lite';
import type { Figure } from './figure.js';

/** A line of a run's metrics.jsonl (see train/run.ts): type "train" or "eval", episode, numbers. */
export type MetricsLine = Record<string, unknown> & { type?: unknown; episode?: unknown };

/** One plotted value: the episode, the series and its value (long form, as Vega-Lite likes it). */
export interface CurvePoint {
  episode: number;
  series: string;
  value: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Points of the numeric fields `fields` of the lines of type `type`, in file order; missing and null values are left out. */
export function curvePoints(lines: readonly MetricsLine[], type: string, fields: readonly string[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const line of lines) {
    if (line.type !== type || typeof line.episode !== 'number') continue;
    for (const field of fields) {
      const value = line[field];
      if (typeof value === 'number' && Number.isFinite(value)) points.push({ episode: line.episode, series: field, value });
    }
  }
  return points;
}

/** Numeric fields of the lines of type `type` whose names match `pattern`, in order of first appearance. */
export function fieldsMatching(lines: readonly MetricsLine[], type: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line.type !== type) continue;
    for (const [k, v] of Object.entries(line)) if (typeof v === 'number' && pattern.test(k) && !out.includes(k)) out.push(k);
  }
  return out;
}

/** A line chart (with a point per value) of long-form curve points, one colour per series. */
export function curveSpec(points: readonly CurvePoint[], yTitle: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'episode', type: 'quantitative', title: 'episode', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Evaluation (or validation) returns: the mean per evaluation, and the band from the lowest to the highest episode. */
function returnSpreadSpec(lines: readonly MetricsLine[], type: 'eval' | 'validation', yTitle: string): TopLevelSpec | null {
  const rows: Array<{ episode: number; mean: number; low: number; high: number }> = [];
  for (const line of lines) {
    if (line.type !== type || typeof line.episode !== 'number' || typeof line.meanReturn !== 'number') continue;
    const returns = Array.isArray(line.episodeReturns) ? line.episodeReturns.filter((v): v is number => typeof v === 'number') : [line.meanReturn];
    rows.push({ episode: line.episode, mean: line.meanReturn, low: Math.min(...returns), high: Math.max(...returns) });
  }
  if (rows.length === 0) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    encoding: { x: { field: 'episode', type: 'quantitative', title: 'episode', axis: { tickMinStep: 1 } } },
    layer: [
      { mark: { type: 'area', opacity: 0.25 }, encoding: { y: { field: 'low', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'high' } } },
      { mark: { type: 'line', point: true, tooltip: true }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  };
}

/**
 * The figures of a run's metrics.jsonl: the training return, the evaluations (utility, QoS
 * satisfaction, the return with its spread over the evaluation episodes), the losses and the
 * Lagrange multipliers when the agent reports them. Field names are the loop's (train/run.ts)
 * and the agents' (`*Loss`, `lambda.<slice>`); a run without them just has fewer figures.
 */
export function runFigures(lines: readonly MetricsLine[]): Figure[] {
  const figures: Figure[] = [];
  const add = (id: string, title: string, caption: string, spec: TopLevelSpec | null): void => {
    if (spec) figures.push({ id, title, caption, section: 'training', spec });
  };
  const trainReturn = curvePoints(lines, 'train', ['return']);
  add('train-return', 'Training return', 'Return of each training episode (with exploration noise).', trainReturn.length > 0 ? curveSpec(trainReturn, 'return') : null);
  const evalKpis = curvePoints(lines, 'eval', ['meanUtility', 'qosSatisfaction']);
  add(
    'eval-kpis',
    'Evaluation: utility and QoS satisfaction',
    'Mean utility per step and QoS satisfaction of the greedy policy at each evaluation, averaged over the evaluation episodes.',
    evalKpis.length > 0 ? curveSpec(evalKpis, 'value') : null,
  );
  add('eval-return', 'Evaluation return', 'Mean return over the evaluation episodes; the band spans the lowest to the highest episode.', returnSpreadSpec(lines, 'eval', 'evaluation return'));
  add(
    'validation-return',
    'Validation return (keep-the-best)',
    'Mean return of the greedy policy over the validation episodes at each validation; the band spans the lowest to the highest episode. The best of them is the policy kept in best.bin.',
    returnSpreadSpec(lines, 'validation', 'validation return'),
  );
  const losses = curvePoints(lines, 'train', fieldsMatching(lines, 'train', /Loss$/));
  add('losses', 'Losses', 'Losses of the last update of each training episode.', losses.length > 0 ? curveSpec(losses, 'loss') : null);
  const lambdas = curvePoints(lines, 'train', fieldsMatching(lines, 'train', /^lambda\./));
  add('multipliers', 'Lagrange multipliers', 'Constraint multipliers at the end of each training episode.', lambdas.length > 0 ? curveSpec(lambdas, 'multiplier') : null);
  return figures;
}

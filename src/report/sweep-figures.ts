import type { TopLevelSpec } from 'vega-lite';
import { readRunRows, summarizeResults, TABLE_HEADLINE_METRICS, type SummaryRow } from '../sweep/index.js';
import type { Figure } from './figure.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** At most this many metrics get figures when the sweep has none of the headline KPIs. */
export const SWEEP_MAX_METRICS = 12;

/** One point of a sweep figure: a grid value, a policy, and the mean with its 95% interval over seeds. */
export interface SweepPoint {
  param: string;
  x: number | string;
  policy: string;
  metric: string;
  n: number;
  mean: number;
  low: number | null;
  high: number | null;
}

/** The numbers of one grid parameter: every metric's mean and interval per value and policy. */
export interface SweepParamTable {
  param: string;
  numeric: boolean;
  metrics: string[];
  points: SweepPoint[];
}

/**
 * The grid parameters worth a figure: all but those that only name the policy (a grid over
 * `command.eval.policy` is already the figure's colour).
 */
function plottedParams(sweepDir: string): string[] {
  const { params, rows } = readRunRows(sweepDir);
  return params.filter((p) => !rows.every((r) => r.params[p] === undefined || (r.policy !== null && String(r.params[p]) === r.policy)));
}

function point(param: string, row: SummaryRow): SweepPoint {
  const x = row.group[param];
  return {
    param,
    x: typeof x === 'number' ? x : String(x),
    policy: row.group.policy === null || row.group.policy === undefined ? 'run' : String(row.group.policy),
    metric: row.metric,
    n: row.n,
    mean: row.mean,
    low: row.ci95 === null ? null : row.mean - row.ci95,
    high: row.ci95 === null ? null : row.mean + row.ci95,
  };
}

/**
 * The numbers behind a sweep's figures, from the results index (sweep/results.ts): per grid
 * parameter, the done runs grouped by its value and the policy, so each mean and interval is
 * over the seeds (and the other grid parameters, which the figure does not tell apart).
 */
export async function sweepTables(sweepDir: string): Promise<SweepParamTable[]> {
  const tables: SweepParamTable[] = [];
  for (const param of plottedParams(sweepDir)) {
    const summary = await summarizeResults(sweepDir, { groupBy: [param, 'policy'] });
    const headline = TABLE_HEADLINE_METRICS.filter((m) => summary.metrics.includes(m));
    const metrics = (headline.length > 0 ? headline : summary.metrics).slice(0, SWEEP_MAX_METRICS);
    const points = summary.rows.filter((r) => metrics.includes(r.metric)).map((r) => point(param, r));
    tables.push({ param, numeric: points.every((p) => typeof p.x === 'number'), metrics, points });
  }
  return tables;
}

function sweepSpec(table: SweepParamTable, metric: string): TopLevelSpec {
  const values = table.points.filter((p) => p.metric === metric).map((p) => ({ ...p }));
  const x = table.numeric
    ? ({ field: 'x', type: 'quantitative', title: table.param, axis: { values: [...new Set(values.map((v) => v.x as number))] } } as const)
    : ({ field: 'x', type: 'nominal', title: table.param } as const);
  const color = { field: 'policy', type: 'nominal', title: 'policy' } as const;
  // Both layers name the y axis the same, or Vega-Lite joins the titles ("low, meanUtility").
  const yTitle = metric.replace(/^kpis\./, '');
  const low = { field: 'low', type: 'quantitative', title: yTitle } as const;
  const interval = table.numeric
    ? { mark: { type: 'errorband', opacity: 0.25 }, encoding: { y: low, y2: { field: 'high' }, color } }
    : { mark: { type: 'errorbar' }, encoding: { y: low, y2: { field: 'high' }, color } };
  return {
    $schema: SCHEMA,
    data: { values },
    encoding: { x },
    layer: [
      { transform: [{ filter: 'datum.low !== null' }], ...interval },
      {
        mark: { type: 'line', point: true, tooltip: true },
        encoding: { y: { field: 'mean', type: 'quantitative', title: yTitle, scale: { zero: false } }, color },
      },
    ],
  } as TopLevelSpec;
}

/** One figure per metric and grid parameter: the mean over seeds per value, a line per policy, the 95% band. */
export function sweepFigures(tables: readonly SweepParamTable[]): Figure[] {
  return tables.flatMap((table) =>
    table.metrics.map((metric) => ({
      id: `sweep-${slug(metric)}-vs-${slug(table.param)}`,
      title: `${metric.replace(/^kpis\./, '')} against ${table.param}`,
      caption: `Mean over the seeds of ${metric} for each value of ${table.param}, one line per policy; the band (bars) is the 95% t interval.`,
      section: 'sweep',
      spec: sweepSpec(table, metric),
    })),
  );
}

/** A file-name-safe form of a metric or parameter path. */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

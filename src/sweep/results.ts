import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { InputError, estimateCell, textTableLines, writeFileAtomic } from '../util/index.js';
import { ciHalfWidth } from './results-stats.js';
import { RUN_FILES } from './plan.js';
import { countConditions, inspectSweep, problemCounts, problemLines, type RunCondition, type RunCounts, type RunInspection } from './integrity.js';

/**
 * The results of a sweep: an embedded DuckDB database (`<sweep-dir>/results.duckdb`) rebuilt from
 * the run folders every time it is asked for, so the folders stay the source of truth and the
 * database is a cache that can be deleted at any time. Tables:
 *   runs(run_id, idx, seed, state, problem, attempts, error, duration_s, policy, <one column per grid path>)
 *   metrics(run_id, metric, value)                 one row per run and metric (done runs only)
 *   summary(<group columns>, metric, n, mean, sd, ci95, ci95_low, ci95_high)
 */
export const RESULTS_DB = 'results.duckdb';

export interface RunRow {
  runId: string;
  index: number;
  seed: number;
  /** The run's condition (integrity.ts): a state, or orphaned / broken. */
  state: RunCondition;
  /** Why a run is broken or orphaned. */
  problem: string | null;
  attempts: number;
  error: string | null;
  durationSeconds: number | null;
  policy: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
}

/**
 * Reads the run folders of a sweep (through inspectSweep, as `sweep status` does). When sweep.json
 * lists the runs of the sweep's current version, folders of runs no longer in it (an earlier grid,
 * other command options) are left out and counted in `stale`, so that they do not mix into the
 * current results. Every current run gets a row, broken ones included (without metrics).
 */
export function readRunRows(sweepDir: string): { params: string[]; rows: RunRow[]; stale: number; runs: RunInspection[] } {
  const dir = resolve(sweepDir);
  if (!existsSync(dir)) throw new InputError('sweep-dir', sweepDir, 'an existing sweep folder (the --out of ns3ts sweep)');
  const { sweep, runs, stale } = inspectSweep(dir);
  if (runs.length === 0 && !sweep) throw new InputError('sweep-dir', sweepDir, 'a sweep folder (with sweep.json and runs/)');
  const params: string[] = [...(sweep?.params ?? [])];
  const planned = new Map((sweep?.runs ?? []).map((r) => [r.id, r]));
  const rows: RunRow[] = [];
  for (const run of runs) {
    const record = run.record;
    const listed = planned.get(run.runId);
    const point = record?.point ?? listed?.point ?? {};
    for (const key of Object.keys(point)) if (!params.includes(key)) params.push(key);
    const metrics = run.metrics;
    const evalPolicy = record?.config.command.eval?.policy;
    rows.push({
      runId: run.runId,
      index: record?.index ?? listed?.index ?? -1,
      seed: record?.seed ?? listed?.seed ?? 0,
      state: run.condition,
      problem: run.problem ?? null,
      attempts: run.status?.attempts ?? 0,
      error: run.status?.error ?? null,
      durationSeconds: run.status?.durationSeconds ?? null,
      policy: metrics?.policy ?? (evalPolicy !== undefined ? String(evalPolicy) : null),
      params: point,
      metrics: metrics?.metrics ?? {},
    });
  }
  rows.sort((a, b) => a.index - b.index || a.runId.localeCompare(b.runId));
  return { params, rows, stale, runs };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A parameter column is INTEGER when every value is an integer (within 32 bits), DOUBLE when
 * every value is a number, else VARCHAR (strings as they are, other values as JSON): a grid
 * over `cells: [2, 4]` reads back as 2 and 4, not 2.0 and 4.0.
 */
function paramColumnType(rows: readonly RunRow[], param: string): 'INTEGER' | 'DOUBLE' | 'VARCHAR' {
  const values = rows.map((r) => r.params[param]).filter((v) => v !== undefined);
  if (values.length === 0 || !values.every((v) => typeof v === 'number')) return 'VARCHAR';
  return values.every((v) => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1) ? 'INTEGER' : 'DOUBLE';
}

function paramText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface ResultsIndex {
  path: string;
  params: string[];
  rows: RunRow[];
  /** Run folders left out: not runs of the sweep's current version. */
  stale: number;
  runs: RunInspection[];
}

/**
 * Rebuilds `<sweep-dir>/results.duckdb` from the run folders (into a temporary file renamed over
 * the old one, so a reader never sees a half-built index) and returns what it indexed.
 */
export async function buildResultsIndex(sweepDir: string): Promise<ResultsIndex> {
  const { params, rows, stale, runs } = readRunRows(sweepDir);
  const path = join(resolve(sweepDir), RESULTS_DB);
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  await withDuckDb(tmp, async (db) => {
    await createTables(db, params, rows);
  });
  renameSync(tmp, path);
  rmSync(`${path}.wal`, { force: true });
  return { path, params, rows, stale, runs };
}

/** Opens the DuckDB database at `path` (created when missing), runs `body` on a connection, and closes both. */
export async function withDuckDb<T>(path: string, body: (db: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path);
  const db = await instance.connect();
  try {
    return await body(db);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

async function createTables(db: DuckDBConnection, params: readonly string[], rows: readonly RunRow[]): Promise<void> {
  const types = params.map((p) => paramColumnType(rows, p));
  const paramColumns = params.map((p, i) => `${quoteIdent(p)} ${types[i]}`);
  await db.run(
    `CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, idx INTEGER, seed BIGINT, state VARCHAR, problem VARCHAR, attempts INTEGER, error VARCHAR, duration_s DOUBLE, policy VARCHAR${paramColumns.map((c) => `, ${c}`).join('')})`,
  );
  await db.run('CREATE TABLE metrics (run_id VARCHAR, metric VARCHAR, value DOUBLE)');
  const runs = await db.createAppender('runs');
  const metrics = await db.createAppender('metrics');
  for (const row of rows) {
    runs.appendVarchar(row.runId);
    runs.appendInteger(row.index);
    runs.appendBigInt(BigInt(row.seed));
    runs.appendVarchar(row.state);
    if (row.problem === null) runs.appendNull();
    else runs.appendVarchar(row.problem);
    runs.appendInteger(row.attempts);
    if (row.error === null) runs.appendNull();
    else runs.appendVarchar(row.error);
    if (row.durationSeconds === null) runs.appendNull();
    else runs.appendDouble(row.durationSeconds);
    if (row.policy === null) runs.appendNull();
    else runs.appendVarchar(row.policy);
    params.forEach((p, i) => {
      const value = row.params[p];
      if (value === undefined || value === null) runs.appendNull();
      else if (types[i] === 'INTEGER') runs.appendInteger(value as number);
      else if (types[i] === 'DOUBLE') runs.appendDouble(value as number);
      else runs.appendVarchar(paramText(value));
    });
    runs.endRow();
    for (const [metric, value] of Object.entries(row.metrics)) {
      metrics.appendVarchar(row.runId);
      metrics.appendVarchar(metric);
      metrics.appendDouble(value);
      metrics.endRow();
    }
  }
  runs.closeSync();
  metrics.closeSync();
}

export interface SummaryRow {
  group: Record<string, string | number | null>;
  metric: string;
  n: number;
  mean: number;
  sd: number | null;
  ci95: number | null;
}

export interface ResultsSummary {
  groupBy: string[];
  metrics: string[];
  rows: SummaryRow[];
  counts: RunCounts;
  /** The broken and orphaned runs, one line each (see integrity.ts). */
  problems: string[];
  stale: number;
  path: string;
  /** The grid paths of the runs (the columns of the runs table besides the fixed ones). */
  params: string[];
}

export interface SummaryOptions {
  /** Columns to group by (grid paths, `policy` or `seed`); default every grid path (and policy when it varies). */
  groupBy?: string[];
  /** Metric names or prefixes ending in `*`; default all. */
  metrics?: string[];
}

/**
 * Mean and 95% t confidence interval of every metric over the seeds (and any parameter not
 * grouped by) of each group, computed in DuckDB from the rebuilt index, and stored there as the
 * `summary` table.
 */
export async function summarizeResults(sweepDir: string, options: SummaryOptions = {}): Promise<ResultsSummary> {
  const index = await buildResultsIndex(sweepDir);
  const allowed = [...index.params, 'policy', 'seed'];
  let groupBy = options.groupBy;
  if (groupBy) {
    groupBy.forEach((g, i) => {
      if (!allowed.includes(g)) throw new InputError(`group-by[${i}]`, g, `one of ${allowed.join(', ')}`);
    });
  } else {
    groupBy = [...index.params];
    // The policy joins the groups only where the grid leaves it open (a policy per point is
    // already told apart by the point).
    const policiesPerPoint = new Map<string, Set<string | null>>();
    for (const row of index.rows) {
      const key = JSON.stringify(groupBy.map((p) => row.params[p]));
      policiesPerPoint.set(key, (policiesPerPoint.get(key) ?? new Set()).add(row.policy));
    }
    if ([...policiesPerPoint.values()].some((set) => set.size > 1)) groupBy.push('policy');
  }
  const counts = countConditions(index.runs);
  const selection = options.metrics ?? [];
  const rows = await withDuckDb(index.path, async (db) => {
    const groupCols = groupBy!.map((g) => `r.${quoteIdent(g)}`);
    const select = groupCols.map((c, i) => `${c} AS g${i}`);
    const filter = selection.length === 0
      ? ''
      : ` AND (${selection.map((m) => (m.endsWith('*') ? `starts_with(m.metric, ${quoteString(m.slice(0, -1))})` : `m.metric = ${quoteString(m)}`)).join(' OR ')})`;
    const sql = `SELECT ${[...select, 'm.metric AS metric'].join(', ')},
        CAST(count(*) AS INTEGER) AS n, avg(m.value) AS mean, stddev_samp(m.value) AS sd, min(r.idx) AS first
      FROM runs r JOIN metrics m ON m.run_id = r.run_id
      WHERE r.state = 'done'${filter}
      GROUP BY ${[...groupCols, 'm.metric'].join(', ')}
      ORDER BY first, metric`;
    const result = await db.runAndReadAll(sql);
    const out: SummaryRow[] = result.getRowObjectsJS().map((o) => {
      const group: Record<string, string | number | null> = {};
      groupBy!.forEach((g, i) => {
        const v = o[`g${i}`];
        group[g] = typeof v === 'bigint' ? Number(v) : (v as string | number | null);
      });
      const n = Number(o.n);
      const sd = o.sd === null || o.sd === undefined || Number.isNaN(o.sd as number) ? null : Number(o.sd);
      return { group, metric: String(o.metric), n, mean: Number(o.mean), sd: n >= 2 ? sd : null, ci95: n >= 2 && sd !== null ? ciHalfWidth(n, sd) : null };
    });
    await storeSummary(db, groupBy!, index, out);
    return out;
  });
  const metrics: string[] = [];
  for (const r of rows) if (!metrics.includes(r.metric)) metrics.push(r.metric);
  return { groupBy, metrics, rows, counts, problems: problemLines(index.runs), stale: index.stale, path: index.path, params: index.params };
}

async function storeSummary(db: DuckDBConnection, groupBy: readonly string[], index: ResultsIndex, rows: readonly SummaryRow[]): Promise<void> {
  const types = groupBy.map((g) => (g === 'seed' ? 'BIGINT' : g === 'policy' ? 'VARCHAR' : paramColumnType(index.rows, g)));
  await db.run(
    `CREATE OR REPLACE TABLE summary (${[...groupBy.map((g, i) => `${quoteIdent(g)} ${types[i]}`), 'metric VARCHAR', 'n INTEGER', 'mean DOUBLE', 'sd DOUBLE', 'ci95 DOUBLE', 'ci95_low DOUBLE', 'ci95_high DOUBLE'].join(', ')})`,
  );
  const app = await db.createAppender('summary');
  for (const row of rows) {
    groupBy.forEach((g, i) => {
      const v = row.group[g];
      if (v === null || v === undefined) app.appendNull();
      else if (types[i] === 'INTEGER') app.appendInteger(Number(v));
      else if (types[i] === 'DOUBLE') app.appendDouble(Number(v));
      else app.appendVarchar(String(v));
    });
    app.appendVarchar(row.metric);
    app.appendInteger(row.n);
    app.appendDouble(row.mean);
    for (const v of [row.sd, row.ci95, row.ci95 === null ? null : row.mean - row.ci95, row.ci95 === null ? null : row.mean + row.ci95]) {
      if (v === null) app.appendNull();
      else app.appendDouble(v);
    }
    app.endRow();
  }
  app.closeSync();
}

export type ResultsFormat = 'table' | 'csv' | 'json' | 'parquet';
export const RESULTS_FORMATS: readonly ResultsFormat[] = ['table', 'csv', 'json', 'parquet'];

export interface ExportOptions extends SummaryOptions {
  format: ResultsFormat;
  /** Output file (required for parquet); otherwise the text is returned. */
  out?: string;
  /** Per-run rows (run_id, params, seed, state, metric, value) instead of the summary. */
  perRun?: boolean;
  /**
   * One row per run with one column per grid parameter and metric, under plain names (see
   * plainColumnName), for tools that want a wide table (pandas, R, spreadsheets).
   */
  wide?: boolean;
}

/**
 * Renders or writes the results: `table` (a text table, one row per group, `mean ± ci95` per
 * metric), or the long, pandas-friendly form as `csv`, `json` or `parquet` (one row per group and
 * metric; with `perRun`, one row per run and metric).
 */
export async function exportResults(sweepDir: string, options: ExportOptions): Promise<string> {
  if (!RESULTS_FORMATS.includes(options.format)) throw new InputError('format', options.format, RESULTS_FORMATS.join(', '));
  if (options.format === 'parquet' && !options.out) throw new InputError('out', options.out, 'an output file for --format parquet');
  if (options.perRun && options.format === 'table') throw new InputError('format', 'table', 'csv, json or parquet with per-run rows');
  if (options.wide && options.format === 'table') throw new InputError('format', 'table', 'csv, json or parquet with --wide');
  if (options.wide && options.perRun) throw new InputError('runs', true, 'either --runs or --wide, not both');
  const summary = await summarizeResults(sweepDir, options);
  if (options.format === 'table') {
    const text = formatTable(summary, !(options.metrics && options.metrics.length > 0));
    if (options.out) writeFileAtomic(resolve(options.out), text);
    return text;
  }
  const query = options.wide ? wideQuery(summary) : options.perRun ? perRunQuery(summary, options.metrics ?? []) : 'SELECT * FROM summary';
  return withDuckDb(summary.path, async (db) => {
    if (options.format === 'json') {
      const result = await db.runAndReadAll(query);
      // BIGINT columns (seeds, whole-number parameters) come back as bigint: JSON numbers here.
      const text = `${JSON.stringify(result.getRowObjectsJS(), (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`;
      if (options.out) writeFileAtomic(resolve(options.out), text);
      return text;
    }
    const format = options.format === 'csv' ? 'CSV, HEADER' : 'PARQUET';
    if (options.out) {
      const target = resolve(options.out);
      const tmp = `${target}.tmp-${process.pid}`;
      await db.run(`COPY (${query}) TO ${quoteString(tmp)} (FORMAT ${format})`);
      renameSync(tmp, target);
      return '';
    }
    // CSV on stdout is DuckDB's own export too (through a scratch file), so it is byte for byte
    // what --out writes: one writer, one number format (a DOUBLE 2 is "2.0" in both; whole-number
    // parameters are INTEGER columns, so they read 2).
    const scratch = mkdtempSync(join(tmpdir(), 'ns3ts-results-'));
    try {
      const file = join(scratch, 'results.csv');
      await db.run(`COPY (${query}) TO ${quoteString(file)} (FORMAT ${format})`);
      return readFileSync(file, 'utf8');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

function perRunQuery(summary: ResultsSummary, metrics: readonly string[]): string {
  const filter = metrics.length === 0
    ? ''
    : ` WHERE ${metrics.map((m) => (m.endsWith('*') ? `starts_with(m.metric, ${quoteString(m.slice(0, -1))})` : `m.metric = ${quoteString(m)}`)).join(' OR ')}`;
  void summary;
  return `SELECT r.*, m.metric, m.value FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id${filter} ORDER BY r.idx, m.metric`;
}

/**
 * A plain column name for a grid path or a metric: every run of characters other than letters,
 * digits and underscores becomes one underscore (`kpis.meanUtility` → `kpis_meanUtility`,
 * `command.eval.policy` → `command_eval_policy`).
 */
export function plainColumnName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || '_';
}

/** The wide table: one row per run of the sweep's current version, its grid values and metrics as columns. */
function wideQuery(summary: ResultsSummary): string {
  const fixed = ['run_id', 'idx', 'seed', 'state', 'policy'];
  const params = summary.params;
  const columns = new Map<string, string>(fixed.map((c) => [c, c]));
  const claim = (plain: string, source: string): string => {
    const other = columns.get(plain);
    if (other !== undefined) throw new InputError('wide column', source, `a name whose plain form ${plain} is not also that of ${other}`);
    columns.set(plain, source);
    return quoteIdent(plain);
  };
  const paramCols = params.map((p) => `r.${quoteIdent(p)} AS ${claim(plainColumnName(p), p)}`);
  const metricCols = summary.metrics.map((m) => `max(m.value) FILTER (WHERE m.metric = ${quoteString(m)}) AS ${claim(plainColumnName(m), m)}`);
  const select = [...fixed.map((c) => `r.${c}`), ...paramCols, ...metricCols].join(', ');
  return `SELECT ${select} FROM runs r LEFT JOIN metrics m ON m.run_id = r.run_id GROUP BY ALL ORDER BY r.idx, r.run_id`;
}

/** At most this many metric columns in the text table (the others: --metric, or csv/json). */
export const TABLE_MAX_METRICS = 7;

/** The KPIs the text table shows when they were collected and no --metric was given. */
export const TABLE_HEADLINE_METRICS: readonly string[] = [
  'kpis.meanUtility',
  'kpis.qosSatisfaction',
  'kpis.meanR',
  'kpis.slaViolationRate',
  'kpis.utilization',
  'kpis.jainFairness',
  'kpis.capacityViolation',
];

/** The text table: one row per group, `n` and `mean ± ci95` per metric. */
export function formatTable(summary: ResultsSummary, headlineOnly = true): string {
  const headline = headlineOnly ? TABLE_HEADLINE_METRICS.filter((m) => summary.metrics.includes(m)) : [];
  const metrics = (headline.length > 0 ? headline : summary.metrics).slice(0, TABLE_MAX_METRICS);
  const hidden = summary.metrics.length - metrics.length;
  const groups: Array<{ key: string; group: Record<string, unknown>; n: number; cells: Record<string, string> }> = [];
  for (const row of summary.rows) {
    const key = JSON.stringify(summary.groupBy.map((g) => row.group[g]));
    let g = groups.find((x) => x.key === key);
    if (!g) {
      g = { key, group: row.group, n: 0, cells: {} };
      groups.push(g);
    }
    g.n = Math.max(g.n, row.n);
    g.cells[row.metric] = estimateCell(row.mean, row.ci95);
  }
  const header = [...summary.groupBy, 'n', ...metrics.map((m) => m.replace(/^kpis\./, ''))];
  const lines = groups.map((g) => [...summary.groupBy.map((p) => paramCell(g.group[p])), String(g.n), ...metrics.map((m) => g.cells[m] ?? '-')]);
  const out = textTableLines([header, ...lines], { leftColumns: header.length, rule: true });
  const c = summary.counts;
  out.push('');
  out.push(`runs: ${c.done} done, ${c.failed} failed, ${c.running} running, ${c.pending} pending${problemCounts(c)}; mean ± 95% CI (t) over seeds`);
  out.push(...summary.problems);
  if (summary.stale > 0) out.push(`${summary.stale} run folders of an earlier version of the sweep left out`);
  if (hidden > 0) out.push(`${hidden} more metrics not shown (choose with --metric, or --format csv|json|parquet for all)`);
  return `${out.join('\n')}\n`;
}

function paramCell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'number' ? String(v) : String(v);
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepReportModel, writeReport } from '../../src/report/index.js';
import { evaluatePolicy, resolvePolicies } from '../../src/eval/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import {
  RUN_FILES,
  collectMetrics,
  exportResults,
  loadSweepFile,
  materializeSweep,
  planSweep,
  runDirOf,
  summarizeResults,
  writeStatus,
} from '../../src/sweep/index.js';
import { writeJsonAtomic } from '../../src/util/index.js';
import { repoRoot, runCli } from '../sweep/helpers.js';

type Row = Record<string, unknown>;

let dir: string;
let sweepDir: string;

/**
 * The smoke sweep, run in this process: its plan and run folders as `ns3ts sweep` makes them,
 * each run's step (`ns3ts eval --json` on the run's scenario and seed) done by the same
 * evaluatePolicy the command calls, and the metrics collected as the executor does. Spawning the
 * eight CLI processes would take half a minute for the same files (test/sweep runs them for real).
 */
async function runSmokeSweep(out: string): Promise<void> {
  const plan = planSweep(loadSweepFile(join(repoRoot, 'scenarios/sweeps/smoke.yaml')));
  materializeSweep(out, plan, ['ns3ts']);
  for (const run of plan.runs) {
    const runDir = runDirOf(out, run.id);
    const scenario = loadScenario(join(runDir, RUN_FILES.scenario));
    const policy = String(run.config.command.eval!.policy);
    const [named] = resolvePolicies(policy, scenario);
    const result = await evaluatePolicy(scenario, named!.create, { episodes: Number(run.config.command.eval!.episodes), seed: run.seed });
    writeFileSync(join(runDir, 'eval.stdout'), `${JSON.stringify(result, null, 2)}\n`);
    writeJsonAtomic(join(runDir, RUN_FILES.metrics), collectMetrics(runDir, plan.spec.metrics));
    writeStatus(runDir, { state: 'done', attempts: 1, updatedAt: new Date().toISOString() });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-report-sweep-'));
  sweepDir = join(dir, 'smoke');
  await runSmokeSweep(sweepDir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the report of the smoke sweep', () => {
  it('plots each headline metric against cells, one line per policy, with the 95% band over seeds from the results', async () => {
    const model = await sweepReportModel(sweepDir);
    // The grid over command.eval.policy only names the policy: it is the colour, not an axis.
    expect(model.tables.map((t) => t.param)).toEqual(['cells']);
    const summary = await summarizeResults(sweepDir, { groupBy: ['cells', 'policy'] });
    const figure = model.figures.find((f) => f.id === 'sweep-kpis-meanUtility-vs-cells');
    const points = (figure?.spec as { data: { values: Row[] } }).data.values;
    const expected = summary.rows
      .filter((r) => r.metric === 'kpis.meanUtility')
      .map((r) => ({ x: r.group.cells, policy: r.group.policy, n: r.n, mean: r.mean, low: r.mean - r.ci95!, high: r.mean + r.ci95! }));
    expect(expected).toHaveLength(4);
    expect(points.map((p) => ({ x: p.x, policy: p.policy, n: p.n, mean: p.mean, low: p.low, high: p.high }))).toEqual(expected);
    for (const p of points) expect(p.n).toBe(2);
    expect(model.figures.every((f) => f.section === 'sweep')).toBe(true);
  });

  it('writes report.html with the figures and a table of the same numbers', async () => {
    const report = await writeReport(sweepDir, join(dir, 'report'));
    const html = readFileSync(report.html, 'utf8');
    expect(Object.keys(report.svgs).length).toBe(report.model.figures.length);
    expect(html).toContain('<table class="numbers" data-param="cells">');
    const utility = report.model.tables[0]!.points.find((p) => p.metric === 'kpis.meanUtility' && p.x === 4 && p.policy === 'baseline:static')!;
    expect(html).toMatch(new RegExp(`<td>4</td><td>baseline:static</td><td>2</td><td class="num">${utility.mean.toFixed(3)} ± `));
  });


  it('ns3ts report <sweep-dir> --out prints the report path and writes the SVGs', async () => {
    const out = join(dir, 'cli-report');
    const result = await runCli(['report', sweepDir, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(join(out, 'report.html'));
    expect(result.stderr).toMatch(/^\d+ figures \(SVG\) in /m);
    expect(readFileSync(join(out, 'figures', 'sweep-kpis-meanUtility-vs-cells.svg'), 'utf8')).toMatch(/^<svg/);
    const bad = await runCli(['report', join(dir, 'nosuch')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/dir: got ".*nosuch", expected a run directory/);
  });
});

describe('results for other tools', () => {
  it('--wide: one row per run, plain column names, integer grid values as integers', async () => {
    const csv = await exportResults(sweepDir, { format: 'csv', wide: true });
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 7)).toEqual(['run_id', 'idx', 'seed', 'state', 'policy', 'cells', 'command_eval_policy']);
    expect(columns).toContain('kpis_meanUtility');
    expect(columns.some((c) => c.includes('.'))).toBe(false);
    expect(rows).toHaveLength(8);
    const cells = columns.indexOf('cells');
    expect(new Set(rows.map((r) => r.split(',')[cells]))).toEqual(new Set(['2', '4']));
    // The wide value of a run is its metric in the long form.
    const long = JSON.parse(await exportResults(sweepDir, { format: 'json', perRun: true, metrics: ['kpis.meanUtility'] })) as Row[];
    const wide = JSON.parse(await exportResults(sweepDir, { format: 'json', wide: true })) as Row[];
    for (const w of wide) expect(w.kpis_meanUtility).toBe(long.find((l) => l.run_id === w.run_id)!.value);
    expect(wide.every((w) => Number.isInteger(w.cells))).toBe(true);
    await expect(exportResults(sweepDir, { format: 'table', wide: true })).rejects.toThrow(/format: got "table", expected csv, json or parquet with --wide/);
  });

  it('the CSV on stdout and the file of --out agree to the character', async () => {
    for (const options of [{}, { wide: true }, { perRun: true }]) {
      const out = join(dir, 'results.csv');
      const printed = await exportResults(sweepDir, { format: 'csv', ...options });
      await exportResults(sweepDir, { format: 'csv', out, ...options });
      expect(readFileSync(out, 'utf8')).toBe(printed);
      expect(printed).toMatch(/^2,baseline:static,|,2,baseline:static,/m);
      expect(printed).not.toMatch(/(^|,)2\.0,/m);
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  exportResults,
  materializeSweep,
  meanCi,
  parseSweep,
  planSweep,
  readRunRows,
  runDirOf,
  studentTQuantile,
  summarizeResults,
  writeStatus,
} from '../../src/sweep/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-sweep-results-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('confidence intervals', () => {
  it('uses Student t quantiles', () => {
    // Tables of t(0.975, df).
    const table: Array<[number, number]> = [
      [1, 12.7062],
      [2, 4.3027],
      [4, 2.7764],
      [9, 2.2622],
      [29, 2.0452],
      [120, 1.9799],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 4);
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-studentTQuantile(0.975, 5), 12);
  });

  it('gives mean ± t·s/√n, and no interval for one seed', () => {
    const ci = meanCi([1, 2, 3, 4]);
    expect(ci.mean).toBe(2.5);
    expect(ci.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(ci.ci95).toBeCloseTo((3.182446305 * Math.sqrt(5 / 3)) / 2, 8);
    expect(meanCi([7])).toEqual({ n: 1, mean: 7, sd: null, ci95: null });
  });
});

describe('the results index', () => {
  const sweep = (seeds: number[]) =>
    parseSweep({ name: 'r', base: 'slicing-synthetic', grid: { cells: [1, 2] }, seeds, command: { eval: { policy: 'baseline:static' } } });

  it('summarizes the done runs of the current sweep version per grid point', async () => {
    const dir = join(tmp, 'index');
    // An earlier version of the sweep (other seeds) left finished runs behind.
    const old = planSweep(sweep([9]));
    materializeSweep(dir, old, ['ns3ts']);
    const plan = planSweep(sweep([1, 2, 3]));
    materializeSweep(dir, plan, ['ns3ts']);
    const fake = (cells: number, seed: number): number => cells * 10 + seed;
    for (const run of [...old.runs, ...plan.runs]) {
      const runDir = runDirOf(dir, run.id);
      if (run.seed === 3 && run.point.cells === 2) {
        writeStatus(runDir, { state: 'failed', attempts: 2, error: 'boom', updatedAt: '' });
        continue;
      }
      const value = fake(run.point.cells as number, run.seed);
      writeFileSync(join(runDir, 'metrics.json'), JSON.stringify({ metrics: { 'kpis.meanUtility': value, 'perSlice.a.meanR': value / 100 }, policy: 'baseline:static' }));
      writeStatus(runDir, { state: 'done', attempts: 1, updatedAt: '' });
    }
    expect(readRunRows(dir).stale).toBe(2);
    const summary = await summarizeResults(dir);
    expect(summary.groupBy).toEqual(['cells']);
    expect(summary.counts).toEqual({ pending: 0, running: 0, done: 5, failed: 1 });
    const utility = summary.rows.filter((r) => r.metric === 'kpis.meanUtility');
    expect(utility.map((r) => [r.group.cells, r.n, r.mean])).toEqual([
      [1, 3, 12],
      [2, 2, 21.5],
    ]);
    expect(utility[0]!.ci95).toBeCloseTo(studentTQuantile(0.975, 2) * 1 / Math.sqrt(3), 12);

    const table = await exportResults(dir, { format: 'table' });
    expect(table).toMatch(/^1 +3 +12.00 ± 2.484$/m);
    expect(table).toContain('runs: 5 done, 1 failed');
    expect(table).toContain('2 run folders of an earlier version of the sweep left out');
    const csv = await exportResults(dir, { format: 'csv', metrics: ['perSlice.*'], groupBy: ['seed'] });
    expect(csv.split('\n')[0]).toBe('seed,metric,n,mean,sd,ci95,ci95_low,ci95_high');
    expect(csv).toContain('1,perSlice.a.meanR,2,0.16,');
    await expect(exportResults(dir, { format: 'table', groupBy: ['nosuch'] })).rejects.toThrow(/group-by\[0\]: got "nosuch", expected one of cells, policy, seed/);
    await expect(exportResults(dir, { format: 'parquet' })).rejects.toThrow(/out/);
  });
});

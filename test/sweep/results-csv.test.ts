import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportResults, materializeSweep, parseSweep, planSweep, runDirOf, writeStatus } from '../../src/sweep/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-results-csv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CSV results', () => {
  it('stdout and --out are both DuckDB exports: the same bytes; whole-number parameters read 2, DOUBLE metrics 2.0', async () => {
    const dir = join(tmp, 'sweep');
    const plan = planSweep(parseSweep({ name: 'c', base: 'slicing-synthetic', grid: { cells: [1, 2] }, seeds: [1, 2], command: { eval: { policy: 'baseline:static' } } }));
    materializeSweep(dir, plan, ['ns3ts']);
    for (const run of plan.runs) {
      const runDir = runDirOf(dir, run.id);
      // Whole numbers stored as DOUBLE: the case where a hand-written CSV said "2" and DuckDB "2.0".
      writeFileSync(join(runDir, 'metrics.json'), JSON.stringify({ metrics: { 'kpis.meanUtility': 2, 'kpis.meanR': 0.25 }, policy: 'baseline:static' }));
      writeStatus(runDir, { state: 'done', attempts: 1, updatedAt: '' });
    }
    for (const perRun of [false, true]) {
      const stdout = await exportResults(dir, { format: 'csv', perRun });
      const out = join(tmp, `results-${perRun}.csv`);
      expect(await exportResults(dir, { format: 'csv', perRun, out })).toBe('');
      expect(stdout).toBe(readFileSync(out, 'utf8'));
    }
    const summary = await exportResults(dir, { format: 'csv', metrics: ['kpis.meanUtility'] });
    expect(summary.split('\n')[0]).toBe('cells,metric,n,mean,sd,ci95,ci95_low,ci95_high');
    expect(summary).toContain('1,kpis.meanUtility,2,2.0,0.0,');
  });
});

describe('JSON results', () => {
  it('whole-number parameters stay JSON numbers', async () => {
    const dir = join(tmp, 'sweep');
    const rows = JSON.parse(await exportResults(dir, { format: 'json', metrics: ['kpis.meanUtility'] })) as Array<{ cells: unknown; n: unknown }>;
    expect(rows.map((r) => r.cells)).toEqual([1, 2]);
  });
});

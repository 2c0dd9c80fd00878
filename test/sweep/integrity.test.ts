import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatStatus,
  materializeSweep,
  parseSweep,
  planSweep,
  prepareSweep,
  readStatus,
  runDirOf,
  runSweepLocal,
  summarizeResults,
  exportResults,
  sweepStatus,
  writeStatus,
  type SweepPlan,
} from '../../src/sweep/index.js';
import { repoRoot, writeSweep } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-sweep-integrity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fake = [process.execPath, join(repoRoot, 'test', 'sweep', 'fixtures', 'fake-ns3ts.mjs')];

/** A sweep of 2 grid points × 3 seeds whose runs all finished (metrics written by hand). */
function finishedSweep(name: string): { dir: string; plan: SweepPlan; runDirs: string[] } {
  const dir = join(tmp, name);
  const plan = planSweep(parseSweep({ name, base: 'slicing-synthetic', grid: { cells: [1, 2] }, seeds: [1, 2, 3], command: { eval: { policy: 'baseline:static' } } }));
  materializeSweep(dir, plan, ['ns3ts']);
  const runDirs = plan.runs.map((run) => {
    const runDir = runDirOf(dir, run.id);
    const value = (run.point.cells as number) * 10 + run.seed;
    writeFileSync(join(runDir, 'metrics.json'), JSON.stringify({ metrics: { 'kpis.meanR': value }, policy: 'baseline:static' }));
    writeStatus(runDir, { state: 'done', attempts: 1, updatedAt: '' });
    return runDir;
  });
  return { dir, plan, runDirs };
}

describe('sweep results integrity', () => {
  it('a done run whose metrics.json is missing or unreadable is broken, not silently dropped, in results and status alike', async () => {
    const { dir, runDirs } = finishedSweep('lost-metrics');
    unlinkSync(join(runDirs[0]!, 'metrics.json'));
    writeFileSync(join(runDirs[1]!, 'metrics.json'), '{"metrics": {"kpis.me');
    const summary = await summarizeResults(dir);
    expect(summary.counts).toMatchObject({ done: 4, broken: 2 });
    const table = await exportResults(dir, { format: 'table' });
    expect(table).toMatch(/runs: 4 done, 0 failed, 0 running, 0 pending, 2 broken/);
    expect(table).toMatch(/broken .*metrics\.json/);
    const status = sweepStatus(dir, { squeue: false });
    expect(status.counts).toMatchObject({ done: 4, broken: 2 });
    expect(formatStatus(status)).toMatch(/6 — 4 done, 0 running, 0 pending, 0 failed, 2 broken/);
  });

  it('a broken config.json or an unknown state counts as broken in both, and every run is counted once', async () => {
    const { dir, runDirs } = finishedSweep('broken-config');
    writeFileSync(join(runDirs[2]!, 'config.json'), 'not json');
    writeFileSync(join(runDirs[3]!, 'status.json'), JSON.stringify({ state: 'exploded', attempts: 1, updatedAt: '' }));
    const summary = await summarizeResults(dir);
    const status = sweepStatus(dir, { squeue: false });
    for (const counts of [summary.counts, status.counts]) {
      expect(counts).toMatchObject({ done: 4, broken: 2 });
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(6);
    }
    const text = formatStatus(status);
    expect(text).toMatch(/config\.json/);
    expect(text).toMatch(/unknown state "exploded"/);
  });

  it('re-running the sweep repairs broken runs', async () => {
    const file = writeSweep(tmp, 'repair', 'grid:\n  cells: [1, 2]\nseeds: [1, 2]\ncommand:\n  eval: { policy: baseline:static }\n');
    const out = join(tmp, 'out-repair');
    const attempt = { ns3ts: fake };
    const first = prepareSweep(file, { out });
    expect(await runSweepLocal(first, { workers: 2, maxAttempts: 1, progress: false, attempt })).toMatchObject({ done: 4 });
    unlinkSync(join(first.runDirs[0]!, 'metrics.json'));
    writeFileSync(join(first.runDirs[1]!, 'config.json'), '{');
    const again = prepareSweep(file, { out });
    const summary = await runSweepLocal(again, { workers: 2, maxAttempts: 1, progress: false, attempt });
    expect(summary).toMatchObject({ done: 2, alreadyDone: 2, failed: 0 });
    const status = sweepStatus(out, { squeue: false });
    expect(status.counts).toEqual({ pending: 0, running: 0, done: 4, failed: 0 });
    expect(JSON.parse(readFileSync(join(first.runDirs[0]!, 'metrics.json'), 'utf8')).metrics['kpis.meanR']).toBeTypeOf('number');
  }, 60_000);

  it('runs left `running` by a process that is gone are shown as orphaned, not running', async () => {
    const { dir, runDirs } = finishedSweep('dead-owner');
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid!;
    await new Promise((r) => dead.once('exit', r));
    writeStatus(runDirs[0]!, { state: 'running', attempts: 0, updatedAt: '', host: hostname(), pid, executor: 'local' });
    writeStatus(runDirs[1]!, { state: 'running', attempts: 0, updatedAt: '', host: hostname(), pid: process.pid, executor: 'local' });
    const status = sweepStatus(dir, { squeue: false });
    expect(status.counts).toMatchObject({ running: 1, orphaned: 1, done: 4 });
    expect(formatStatus(status)).toMatch(new RegExp(`orphaned .*process ${pid} .* is gone`));
    expect(readStatus(runDirs[0]!).state).toBe('running');
  });
});

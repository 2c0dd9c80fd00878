import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { exportResults, formatStatus, prepareSweep, runSweepLocal, studentTQuantile, sweepStatus } from '../../src/sweep/index.js';
import { killAll, metricsOf, processesIn, repoRoot, runCli, runFolders, startCli, statusOf, waitFor, writeSweep } from './helpers.js';

// The local executor end to end: the real `ns3ts sweep` CLI running the real `ns3ts eval` on the
// synthetic scenario with very short episodes (each run is about a second).
const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-sweep-local-'));
afterAll(() => {
  killAll([tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

const fake = `${process.execPath} ${join(repoRoot, 'test', 'sweep', 'fixtures', 'fake-ns3ts.mjs')}`;

const basic = writeSweep(
  tmp,
  'basic',
  `set: { episodeSteps: 4 }
grid:
  cells: [1, 2]
seeds: 2
command:
  eval: { policy: baseline:static, episodes: 1 }
`,
);
const basicDir = join(tmp, 'out-basic');

describe('ns3ts sweep (local worker pool)', () => {
  it('runs every grid point and seed, and a re-run skips the finished runs', async () => {
    const first = await runCli(['sweep', basic, '--out', basicDir, '--workers', '2', '--no-progress']);
    expect(first.code, first.stderr).toBe(0);
    const runs = runFolders(basicDir);
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      expect(statusOf(run)).toMatchObject({ state: 'done', attempts: 1 });
      const printed = JSON.parse(readFileSync(join(run, 'eval.stdout'), 'utf8')) as { kpis: Record<string, number>; seed: number };
      expect(metricsOf(run)['kpis.meanUtility']).toBe(printed.kpis.meanUtility);
      const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { seed: number };
      expect(printed.seed).toBe(config.seed);
      expect(existsSync(join(run, '.lock'))).toBe(false);
    }
    const before = runs.map((r) => readFileSync(join(r, 'status.json'), 'utf8'));
    const second = await runCli(['sweep', basic, '--out', basicDir, '--workers', '2', '--no-progress']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('0 run now, 4 already done');
    expect(runs.map((r) => readFileSync(join(r, 'status.json'), 'utf8'))).toEqual(before);
  }, 120_000);

  it("a re-run clears a finished run's lock whose worker is gone, and leaves a live worker's lock", async () => {
    // The window this covers: a worker killed between writing `done` and releasing the lock.
    const [staleRun, liveRun] = runFolders(basicDir);
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const lockOf = (pid: number): string => JSON.stringify({ host: hostname(), pid, since: new Date().toISOString() });
    writeFileSync(join(staleRun!, '.lock'), lockOf(deadPid));
    writeFileSync(join(liveRun!, '.lock'), lockOf(process.pid));
    try {
      const again = await runCli(['sweep', basic, '--out', basicDir, '--workers', '2', '--no-progress']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('0 run now, 4 already done');
      expect(existsSync(join(staleRun!, '.lock'))).toBe(false);
      expect(JSON.parse(readFileSync(join(liveRun!, '.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      rmSync(join(liveRun!, '.lock'), { force: true });
    }
  }, 60_000);

  it('reports results that match the run folders (mean, 95% t interval over seeds)', async () => {
    const rows = JSON.parse(await exportResults(basicDir, { format: 'json' })) as Array<{ cells: number; metric: string; n: number; mean: number; sd: number; ci95: number; ci95_low: number }>;
    const byCells = new Map<number, Array<Record<string, number>>>();
    for (const run of runFolders(basicDir)) {
      const cells = (JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { point: { cells: number } }).point.cells;
      byCells.set(cells, [...(byCells.get(cells) ?? []), metricsOf(run)]);
    }
    const utility = rows.filter((r) => r.metric === 'kpis.meanUtility');
    expect(utility.map((r) => r.cells)).toEqual([1, 2]);
    for (const row of utility) {
      const values = byCells.get(row.cells)!.map((m) => m['kpis.meanUtility']!);
      const mean = (values[0]! + values[1]!) / 2;
      const sd = Math.abs(values[0]! - values[1]!) / Math.SQRT2;
      expect(row.n).toBe(2);
      expect(row.mean).toBeCloseTo(mean, 12);
      expect(row.sd).toBeCloseTo(sd, 12);
      expect(row.ci95).toBeCloseTo((studentTQuantile(0.975, 1) * sd) / Math.SQRT2, 12);
      expect(row.ci95_low).toBeCloseTo(mean - row.ci95, 12);
    }
    // Every metric of every run is in the summary once per group.
    const metricNames = Object.keys(metricsOf(runFolders(basicDir)[0]!));
    expect(rows).toHaveLength(metricNames.length * 2);

    const table = await runCli(['results', basicDir, '--group-by', 'cells', '--metric', 'kpis.meanUtility,kpis.qosSatisfaction']);
    expect(table.stdout).toMatch(/^cells\s+n\s+meanUtility\s+qosSatisfaction/);
    expect(table.stdout).toContain('runs: 4 done, 0 failed');

    const parquet = join(tmp, 'runs.parquet');
    await exportResults(basicDir, { perRun: true, format: 'parquet', out: parquet });
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const counted = await db.runAndReadAll(`SELECT count(DISTINCT run_id)::INTEGER AS runs, count(*)::INTEGER AS rows FROM read_parquet('${parquet}')`);
    expect(counted.getRowObjectsJS()[0]).toEqual({ runs: 4, rows: 4 * metricNames.length });
    db.closeSync();
    instance.closeSync();
    expect(existsSync(join(basicDir, 'results.duckdb'))).toBe(true);
  }, 60_000);

  it('repro.sh repeats a run exactly', () => {
    const run = runFolders(basicDir)[0]!;
    const copy = join(tmp, 'repro-copy');
    cpSync(run, copy, { recursive: true });
    rmSync(join(copy, 'eval.stdout'));
    execFileSync('bash', [join(copy, 'repro.sh')], { stdio: 'ignore', timeout: 60_000 });
    // Everything but the wall-clock time is the same.
    const read = (dir: string): Record<string, unknown> => {
      const { seconds: _seconds, ...rest } = JSON.parse(readFileSync(join(dir, 'eval.stdout'), 'utf8')) as Record<string, unknown>;
      return rest;
    };
    expect(read(copy)).toEqual(read(run));
  }, 60_000);

  it('trains, then evaluates the run\'s own checkpoint', async () => {
    const file = writeSweep(
      tmp,
      'train-eval',
      `set: { episodeSteps: 4, cells: 1, training.evalEvery: 0 }
seeds: [3]
command:
  train: { agent: td3, episodes: 1 }
  eval: { episodes: 1 }
`,
    );
    const dir = join(tmp, 'out-train-eval');
    const result = await runCli(['sweep', file, '--out', dir, '--no-progress']);
    expect(result.code, result.stderr).toBe(0);
    const [run] = runFolders(dir);
    const summary = JSON.parse(readFileSync(join(run!, 'train', 'summary.json'), 'utf8')) as { agent: string; seed: number; completedEpisodes: number };
    expect(summary).toMatchObject({ agent: 'td3', seed: 3, completedEpisodes: 1 });
    const printed = JSON.parse(readFileSync(join(run!, 'eval.stdout'), 'utf8')) as { policy: string; seed: number };
    expect(printed.seed).toBe(3);
    const metrics = metricsOf(run!);
    expect(metrics['train.completedEpisodes']).toBe(1);
    expect(metrics['kpis.capacityViolation']).toBe(0);
    const repro = readFileSync(join(run!, 'repro.sh'), 'utf8');
    expect(repro).toContain('train --scenario scenario.yaml --seed 3 --out . --run-id train --agent td3 --episodes 1 > train.stdout');
    expect(repro).toContain('eval --scenario scenario.yaml --seed 3 --policy checkpoint:train --json --episodes 1 > eval.stdout');
  }, 90_000);

  it('reports a failing run with its error and finishes the others', async () => {
    const file = writeSweep(
      tmp,
      'failing',
      `set: { episodeSteps: 4, cells: 1 }
grid:
  command.eval.policy: [baseline:static, baseline:nosuch]
seeds: [1]
command:
  eval: { policy: baseline:static, episodes: 1 }
`,
    );
    const dir = join(tmp, 'out-failing');
    const result = await runCli(['sweep', file, '--out', dir, '--workers', '2', '--retries', '1', '--no-progress']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('1 run now, 0 already done, 1 failed');
    const states = runFolders(dir).map((r) => statusOf(r));
    expect(states.filter((s) => s.state === 'done')).toHaveLength(1);
    const failed = states.find((s) => s.state === 'failed')!;
    expect(failed.attempts).toBe(2);
    expect(failed.error).toMatch(/^eval exited with code 1: ns3ts: policy: got "baseline:nosuch"/);
    const status = formatStatus(sweepStatus(dir));
    expect(status).toContain('1 done, 0 running, 0 pending, 1 failed');
    expect(status).toContain('baseline:nosuch');
    expect(await exportResults(dir, { format: 'table' })).toContain('runs: 1 done, 1 failed');
  }, 120_000);

  it('retries a crashed run up to the limit', async () => {
    const file = writeSweep(tmp, 'crash', 'seeds: [1]\ncommand:\n  eval: { policy: baseline:static }\n');
    const attempt = { ns3ts: fake.split(' '), env: { ...process.env, FAKE_CRASH_ONCE: '1' } };
    const retried = prepareSweep(file, { out: join(tmp, 'out-crash') });
    const summary = await runSweepLocal(retried, { workers: 1, maxAttempts: 2, progress: false, attempt });
    expect(summary).toMatchObject({ done: 1, failed: 0, retried: 1 });
    const [run] = retried.runDirs;
    expect(statusOf(run!)).toMatchObject({ state: 'done', attempts: 2 });
    expect(existsSync(join(run!, 'crashed-once'))).toBe(true);
    const once = prepareSweep(file, { out: join(tmp, 'out-crash-0') });
    expect(await runSweepLocal(once, { workers: 1, maxAttempts: 1, progress: false, attempt })).toMatchObject({ done: 0, failed: 1 });
    expect(statusOf(once.runDirs[0]!)).toMatchObject({ state: 'failed', attempts: 1, error: 'eval exited with code 3: fake: crashing on purpose' });
  }, 60_000);

  it('continues a sweep killed with SIGKILL: no duplicate, no lost result', async () => {
    const file = writeSweep(
      tmp,
      'killed',
      `set: { episodeSteps: 12 }
grid:
  cells: [1, 2]
seeds: 2
command:
  eval: { policy: baseline:proportional, episodes: 1 }
`,
    );
    const dir = join(tmp, 'out-killed');
    const { child, done } = startCli(['sweep', file, '--out', dir, '--workers', '1', '--no-progress']);
    const doneRuns = (): string[] => runFolders(dir).filter((r) => statusOf(r).state === 'done');
    await waitFor(() => doneRuns().length >= 1, 90_000, 'a finished run');
    child.kill('SIGKILL');
    await done;
    const finishedBefore = new Map(doneRuns().map((r) => [r, readFileSync(join(r, 'status.json'), 'utf8')]));
    expect(finishedBefore.size).toBeLessThan(4);

    const restart = await runCli(['sweep', file, '--out', dir, '--workers', '2', '--no-progress']);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toContain(`${4 - finishedBefore.size} run now, ${finishedBefore.size} already done, 0 failed`);
    const runs = runFolders(dir);
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      expect(statusOf(run)).toMatchObject({ state: 'done', attempts: 1 });
      expect(existsSync(join(run, '.lock'))).toBe(false);
    }
    // Runs finished before the kill were not run again.
    for (const [run, status] of finishedBefore) expect(readFileSync(join(run, 'status.json'), 'utf8')).toBe(status);
    // One result per run: each grid point has its 2 seeds, no more, no less.
    const json = JSON.parse(await exportResults(dir, { format: 'json', metrics: ['kpis.meanUtility'] })) as Array<{ cells: number; n: number }>;
    expect(json.map((r) => [r.cells, r.n])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    // The step the killed sweep left behind was cleaned up by the restart.
    expect(processesIn(dir)).toEqual([]);
  }, 150_000);

  it('stops cleanly on Ctrl-C: running runs go back to pending, finished results stay', async () => {
    const file = writeSweep(tmp, 'interrupted', 'seeds: 3\ncommand:\n  eval: { policy: baseline:static }\n');
    const dir = join(tmp, 'out-interrupted');
    const env = { NS3TS_COMMAND: fake, FAKE_SLEEP_MS: '60000', FAKE_SLEEP_SEEDS: '2,3' };
    const { child, done } = startCli(['sweep', file, '--out', dir, '--workers', '2', '--no-progress'], env);
    const states = (): string[] => runFolders(dir).map((r) => statusOf(r).state);
    await waitFor(() => states().filter((s) => s === 'done').length === 1 && states().filter((s) => s === 'running').length === 2, 30_000, 'one run done and two running');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(states().sort()).toEqual(['done', 'pending', 'pending']);
    for (const run of runFolders(dir)) {
      const s = statusOf(run);
      if (s.state === 'pending') expect(s).toMatchObject({ attempts: 0, error: 'interrupted' });
      else expect(metricsOf(run)['kpis.meanR']).toBe(0.1);
      expect(existsSync(join(run, '.lock'))).toBe(false);
    }
    expect(processesIn(dir)).toEqual([]);
  }, 60_000);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRequirement, slurmRequirement } from '../helpers/requirements.js';
import { exportResults, prepareSweep, readSubmissions, runSweepSlurm, squeueJobs } from '../../src/sweep/index.js';
import { killAll, metricsOf, runCli, runFolders, statusOf, writeSweep } from './helpers.js';

// A real one-node Slurm cluster on localhost (started by .ci/run through scripts/slurm-local.sh;
// in development: `sudo scripts/slurm-local.sh start`) runs a small sweep as one job array; its
// results must equal those of the local executor for the same seeds.
const haveSlurm = checkRequirement(slurmRequirement());

const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-sweep-slurm-'));
afterAll(() => {
  // Cancel anything of ours still queued (only after a failure), then clean up.
  for (const dir of [join(tmp, 'out-slurm')]) {
    const jobs = readSubmissions(dir).map((s) => s.jobId);
    if (jobs.length > 0 && squeueJobs(jobs).length > 0) {
      try {
        execFileSync('scancel', jobs);
      } catch {
        // nothing to cancel
      }
    }
  }
  killAll([tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

const sweepFile = writeSweep(
  tmp,
  'on-slurm',
  `set: { episodeSteps: 4 }
grid:
  cells: [1, 2]
seeds: 2
command:
  eval: { policy: baseline:demand, episodes: 1 }
metrics: [kpis.*, perSlice.*]
`,
);

describe.skipIf(!haveSlurm)('ns3ts sweep --executor slurm (one-node cluster on localhost)', () => {
  const slurmDir = join(tmp, 'out-slurm');
  const localDir = join(tmp, 'out-local');

  it('runs the sweep as one job array with the same results as the local pool', async () => {
    const submitted = await runCli(['sweep', sweepFile, '--executor', 'slurm', '--out', slurmDir, '--max-parallel', '2', '--time', '00:05:00', '--wait', '--timeout', '150', '--no-progress']);
    expect(submitted.code, `${submitted.stderr}\n${submitted.stdout}`).toBe(0);
    const submissions = readSubmissions(slurmDir);
    expect(submissions).toHaveLength(1);
    expect(submissions[0]!.tasks).toBe(4);
    expect(submitted.stdout.trim()).toBe(submissions[0]!.jobId);
    expect(readFileSync(submissions[0]!.script, 'utf8')).toContain('#SBATCH --array=0-3%2');

    const local = await runCli(['sweep', sweepFile, '--out', localDir, '--workers', '2', '--no-progress']);
    expect(local.code, local.stderr).toBe(0);

    const slurmRuns = runFolders(slurmDir);
    const localRuns = runFolders(localDir);
    expect(slurmRuns.map((r) => basename(r))).toEqual(localRuns.map((r) => basename(r)));
    for (let i = 0; i < slurmRuns.length; i++) {
      const status = JSON.parse(readFileSync(join(slurmRuns[i]!, 'status.json'), 'utf8')) as { state: string; executor: string; slurmJobId?: string };
      expect(status).toMatchObject({ state: 'done', executor: 'slurm' });
      expect(status.slurmJobId).toMatch(new RegExp(`^${submissions[0]!.jobId}_[0-3]$`));
      expect(metricsOf(slurmRuns[i]!)).toEqual(metricsOf(localRuns[i]!));
    }
    expect(await exportResults(slurmDir, { format: 'csv' })).toBe(await exportResults(localDir, { format: 'csv' }));

    const status = await runCli(['sweep', 'status', slurmDir]);
    expect(status.stdout).toContain('runs: 4 — 4 done, 0 running, 0 pending, 0 failed');
    expect(status.stdout).toContain('nothing of this sweep in the queue');
  }, 240_000);

  it('submits only the runs still missing (split into arrays of at most MaxArraySize - 1 tasks)', async () => {
    for (const removed of runFolders(slurmDir).slice(0, 2)) rmSync(removed, { recursive: true });
    const prepared = prepareSweep(sweepFile, { out: slurmDir });
    const result = await runSweepSlurm(prepared, { maxAttempts: 2, maxArraySize: 2, wait: true, timeoutSeconds: 120, time: '00:05:00' });
    expect(result.missing).toBe(2);
    expect(result.submissions.map((s) => s.tasks)).toEqual([1, 1]);
    expect(readSubmissions(slurmDir)).toHaveLength(3);
    expect(runFolders(slurmDir).map((r) => statusOf(r).state)).toEqual(['done', 'done', 'done', 'done']);
    const none = await runCli(['sweep', sweepFile, '--executor', 'slurm', '--out', slurmDir, '--no-progress']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('nothing to run');
    expect(readSubmissions(slurmDir)).toHaveLength(3);
  }, 180_000);
});

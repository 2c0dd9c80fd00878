import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRequirement, slurmRequirement } from '../helpers/requirements.js';
import { readSubmissions, squeueJobs } from '../../src/sweep/index.js';
import { prepareStudy, readStudy, runStudy } from '../../src/tune/index.js';
import { killAll, statusOf } from '../sweep/helpers.js';

// A study through the real one-node Slurm cluster (started by .ci/run through
// scripts/slurm-local.sh): each trial is a job array whose task runs the real `ns3ts train` on a
// very small scenario, and the study reads the results from the run folders.
const haveSlurm = checkRequirement(slurmRequirement());

const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-tune-slurm-'));
const out = join(tmp, 'study');
afterAll(() => {
  const jobs = readSubmissions(out).map((s) => s.jobId);
  if (jobs.length > 0 && squeueJobs(jobs).length > 0) {
    try {
      execFileSync('scancel', jobs);
    } catch {
      // nothing to cancel
    }
  }
  killAll([tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

const file = join(tmp, 'on-slurm.yaml');
writeFileSync(
  file,
  `name: on-slurm
base: slicing-synthetic
set:
  cells: 1
  episodeSteps: 4
  training.episodes: 2
  training.evalEvery: 1
  training.evalEpisodes: 1
  agent.hidden: [8]
  agent.warmupSteps: 2
  agent.bufferCapacity: 64
command:
  train: { backend: wasm }
objective: { metric: train.lastEval.meanReturn, direction: maximize }
space:
  agent.actorLr: { type: float, low: 1.0e-4, high: 1.0e-2, log: true }
  agent.batchSize: [4, 8]
trials: 2
parallelism: 2
sampler: random
`,
);

describe.skipIf(!haveSlurm)('ns3ts tune on Slurm (one-node cluster on localhost)', () => {
  it('runs each trial as a job array and records the trials from the run folders', async () => {
    const prepared = await prepareStudy(file, { out });
    const summary = await runStudy(prepared, { executor: 'slurm', maxAttempts: 1, pollMs: 500, slurm: { time: '00:05:00' } });
    const view = await readStudy(out);
    expect(summary.complete, JSON.stringify(view.trials)).toBe(2);
    const submissions = readSubmissions(out);
    expect(submissions).toHaveLength(2);
    for (const t of view.trials) {
      const status = JSON.parse(readFileSync(join(out, 'runs', t.runIds[0]!, 'status.json'), 'utf8')) as { executor: string; slurmJobId?: string };
      expect(status.executor).toBe('slurm');
      expect(statusOf(join(out, 'runs', t.runIds[0]!)).state).toBe('done');
      expect(Number.isFinite(t.value)).toBe(true);
      expect([...t.intermediate.keys()]).toEqual([1, 2]);
    }
    expect(view.best).toBeDefined();
  }, 180_000);
});

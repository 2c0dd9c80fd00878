import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildResultsIndex, exportResults } from '../../src/sweep/index.js';
import { formatBest, formatStudyStatus, loadStudyFile, prepareStudy, readStudy, readTrials, runStudy, type StudyRunOptions } from '../../src/tune/index.js';
import { killAll, repoRoot, runCli, startCli, statusOf, waitFor } from '../sweep/helpers.js';

// Studies of the synthetic objective in fixtures/fake-ns3ts.mjs (a few ms per trial): the
// study machinery (proposals, run folders, the store, pruning, kill and resume) with real
// processes, without training anything.
const fake = [process.execPath, join(repoRoot, 'test', 'tune', 'fixtures', 'fake-ns3ts.mjs')];
const fixture = join(repoRoot, 'test', 'tune', 'fixtures', 'fake-study.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'ns3ts-tune-'));
afterAll(() => {
  killAll([tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

/** The fixture study with some top-level fields replaced (a field's indented lines with it). */
function studyFile(name: string, replace: Record<string, string> = {}): string {
  let text = readFileSync(fixture, 'utf8').replace('name: fake-study', `name: ${name}`);
  for (const [key, line] of Object.entries(replace)) {
    const pattern = new RegExp(`^${key}:.*(\\n[ ]+.*)*$`, 'm');
    text = pattern.test(text) ? text.replace(pattern, line) : `${text}${line}\n`;
  }
  const path = join(tmp, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

const local = (env: NodeJS.ProcessEnv = {}, extra: Partial<StudyRunOptions> = {}): StudyRunOptions => ({
  executor: 'local',
  maxAttempts: 1,
  pollMs: 30,
  attempt: { ns3ts: fake, env: { ...process.env, ...env } },
  ...extra,
});

describe('a study on the local executor', () => {
  it('runs its trials as run folders, records them in DuckDB, and finds a good point', async () => {
    const prepared = await prepareStudy(studyFile('basic', { trials: 'trials: 8' }), { out: join(tmp, 'basic') });
    const summary = await runStudy(prepared, local());
    expect(summary).toMatchObject({ complete: 8, pruned: 0, failed: 0, interrupted: 0 });
    const trials = await readTrials(prepared.studyDir);
    expect(trials.map((t) => t.number)).toEqual([...Array(8).keys()]);
    for (const t of trials) {
      expect(t.state).toBe('complete');
      expect(t.runIds).toHaveLength(1);
      const runDir = join(prepared.studyDir, 'runs', t.runIds[0]!);
      expect(statusOf(runDir).state).toBe('done');
      expect(existsSync(join(runDir, 'repro.sh'))).toBe(true);
      // The value is the run's metric; the curve was recorded at the evaluation points.
      const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as { metrics: Record<string, number> };
      expect(t.value).toBe(metrics.metrics['train.lastEval.loss']);
      expect([...t.intermediate.keys()]).toEqual([10, 20, 30, 40]);
      expect('agent.extra' in t.params).toBe(t.params['agent.kind'] === 'b');
    }
    const view = await readStudy(prepared.studyDir);
    expect(view.best!.value).toBe(Math.min(...trials.map((t) => t.value!)));
    expect(view.bestSoFar.map((b) => b.best)).toEqual(trials.map((_, i) => Math.min(...trials.slice(0, i + 1).map((t) => t.value!))));
    expect(view.scatter['agent.x']).toHaveLength(8);

    // A study folder is a sweep folder to the results index: one row per run, the space's paths as columns.
    const index = await buildResultsIndex(prepared.studyDir);
    expect(index.params).toEqual(['agent.x', 'agent.y', 'agent.kind', 'agent.extra']);
    expect(index.rows).toHaveLength(8);
    expect(await exportResults(prepared.studyDir, { format: 'csv', perRun: true })).toContain('train.lastEval.loss');
  }, 60_000);

  it('proposes the same trials for the same study seed, also with 2 trials at once', async () => {
    const paramsOf = async (name: string, replace: Record<string, string>): Promise<string[]> => {
      const prepared = await prepareStudy(studyFile(name, replace), { out: join(tmp, name) });
      await runStudy(prepared, local());
      return (await readTrials(prepared.studyDir)).map((t) => JSON.stringify(t.params));
    };
    // 3 startup trials, then TPE with a constant liar for the trial still running.
    const a = await paramsOf('seeded-a', { parallelism: 'parallelism: 2', trials: 'trials: 5' });
    const b = await paramsOf('seeded-b', { parallelism: 'parallelism: 2', trials: 'trials: 5' });
    expect(a).toHaveLength(5);
    expect(b).toEqual(a);
  }, 60_000);

  it('prunes hopeless trials at an evaluation point: the run is stopped, failed as pruned, the trial recorded as pruned', async () => {
    const prepared = await prepareStudy(
      studyFile('pruned', { trials: 'trials: 8', pruner: 'pruner: { type: median, nStartupTrials: 2 }', sampler: 'sampler: random' }),
      { out: join(tmp, 'pruned') },
    );
    const summary = await runStudy(prepared, local({ FAKE_EVALS: '4', FAKE_EVAL_MS: '150' }, { pollMs: 20 }));
    expect(summary.pruned).toBeGreaterThan(0);
    expect(summary.complete + summary.pruned).toBe(8);
    for (const t of await readTrials(prepared.studyDir)) {
      const runDir = join(prepared.studyDir, 'runs', t.runIds[0]!);
      if (t.state !== 'pruned') continue;
      expect(t.prunedStep).toBeGreaterThanOrEqual(10);
      expect(t.intermediate.has(t.prunedStep!)).toBe(true);
      expect(statusOf(runDir)).toMatchObject({ state: 'failed', error: `pruned by the study at step ${t.prunedStep}` });
      // Stopped: it never wrote its summary, and its curve ends early.
      expect(existsSync(join(runDir, 'train', 'summary.json'))).toBe(false);
      expect(t.value).toBeNull();
    }
  }, 90_000);

  it('refuses a study folder that holds another study', async () => {
    await expect(prepareStudy(studyFile('basic-other', { seed: 'seed: 99' }), { out: join(tmp, 'basic') })).rejects.toThrow(/differs from the one this study was started with/);
  });

  it('validates study files, naming the field', () => {
    expect(() => loadStudyFile(studyFile('bad-1', { trials: 'trials: 0' }))).toThrow('bad-1.yaml: trials: got 0, expected an integer 1..10000');
    expect(() => loadStudyFile(studyFile('bad-2', { objective: 'objective: { metric: x, direction: up }' }))).toThrow('bad-2.yaml: objective.direction: got "up", expected minimize or maximize');
    expect(() => loadStudyFile(studyFile('bad-3', { sampler: 'sampler: grid' }))).toThrow('bad-3.yaml: space["agent.x"].grid: got undefined, expected a list of values');
    expect(() => loadStudyFile(studyFile('bad-4', { pruner: 'pruner: { type: median, nWarmup: 3 }' }))).toThrow('bad-4.yaml: pruner.nWarmup: got 3, expected one of type, nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials');
    expect(() => loadStudyFile(studyFile('bad-5', { set: 'set: { agent.x: 1 }' }))).toThrow('bad-5.yaml: space["agent.x"]: got "agent.x", expected a path not also fixed in set');
  });
});

describe('kill and resume (the real CLI)', () => {
  it('a study killed with SIGKILL mid-trial resumes with no trial repeated or lost', async () => {
    const file = studyFile('killed', { trials: 'trials: 5' });
    const out = join(tmp, 'killed');
    const env = { NS3TS_COMMAND: fake.join(' '), FAKE_EVALS: '3', FAKE_EVAL_MS: '400' };
    const first = startCli(['tune', 'run', file, '--out', out, '--poll-seconds', '1'], env);
    // Kill -9 once trial 2 is under way (its run folder exists and its step is running).
    await waitFor(() => {
      try {
        return readdirSync(join(out, 'runs')).length >= 3;
      } catch {
        return false;
      }
    }, 60_000, 'trial 2 to start');
    first.child.kill('SIGKILL');
    await first.done;
    const before = await readTrials(out);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(5);
    const finishedBefore = before.filter((t) => t.state === 'complete');

    const second = await runCli(['tune', 'run', file, '--out', out, '--poll-seconds', '1', '--no-progress'], env);
    expect(second.code, second.stderr).toBe(0);
    const after = await readTrials(out);
    expect(after.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
    expect(after.every((t) => t.state === 'complete')).toBe(true);
    // The trials recorded before the kill kept their parameters; finished ones were not run again.
    for (const t of before) expect(after[t.number]!.params).toEqual(t.params);
    for (const t of finishedBefore) expect(statusOf(join(out, 'runs', t.runIds[0]!)).attempts).toBe(1);
    expect(readdirSync(join(out, 'runs'))).toHaveLength(new Set(after.flatMap((t) => t.runIds)).size);

    const view = await readStudy(out);
    expect(formatStudyStatus(view)).toContain('trials: 5/5 — 5 complete, 0 pruned, 0 failed, 0 running');
    expect(formatBest(view)).toMatch(new RegExp(`^trial ${view.best!.number}: train.lastEval.loss = `));
    expect(view.best!.value).toBe(Math.min(...after.map((t) => t.value!)));
  }, 120_000);
});

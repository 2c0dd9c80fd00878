import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { withDuckDb } from '../sweep/index.js';
import type { ParamValues } from './space.js';

/**
 * The state of a study: `<study-dir>/study.duckdb`, beside the run folders (`runs/<id>/`, the
 * same folders a sweep has). Unlike a sweep's results.duckdb, which is a cache rebuilt from the
 * run folders, this database is the record of which trial proposed what: trial numbers, their
 * parameters and states are written here before their runs start, so that a killed study resumes
 * with the same trials (none repeated, none lost). Run results stay in the run folders.
 *
 *   trials(number, state, params, value, run_ids, started_at, finished_at, error, pruned_step)
 *       state: running | complete | pruned | failed; params and run_ids are JSON text;
 *       value is the objective (mean over the trial's seeds), as measured (not negated).
 *   intermediate(trial, step, value)   evaluation points the pruner saw (mean over seeds)
 *   meta(key, value)                   name, spec (JSON), createdAt
 *
 * The database is opened per operation and closed again, so `ns3ts tune status` (and DuckDB,
 * pandas, the report commands) can read it while a study runs.
 */
export const STUDY_DB = 'study.duckdb';

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

export interface TrialRecord {
  number: number;
  state: TrialState;
  params: ParamValues;
  /** The objective, as measured (complete trials). */
  value: number | null;
  runIds: string[];
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  /** The step a pruned trial was stopped at. */
  prunedStep: number | null;
  /** step -> value (mean over the trial's seeds), in step order. */
  intermediate: Map<number, number>;
}

export function studyDbPath(studyDir: string): string {
  return join(resolve(studyDir), STUDY_DB);
}

/** Every database access of this process, one after the other (two open instances of one file crash DuckDB). */
let queue: Promise<unknown> = Promise.resolve();

function withStudyDb<T>(studyDir: string, body: (db: DuckDBConnection) => Promise<T>): Promise<T> {
  const next = queue.then(() => withDuckDb(studyDbPath(studyDir), body));
  queue = next.catch(() => undefined);
  return next;
}

/** Creates the tables (if missing) and records the study's spec; an existing study must have the same spec. */
export async function openStudyStore(studyDir: string, name: string, specJson: string): Promise<{ created: boolean }> {
  return withStudyDb(studyDir, async (db) => {
    await db.run('CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)');
    await db.run(
      'CREATE TABLE IF NOT EXISTS trials (number INTEGER PRIMARY KEY, state VARCHAR, params VARCHAR, value DOUBLE, run_ids VARCHAR, started_at VARCHAR, finished_at VARCHAR, error VARCHAR, pruned_step INTEGER)',
    );
    await db.run('CREATE TABLE IF NOT EXISTS intermediate (trial INTEGER, step INTEGER, value DOUBLE, PRIMARY KEY (trial, step))');
    const rows = (await db.runAndReadAll("SELECT value FROM meta WHERE key = 'spec'")).getRowObjectsJS();
    if (rows.length === 0) {
      await db.run('INSERT INTO meta VALUES ($1, $2), ($3, $4), ($5, $6)', ['name', name, 'spec', specJson, 'createdAt', new Date().toISOString()]);
      return { created: true };
    }
    if (rows[0]!.value !== specJson) {
      throw new StudyMismatchError(studyDir);
    }
    return { created: false };
  });
}

/** The study folder holds a study with another spec (space, objective, sampler...). */
export class StudyMismatchError extends Error {
  constructor(readonly studyDir: string) {
    super(`study folder ${studyDir}: got a study file that differs from the one this study was started with, expected the same study file (or a new --out folder)`);
  }
}

export async function readStudyMeta(studyDir: string): Promise<Record<string, string>> {
  return withStudyDb(studyDir, async (db) => {
    const rows = (await db.runAndReadAll('SELECT key, value FROM meta')).getRowObjectsJS();
    return Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
  });
}

/** Every trial of the study, in number order, with its intermediate values. */
export async function readTrials(studyDir: string): Promise<TrialRecord[]> {
  if (!existsSync(studyDbPath(studyDir))) return [];
  return withStudyDb(studyDir, async (db) => {
    const rows = (await db.runAndReadAll('SELECT * FROM trials ORDER BY number')).getRowObjectsJS();
    const points = (await db.runAndReadAll('SELECT trial, step, value FROM intermediate ORDER BY trial, step')).getRowObjectsJS();
    const byTrial = new Map<number, Map<number, number>>();
    for (const p of points) {
      const t = Number(p.trial);
      if (!byTrial.has(t)) byTrial.set(t, new Map());
      byTrial.get(t)!.set(Number(p.step), Number(p.value));
    }
    return rows.map((r) => ({
      number: Number(r.number),
      state: String(r.state) as TrialState,
      params: JSON.parse(String(r.params)) as ParamValues,
      value: r.value === null ? null : Number(r.value),
      runIds: JSON.parse(String(r.run_ids)) as string[],
      startedAt: String(r.started_at),
      finishedAt: r.finished_at === null ? null : String(r.finished_at),
      error: r.error === null ? null : String(r.error),
      prunedStep: r.pruned_step === null ? null : Number(r.pruned_step),
      intermediate: byTrial.get(Number(r.number)) ?? new Map<number, number>(),
    }));
  });
}

/** Records a new trial as running (before any of its runs starts). */
export async function insertTrial(studyDir: string, trial: Pick<TrialRecord, 'number' | 'params' | 'runIds'>): Promise<void> {
  await withStudyDb(studyDir, async (db) => {
    await db.run("INSERT INTO trials VALUES ($1, 'running', $2, NULL, $3, $4, NULL, NULL, NULL)", [
      trial.number,
      JSON.stringify(trial.params),
      JSON.stringify(trial.runIds),
      new Date().toISOString(),
    ]);
  });
}

/** Records a trial's end: complete with its value, pruned at a step, or failed with its error. */
export async function finishTrial(
  studyDir: string,
  number: number,
  end: { state: 'complete'; value: number } | { state: 'pruned'; step: number } | { state: 'failed'; error: string },
): Promise<void> {
  const values: DuckDBValue[] = [
    number,
    end.state,
    end.state === 'complete' ? end.value : null,
    new Date().toISOString(),
    end.state === 'failed' ? end.error : null,
    end.state === 'pruned' ? end.step : null,
  ];
  await withStudyDb(studyDir, async (db) => {
    await db.run('UPDATE trials SET state = $2, value = $3, finished_at = $4, error = $5, pruned_step = $6 WHERE number = $1', values);
  });
}

/** Records evaluation points of a trial (existing steps are kept). */
export async function addIntermediate(studyDir: string, number: number, points: ReadonlyArray<[number, number]>): Promise<void> {
  if (points.length === 0) return;
  await withStudyDb(studyDir, async (db) => {
    for (const [step, value] of points) {
      await db.run('INSERT INTO intermediate VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [number, step, value]);
    }
  });
}

import { formatParams } from './space.js';
import type { StudySpec } from './schema.js';
import { bestOf, checkStudyDir } from './run-study.js';
import { readStudyMeta, readTrials, type TrialRecord, type TrialState } from './store.js';

/**
 * A study as the status, best and report commands read it: the spec it was started with, every
 * trial (number, state, parameters, value, intermediate values), the best-so-far curve, and per
 * parameter the (value, objective) pairs of the complete trials for scatter plots. This is the
 * documented way to list a study's trials and values (docs/tune.md); the DuckDB tables behind it
 * are described in store.ts.
 */
export interface StudyView {
  studyDir: string;
  name: string;
  spec: StudySpec;
  trials: TrialRecord[];
  counts: Record<TrialState, number>;
  best: TrialRecord | undefined;
  /** After each trial number: the best objective among the complete trials so far (null before the first). */
  bestSoFar: Array<{ number: number; best: number | null }>;
  /** Per parameter: [value, objective] of every complete trial that has it. */
  scatter: Record<string, Array<[string | number | boolean, number]>>;
}

export async function readStudy(studyDir: string): Promise<StudyView> {
  const dir = checkStudyDir(studyDir);
  const meta = await readStudyMeta(dir);
  const spec = JSON.parse(meta.spec!) as StudySpec;
  const trials = await readTrials(dir);
  const counts: Record<TrialState, number> = { running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const t of trials) counts[t.state]++;
  const sign = spec.objective.direction === 'maximize' ? -1 : 1;
  let best: number | null = null;
  const bestSoFar = trials.map((t) => {
    if (t.state === 'complete' && (best === null || sign * t.value! < sign * best)) best = t.value!;
    return { number: t.number, best };
  });
  const scatter: StudyView['scatter'] = {};
  for (const p of spec.space) {
    scatter[p.name] = trials.filter((t) => t.state === 'complete' && p.name in t.params).map((t) => [t.params[p.name]!, t.value!]);
  }
  return { studyDir: dir, name: meta.name ?? spec.name, spec, trials, counts, best: bestOf(trials, spec), bestSoFar, scatter };
}

function formatValue(v: number | null): string {
  return v === null ? '-' : Number(v.toPrecision(6)).toString();
}

/** `ns3ts tune status`: counts, the best trial, and the last trials. */
export function formatStudyStatus(view: StudyView, lastTrials = 20): string {
  const c = view.counts;
  const o = view.spec.objective;
  const lines = [
    `study ${view.name} (${view.studyDir})`,
    `objective: ${o.direction} ${o.metric}; sampler ${view.spec.sampler.type}, pruner ${view.spec.pruner.type}, seed ${view.spec.seed}`,
    `trials: ${view.trials.length}/${view.spec.trials} — ${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed, ${c.running} running`,
  ];
  if (view.best) lines.push(`best: trial ${view.best.number} value ${formatValue(view.best.value)} — ${formatParams(view.best.params)}`);
  const shown = view.trials.slice(-lastTrials);
  if (view.trials.length > shown.length) lines.push(`  ... ${view.trials.length - shown.length} earlier trials`);
  for (const t of shown) {
    const what = t.state === 'complete' ? formatValue(t.value) : t.state === 'pruned' ? `pruned at step ${t.prunedStep}` : t.state === 'failed' ? `failed: ${t.error}` : 'running';
    lines.push(`  #${String(t.number).padEnd(4)} ${what.padEnd(18)} ${formatParams(t.params)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `ns3ts tune best`: the best trial with its parameters and run folders. */
export function formatBest(view: StudyView): string {
  const b = view.best;
  if (!b) return `study ${view.name}: no complete trial yet\n`;
  const lines = [`trial ${b.number}: ${view.spec.objective.metric} = ${formatValue(b.value)} (${view.spec.objective.direction})`];
  for (const [k, v] of Object.entries(b.params)) lines.push(`  ${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  lines.push(`runs: ${b.runIds.map((id) => `${view.studyDir}/runs/${id}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

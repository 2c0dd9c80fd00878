/**
 * Pruners: decide at an evaluation point whether a running trial is hopeless. They see
 * intermediate values as losses (lower is better; negated for `direction: maximize`), keyed by
 * step (the training episode of the evaluation, from the run's metrics.jsonl). Decisions follow
 * Optuna's MedianPruner and SuccessiveHalvingPruner (docs/tune.md):
 *
 * - median: after `nStartupTrials` complete trials and `nWarmupSteps` steps, prune when the
 *   trial's best value so far is worse than the median of the complete trials' values at this
 *   step (needs at least `nMinTrials` of them);
 * - successive halving (asynchronous, ASHA, Li et al. 2020): rung k is reached at step
 *   minResource · η^(minEarlyStoppingRate + k); a trial reaching a rung continues only if its
 *   value there is among the best 1/η of every trial's value at that rung so far.
 */

export interface PrunerTrial {
  state: 'complete' | 'pruned' | 'running' | 'failed';
  /** step -> loss */
  intermediate: ReadonlyMap<number, number>;
}

export interface MedianPrunerSettings {
  type: 'median';
  nStartupTrials: number;
  nWarmupSteps: number;
  intervalSteps: number;
  nMinTrials: number;
}

export interface SuccessiveHalvingSettings {
  type: 'asha';
  /** Step of the first rung; 'auto' = max(1, last step of the first complete trial / 100), as Optuna. */
  minResource: number | 'auto';
  reductionFactor: number;
  minEarlyStoppingRate: number;
}

export type PrunerSettings = { type: 'none' } | MedianPrunerSettings | SuccessiveHalvingSettings;

/** Optuna's defaults. */
export const MEDIAN_DEFAULTS: MedianPrunerSettings = { type: 'median', nStartupTrials: 5, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 };
export const ASHA_DEFAULTS: SuccessiveHalvingSettings = { type: 'asha', minResource: 'auto', reductionFactor: 4, minEarlyStoppingRate: 0 };

/** Whether `trial`, which has just reported `step`, should stop. `others` are the study's other trials. */
export function shouldPrune(settings: PrunerSettings, trial: PrunerTrial, step: number, others: readonly PrunerTrial[]): boolean {
  const value = trial.intermediate.get(step);
  if (value === undefined) return false;
  switch (settings.type) {
    case 'none':
      return false;
    case 'median':
      return medianPrune(settings, trial, step, value, others);
    case 'asha':
      return successiveHalvingPrune(settings, trial, step, value, others);
  }
}

function medianPrune(s: MedianPrunerSettings, trial: PrunerTrial, step: number, value: number, others: readonly PrunerTrial[]): boolean {
  const complete = others.filter((t) => t.state === 'complete');
  if (complete.length < s.nStartupTrials) return false;
  if (step < s.nWarmupSteps) return false;
  // Only at steps n_warmup + k·interval, as Optuna does.
  if ((step - s.nWarmupSteps) % s.intervalSteps !== 0) return false;
  if (Number.isNaN(value)) return true;
  const atStep = complete.map((t) => t.intermediate.get(step)).filter((v): v is number => v !== undefined && !Number.isNaN(v));
  if (atStep.length < s.nMinTrials || atStep.length === 0) return false;
  let best = Infinity;
  for (const [k, v] of trial.intermediate) if (k <= step && !Number.isNaN(v)) best = Math.min(best, v);
  return best > median(atStep);
}

/** The median by linear interpolation (numpy's default percentile). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) / 2;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
}

/** A trial's value at a rung: its value at the first step at or beyond the rung's step. */
export function rungValue(trial: PrunerTrial, rungStep: number): number | undefined {
  const first = firstStepFrom(trial, rungStep);
  return first === undefined ? undefined : trial.intermediate.get(first);
}

function autoMinResource(others: readonly PrunerTrial[]): number | undefined {
  const complete = others.find((t) => t.state === 'complete' && t.intermediate.size > 0);
  if (!complete) return undefined;
  return Math.max(1, Math.floor(Math.max(...complete.intermediate.keys()) / 100));
}

function successiveHalvingPrune(s: SuccessiveHalvingSettings, trial: PrunerTrial, step: number, value: number, others: readonly PrunerTrial[]): boolean {
  const minResource = s.minResource === 'auto' ? autoMinResource(others) : s.minResource;
  if (minResource === undefined) return false;
  const eta = s.reductionFactor;
  for (let rung = 0; ; rung++) {
    const rungStep = minResource * eta ** (s.minEarlyStoppingRate + rung);
    if (step < rungStep) return false;
    // Each rung is decided once, at the trial's first step at or beyond it; rungs passed at an
    // earlier step stay passed.
    if (firstStepFrom(trial, rungStep) !== step) continue;
    if (Number.isNaN(value)) return true;
    const competing = [value, ...others.map((t) => rungValue(t, rungStep)).filter((v): v is number => v !== undefined && !Number.isNaN(v))];
    if (!promotable(value, competing, eta)) return true;
  }
}

function firstStepFrom(trial: PrunerTrial, from: number): number | undefined {
  let first: number | undefined;
  for (const k of trial.intermediate.keys()) if (k >= from && (first === undefined || k < first)) first = k;
  return first;
}

/** Whether `value` is within the best 1/η of `competing` (which includes it). */
export function promotable(value: number, competing: readonly number[], eta: number): boolean {
  const sorted = [...competing].sort((a, b) => a - b);
  const index = Math.max(0, Math.floor(sorted.length / eta) - 1);
  return value <= sorted[index]!;
}

/**
 * A `pruneAfterEvaluation` callback for train() (in-process pruning): each evaluation line's
 * `field` at its `episode` is a step of this trial, judged against `others`.
 */
export function pruneOnEvaluations(
  settings: PrunerSettings,
  field: string,
  direction: 'minimize' | 'maximize',
  others: readonly PrunerTrial[],
): (evaluation: Record<string, unknown>) => boolean {
  const sign = direction === 'maximize' ? -1 : 1;
  const intermediate = new Map<number, number>();
  return (evaluation) => {
    const step = evaluation.episode;
    const value = evaluation[field];
    if (typeof step !== 'number' || typeof value !== 'number') return false;
    intermediate.set(step, sign * value);
    return shouldPrune(settings, { state: 'running', intermediate }, step, others);
  };
}

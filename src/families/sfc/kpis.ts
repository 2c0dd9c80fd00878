/**
 * The KPIs of an SFC evaluation (docs/sfc.md#kpis), from the steps' info (SfcStepInfo): acceptance
 * rate (accepted / (accepted + dropped)), resource utilisation (traffic / installed capacity, mean
 * over steps), CPU-hours per episode, mean and P95 end-to-end delay over SFC-steps, and per
 * episode the SLA violations, drops and invalid actions, with the mean reward per step.
 */
import type { FamilyKpis } from '../family.js';
import type { SfcObservation } from './synthetic/index.js';
import type { SfcScenario } from './scenario.js';

export const SFC_KPI_NAMES = [
  'acceptanceRate',
  'utilisation',
  'cpuHours',
  'meanDelayMs',
  'p95DelayMs',
  'slaViolations',
  'dropped',
  'invalidActions',
  'meanReward',
] as const;
export type SfcKpiName = (typeof SFC_KPI_NAMES)[number];

function num(info: Record<string, unknown>, key: string): number {
  const v = info[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The q-quantile of sorted values (linear interpolation). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function sfcKpis(scenario: SfcScenario): FamilyKpis<SfcObservation, number> {
  const hoursPerStep = scenario.sfc.stepMinutes / 60;
  let episodes = 0;
  let steps = 0;
  let accepted = 0;
  let dropped = 0;
  let invalid = 0;
  let violations = 0;
  let utilisation = 0;
  let cpuHours = 0;
  let reward = 0;
  const delays: number[] = [];
  return {
    beginEpisode: () => {
      episodes += 1;
    },
    addStep: (t) => {
      const info = t.info;
      steps += 1;
      accepted += num(info, 'accepted');
      dropped += num(info, 'dropped');
      invalid += num(info, 'invalid');
      violations += num(info, 'slaViolations');
      utilisation += num(info, 'efficiency');
      cpuHours += num(info, 'cpuCores') * hoursPerStep;
      reward += t.reward;
      const d = info.delaysMs;
      if (Array.isArray(d)) for (const v of d) if (typeof v === 'number' && Number.isFinite(v)) delays.push(v);
    },
    result: () => {
      const perEpisode = (v: number): number | null => (episodes === 0 ? null : v / episodes);
      const sorted = delays.slice().sort((a, b) => a - b);
      return {
        acceptanceRate: accepted + dropped === 0 ? null : accepted / (accepted + dropped),
        utilisation: steps === 0 ? null : utilisation / steps,
        cpuHours: perEpisode(cpuHours),
        meanDelayMs: sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length,
        p95DelayMs: sorted.length === 0 ? null : quantile(sorted, 0.95),
        slaViolations: perEpisode(violations),
        dropped: perEpisode(dropped),
        invalidActions: perEpisode(invalid),
        meanReward: steps === 0 ? null : reward / steps,
      };
    },
  };
}

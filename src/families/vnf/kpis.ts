// The KPIs of a VNF-migration evaluation, from the step records the env puts in each step's info
// (twin.ts VnfStepRecord): energy per episode (kWh), mean utilisation variance, migrations,
// downtime and overload per episode, the objective (the episode's summed cost = −return), and the
// twin's fidelity: forecast MAE and the relative error of its energy estimate.
import type { FamilyKpis } from '../family.js';
import type { VnfAction, VnfObs } from './env.js';

export const VNF_KPIS = [
  'energyKWh',
  'loadVariance',
  'migrations',
  'refused',
  'downtimeSeconds',
  'overloadCpu',
  'objective',
  'forecastMae',
  'twinEnergyErrorPct',
  'activeNodes',
] as const;
export type VnfKpi = (typeof VNF_KPIS)[number];

function num(info: Record<string, unknown>, key: string): number {
  const value = info[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function vnfKpis(): FamilyKpis<VnfObs, VnfAction> {
  let episodes = 0;
  let steps = 0;
  const sums = { energyKWh: 0, twinEnergyKWh: 0, loadVariance: 0, migrations: 0, refused: 0, downtimeSeconds: 0, overloadCpu: 0, cost: 0, forecastMae: 0, activeNodes: 0 };
  return {
    beginEpisode: () => {
      episodes += 1;
    },
    addStep: (t) => {
      steps += 1;
      for (const key of Object.keys(sums) as Array<keyof typeof sums>) sums[key] += num(t.info, key);
    },
    result: () => {
      if (episodes === 0 || steps === 0) return Object.fromEntries(VNF_KPIS.map((k) => [k, null]));
      return {
        energyKWh: sums.energyKWh / episodes,
        loadVariance: sums.loadVariance / steps,
        migrations: sums.migrations / episodes,
        refused: sums.refused / episodes,
        downtimeSeconds: sums.downtimeSeconds / episodes,
        overloadCpu: sums.overloadCpu / episodes,
        objective: sums.cost / episodes,
        forecastMae: sums.forecastMae / steps,
        twinEnergyErrorPct: sums.energyKWh > 0 ? (100 * Math.abs(sums.twinEnergyKWh - sums.energyKWh)) / sums.energyKWh : null,
        activeNodes: sums.activeNodes / steps,
      };
    },
  };
}

// VNF CPU demand over time: the seeded per-site model or a user's CSV trace. Sites are the edge
// nodes; VNF v belongs to site v mod E. Sites differ (non-IID): each has its own phase of the daily
// profile, its own amplitude and its own burst rate, so a predictor trained on one site's VNFs
// does not see the others' patterns. The VNFs themselves (base demand, state size, site) are fixed
// by the scenario's seed; an episode's seed draws the noise and the bursts.
import { InputError, Rng, deriveSeed, readInputFile } from '../../util/index.js';
import type { VnfSection } from '../../scenario/index.js';

/** The fixed VNFs of a scenario and its sites' traffic character. */
export interface VnfPopulation {
  /** Site (edge node index) of each VNF. */
  site: Int32Array;
  /** Mean CPU demand of each VNF. */
  base: Float64Array;
  /** State size of each VNF, MB. */
  stateMb: Float64Array;
  /** Per site: phase of the daily profile in [0, 1), amplitude, burst probability per step. */
  sitePhase: Float64Array;
  siteAmplitude: Float64Array;
  siteBurst: Float64Array;
}

export function vnfPopulation(section: VnfSection, seed: number): VnfPopulation {
  const rng = new Rng(deriveSeed(seed, 'vnf-population'));
  const sites = section.tiers.edge.count;
  const V = section.vnfs;
  const sitePhase = new Float64Array(sites);
  const siteAmplitude = new Float64Array(sites);
  const siteBurst = new Float64Array(sites);
  for (let s = 0; s < sites; s++) {
    sitePhase[s] = rng.next();
    siteAmplitude[s] = Math.min(1, section.demand.amplitude * rng.uniform(0.5, 1.5));
    siteBurst[s] = Math.min(1, section.demand.burstProbability * rng.uniform(0.25, 2));
  }
  const site = new Int32Array(V);
  const base = new Float64Array(V);
  const stateMb = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    site[v] = v % sites;
    base[v] = rng.uniform(section.demand.baseMin, section.demand.baseMax);
    stateMb[v] = rng.uniform(section.stateMbMin, section.stateMbMax);
  }
  return { site, base, stateMb, sitePhase, siteAmplitude, siteBurst };
}

/** Steps of history before an episode's first step (the predictor's training data, the seasonal lag). */
export function historySteps(section: VnfSection): number {
  return section.historyDays * section.stepsPerDay;
}

/** The daily profile factor of a site at absolute step t: 1 + a·sin(2π(t/day − phase)). */
export function dailyFactor(section: VnfSection, population: VnfPopulation, siteIndex: number, t: number): number {
  return 1 + population.siteAmplitude[siteIndex]! * Math.sin(2 * Math.PI * (t / section.stepsPerDay - population.sitePhase[siteIndex]!));
}

/**
 * Demand [steps][V] (CPU units) of the seeded model: base × daily profile × burst × (1 + noise),
 * never below 0. Row t is absolute step t (the episode starts at historySteps(section)).
 */
export function syntheticDemand(section: VnfSection, population: VnfPopulation, seed: number, steps: number): Float32Array[] {
  const rng = new Rng(deriveSeed(seed, 'vnf-demand'));
  const sites = population.sitePhase.length;
  const burstLeft = new Int32Array(sites);
  const rows: Float32Array[] = [];
  for (let t = 0; t < steps; t++) {
    for (let s = 0; s < sites; s++) {
      if (burstLeft[s]! > 0) burstLeft[s]! -= 1;
      else if (rng.next() < population.siteBurst[s]!) burstLeft[s] = section.demand.burstSteps;
    }
    const row = new Float32Array(population.base.length);
    for (let v = 0; v < row.length; v++) {
      const s = population.site[v]!;
      const burst = burstLeft[s]! > 0 ? 1 + section.demand.burstScale : 1;
      const noise = 1 + section.demand.noise * rng.normal();
      row[v] = Math.max(0, population.base[v]! * dailyFactor(section, population, s, t) * burst * noise);
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Demand [steps][V] from a CSV trace: one row per step, one column per VNF, CPU units; a first row
 * that is not numeric is a header. The trace must hold at least `steps` rows and `vnfs` columns.
 */
export function traceDemand(path: string, vnfs: number, steps: number): Float32Array[] {
  const lines = readInputFile(path, 'vnf.trace').split(/\r?\n/).filter((l) => l.trim() !== '');
  const rows: Float32Array[] = [];
  lines.forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    if (i === 0 && cells.some((c) => c !== '' && !Number.isFinite(Number(c)))) return;
    if (cells.length < vnfs) throw new InputError(`vnf.trace line ${i + 1}`, cells.length, `at least ${vnfs} columns (one per VNF)`);
    const row = new Float32Array(vnfs);
    for (let v = 0; v < vnfs; v++) {
      const value = Number(cells[v]);
      if (!Number.isFinite(value) || value < 0) throw new InputError(`vnf.trace line ${i + 1} column ${v + 1}`, cells[v], 'a number >= 0 (CPU units)');
      row[v] = value;
    }
    rows.push(row);
  });
  if (rows.length < steps) throw new InputError('vnf.trace', `${rows.length} rows`, `at least ${steps} rows (history days × steps per day + episode steps)`);
  return rows.slice(0, steps);
}

/** The demand series of one instance: the trace when the scenario has one, else the seeded model. */
export function demandSeries(section: VnfSection, population: VnfPopulation, seed: number, steps: number): Float32Array[] {
  return section.trace === null ? syntheticDemand(section, population, seed, steps) : traceDemand(section.trace, section.vnfs, steps);
}

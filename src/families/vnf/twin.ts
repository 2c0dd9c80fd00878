// The digital twin of an edge–fog–cloud network and the physical instance it mirrors. The physical
// demand series (another seed than the twin's own history, or the user's trace) is the ground
// truth of every step; the twin plans with the forecaster's demand for the coming step. A step:
//   0. at reset, each VNF goes first-fit up the tree from its site (its daily peak reserved);
//   1. the policy's migrations are applied in order; a move is refused (and counted) when the
//      target cannot hold the VNF's planning demand (max of its last observed and forecast demand)
//      on top of what the target already plans to carry — capacity is never planned beyond;
//   2. the physical demand of the step is revealed: a node serves at most its capacity (the excess
//      is overload, an SLA violation), draws P(u) of the power model, and the twin's estimate of
//      the same step with the forecasts is kept next to it (fidelity);
//   3. cost = energy + λ·var(u) + migration and downtime costs + overload cost (kWh-equivalent),
//      reward = −cost. docs/vnf-migration.md has the equations.
import type { VnfSection } from '../../scenario/index.js';
import { demandSeries, historySteps, vnfPopulation, type VnfPopulation } from './demand.js';
import { JOULES_PER_KWH, buildNodes, migrationCost, nodePower, type VnfNode } from './topology.js';

/** Forecasts next-step demand per VNF from the demand seen so far. */
export interface DemandForecaster {
  readonly id: string;
  /** Demand of absolute step t per VNF, from rows 0..t-1 of `history` (rows of later steps are not there). */
  forecast(history: readonly Float32Array[], t: number): Float32Array;
  /**
   * Optional batch form: the forecasts of steps from..to-1, row t from rows 0..t-1 of `series`
   * only (a learned model predicts them in one call; the twin asks once per episode).
   */
  forecastRange?(series: readonly Float32Array[], from: number, to: number): Float32Array[];
}

/** Last-value naive forecast: demand(t) = demand(t − 1). */
export function lastValueForecaster(): DemandForecaster {
  return { id: 'last-value', forecast: (history, t) => Float32Array.from(history[t - 1]!) };
}

/** Seasonal naive forecast: demand(t) = demand(t − one day); the last value before a full day exists. */
export function seasonalForecaster(stepsPerDay: number): DemandForecaster {
  return { id: 'seasonal', forecast: (history, t) => Float32Array.from(history[t >= stepsPerDay ? t - stepsPerDay : t - 1]!) };
}

/** What one step did, physical and twin side by side. */
export interface VnfStepRecord {
  step: number;
  /** Physical energy of the nodes over the step, kWh. */
  energyKWh: number;
  /** The twin's estimate of the same energy with the forecast demand, kWh. */
  twinEnergyKWh: number;
  /** Population variance of node utilisation (physical). */
  loadVariance: number;
  /** Utilisation of each node (physical, served / capacity). */
  utilisation: number[];
  migrations: number;
  refused: number;
  downtimeSeconds: number;
  migrationEnergyJ: number;
  /** CPU units of demand the nodes could not serve. */
  overloadCpu: number;
  /** Mean absolute error of the step's forecast, CPU units per VNF. */
  forecastMae: number;
  /** The step's cost (−reward), kWh-equivalent. */
  cost: number;
  activeNodes: number;
}

/** A migration asked for by a policy: VNF index and target node. */
export interface VnfMove {
  vnf: number;
  target: number;
}

export class VnfTwin {
  readonly nodes: VnfNode[];
  readonly population: VnfPopulation;
  readonly history: number;
  /** Host node of each VNF. */
  readonly placement: Int32Array;
  /** Physical demand, absolute steps 0..history+episodeSteps-1. */
  private demand: Float32Array[] = [];
  /** Absolute index of the coming step. */
  private t = 0;
  private forecastRow: Float32Array;
  /** The episode's forecasts when the forecaster has forecastRange. */
  private forecastRows: Float32Array[] | null = null;
  private lastUtilisation: Float64Array;

  constructor(
    readonly section: VnfSection,
    readonly episodeSteps: number,
    scenarioSeed: number,
    private forecaster: DemandForecaster,
  ) {
    this.nodes = buildNodes(section);
    this.population = vnfPopulation(section, scenarioSeed);
    this.history = historySteps(section);
    this.placement = new Int32Array(section.vnfs);
    this.forecastRow = new Float32Array(section.vnfs);
    this.lastUtilisation = new Float64Array(this.nodes.length);
  }

  get vnfCount(): number {
    return this.section.vnfs;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Steps played in the episode. */
  get step(): number {
    return this.t - this.history;
  }

  /** The physical demand seen so far (absolute steps before the coming one). */
  observedDemand(): Float32Array[] {
    return this.demand.slice(0, this.t);
  }

  setForecaster(forecaster: DemandForecaster): void {
    this.forecaster = forecaster;
  }

  get forecasterId(): string {
    return this.forecaster.id;
  }

  /** Starts an episode on the physical series of `physicalSeed`; VNFs start first-fit from their site upwards. */
  reset(physicalSeed: number): void {
    this.demand = demandSeries(this.section, this.population, physicalSeed, this.history + this.episodeSteps);
    this.t = this.history;
    this.forecastRows = this.forecaster.forecastRange ? this.forecaster.forecastRange(this.demand, this.t, this.t + this.episodeSteps) : null;
    this.forecastRow = this.forecastAt(this.t);
    // The initial placement reserves each VNF's daily peak (base × (1 + its site's amplitude)).
    const planning = new Float64Array(this.vnfCount);
    for (let v = 0; v < planning.length; v++) planning[v] = this.population.base[v]! * (1 + this.population.siteAmplitude[this.population.site[v]!]!);
    const load = new Float64Array(this.nodes.length);
    const order = Array.from({ length: this.vnfCount }, (_, v) => v).sort((a, b) => planning[b]! - planning[a]! || a - b);
    for (const v of order) {
      const chain: number[] = [];
      for (let at = this.population.site[v]!; at >= 0; at = this.nodes[at]!.parent) chain.push(at);
      for (const n of this.nodes) if (!chain.includes(n.index)) chain.push(n.index);
      const host = chain.find((n) => load[n]! + planning[v]! <= this.nodes[n]!.capacity) ?? chain.reduce((best, n) => (this.nodes[n]!.capacity - load[n]! > this.nodes[best]!.capacity - load[best]! ? n : best));
      this.placement[v] = host;
      load[host]! += planning[v]!;
    }
    this.lastUtilisation = this.utilisationOf(this.demand[this.t - 1]!).utilisation;
  }

  /** Forecast of the coming step's demand per VNF. */
  forecast(): Float32Array {
    return this.forecastRow;
  }

  /** Last observed demand per VNF. */
  lastDemand(): Float32Array {
    return this.demand[this.t - 1]!;
  }

  /** Utilisation of each node in the last physical step. */
  lastNodeUtilisation(): Float64Array {
    return this.lastUtilisation;
  }

  /** What a VNF is planned to need in the coming step: max(last observed, forecast). */
  planningDemand(): Float64Array {
    const last = this.demand[this.t - 1]!;
    const out = new Float64Array(this.vnfCount);
    for (let v = 0; v < out.length; v++) out[v] = Math.max(last[v]!, this.forecastRow[v]!);
    return out;
  }

  /** Planned load per node for a placement (default: the current one). */
  planningLoad(placement: Int32Array = this.placement, planning: Float64Array = this.planningDemand()): Float64Array {
    const load = new Float64Array(this.nodeCount);
    for (let v = 0; v < placement.length; v++) load[placement[v]!]! += planning[v]!;
    return load;
  }

  /** Whether moving VNF v to node n keeps n within capacity under the planned load. */
  canMove(v: number, n: number, load: Float64Array, planning: Float64Array, placement: Int32Array = this.placement): boolean {
    return n >= 0 && n < this.nodeCount && placement[v] !== n && load[n]! + planning[v]! <= this.nodes[n]!.capacity + 1e-9;
  }

  /** Feasible targets of VNF v (1 = allowed), given a planned load. */
  targetMask(v: number, load: Float64Array, planning: Float64Array, placement: Int32Array = this.placement): Uint8Array {
    const mask = new Uint8Array(this.nodeCount);
    for (let n = 0; n < mask.length; n++) mask[n] = this.canMove(v, n, load, planning, placement) ? 1 : 0;
    return mask;
  }

  /** VNFs with at least one feasible target, then 1 for "no migration" (always allowed): length V + 1. */
  vnfMask(load: Float64Array, planning: Float64Array, placement: Int32Array = this.placement): Uint8Array {
    const mask = new Uint8Array(this.vnfCount + 1);
    for (let v = 0; v < this.vnfCount; v++) {
      for (let n = 0; n < this.nodeCount; n++) {
        if (this.canMove(v, n, load, planning, placement)) {
          mask[v] = 1;
          break;
        }
      }
    }
    mask[this.vnfCount] = 1;
    return mask;
  }

  private utilisationOf(row: Float32Array | Float64Array): { utilisation: Float64Array; overload: number; hosts: Uint8Array } {
    const load = new Float64Array(this.nodeCount);
    const hosts = new Uint8Array(this.nodeCount);
    for (let v = 0; v < this.vnfCount; v++) {
      load[this.placement[v]!]! += row[v]!;
      hosts[this.placement[v]!] = 1;
    }
    const utilisation = new Float64Array(this.nodeCount);
    let overload = 0;
    for (let n = 0; n < this.nodeCount; n++) {
      const cap = this.nodes[n]!.capacity;
      utilisation[n] = Math.min(load[n]!, cap) / cap;
      overload += Math.max(0, load[n]! - cap);
    }
    return { utilisation, overload, hosts };
  }

  private energyKWh(utilisation: Float64Array, hosts: Uint8Array): number {
    let watts = 0;
    for (let n = 0; n < this.nodeCount; n++) watts += nodePower(this.nodes[n]!, utilisation[n]!, hosts[n] === 1, this.section.sleepEmptyNodes);
    return (watts * this.section.stepSeconds) / JOULES_PER_KWH;
  }

  /** Applies the moves in order (refusing infeasible ones), then plays the step on the physical demand. */
  advance(moves: readonly VnfMove[]): VnfStepRecord {
    const s = this.section;
    const planning = this.planningDemand();
    const load = this.planningLoad(this.placement, planning);
    let migrations = 0;
    let refused = 0;
    let downtimeSeconds = 0;
    let migrationEnergyJ = 0;
    for (const { vnf, target } of moves.slice(0, s.migrationsPerStep)) {
      if (vnf < 0 || vnf >= this.vnfCount) continue;
      if (!this.canMove(vnf, target, load, planning)) {
        refused += 1;
        continue;
      }
      const from = this.placement[vnf]!;
      const cost = migrationCost(this.nodes, from, target, this.population.stateMb[vnf]!);
      load[from]! -= planning[vnf]!;
      load[target]! += planning[vnf]!;
      this.placement[vnf] = target;
      migrations += 1;
      downtimeSeconds += cost.downtimeSeconds;
      migrationEnergyJ += cost.energyJoules;
    }
    const actual = this.demand[this.t]!;
    const physical = this.utilisationOf(actual);
    const twin = this.utilisationOf(this.forecastRow);
    const energyKWh = this.energyKWh(physical.utilisation, physical.hosts);
    const twinEnergyKWh = this.energyKWh(twin.utilisation, twin.hosts);
    const loadVariance = variance(physical.utilisation);
    let absError = 0;
    for (let v = 0; v < this.vnfCount; v++) absError += Math.abs(actual[v]! - this.forecastRow[v]!);
    const cost =
      energyKWh +
      s.lambda * loadVariance +
      s.migrationCost * migrations +
      s.downtimeCost * downtimeSeconds +
      migrationEnergyJ / JOULES_PER_KWH +
      s.overloadCost * physical.overload;
    const record: VnfStepRecord = {
      step: this.step,
      energyKWh,
      twinEnergyKWh,
      loadVariance,
      utilisation: Array.from(physical.utilisation),
      migrations,
      refused,
      downtimeSeconds,
      migrationEnergyJ,
      overloadCpu: physical.overload,
      forecastMae: absError / this.vnfCount,
      cost,
      activeNodes: physical.hosts.reduce((a, b) => a + b, 0),
    };
    this.lastUtilisation = physical.utilisation;
    this.t += 1;
    if (this.t < this.demand.length) this.forecastRow = this.forecastAt(this.t);
    return record;
  }

  private forecastAt(t: number): Float32Array {
    return this.forecastRows ? this.forecastRows[t - this.history]! : this.forecaster.forecast(this.demand.slice(0, t), t);
  }

  /** Whether the episode's steps are all played. */
  get done(): boolean {
    return this.t >= this.history + this.episodeSteps;
  }
}

/** Population variance. */
export function variance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (values[i]! - mean) ** 2;
  return sum / n;
}

// The synthetic env of family vnf-migration: the twin of twin.ts behind the Env interface.
//
// Action factorisation (docs/vnf-migration.md): MultiDiscrete([V+1, N] × K), K = migrationsPerStep.
// Slot k is a pair (vnf_k, target_k); vnf_k = V means "no migration" and its target is ignored.
// Slots apply in order, each against the placement the earlier ones left; an infeasible pair (the
// target cannot hold the VNF, or it is already there) is refused and counted, never applied. The
// masks of a slot (masksAfter) are what a policy samples from so that it never proposes one.
//
// Observation: Box float32 [2 + 6·N + 5·V] (OBSERVATION below), read by the baselines, the figures
// and the PPO agent; demand features are in units of the scenario's reference demand.
import { Box, MultiDiscrete, type Env, type NdArray, type ResetOptions, type ResetResult, type Space, type StepResult } from '../../env/index.js';
import { InputError } from '../../util/index.js';
import type { VnfScenario } from './scenario.js';
import { VnfTwin, lastValueForecaster, seasonalForecaster, type DemandForecaster, type VnfMove, type VnfStepRecord } from './twin.js';

export type VnfObs = NdArray<Float32Array>;
export type VnfAction = NdArray<Int32Array>;

/** The observation's layout: a header, then per node and per VNF rows of features. */
export const OBSERVATION = {
  header: ['timeSin', 'timeCos'],
  node: ['capacity', 'utilisation', 'forecastUtilisation', 'hosts', 'tier', 'headroom'],
  vnf: ['demand', 'forecast', 'hostForecastUtilisation', 'hostTier', 'stateSize'],
} as const;
export const NODE_FEATURES = OBSERVATION.node.length;
export const VNF_FEATURES = OBSERVATION.vnf.length;
export const HEADER_FEATURES = OBSERVATION.header.length;
const TIER_CODE = { edge: 0, fog: 0.5, cloud: 1 } as const;

export function observationSize(scenario: VnfScenario): number {
  const nodes = nodeCount(scenario);
  return HEADER_FEATURES + NODE_FEATURES * nodes + VNF_FEATURES * scenario.vnf.vnfs;
}

export function nodeCount(scenario: VnfScenario): number {
  const t = scenario.vnf.tiers;
  return t.edge.count + t.fog.count + t.cloud.count;
}

/** Offset of node n's feature row in the observation. */
export function nodeRow(n: number): number {
  return HEADER_FEATURES + n * NODE_FEATURES;
}

/** Offset of VNF v's feature row in the observation. */
export function vnfRow(scenario: VnfScenario, v: number): number {
  return HEADER_FEATURES + nodeCount(scenario) * NODE_FEATURES + v * VNF_FEATURES;
}

export function vnfSpaces(scenario: VnfScenario): { observation: Box; action: MultiDiscrete } {
  const nvec: number[] = [];
  for (let k = 0; k < scenario.vnf.migrationsPerStep; k++) nvec.push(scenario.vnf.vnfs + 1, nodeCount(scenario));
  return {
    observation: new Box({ dtype: 'float32', shape: [observationSize(scenario)], low: -1, high: Number.POSITIVE_INFINITY }),
    action: new MultiDiscrete(nvec),
  };
}

/** An action of "no migration" in every slot. */
export function noMigration(scenario: VnfScenario): VnfAction {
  const data = new Int32Array(2 * scenario.vnf.migrationsPerStep);
  for (let k = 0; k < scenario.vnf.migrationsPerStep; k++) data[2 * k] = scenario.vnf.vnfs;
  return { data, shape: [data.length] };
}

/** An action from a list of moves (the rest of the slots: no migration). */
export function movesToAction(scenario: VnfScenario, moves: readonly VnfMove[]): VnfAction {
  const action = noMigration(scenario);
  moves.slice(0, scenario.vnf.migrationsPerStep).forEach((m, k) => {
    action.data[2 * k] = m.vnf;
    action.data[2 * k + 1] = m.target;
  });
  return action;
}

export interface VnfEnvOptions {
  seed?: number;
  /** The twin's forecaster (default: seasonal naive); the PPO agent passes its federated Bi-GRU. */
  forecaster?: DemandForecaster;
}

/** The forecaster of a name: last-value or seasonal (the learned ones come from src/agents). */
export function naiveForecaster(name: string, scenario: VnfScenario): DemandForecaster {
  if (name === 'last-value') return lastValueForecaster();
  if (name === 'seasonal') return seasonalForecaster(scenario.vnf.stepsPerDay);
  throw new InputError('forecaster', name, 'last-value or seasonal');
}

export class VnfEnv implements Env<VnfObs, VnfAction> {
  readonly observationSpace: Space<VnfObs>;
  readonly actionSpace: Space<VnfAction>;
  readonly twin: VnfTwin;
  private seed: number;
  /** The records of the current episode's steps (the per-step log). */
  records: VnfStepRecord[] = [];
  private readonly refDemand: number;
  private readonly maxCapacity: number;
  private readonly maxStateMb: number;

  constructor(
    readonly scenario: VnfScenario,
    options: VnfEnvOptions = {},
  ) {
    const spaces = vnfSpaces(scenario);
    this.observationSpace = spaces.observation as unknown as Space<VnfObs>;
    this.actionSpace = spaces.action as unknown as Space<VnfAction>;
    this.seed = options.seed ?? scenario.seed;
    this.twin = new VnfTwin(scenario.vnf, scenario.episodeSteps, scenario.seed, options.forecaster ?? seasonalForecaster(scenario.vnf.stepsPerDay));
    this.refDemand = Math.max(1e-9, scenario.vnf.demand.baseMax);
    this.maxCapacity = Math.max(...this.twin.nodes.map((n) => n.capacity));
    this.maxStateMb = Math.max(1e-9, scenario.vnf.stateMbMax);
  }

  setForecaster(forecaster: DemandForecaster): void {
    this.twin.setForecaster(forecaster);
  }

  /** Masks of slot k after the earlier slots' moves: [vnf mask (V+1), planned load, planning demand, placement]. */
  masksAfter(moves: readonly VnfMove[]): { vnf: Uint8Array; load: Float64Array; planning: Float64Array; placement: Int32Array } {
    const planning = this.twin.planningDemand();
    const placement = Int32Array.from(this.twin.placement);
    const load = this.twin.planningLoad(placement, planning);
    for (const { vnf, target } of moves) {
      if (vnf < 0 || vnf >= this.twin.vnfCount || !this.twin.canMove(vnf, target, load, planning, placement)) continue;
      load[placement[vnf]!]! -= planning[vnf]!;
      load[target]! += planning[vnf]!;
      placement[vnf] = target;
    }
    return { vnf: this.twin.vnfMask(load, planning, placement), load, planning, placement };
  }

  private observe(): VnfObs {
    const twin = this.twin;
    const data = new Float32Array(observationSize(this.scenario));
    const phase = (2 * Math.PI * ((twin.history + twin.step) % this.scenario.vnf.stepsPerDay)) / this.scenario.vnf.stepsPerDay;
    data[0] = Math.sin(phase);
    data[1] = Math.cos(phase);
    const forecast = twin.forecast();
    const last = twin.lastDemand();
    const util = twin.lastNodeUtilisation();
    const forecastLoad = new Float64Array(twin.nodeCount);
    const hosts = new Uint8Array(twin.nodeCount);
    for (let v = 0; v < twin.vnfCount; v++) {
      forecastLoad[twin.placement[v]!]! += forecast[v]!;
      hosts[twin.placement[v]!] = 1;
    }
    const planned = twin.planningLoad();
    twin.nodes.forEach((node, n) => {
      const o = nodeRow(n);
      data[o] = node.capacity / this.maxCapacity;
      data[o + 1] = util[n]!;
      data[o + 2] = forecastLoad[n]! / node.capacity;
      data[o + 3] = hosts[n]!;
      data[o + 4] = TIER_CODE[node.tier];
      data[o + 5] = (node.capacity - planned[n]!) / this.maxCapacity;
    });
    for (let v = 0; v < twin.vnfCount; v++) {
      const o = vnfRow(this.scenario, v);
      const host = twin.placement[v]!;
      data[o] = last[v]! / this.refDemand;
      data[o + 1] = forecast[v]! / this.refDemand;
      data[o + 2] = forecastLoad[host]! / twin.nodes[host]!.capacity;
      data[o + 3] = TIER_CODE[twin.nodes[host]!.tier];
      data[o + 4] = twin.population.stateMb[v]! / this.maxStateMb;
    }
    return { data, shape: [data.length] };
  }

  reset(options: ResetOptions = {}): Promise<ResetResult<VnfObs>> {
    if (options.seed !== undefined) this.seed = options.seed;
    this.twin.reset(this.seed + this.scenario.vnf.physicalSeedOffset);
    this.records = [];
    return Promise.resolve({ obs: this.observe(), info: { seed: this.seed, forecaster: this.twin.forecasterId } });
  }

  step(action: VnfAction): Promise<StepResult<VnfObs>> {
    if (this.twin.done) throw new InputError('step', this.twin.step, 'a reset first (the episode has ended)');
    const K = this.scenario.vnf.migrationsPerStep;
    const data = action?.data;
    if (!data || data.length !== 2 * K) throw new InputError('action.data.length', data?.length, `${2 * K} (a VNF index or ${this.scenario.vnf.vnfs} for none, then a node, per slot)`);
    const moves: VnfMove[] = [];
    for (let k = 0; k < K; k++) {
      const vnf = Number(data[2 * k]);
      const target = Number(data[2 * k + 1]);
      if (!Number.isInteger(vnf) || vnf < 0 || vnf > this.scenario.vnf.vnfs) throw new InputError(`action[${2 * k}]`, vnf, `a VNF index in [0, ${this.scenario.vnf.vnfs}] (${this.scenario.vnf.vnfs} = no migration)`);
      if (vnf === this.scenario.vnf.vnfs) continue;
      if (!Number.isInteger(target) || target < 0 || target >= this.twin.nodeCount) throw new InputError(`action[${2 * k + 1}]`, target, `a node index in [0, ${this.twin.nodeCount - 1}]`);
      moves.push({ vnf, target });
    }
    const record = this.twin.advance(moves);
    this.records.push(record);
    const truncated = this.twin.done;
    const { utilisation, ...scalars } = record;
    return Promise.resolve({ obs: this.observe(), reward: -record.cost, terminated: false, truncated, info: { ...scalars, utilisation } });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

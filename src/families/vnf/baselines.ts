// The baselines of family vnf-migration (`--policy baseline:<name>`), each reading the twin of the
// env it plays (planned demand = max of last observed and forecast, as the capacity masks do):
//   none       — never migrates;
//   threshold  — on each node planned above a utilisation threshold, moves its largest VNF to the
//                least-loaded node that can hold it;
//   ffd        — greedy consolidation: first-fit decreasing of the planned demands onto the nodes
//                in order of energy cost (always-on nodes first, then watts per CPU at full load),
//                each bin filled to a headroom; moves the VNFs that are not where FFD puts them,
//                smallest first, so that emptied nodes can sleep when the scenario allows it.
import type { Env } from '../../env/index.js';
import { InputError } from '../../util/index.js';
import type { FamilyBaseline, FamilyPolicy } from '../family.js';
import { VnfEnv, movesToAction, noMigration, type VnfAction, type VnfObs } from './env.js';
import type { VnfScenario } from './scenario.js';
import type { VnfMove } from './twin.js';

/** Utilisation above which the threshold baseline moves a VNF off a node. */
export const THRESHOLD_UTILISATION = 0.8;
/** Fill of a node FFD aims at (the rest absorbs demand growth until the next step). */
export const FFD_FILL = 0.85;

function vnfEnvOf(env: Env): VnfEnv {
  if (!(env instanceof VnfEnv)) throw new InputError('env', env?.constructor?.name, 'the synthetic VNF-migration env (the baselines read its twin)');
  return env;
}

export function noMigrationPolicy(scenario: VnfScenario): FamilyPolicy<VnfObs, VnfAction> {
  return { id: 'baseline:none', act: () => noMigration(scenario) };
}

/** Moves of the threshold rule for the env's current step. */
export function thresholdMoves(env: VnfEnv, threshold = THRESHOLD_UTILISATION): VnfMove[] {
  const twin = env.twin;
  const moves: VnfMove[] = [];
  const moved = new Set<number>();
  for (let k = 0; k < env.scenario.vnf.migrationsPerStep; k++) {
    const { load, planning, placement } = env.masksAfter(moves);
    let hot = -1;
    for (let n = 0; n < twin.nodeCount; n++) {
      const u = load[n]! / twin.nodes[n]!.capacity;
      if (u > threshold && (hot < 0 || u > load[hot]! / twin.nodes[hot]!.capacity)) hot = n;
    }
    if (hot < 0) break;
    let move: VnfMove | null = null;
    const candidates = Array.from({ length: twin.vnfCount }, (_, v) => v)
      .filter((v) => placement[v] === hot && !moved.has(v))
      .sort((a, b) => planning[b]! - planning[a]! || a - b);
    for (const v of candidates) {
      let best = -1;
      for (let n = 0; n < twin.nodeCount; n++) {
        if (!twin.canMove(v, n, load, planning, placement)) continue;
        if (best < 0 || load[n]! / twin.nodes[n]!.capacity < load[best]! / twin.nodes[best]!.capacity) best = n;
      }
      if (best >= 0) {
        move = { vnf: v, target: best };
        break;
      }
    }
    if (!move) break;
    moves.push(move);
    moved.add(move.vnf);
  }
  return moves;
}

/** Node order of FFD: always-on nodes first, then by watts per CPU unit at full load, then index. */
export function ffdNodeOrder(env: VnfEnv): number[] {
  const nodes = env.twin.nodes;
  const sleeps = (n: number): number => (env.scenario.vnf.sleepEmptyNodes && nodes[n]!.sleepWatts < nodes[n]!.idleWatts ? 1 : 0);
  return nodes.map((n) => n.index).sort((a, b) => sleeps(a) - sleeps(b) || nodes[a]!.maxWatts / nodes[a]!.capacity - nodes[b]!.maxWatts / nodes[b]!.capacity || a - b);
}

/** FFD's target placement of the planned demands (a VNF that fits nowhere stays where it is). */
export function ffdPlacement(env: VnfEnv, fill = FFD_FILL): Int32Array {
  const twin = env.twin;
  const planning = twin.planningDemand();
  const order = ffdNodeOrder(env);
  const load = new Float64Array(twin.nodeCount);
  const target = Int32Array.from(twin.placement);
  const vnfs = Array.from({ length: twin.vnfCount }, (_, v) => v).sort((a, b) => planning[b]! - planning[a]! || a - b);
  for (const v of vnfs) {
    const n = order.find((m) => load[m]! + planning[v]! <= fill * twin.nodes[m]!.capacity);
    target[v] = n ?? twin.placement[v]!;
    load[target[v]!]! += planning[v]!;
  }
  return target;
}

/** Moves of the greedy consolidation toward FFD's placement for the env's current step. */
export function ffdMoves(env: VnfEnv): VnfMove[] {
  const target = ffdPlacement(env);
  const twin = env.twin;
  const moves: VnfMove[] = [];
  const planningNow = twin.planningDemand();
  const pending = Array.from({ length: twin.vnfCount }, (_, v) => v)
    .filter((v) => target[v] !== twin.placement[v])
    .sort((a, b) => planningNow[a]! - planningNow[b]! || a - b);
  for (const v of pending) {
    if (moves.length >= env.scenario.vnf.migrationsPerStep) break;
    const { load, planning, placement } = env.masksAfter(moves);
    if (twin.canMove(v, target[v]!, load, planning, placement)) moves.push({ vnf: v, target: target[v]! });
  }
  return moves;
}

export const VNF_BASELINES: Record<string, FamilyBaseline<VnfScenario, VnfObs, VnfAction>> = {
  none: { description: 'no migration: VNFs stay where they were first placed', create: (_env, scenario) => noMigrationPolicy(scenario) },
  threshold: {
    description: `threshold migration: the largest VNF off a node planned above ${THRESHOLD_UTILISATION} utilisation, to the least-loaded feasible node`,
    create: (env, scenario) => {
      const vnfEnv = vnfEnvOf(env);
      return { id: 'baseline:threshold', act: () => movesToAction(scenario, thresholdMoves(vnfEnv)) };
    },
  },
  ffd: {
    description: 'greedy consolidation: first-fit decreasing onto the cheapest nodes, emptied nodes sleep',
    create: (env, scenario) => {
      const vnfEnv = vnfEnvOf(env);
      return { id: 'baseline:ffd', act: () => movesToAction(scenario, ffdMoves(vnfEnv)) };
    },
  },
};

// What the PPO nets read, built from the twin of a VnfEnv at decision time (the same planned
// demand and load the capacity masks use). The policy scores candidates with shared weights, so
// one net serves 40 or 500 VNFs:
//   VNF row    (one per VNF, plus one "no migration" row): is-none flag, the VNF's last and
//              forecast demand, its state size, its host's capacity, planned utilisation, tier,
//              whether it sleeps when empty and its share of the VNFs, then the global features;
//   target row (one per node, for the chosen VNF): the node's capacity, planned utilisation before
//              and after taking the VNF, tier, sleeps-when-empty, hosts anything, lies on the VNF's
//              site-to-root path, the VNF's demand and forecast, its host's utilisation and tier,
//              then the global features;
//   value input: the global features, per tier the mean planned utilisation and the fraction of
//              nodes hosting a VNF, and the fraction of the episode played.
// Global features: time of day (sin, cos), mean and standard deviation of the planned
// utilisation, the fraction of nodes hosting a VNF.
import type { VnfEnv } from '../../families/index.js';

export const GLOBAL_FEATURES = 5;
export const VNF_ROW = 9 + GLOBAL_FEATURES;
export const TARGET_ROW = 11 + GLOBAL_FEATURES;
export const VALUE_INPUT = GLOBAL_FEATURES + 6 + 1;
const TIER = { edge: 0, fog: 0.5, cloud: 1 } as const;

/** The state a decision slot sees: planned demand, load and placement after the earlier slots. */
export interface SlotState {
  planning: Float64Array;
  load: Float64Array;
  placement: Int32Array;
}

function globals(env: VnfEnv, state: SlotState): Float32Array {
  const twin = env.twin;
  const N = twin.nodeCount;
  const phase = (2 * Math.PI * ((twin.history + twin.step) % env.scenario.vnf.stepsPerDay)) / env.scenario.vnf.stepsPerDay;
  let mean = 0;
  const hosts = new Uint8Array(N);
  for (let v = 0; v < state.placement.length; v++) hosts[state.placement[v]!] = 1;
  for (let n = 0; n < N; n++) mean += state.load[n]! / twin.nodes[n]!.capacity;
  mean /= N;
  let sq = 0;
  for (let n = 0; n < N; n++) sq += (state.load[n]! / twin.nodes[n]!.capacity - mean) ** 2;
  return Float32Array.of(Math.sin(phase), Math.cos(phase), mean, Math.sqrt(sq / N), hosts.reduce((a, b) => a + b, 0) / N);
}

function context(env: VnfEnv): { ref: number; maxCap: number; maxState: number } {
  return {
    ref: Math.max(1e-9, env.scenario.vnf.demand.baseMax),
    maxCap: Math.max(...env.twin.nodes.map((n) => n.capacity)),
    maxState: Math.max(1e-9, env.scenario.vnf.stateMbMax),
  };
}

function sleeps(env: VnfEnv, n: number): number {
  const node = env.twin.nodes[n]!;
  return env.scenario.vnf.sleepEmptyNodes && node.sleepWatts < node.idleWatts ? 1 : 0;
}

/** Rows [V + 1, VNF_ROW]: one per VNF, the last one "no migration". */
export function vnfRows(env: VnfEnv, state: SlotState): Float32Array {
  const twin = env.twin;
  const V = twin.vnfCount;
  const { ref, maxCap, maxState } = context(env);
  const g = globals(env, state);
  const count = new Float64Array(twin.nodeCount);
  for (let v = 0; v < V; v++) count[state.placement[v]!]! += 1;
  const last = twin.lastDemand();
  const forecast = twin.forecast();
  const rows = new Float32Array((V + 1) * VNF_ROW);
  for (let v = 0; v <= V; v++) {
    const o = v * VNF_ROW;
    if (v === V) rows[o] = 1;
    else {
      const host = state.placement[v]!;
      const node = twin.nodes[host]!;
      rows[o + 1] = last[v]! / ref;
      rows[o + 2] = forecast[v]! / ref;
      rows[o + 3] = twin.population.stateMb[v]! / maxState;
      rows[o + 4] = node.capacity / maxCap;
      rows[o + 5] = state.load[host]! / node.capacity;
      rows[o + 6] = TIER[node.tier];
      rows[o + 7] = sleeps(env, host);
      rows[o + 8] = (count[host]! * twin.nodeCount) / V;
    }
    rows.set(g, o + 9);
  }
  return rows;
}

/** Rows [N, TARGET_ROW] for moving VNF v. */
export function targetRows(env: VnfEnv, state: SlotState, v: number): Float32Array {
  const twin = env.twin;
  const N = twin.nodeCount;
  const { ref, maxCap } = context(env);
  const g = globals(env, state);
  const path = new Set<number>();
  for (let at = twin.population.site[v]!; at >= 0; at = twin.nodes[at]!.parent) path.add(at);
  const hosts = new Uint8Array(N);
  for (let u = 0; u < state.placement.length; u++) hosts[state.placement[u]!] = 1;
  const host = state.placement[v]!;
  const rows = new Float32Array(N * TARGET_ROW);
  for (let n = 0; n < N; n++) {
    const o = n * TARGET_ROW;
    const node = twin.nodes[n]!;
    rows[o] = node.capacity / maxCap;
    rows[o + 1] = state.load[n]! / node.capacity;
    rows[o + 2] = (state.load[n]! + state.planning[v]!) / node.capacity;
    rows[o + 3] = TIER[node.tier];
    rows[o + 4] = sleeps(env, n);
    rows[o + 5] = hosts[n]!;
    rows[o + 6] = path.has(n) ? 1 : 0;
    rows[o + 7] = twin.lastDemand()[v]! / ref;
    rows[o + 8] = twin.forecast()[v]! / ref;
    rows[o + 9] = state.load[host]! / twin.nodes[host]!.capacity;
    rows[o + 10] = TIER[twin.nodes[host]!.tier];
    rows.set(g, o + 11);
  }
  return rows;
}

/** The value net's input for the twin's current state. */
export function valueInput(env: VnfEnv): Float32Array {
  const twin = env.twin;
  const planning = twin.planningDemand();
  const state: SlotState = { planning, load: twin.planningLoad(twin.placement, planning), placement: twin.placement };
  const out = new Float32Array(VALUE_INPUT);
  out.set(globals(env, state), 0);
  const tiers = ['edge', 'fog', 'cloud'] as const;
  const hosts = new Uint8Array(twin.nodeCount);
  for (let v = 0; v < twin.vnfCount; v++) hosts[twin.placement[v]!] = 1;
  tiers.forEach((tier, i) => {
    let util = 0;
    let hosting = 0;
    let n = 0;
    for (const node of twin.nodes) {
      if (node.tier !== tier) continue;
      util += state.load[node.index]! / node.capacity;
      hosting += hosts[node.index]!;
      n++;
    }
    out[GLOBAL_FEATURES + 2 * i] = n > 0 ? util / n : 0;
    out[GLOBAL_FEATURES + 2 * i + 1] = n > 0 ? hosting / n : 0;
  });
  out[VALUE_INPUT - 1] = twin.step / env.scenario.episodeSteps;
  return out;
}

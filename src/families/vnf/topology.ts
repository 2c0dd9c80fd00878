// The twin's network: edge, fog and cloud nodes in a tree (edge i hangs off fog i mod F, fog j off
// cloud j mod C, clouds after the first off the first over a fog–cloud class link; without fog
// nodes the edges hang off the clouds directly, without clouds the fogs off the first fog), the LEAF-style
// linear power model of a node and the cost of moving a VNF's state along the tree path between
// two nodes. Equations: docs/vnf-migration.md.
import { VNF_TIERS, type VnfLinkSpec, type VnfSection, type VnfTier } from '../../scenario/index.js';

export interface VnfNode {
  index: number;
  tier: VnfTier;
  capacity: number;
  idleWatts: number;
  maxWatts: number;
  sleepWatts: number;
  /** The node one level up the tree (-1 for a root). */
  parent: number;
  /** The link class towards the parent. */
  uplink: VnfLinkSpec | null;
}

export interface MigrationCost {
  /** Seconds to move the state: size / bottleneck bandwidth + path latency. */
  seconds: number;
  /** Seconds the VNF is down (stop-and-copy: the whole transfer). */
  downtimeSeconds: number;
  /** Transfer energy, J: bits × Σ energy per bit of the links on the path. */
  energyJoules: number;
  /** Links on the path. */
  hops: number;
}

/** Builds the nodes of a scenario, edges first, then fog, then cloud. */
export function buildNodes(section: VnfSection): VnfNode[] {
  const nodes: VnfNode[] = [];
  const start: Record<VnfTier, number> = { edge: 0, fog: 0, cloud: 0 };
  let next = 0;
  for (const tier of VNF_TIERS) {
    start[tier] = next;
    next += section.tiers[tier].count;
  }
  const { fog, cloud } = section.tiers;
  for (const tier of VNF_TIERS) {
    const spec = section.tiers[tier];
    for (let i = 0; i < spec.count; i++) {
      let parent = -1;
      let uplink: VnfLinkSpec | null = null;
      if (tier === 'edge' && fog.count > 0) [parent, uplink] = [start.fog + (i % fog.count), section.links.edgeFog];
      else if (tier === 'edge' && cloud.count > 0) [parent, uplink] = [start.cloud + (i % cloud.count), section.links.edgeFog];
      else if (tier === 'fog' && cloud.count > 0) [parent, uplink] = [start.cloud + (i % cloud.count), section.links.fogCloud];
      else if (tier === 'cloud' && i > 0) [parent, uplink] = [start.cloud, section.links.fogCloud];
      else if (tier === 'fog' && i > 0) [parent, uplink] = [start.fog, section.links.edgeFog];
      nodes.push({ index: nodes.length, tier, capacity: spec.capacity, idleWatts: spec.idleWatts, maxWatts: spec.maxWatts, sleepWatts: spec.sleepWatts, parent, uplink });
    }
  }
  return nodes;
}

/** LEAF's linear power model: P(u) = idle + (max − idle)·u for u in [0, 1]; an empty node sleeps when allowed. */
export function nodePower(node: VnfNode, utilisation: number, hosts: boolean, sleepEmptyNodes: boolean): number {
  if (!hosts && sleepEmptyNodes) return node.sleepWatts;
  const u = Math.min(1, Math.max(0, utilisation));
  return node.idleWatts + (node.maxWatts - node.idleWatts) * u;
}

function ancestors(nodes: readonly VnfNode[], from: number): number[] {
  const chain = [from];
  for (let at = nodes[from]!.parent; at >= 0; at = nodes[at]!.parent) chain.push(at);
  return chain;
}

/** The links (by their lower node) on the tree path between two nodes; null when they are in different trees. */
export function pathLinks(nodes: readonly VnfNode[], from: number, to: number): VnfLinkSpec[] | null {
  if (from === to) return [];
  const up = ancestors(nodes, from);
  const down = ancestors(nodes, to);
  const meet = up.find((n) => down.includes(n));
  if (meet === undefined) return null;
  const links: VnfLinkSpec[] = [];
  for (const n of up.slice(0, up.indexOf(meet))) links.push(nodes[n]!.uplink!);
  for (const n of down.slice(0, down.indexOf(meet))) links.push(nodes[n]!.uplink!);
  return links;
}

/** Time, downtime and energy of moving `stateMb` MB of state from one node to another. */
export function migrationCost(nodes: readonly VnfNode[], from: number, to: number, stateMb: number): MigrationCost {
  const links = pathLinks(nodes, from, to);
  if (links === null) return { seconds: Number.POSITIVE_INFINITY, downtimeSeconds: Number.POSITIVE_INFINITY, energyJoules: Number.POSITIVE_INFINITY, hops: 0 };
  if (links.length === 0) return { seconds: 0, downtimeSeconds: 0, energyJoules: 0, hops: 0 };
  const bits = stateMb * 8e6;
  const bottleneck = Math.min(...links.map((l) => l.bandwidthMbps)) * 1e6;
  const latency = links.reduce((s, l) => s + l.latencyMs, 0) / 1000;
  const seconds = bits / bottleneck + latency;
  return { seconds, downtimeSeconds: seconds, energyJoules: bits * links.reduce((s, l) => s + l.energyNjPerBit, 0) * 1e-9, hops: links.length };
}

/** Joules to kWh. */
export const JOULES_PER_KWH = 3.6e6;

/**
 * The vocabulary of SFC provisioning scenarios (family `sfc`, docs/sfc.md) as plain data: the VNF
 * types, the three operations per type that make the 15 discrete actions, the widths of the
 * observation's parts and their normalisation constants. The scenario reader, the envs and the
 * agents of the family all speak it; the rules over it live in src/families/sfc/.
 */

/** The five VNF types, in action and observation order. */
export const VNF_TYPES = ['firewall', 'nat', 'ids', 'load-balancer', 'wan-optimizer'] as const;
export type VnfType = (typeof VNF_TYPES)[number];

/** What an action does to its VNF type: scale out (install one instance), scale in (uninstall one), wait. */
export const SFC_OPERATIONS = ['allocate', 'uninstall', 'wait'] as const;
export type SfcOperation = (typeof SFC_OPERATIONS)[number];

/** 5 VNF types × {allocate, uninstall, wait} = 15 discrete actions; action = type × 3 + operation. */
export const SFC_ACTIONS = VNF_TYPES.length * SFC_OPERATIONS.length;

/** The VNF type and operation of a discrete action. */
export function decodeSfcAction(action: number): { type: number; operation: SfcOperation } {
  return { type: Math.floor(action / SFC_OPERATIONS.length), operation: SFC_OPERATIONS[action % SFC_OPERATIONS.length]! };
}

/** The discrete action of a VNF type and operation. */
export function encodeSfcAction(type: number, operation: SfcOperation): number {
  return type * SFC_OPERATIONS.length + SFC_OPERATIONS.indexOf(operation);
}

/**
 * Normalisation of observation features (the design's: CPU/100, memory/100, bandwidth/1000, time
 * in hours, delay in seconds, priority/10); counts of instances are divided by 10.
 */
export const SFC_NORMALISATION = {
  cpuCores: 100,
  memoryGb: 100,
  bandwidthMbps: 1000,
  instances: 10,
  priority: 10,
} as const;

/**
 * Width of every token of the observation (one data centre, one VNF type, one pending request);
 * the token's last three features say which kind it is, so an attention encoder can tell them apart.
 * The VNF-type token is the widest (15 features before the kind); the others pad with zeros.
 */
export const SFC_TOKEN_WIDTH = 18;
/** Features of one active-SFC slot of the observation's second part. */
export const SFC_ACTIVE_WIDTH = 8;
/** Longest chain a scenario may ask for (an active SFC's slot lists its types in order). */
export const SFC_MAX_CHAIN = 4;
/** Global features at the head of the observation: hour of day (sin, cos) and the pending count. */
export const SFC_GLOBAL_WIDTH = 3;

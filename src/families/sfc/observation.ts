/**
 * Where things are in an SFC observation (docs/sfc.md#state). One flat float32 vector of fixed
 * size, in three parts after a short global head:
 *
 *   global     hour of day (sin, cos), pending requests / maxPending
 *   part 1     one token per data centre, then one token per VNF type     (SFC_TOKEN_WIDTH each;
 *              a type's token says whether scaling it out / in would be carried out, and how its
 *              installed capacity compares with the traffic and pending requests that need it)
 *   part 2     one slot per active SFC (its chain, remaining time, delay)  (SFC_ACTIVE_WIDTH each)
 *   part 3     one token per pending request                               (SFC_TOKEN_WIDTH each)
 *
 * Every token ends with a one-hot of its kind (data centre, VNF type, pending request); an empty
 * pending slot is all zeros, which is how an attention encoder's padding mask finds it.
 */
import { SFC_ACTIONS, SFC_ACTIVE_WIDTH, SFC_GLOBAL_WIDTH, SFC_TOKEN_WIDTH, VNF_TYPES, encodeSfcAction } from '../../scenario/index.js';

export const TOKEN_KINDS = ['data-centre', 'vnf-type', 'pending-request'] as const;

/**
 * Feature index, within a VNF-type token, of the flag saying a scale-out of the type would be
 * carried out (1) or refused as invalid (0); the next feature is the same for a scale-in.
 */
export const TYPE_SCALE_OUT_FLAG = 9;
export const TYPE_SCALE_IN_FLAG = 10;

/**
 * Feature indices, within a VNF-type token, of the type's supply against its demand (Mbit/s / 1000
 * unless said): installed processing capacity (instances × an instance's capacity), traffic through
 * its instances this step (measured in ns-3), bandwidth of the pending requests whose chain holds the
 * type, and the instance gap — (traffic + pending) / an instance's capacity − instances, clipped to
 * ±10 and divided by 10: positive when the type is short, negative when it is in excess. Without
 * them "enough of this type" is a relation between counts and per-type constants that the network
 * would have to learn.
 */
export const TYPE_CAPACITY = 11;
export const TYPE_TRAFFIC = 12;
export const TYPE_PENDING_MBPS = 13;
export const TYPE_INSTANCE_GAP = 14;
/** Largest instance gap the observation tells apart (instances, either sign). */
export const MAX_INSTANCE_GAP = 10;

/** Feature index of the first kind flag within a token. */
export const TOKEN_KIND_OFFSET = SFC_TOKEN_WIDTH - TOKEN_KINDS.length;

export interface SfcObservationLayout {
  size: number;
  dataCentres: number;
  vnfTypes: number;
  maxActive: number;
  maxPending: number;
  /** Offsets into the flat vector. */
  global: { offset: number; width: number };
  /** Part 1: data-centre tokens followed by VNF-type tokens. */
  resources: { offset: number; tokens: number };
  /** Part 2. */
  active: { offset: number; slots: number; width: number };
  /** Part 3. */
  pending: { offset: number; tokens: number };
  /** Width of every token. */
  tokenWidth: number;
  /** Tokens in all: data centres + VNF types + pending requests. */
  tokens: number;
}

/** The observation layout of a scenario with `dataCentres` data centres. */
export function sfcObservationLayout(dataCentres: number, maxActive: number, maxPending: number): SfcObservationLayout {
  const vnfTypes = VNF_TYPES.length;
  const resourcesOffset = SFC_GLOBAL_WIDTH;
  const activeOffset = resourcesOffset + (dataCentres + vnfTypes) * SFC_TOKEN_WIDTH;
  const pendingOffset = activeOffset + maxActive * SFC_ACTIVE_WIDTH;
  return {
    size: pendingOffset + maxPending * SFC_TOKEN_WIDTH,
    dataCentres,
    vnfTypes,
    maxActive,
    maxPending,
    global: { offset: 0, width: SFC_GLOBAL_WIDTH },
    resources: { offset: resourcesOffset, tokens: dataCentres + vnfTypes },
    active: { offset: activeOffset, slots: maxActive, width: SFC_ACTIVE_WIDTH },
    pending: { offset: pendingOffset, tokens: maxPending },
    tokenWidth: SFC_TOKEN_WIDTH,
    tokens: dataCentres + vnfTypes + maxPending,
  };
}

/**
 * The tokens of a batch of flat observations, [batch, tokens, width], and their mask [batch,
 * tokens] (1 = a real token, 0 = an empty pending slot).
 */
export function sfcTokens(layout: SfcObservationLayout, observations: Float32Array, batch: number): { tokens: Float32Array; mask: Float32Array } {
  const W = layout.tokenWidth;
  const T = layout.tokens;
  const tokens = new Float32Array(batch * T * W);
  const mask = new Float32Array(batch * T);
  for (let b = 0; b < batch; b++) {
    const base = b * layout.size;
    const resources = observations.subarray(base + layout.resources.offset, base + layout.resources.offset + layout.resources.tokens * W);
    const pending = observations.subarray(base + layout.pending.offset, base + layout.pending.offset + layout.pending.tokens * W);
    tokens.set(resources, b * T * W);
    tokens.set(pending, (b * T + layout.resources.tokens) * W);
    for (let t = 0; t < T; t++) {
      let kind = 0;
      for (let k = TOKEN_KIND_OFFSET; k < W; k++) kind += tokens[(b * T + t) * W + k]!;
      mask[b * T + t] = kind > 0 ? 1 : 0;
    }
  }
  return { tokens, mask };
}

/**
 * The actions the env would carry out in the state of an observation (1) and those it would refuse
 * as invalid (0), read from the VNF-type tokens' feasibility flags: allocate needs the scale-out
 * flag, uninstall the scale-in flag, wait is always valid. `batch` observations row-major in, a
 * [batch, SFC_ACTIONS] mask out.
 */
export function sfcActionMask(layout: SfcObservationLayout, observations: ArrayLike<number>, batch = 1, out = new Uint8Array(batch * SFC_ACTIONS)): Uint8Array {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < layout.vnfTypes; t++) {
      const o = b * layout.size + layout.resources.offset + (layout.dataCentres + t) * layout.tokenWidth;
      const row = b * SFC_ACTIONS;
      out[row + encodeSfcAction(t, 'allocate')] = observations[o + TYPE_SCALE_OUT_FLAG]! > 0.5 ? 1 : 0;
      out[row + encodeSfcAction(t, 'uninstall')] = observations[o + TYPE_SCALE_IN_FLAG]! > 0.5 ? 1 : 0;
      out[row + encodeSfcAction(t, 'wait')] = 1;
    }
  }
  return out;
}

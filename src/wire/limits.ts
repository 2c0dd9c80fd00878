/**
 * Limits on what a peer may declare or send, checked while a frame is decoded and before anything
 * is allocated for it: a 120-byte SimInitMsg can declare a Box of 10^8 elements, a few kilobytes
 * can nest spaces deeper than any stack. Every refusal is a WireError naming the field, the value
 * and the limit (by its option name), so the peer's session ends with a clear reason.
 */
import { InputError } from '../util/index.js';
import { WireError } from './errors.js';

export interface WireLimits {
  /** Bytes of one frame (checked before it is decoded). */
  maxFrameBytes: number;
  /** Elements of one space: the sizes of its Boxes plus one per Discrete, summed over the space. */
  maxElements: number;
  /** Nesting of Tuples and Dicts in one space or container. */
  maxDepth: number;
  /** Entries of all Tuples and Dicts in one space or container (counted before they are decoded). */
  maxKeys: number;
}

/**
 * Generous for simulators (a Box of 2^20 elements travels as 4-16 MB), small enough that one
 * frame cannot take more than a few hundred MB of the agent's memory.
 */
export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxFrameBytes: 16 * 2 ** 20,
  maxElements: 2 ** 20,
  maxDepth: 32,
  maxKeys: 4096,
});

/** Dimensions of one Box shape (numpy's limit). */
export const MAX_RANK = 32;

/** The limits with defaults filled in; each given one must be a positive integer. */
export function resolveWireLimits(limits: Partial<WireLimits> = {}, field = ''): WireLimits {
  const out = { ...DEFAULT_WIRE_LIMITS };
  for (const key of Object.keys(DEFAULT_WIRE_LIMITS) as (keyof WireLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new InputError(`${field}${key}`, value, 'a positive integer');
    }
    out[key] = value;
  }
  return out;
}

/** Counts what one space or container holds while it is decoded, against the limits. */
export class LimitTracker {
  private elements = 0;
  private entries = 0;

  constructor(readonly limits: WireLimits) {}

  frame(bytes: Uint8Array, what: string): void {
    if (bytes.length > this.limits.maxFrameBytes) {
      throw new WireError(`${what}: got ${bytes.length} bytes, expected at most ${this.limits.maxFrameBytes} bytes (maxFrameBytes)`);
    }
  }

  depth(depth: number, where: string): void {
    if (depth > this.limits.maxDepth) {
      throw new WireError(`${where}: nesting depth ${depth}, expected at most ${this.limits.maxDepth} (maxDepth)`);
    }
  }

  /** Entries of one Tuple or Dict, added to the whole space's count before they are decoded. */
  addEntries(count: number, where: string): void {
    this.entries += count;
    if (this.entries > this.limits.maxKeys) {
      throw new WireError(`${where}: got ${this.entries} entries, expected at most ${this.limits.maxKeys} Tuple/Dict entries in the whole space (maxKeys)`);
    }
  }

  /** A Box shape: its element count is multiplied out only as far as the limit. */
  addShape(shape: readonly number[], where: string): void {
    if (shape.length > MAX_RANK) throw new WireError(`${where}.shape: got ${shape.length} dimensions, expected at most ${MAX_RANK}`);
    const room = this.limits.maxElements - this.elements;
    let size = 1;
    if (!shape.includes(0)) {
      for (const d of shape) {
        size *= d;
        if (size > room) {
          const declared = shape.reduce((a, b) => a * b, 1);
          const whole = this.elements > 0 ? ' in the whole space' : '';
          throw new WireError(
            `${where}.shape: got [${shape.join(', ')}] (${declared} elements), expected at most ${this.limits.maxElements} elements${whole} (maxElements)`,
          );
        }
      }
    } else {
      size = 0;
    }
    this.elements += size;
  }

  /** A Discrete counts as one element. */
  addElement(where: string): void {
    this.addShape([], where);
  }
}

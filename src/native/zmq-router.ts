/**
 * The addon's synchronous ZeroMQ ROUTER socket (native/src/zmq_router.cc), present when the addon
 * was built with libzmq. The server's native transport (src/server/gym-server.ts) uses it.
 */
import { nativeAddon } from './addon.js';

/** A libzmq ROUTER socket driven from JavaScript without a promise per message. */
export interface NativeZmqRouter {
  /** Binds; returns the endpoint as bound (the port chosen for `tcp://host:*`). */
  bind(endpoint: string): string;
  /**
   * Every frame of the next message (routing id first), or null when none arrived within
   * `timeoutMs` (blocks the thread that long; 0 does not wait).
   */
  receive(timeoutMs: number): Buffer[] | null;
  /**
   * The per-step receive, allocation-free: a REQ peer's message [routing id, empty, payload]
   * lands in the caller's buffers — the payload in `frame`, the routing id in `peer` as
   * [length, bytes...] (`peer` holds at least 256 bytes) — and the payload's length is returned.
   * RECEIVE_NOTHING when nothing arrived within `timeoutMs` (the thread blocks that long, as
   * `receive`), RECEIVE_WITH_RECEIVE when a message of another shape (or a payload larger than
   * `frame`) arrived: `receive(0)` then returns it. With `spinUs` > 0 (and a wait), it first polls
   * without blocking for up to that many microseconds, so a state arriving meanwhile is taken
   * without the thread sleeping and being woken.
   */
  receiveInto(timeoutMs: number, frame: Uint8Array, peer: Uint8Array, spinUs?: number): number;
  /** Sends [peer, empty, payload]; false when the peer is gone or its queue is full. */
  send(peer: Uint8Array, payload: Uint8Array): boolean;
  /** Connections accepted and lost since the last call. */
  connectionEvents(): [accepted: number, disconnected: number];
  close(): void;
  readonly closed: boolean;
}

/** receiveInto(): nothing arrived within the wait. */
export const RECEIVE_NOTHING = -1;
/** receiveInto(): a message arrived that receive(0) hands out (not the per-step shape, or too large). */
export const RECEIVE_WITH_RECEIVE = -2;
/** The smallest `peer` buffer receiveInto() takes: a length byte and up to 255 bytes of routing id. */
export const PEER_ID_BYTES = 256;

type RouterClass = new (options: { maxMessageSize: number }) => NativeZmqRouter;

/** The native ROUTER socket class, or null when the addon is absent or was built without libzmq. */
export function nativeZmqRouter(): RouterClass | null {
  const addon = nativeAddon() as { ZmqRouter?: RouterClass } | undefined;
  return addon?.ZmqRouter ?? null;
}

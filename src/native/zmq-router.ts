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
  /** Sends [peer, empty, payload]; false when the peer is gone or its queue is full. */
  send(peer: Uint8Array, payload: Uint8Array): boolean;
  /** Connections accepted and lost since the last call. */
  connectionEvents(): [accepted: number, disconnected: number];
  close(): void;
  readonly closed: boolean;
}

type RouterClass = new (options: { maxMessageSize: number }) => NativeZmqRouter;

/** The native ROUTER socket class, or null when the addon is absent or was built without libzmq. */
export function nativeZmqRouter(): RouterClass | null {
  const addon = nativeAddon() as { ZmqRouter?: RouterClass } | undefined;
  return addon?.ZmqRouter ?? null;
}

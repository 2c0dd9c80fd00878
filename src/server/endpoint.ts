import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, packageRoot } from '../util/index.js';

/**
 * Normalises an endpoint given by a user: `tcp://host:port`, `tcp://port`, a bare port number
 * (host 127.0.0.1), or `ipc://path`. Port 0 (or `*`) asks for a free port, which the server
 * reports after binding. ns3-gym's `localhost` is accepted and resolved to 127.0.0.1.
 */
export function normalizeEndpoint(endpoint: string, field = 'endpoint'): string {
  const text = String(endpoint).trim();
  if (/^\d+$/.test(text)) return tcpEndpoint('127.0.0.1', text, field, endpoint);
  if (text.startsWith('ipc://')) {
    if (text.length <= 'ipc://'.length) throw new InputError(field, endpoint, 'ipc://<path>');
    return text;
  }
  if (text.startsWith('tcp://')) {
    const rest = text.slice('tcp://'.length);
    if (/^(\d+|\*)$/.test(rest)) return tcpEndpoint('127.0.0.1', rest, field, endpoint);
    const colon = rest.lastIndexOf(':');
    if (colon <= 0) throw new InputError(field, endpoint, 'tcp://host:port (port 0 = any free port)');
    let host = rest.slice(0, colon);
    if (host === 'localhost') host = '127.0.0.1';
    return tcpEndpoint(host, rest.slice(colon + 1), field, endpoint);
  }
  throw new InputError(field, endpoint, 'tcp://host:port, ipc://path or a port number');
}

function tcpEndpoint(host: string, port: string, field: string, original: string): string {
  if (port === '*' || port === '0') return `tcp://${host}:*`;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InputError(field, original, 'a port in 1..65535 (0 = any free port)');
  return `tcp://${host}:${n}`;
}

/** The endpoint a simulator connects to, given the one the server bound (`*` hosts become 127.0.0.1). */
export function connectEndpoint(bound: string): string {
  return bound.replace(/^tcp:\/\/(\*|0\.0\.0\.0):/, 'tcp://127.0.0.1:');
}

/**
 * True when only this host can connect to an endpoint: ipc:// (a socket file) or tcp on a
 * loopback address (127.0.0.0/8, ::1). `tcp://0.0.0.0:P` (what `tcp://*:P` binds) and any other
 * interface address are reachable from the network.
 */
export function isLoopbackEndpoint(endpoint: string): boolean {
  if (endpoint.startsWith('ipc://')) return true;
  const match = /^tcp:\/\/(.+):[^:]+$/.exec(endpoint);
  if (!match) return false;
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

let cachedVersion: string | null = null;

/** The ns3ts version (package.json), sent in the capabilities strings. */
export function ns3tsVersion(): string {
  if (cachedVersion === null) {
    try {
      cachedVersion = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}

/** Capabilities every ns3ts peer understands: per-element Box bounds, 64-bit data, seed echo, sim time. */
export const BASE_CAPABILITIES = ['box-bounds', 'int64', 'seed', 'sim-time'] as const;

export interface Capabilities {
  /** "ns3ts/<version>" peers report their version; null for ns3-gym peers. */
  version: string | null;
  set: ReadonlySet<string>;
}

/** Parses "ns3ts/<version> cap,cap,..." (an empty string is a stock ns3-gym peer). */
export function parseCapabilities(text: string): Capabilities {
  const trimmed = text.trim();
  if (!trimmed) return { version: null, set: new Set() };
  const [head, ...rest] = trimmed.split(/\s+/);
  let version: string | null = null;
  let list = rest.join(',');
  if (head!.startsWith('ns3ts/')) version = head!.slice('ns3ts/'.length);
  else list = [head, ...rest].join(',');
  return { version, set: new Set(list.split(',').map((c) => c.trim()).filter(Boolean)) };
}

export function formatCapabilities(caps: readonly string[]): string {
  return `ns3ts/${ns3tsVersion()} ${caps.join(',')}`;
}

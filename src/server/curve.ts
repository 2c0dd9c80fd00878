import { chmodSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as zmq from 'zeromq';
import { InputError, Ns3tsError, log } from '../util/index.js';

/**
 * ZeroMQ CURVE for the agent's endpoint (RFC 26, CurveZMQ): the traffic is encrypted, the
 * simulators know the server by its public key, and the server admits only the client public
 * keys on its allow-list (checked by a ZAP handler, RFC 27). Keys are generated per run and
 * handed to simulators in a key file of mode 0600 (bridge: NS3TS_CURVE_KEYS), never on a
 * command line.
 */
export interface CurveKeyPair {
  /** Z85, 40 characters. */
  publicKey: string;
  secretKey: string;
}

/** What a CURVE server needs: its key pair and the client public keys it admits. */
export interface CurveServerKeys extends CurveKeyPair {
  clientPublicKeys: readonly string[];
}

/** The keys of one run: the server's pair, and the client pair every simulator of the run uses. */
export interface CurveRunKeys {
  server: CurveKeyPair;
  client: CurveKeyPair;
}

/** The environment variable naming a simulator's key file (read by the C++ bridge). */
export const CURVE_KEYS_VARIABLE = 'NS3TS_CURVE_KEYS';

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** Whether this libzmq was built with CURVE (libsodium). */
export function curveAvailable(): boolean {
  return zmq.capability.curve === true;
}

function requireCurve(): void {
  if (!curveAvailable()) throw new Ns3tsError('this libzmq has no CURVE support (zmq.capability.curve is false): install a libzmq built with libsodium');
}

export function checkCurveKey(field: string, key: unknown): string {
  if (typeof key !== 'string' || !Z85_KEY.test(key)) throw new InputError(field, typeof key === 'string' ? `${key.length} characters` : key, 'a Z85-encoded CURVE key (40 characters)');
  return key;
}

/** Fresh server and client key pairs for one run. */
export function generateCurveRunKeys(): CurveRunKeys {
  requireCurve();
  return { server: zmq.curveKeyPair(), client: zmq.curveKeyPair() };
}

/** The server side of a run's keys: its pair, admitting the run's client key only. */
export function curveServerKeys(keys: CurveRunKeys): CurveServerKeys {
  return { ...keys.server, clientPublicKeys: [keys.client.publicKey] };
}

/**
 * Writes the simulators' key file (`server-public`, `public`, `secret` lines) with mode 0600,
 * created so from the start: the secret is never readable by others, not even briefly.
 */
export function writeCurveKeyFile(path: string, keys: CurveRunKeys): void {
  const text = `server-public ${keys.server.publicKey}\npublic ${keys.client.publicKey}\nsecret ${keys.client.secretKey}\n`;
  writeFileSync(path, text, { mode: 0o600, flag: 'w' });
  chmodSync(path, 0o600); // an existing file keeps its mode on open: make sure
}

// ZAP ------------------------------------------------------------------------------------------

const Z85_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Z85 encoding of a 32-byte key (ZAP hands the client's key over in binary). */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new InputError('bytes.length', bytes.length, 'a multiple of 4 (Z85)');
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++) {
      chunk.unshift(Z85_CHARS[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/** The endpoint libzmq sends ZAP requests to, one handler per ZeroMQ context. */
const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** Allow-lists by ZAP domain: every CURVE server of this process registers its own domain. */
const allowLists = new Map<string, ReadonlySet<string>>();
let zapHandler: { socket: zmq.Reply; loop: Promise<void> } | null = null;

async function serveZap(socket: zmq.Reply): Promise<void> {
  for (;;) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch {
      return; // closed
    }
    // [version, request id, domain, address, identity, mechanism, credentials...]
    const version = frames[0]?.toString() ?? '';
    const requestId = frames[1] ?? Buffer.alloc(0);
    const domain = frames[2]?.toString() ?? '';
    const address = frames[3]?.toString() ?? '';
    const mechanism = frames[5]?.toString() ?? '';
    const credential = frames[6];
    let status = '400';
    let text = 'not allowed';
    const allowed = allowLists.get(domain);
    if (version !== '1.0') text = `ZAP version ${version} unsupported`;
    else if (!allowed) text = `unknown ZAP domain ${JSON.stringify(domain)}`;
    else if (mechanism !== 'CURVE' || !credential || credential.length !== 32) text = `mechanism ${mechanism}: CURVE required`;
    else if (!allowed.has(z85Encode(credential))) text = 'client public key not on the allow-list';
    else {
      status = '200';
      text = 'OK';
    }
    if (status !== '200') log.debug(`CURVE: refused a client from ${address} (${text})`);
    try {
      await socket.send(['1.0', requestId, status, text, status === '200' ? z85Encode(credential!) : '', '']);
    } catch {
      return;
    }
  }
}

async function ensureZapHandler(): Promise<void> {
  if (zapHandler) return;
  const socket = new zmq.Reply({ linger: 0 });
  try {
    await socket.bind(ZAP_ENDPOINT);
  } catch (err) {
    socket.close();
    throw new Ns3tsError(`cannot start the CURVE authenticator (ZAP handler on ${ZAP_ENDPOINT}): ${(err as Error).message}`);
  }
  zapHandler = { socket, loop: serveZap(socket) };
}

/** Registers a server's allow-list under a fresh ZAP domain (set it as the socket's zapDomain before bind). */
export async function registerCurveClients(clientPublicKeys: readonly string[]): Promise<string> {
  requireCurve();
  clientPublicKeys.forEach((k, i) => checkCurveKey(`curve.clientPublicKeys[${i}]`, k));
  await ensureZapHandler();
  const domain = `ns3ts-${randomBytes(6).toString('hex')}`;
  allowLists.set(domain, new Set(clientPublicKeys));
  return domain;
}

/** Forgets a server's allow-list; the ZAP handler goes with the last one. */
export function unregisterCurveClients(domain: string): void {
  allowLists.delete(domain);
  if (allowLists.size === 0 && zapHandler) {
    zapHandler.socket.close();
    zapHandler = null;
  }
}

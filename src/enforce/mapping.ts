/**
 * The slice mapping of `ns3ts enforce`: which packets belong to which slice, read from YAML
 * (docs/enforce.md). Each slice becomes one HTB class; each of its `match` rules becomes one u32
 * filter whose conditions must all hold (a packet matching any rule of a slice is the slice's).
 */
import { parse as parseYaml } from 'yaml';
import { SLICE_TYPES, type SliceType } from '../scenario/index.js';
import { InputError, readInputFile } from '../util/index.js';

/** One classification rule: every condition given must hold. IPv4 only (u32 offsets). */
export interface MatchRule {
  /** DiffServ code point, 0..63 (the upper six bits of the IPv4 TOS byte). */
  dscp?: number;
  protocol?: 'tcp' | 'udp' | 'icmp';
  srcPort?: number;
  dstPort?: number;
  /** IPv4 address or CIDR prefix, e.g. 10.0.0.0/24. */
  src?: string;
  dst?: string;
}

export interface SliceClass {
  name: string;
  type: SliceType;
  /** HTB class minor id (the slice's class is `<marker>:<minor>`), 0x2..0xfffe. */
  classMinor: number;
  /** Throughput target, Mbit/s (0 = none); fills the observation's phiTarget. */
  phiTarget: number;
  /** Delay target, ms (0 = none); fills the observation's delayTarget. */
  delayTarget: number;
  match: MatchRule[];
}

export interface EnforceMapping {
  /** The interface whose egress is shaped (the CLI's --interface overrides it). */
  interface?: string;
  /** Rate of the link, Mbit/s: the HTB root rate that the shares divide. */
  linkMbit: number;
  slices: SliceClass[];
}

/** Minor ids the enforcer keeps for itself: 1 is the link class, 0xffff the default class. */
export const LINK_CLASS_MINOR = 0x1;
export const DEFAULT_CLASS_MINOR = 0xffff;
/** Slice i gets minor FIRST_SLICE_MINOR + i unless the mapping names one. */
export const FIRST_SLICE_MINOR = 0x10;

const MATCH_KEYS = ['dscp', 'protocol', 'srcPort', 'dstPort', 'src', 'dst'] as const;
const SLICE_KEYS = ['name', 'type', 'classId', 'phiTarget', 'delayTarget', 'match'];
const MAPPING_KEYS = ['interface', 'linkMbit', 'slices'];
const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Linux interface names: at most 15 bytes, no slash or whitespace. */
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknown(path: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new InputError(path === '' ? key : `${path}.${key}`, obj[key], `one of the fields ${known.join(', ')}`);
  }
}

function integerIn(path: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new InputError(path, value, `an integer in [${min}, ${max}]`);
  return value;
}

function numberIn(path: string, value: unknown, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw new InputError(path, value, `a number in [${min}, ${max}]`);
  return value;
}

/** An IPv4 address or prefix, as u32 reads it: a.b.c.d or a.b.c.d/len. */
export function checkIpv4Prefix(path: string, value: unknown): string {
  const m = typeof value === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value) : null;
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || (m[5] !== undefined && Number(m[5]) > 32)) {
    throw new InputError(path, value, 'an IPv4 address or prefix such as 10.0.0.2 or 10.0.0.0/24');
  }
  return value as string;
}

/** Linux interface name: 1..15 characters, no slash or whitespace. */
export function checkInterfaceName(path: string, value: unknown): string {
  if (typeof value !== 'string' || !IFNAME.test(value)) throw new InputError(path, value, 'an interface name of 1 to 15 letters, digits or _ . : @ -');
  return value;
}

/** A class id as the mapping writes it: a hex string ("10", "0x1a") or a number, read as hex digits. */
export function parseClassMinor(path: string, value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.replace(/^0x/i, '') : '';
  const minor = /^[0-9a-fA-F]{1,4}$/.test(text) ? Number.parseInt(text, 16) : Number.NaN;
  if (!(minor > LINK_CLASS_MINOR && minor < DEFAULT_CLASS_MINOR)) {
    throw new InputError(path, value, 'an HTB class minor id in hex, 2..fffe (1 is the link class, ffff the default class)');
  }
  return minor;
}

function parseRule(path: string, value: unknown): MatchRule {
  if (!isObject(value)) throw new InputError(path, value, 'a mapping of match conditions (dscp, protocol, srcPort, dstPort, src, dst)');
  rejectUnknown(path, value, MATCH_KEYS);
  const rule: MatchRule = {};
  if (value.dscp !== undefined) rule.dscp = integerIn(`${path}.dscp`, value.dscp, 0, 63);
  if (value.protocol !== undefined) {
    if (!(PROTOCOLS as readonly unknown[]).includes(value.protocol)) throw new InputError(`${path}.protocol`, value.protocol, PROTOCOLS.join(', '));
    rule.protocol = value.protocol as MatchRule['protocol'];
  }
  if (value.srcPort !== undefined) rule.srcPort = integerIn(`${path}.srcPort`, value.srcPort, 1, 65535);
  if (value.dstPort !== undefined) rule.dstPort = integerIn(`${path}.dstPort`, value.dstPort, 1, 65535);
  if (value.src !== undefined) rule.src = checkIpv4Prefix(`${path}.src`, value.src);
  if (value.dst !== undefined) rule.dst = checkIpv4Prefix(`${path}.dst`, value.dst);
  if (Object.keys(rule).length === 0) throw new InputError(path, value, 'at least one condition (an empty rule would match every packet)');
  if (rule.protocol === 'icmp' && (rule.srcPort !== undefined || rule.dstPort !== undefined)) throw new InputError(path, value, 'ports only with protocol tcp or udp');
  return rule;
}

/** Validates a parsed mapping document; errors name the field, the value and what was expected. */
export function parseMapping(doc: unknown): EnforceMapping {
  if (!isObject(doc)) throw new InputError('mapping', doc, 'a mapping with linkMbit and slices');
  rejectUnknown('', doc, MAPPING_KEYS);
  const mapping: EnforceMapping = {
    linkMbit: numberIn('linkMbit', doc.linkMbit, 0.001, 100_000),
    slices: [],
  };
  if (doc.interface !== undefined) mapping.interface = checkInterfaceName('interface', doc.interface);
  if (!Array.isArray(doc.slices) || doc.slices.length === 0) throw new InputError('slices', doc.slices, 'a list of at least one slice');
  const minors = new Set<number>();
  doc.slices.forEach((raw: unknown, i) => {
    const path = `slices.${i}`;
    if (!isObject(raw)) throw new InputError(path, raw, 'a mapping with name, type and match');
    rejectUnknown(path, raw, SLICE_KEYS);
    if (typeof raw.name !== 'string' || !NAME.test(raw.name)) throw new InputError(`${path}.name`, raw.name, 'a name of letters, digits, _ . -');
    if (mapping.slices.some((s) => s.name === raw.name)) throw new InputError(`${path}.name`, raw.name, 'a name not used by another slice');
    const type = raw.type ?? 'eMBB';
    if (!(SLICE_TYPES as readonly unknown[]).includes(type)) throw new InputError(`${path}.type`, type, SLICE_TYPES.join(', '));
    const classMinor = raw.classId === undefined ? FIRST_SLICE_MINOR + i : parseClassMinor(`${path}.classId`, raw.classId);
    if (minors.has(classMinor)) throw new InputError(`${path}.classId`, raw.classId ?? classMinor.toString(16), 'a class id not used by another slice');
    minors.add(classMinor);
    if (!Array.isArray(raw.match) || raw.match.length === 0) throw new InputError(`${path}.match`, raw.match, 'a list of at least one match rule');
    mapping.slices.push({
      name: raw.name,
      type: type as SliceType,
      classMinor,
      phiTarget: numberIn(`${path}.phiTarget`, raw.phiTarget, 0, 1e6, 0),
      delayTarget: numberIn(`${path}.delayTarget`, raw.delayTarget, 0, 1e6, 0),
      match: raw.match.map((rule: unknown, j) => parseRule(`${path}.match.${j}`, rule)),
    });
  });
  return mapping;
}

/** Reads and validates a mapping YAML file; errors are prefixed with the file. */
export function loadMapping(path: string): EnforceMapping {
  const text = readInputFile(path, '--mapping');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`${path}`, (err as Error).message.split('\n')[0], 'valid YAML');
  }
  try {
    return parseMapping(doc);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${path}: ${err.field}`, err.value, err.expected);
    throw err;
  }
}

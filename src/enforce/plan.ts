/**
 * The tc commands of an enforcement, as pure functions of the mapping and the allocation, so that
 * `--dry-run` prints exactly what a real run applies. Lines are in `tc -batch` form (no leading
 * `tc`). The tree, under one root qdisc whose major id marks it as ours:
 *
 *   <M>: htb default ffff                 root qdisc (M = MARKER_MAJOR)
 *     <M>:1     rate = ceil = link        the link
 *       <M>:<s> rate = share_s × link     one class per slice, ceil = rate, or = link with --borrow
 *         leaf qdisc (fq_codel)           fair queueing among the slice's flows
 *       <M>:ffff                          unclassified traffic: the unallocated rest, may borrow
 */
import { InputError } from '../util/index.js';
import { DEFAULT_CLASS_MINOR, LINK_CLASS_MINOR, type EnforceMapping, type MatchRule } from './mapping.js';

/** Major id of the root qdisc we install: how a stale setup of ours is recognised. */
export const MARKER_MAJOR = 0x3e75;
export const MARKER_HANDLE = `${MARKER_MAJOR.toString(16)}:`;
/** Smallest guaranteed rate of a class, bit/s: HTB needs a positive rate (a share of 0 gets this). */
export const MIN_CLASS_RATE_BPS = 8_000;
/** Link rates accepted, bit/s: 1 kbit/s .. 400 Gbit/s. */
export const MIN_LINK_BPS = 1_000;
export const MAX_LINK_BPS = 400e9;
/** Allocations may overshoot 1 by rounding only. */
const SHARE_SUM_TOLERANCE = 1e-6;

export type LeafQdisc = 'fq_codel' | 'pfifo';

export interface PlanOptions {
  dev: string;
  linkBps: number;
  /** Let every slice borrow up to the link rate (ceil = link) when others leave capacity unused. */
  borrow: boolean;
  leaf: LeafQdisc;
}

export function classId(minor: number): string {
  return `${MARKER_HANDLE}${minor.toString(16)}`;
}

/** Checks a link rate, bit/s. */
export function checkLinkBps(field: string, bps: number): number {
  if (!Number.isFinite(bps) || bps < MIN_LINK_BPS || bps > MAX_LINK_BPS) throw new InputError(field, bps, `a link rate in [${MIN_LINK_BPS}, ${MAX_LINK_BPS}] bit/s`);
  return bps;
}

/** Parses a rate as tc writes it (100mbit, 1.5gbit, 800kbit, 1000000bit, or a bare number of bit/s). */
export function parseRate(field: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)?$/i.exec(text.trim());
  if (!m) throw new InputError(field, text, 'a rate such as 100mbit, 1gbit or 500kbit');
  const scale = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[(m[2] ?? 'bit').toLowerCase() as 'bit'];
  return checkLinkBps(field, Number(m[1]) * scale);
}

/** Checks an allocation: one finite share in [0, 1] per slice, summing to at most 1. */
export function checkShares(field: string, shares: readonly number[], slices: number): number[] {
  if (shares.length !== slices) throw new InputError(field, shares, `${slices} share(s), one per slice`);
  shares.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 1) throw new InputError(`${field}.${i}`, s, 'a share in [0, 1]');
  });
  const sum = shares.reduce((a, b) => a + b, 0);
  if (sum > 1 + SHARE_SUM_TOLERANCE) throw new InputError(field, shares, 'shares summing to at most 1');
  return [...shares];
}

/** HTB's quantum (bytes a class sends per round when borrowing): about 10 ms of its rate, within MTU..200 kB. */
function quantum(bps: number): number {
  return Math.min(200_000, Math.max(1514, Math.round(bps / 8 / 100)));
}

function rate(bps: number): string {
  return `${Math.max(MIN_CLASS_RATE_BPS, Math.round(bps))}bit`;
}

/** The guaranteed rate and ceiling of each slice class, bit/s. */
export function classRates(shares: readonly number[], options: Pick<PlanOptions, 'linkBps' | 'borrow'>): Array<{ rateBps: number; ceilBps: number }> {
  return shares.map((share) => {
    const rateBps = Math.max(MIN_CLASS_RATE_BPS, Math.round(share * options.linkBps));
    return { rateBps, ceilBps: options.borrow ? Math.round(options.linkBps) : rateBps };
  });
}

function classLine(verb: 'add' | 'change', dev: string, minor: number, rateBps: number, ceilBps: number): string {
  return `class ${verb} dev ${dev} parent ${classId(LINK_CLASS_MINOR)} classid ${classId(minor)} htb rate ${rate(rateBps)} ceil ${rate(ceilBps)} quantum ${quantum(rateBps)}`;
}

/** The default class gets what the slices leave and may borrow up to the link. */
function defaultClassLine(verb: 'add' | 'change', dev: string, shares: readonly number[], linkBps: number): string {
  const rest = Math.max(0, 1 - shares.reduce((a, b) => a + b, 0));
  return classLine(verb, dev, DEFAULT_CLASS_MINOR, rest * linkBps, linkBps);
}

const PROTOCOL_NUMBER = { icmp: 1, tcp: 6, udp: 17 } as const;

/** The u32 conditions of one rule (all must hold). */
export function u32Matches(rule: MatchRule): string {
  const parts: string[] = [];
  if (rule.dscp !== undefined) parts.push(`match ip tos 0x${(rule.dscp << 2).toString(16).padStart(2, '0')} 0xfc`);
  if (rule.protocol !== undefined) parts.push(`match ip protocol ${PROTOCOL_NUMBER[rule.protocol]} 0xff`);
  if (rule.src !== undefined) parts.push(`match ip src ${rule.src.includes('/') ? rule.src : `${rule.src}/32`}`);
  if (rule.dst !== undefined) parts.push(`match ip dst ${rule.dst.includes('/') ? rule.dst : `${rule.dst}/32`}`);
  if (rule.srcPort !== undefined) parts.push(`match ip sport ${rule.srcPort} 0xffff`);
  if (rule.dstPort !== undefined) parts.push(`match ip dport ${rule.dstPort} 0xffff`);
  return parts.join(' ');
}

/**
 * Installs the tree with an initial allocation. The first line replaces whatever root qdisc the
 * interface had; the enforcer checks beforehand that it was the kernel's default.
 */
export function setupLines(mapping: EnforceMapping, shares: readonly number[], options: PlanOptions): string[] {
  const { dev, linkBps } = options;
  const lines = [
    `qdisc replace dev ${dev} root handle ${MARKER_HANDLE} htb default ${DEFAULT_CLASS_MINOR.toString(16)}`,
    `class add dev ${dev} parent ${MARKER_HANDLE} classid ${classId(LINK_CLASS_MINOR)} htb rate ${rate(linkBps)} ceil ${rate(linkBps)} quantum ${quantum(linkBps)}`,
  ];
  const rates = classRates(shares, options);
  mapping.slices.forEach((slice, i) => lines.push(classLine('add', dev, slice.classMinor, rates[i]!.rateBps, rates[i]!.ceilBps)));
  lines.push(defaultClassLine('add', dev, shares, linkBps));
  for (const minor of [...mapping.slices.map((s) => s.classMinor), DEFAULT_CLASS_MINOR]) {
    lines.push(`qdisc add dev ${dev} parent ${classId(minor)} ${options.leaf === 'fq_codel' ? 'fq_codel' : 'pfifo limit 1000'}`);
  }
  mapping.slices.forEach((slice, i) => {
    for (const rule of slice.match) {
      // One priority per slice: the first slice whose rule matches wins, in mapping order.
      lines.push(`filter add dev ${dev} parent ${MARKER_HANDLE} protocol ip prio ${i + 1} u32 ${u32Matches(rule)} flowid ${classId(slice.classMinor)}`);
    }
  });
  return lines;
}

/** One period's allocation: every class's rate changed in one batch. */
export function allocationLines(mapping: EnforceMapping, shares: readonly number[], options: Omit<PlanOptions, 'leaf'>): string[] {
  const rates = classRates(shares, options);
  const lines = mapping.slices.map((slice, i) => classLine('change', options.dev, slice.classMinor, rates[i]!.rateBps, rates[i]!.ceilBps));
  lines.push(defaultClassLine('change', options.dev, shares, options.linkBps));
  return lines;
}

/** Removes the tree: the kernel puts its default root qdisc back. */
export function teardownLine(dev: string): string {
  return `qdisc del dev ${dev} root`;
}

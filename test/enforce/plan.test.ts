// The pure side of enforce: mapping validation, the tc commands, --dry-run. Needs no privileges.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { allocationLines, checkShares, LinuxTcSlicingEnv, classRates, loadMapping, parseMapping, parseRate, setupLines, teardownLine, DEMO_MAPPING } from '../../src/enforce/index.js';
import { parseScenario } from '../../src/scenario/index.js';
import { packageRoot } from '../../src/util/index.js';
import { runCli, runInProcess } from './helpers.js';

const EXAMPLE = join(packageRoot, 'examples', 'enforce-mapping.yaml');
const slice = (name: string, match: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, match, ...extra });

describe('slice mapping', () => {
  it('reads the example mapping: class ids, targets, match rules', () => {
    const mapping = loadMapping(EXAMPLE);
    expect(mapping.interface).toBe('eth0');
    expect(mapping.linkMbit).toBe(100);
    expect(mapping.slices.map((s) => [s.name, s.type, s.classMinor])).toEqual([
      ['embb', 'eMBB', 0x10],
      ['urllc', 'URLLC', 0x20],
      ['mmtc', 'mMTC', 0x12],
    ]);
    expect(mapping.slices[1]!.match).toEqual([{ dscp: 46 }]);
    expect(mapping.slices[2]!.match[1]).toEqual({ dst: '10.213.0.0/24', protocol: 'tcp', dstPort: 1883 });
  });

  it('refuses bad fields with one line naming the field, the value and what was expected', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ linkMbit: 0, slices: [slice('a', [{ dscp: 1 }])] }, /^linkMbit: got 0, expected a number in \[0.001, 100000\]$/],
      [{ linkMbit: 10, slices: [slice('a', [{ dscp: 64 }])] }, /^slices\.0\.match\.0\.dscp: got 64, expected an integer in \[0, 63\]$/],
      [{ linkMbit: 10, slices: [slice('a', [{}])] }, /^slices\.0\.match\.0: got .*, expected at least one condition/],
      [{ linkMbit: 10, slices: [slice('a', [{ dst: '10.0.0.300' }])] }, /^slices\.0\.match\.0\.dst: got "10\.0\.0\.300", expected an IPv4 address or prefix/],
      [{ linkMbit: 10, slices: [slice('a', [{ dscp: 1 }], { classId: 'ffff' })] }, /^slices\.0\.classId: got "ffff", expected an HTB class minor id in hex, 2\.\.fffe/],
      [{ linkMbit: 10, slices: [slice('a', [{ dscp: 1 }], { classId: 'zz' })] }, /^slices\.0\.classId: got "zz"/],
      [{ linkMbit: 10, slices: [slice('a', [{ dscp: 1 }], { classId: '20' }), slice('b', [{ dscp: 2 }], { classId: 20 })] }, /^slices\.1\.classId: got 20, expected a class id not used by another slice$/],
      [{ linkMbit: 10, slices: [slice('a', [{ dscp: 1 }]), slice('a', [{ dscp: 2 }])] }, /^slices\.1\.name: got "a", expected a name not used by another slice$/],
      [{ linkMbit: 10, slices: [slice('a', [{ dscp: 1 }], { rate: 3 })] }, /^slices\.0\.rate: got 3, expected one of the fields/],
      [{ linkMbit: 10, interface: 'a-very-long-interface-name', slices: [slice('a', [{ dscp: 1 }])] }, /^interface: got "a-very-long-interface-name", expected an interface name of 1 to 15/],
    ];
    for (const [doc, message] of bad) expect(() => parseMapping(doc)).toThrow(message);
  });

  it('rates and allocations are validated', () => {
    expect(parseRate('--link', '100mbit')).toBe(100e6);
    expect(parseRate('--link', '1.5gbit')).toBe(1.5e9);
    expect(() => parseRate('--link', '12parsecs')).toThrow(/^--link: got "12parsecs", expected a rate such as 100mbit, 1gbit or 500kbit$/);
    expect(() => parseRate('--link', '0mbit')).toThrow(/^--link: got 0, expected a link rate in \[1000, 400000000000\] bit\/s$/);
    expect(() => checkShares('shares', [0.6, 0.6], 2)).toThrow(/^shares: got \[0\.6,0\.6\], expected shares summing to at most 1$/);
    expect(() => checkShares('shares', [0.5, Number.NaN], 2)).toThrow(/^shares\.1: got NaN, expected a share in \[0, 1\]$/);
    expect(() => checkShares('shares', [1], 2)).toThrow(/expected 2 share\(s\), one per slice/);
  });
});

describe('tc commands', () => {
  const options = { dev: 'eth0', linkBps: 100e6, borrow: false, leaf: 'fq_codel' as const };

  it('one root HTB with the marker handle, a class and an fq_codel leaf per slice, u32 filters by rule', () => {
    const lines = setupLines(DEMO_MAPPING, [0.6, 0.3, 0.1], options);
    expect(lines[0]).toBe('qdisc replace dev eth0 root handle 3e75: htb default ffff');
    expect(lines).toContain('class add dev eth0 parent 3e75:1 classid 3e75:10 htb rate 60000000bit ceil 60000000bit quantum 75000');
    expect(lines).toContain('qdisc add dev eth0 parent 3e75:11 fq_codel');
    expect(lines).toContain('filter add dev eth0 parent 3e75: protocol ip prio 2 u32 match ip tos 0xb8 0xfc flowid 3e75:11');
    expect(lines).toContain('filter add dev eth0 parent 3e75: protocol ip prio 1 u32 match ip protocol 17 0xff match ip dport 5301 0xffff flowid 3e75:10');
    expect(teardownLine('eth0')).toBe('qdisc del dev eth0 root');
  });

  it('an allocation changes every class in one batch; --borrow lifts the ceilings to the link', () => {
    expect(allocationLines(DEMO_MAPPING, [0.2, 0.3, 0.5], options)).toEqual([
      'class change dev eth0 parent 3e75:1 classid 3e75:10 htb rate 20000000bit ceil 20000000bit quantum 25000',
      'class change dev eth0 parent 3e75:1 classid 3e75:11 htb rate 30000000bit ceil 30000000bit quantum 37500',
      'class change dev eth0 parent 3e75:1 classid 3e75:12 htb rate 50000000bit ceil 50000000bit quantum 62500',
      'class change dev eth0 parent 3e75:1 classid 3e75:ffff htb rate 8000bit ceil 100000000bit quantum 1514',
    ]);
    expect(classRates([0, 0.5], { linkBps: 10e6, borrow: true })).toEqual([
      { rateBps: 8000, ceilBps: 10e6 },
      { rateBps: 5e6, ceilBps: 10e6 },
    ]);
  });

  it('the example mapping and the docs agree on the YAML keys', () => {
    const doc = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['interface', 'linkMbit', 'slices']);
  });
});

describe('env kind linux-tc', () => {
  const slices = [{ name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 100 }, { name: 'b', type: 'URLLC', phiTarget: 1, delayTarget: 10 }];

  it('reads its env section and refuses what it cannot run, before touching the kernel', () => {
    const scenario = parseScenario({ name: 'tc', env: { kind: 'linux-tc', offeredMbit: [10, 20] }, cells: 1, slices });
    expect(scenario.env).toEqual({ kind: 'linux-tc', linkMbit: 100, offeredMbit: [10, 20], borrow: false });
    expect(() => parseScenario({ name: 'tc', env: { kind: 'linux-tc', borrow: 'yes' }, slices })).toThrow(/^env\.borrow: got "yes", expected true or false$/);
    expect(() => parseScenario({ name: 'tc', env: { kind: 'linux-tc', program: 'x' }, slices })).toThrow(/^env\.program: got "x", expected no such field/);
    const reward = (): number => 0;
    expect(() => new LinuxTcSlicingEnv(parseScenario({ name: 'tc', env: { kind: 'linux-tc', offeredMbit: [10] }, cells: 1, slices }), reward)).toThrow(/^env\.offeredMbit: got \[10\], expected 2 rates, one per slice$/);
    expect(() => new LinuxTcSlicingEnv(parseScenario({ name: 'tc', env: { kind: 'linux-tc' }, cells: 2, slices }), reward)).toThrow(/^cells: got 2, expected 1/);
    const env = new LinuxTcSlicingEnv(scenario, reward);
    expect(env.observationSpace.toJSON()).toMatchObject({ shape: [1, 2, 12] });
    expect(env.actionSpace.toJSON()).toMatchObject({ shape: [1, 2] });
  });
});

describe('ns3ts enforce --dry-run and input errors', () => {
  it('--dry-run prints the setup, the per-period batch and the teardown, and touches nothing', async () => {
    const { code, stdout, stderr } = await runCli(['enforce', '--mapping', EXAMPLE, '-i', 'eth9', '--netns', 'nowhere', '--alloc', 'fixed:0.6,0.3,0.1', '--borrow', '--dry-run']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('# setup');
    expect(lines[1]).toBe('tc -n nowhere qdisc replace dev eth9 root handle 3e75: htb default ffff');
    expect(lines).toContain('tc -n nowhere class change dev eth9 parent 3e75:1 classid 3e75:20 htb rate 30000000bit ceil 100000000bit quantum 37500');
    expect(lines.at(-1)).toBe('tc -n nowhere qdisc del dev eth9 root');
    expect(lines.filter((l) => l.startsWith('tc ')).length).toBe(2 + 4 + 4 + 5 + 4 + 1);
  });

  it('a bad rate, a bad allocation source and an infeasible allocation are one line and exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--link', '12parsecs'], /^ns3ts: --link: got "12parsecs", expected a rate such as 100mbit/],
      [['--alloc', 'fixed:0.7,0.3,0.1'], /^ns3ts: --alloc fixed: got \[0\.7,0\.3,0\.1\], expected shares summing to at most 1$/],
      [['--alloc', 'baseline:oracle'], /^ns3ts: --alloc: got "baseline:oracle", expected baseline:<static\|proportional\|demand>/],
      [['--alloc', 'magic'], /^ns3ts: --alloc: got "magic", expected fixed:<a,b,\.\.\.>/],
    ];
    for (const [extra, message] of cases) {
      const { code, stderr } = await runInProcess(['enforce', '--mapping', EXAMPLE, '--dry-run', ...extra]);
      expect(code).toBe(1);
      expect(stderr.split('\n')[0]).toMatch(message);
    }
  });
});

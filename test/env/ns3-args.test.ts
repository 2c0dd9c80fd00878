import { describe, expect, it } from 'vitest';
import { createEnv } from '../../src/families/index.js';
import { ns3ScenarioArgs } from '../../src/remote/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';

// How an ns3 scenario becomes program arguments (no ns-3 needed).

function lte(patch: Partial<Scenario> = {}, args: Record<string, number | string> = {}): Scenario {
  const base = loadScenario('slicing-lte');
  if (base.env.kind !== 'ns3') throw new Error('slicing-lte is an ns3 scenario');
  return { ...base, ...patch, env: { ...base.env, args: { ...base.env.args, ...args } } };
}

describe('ns3ScenarioArgs', () => {
  it('maps layout, timing and slices onto the slicing programs arguments; env.args and overrides win', () => {
    const args = ns3ScenarioArgs(lte(), { embbRate: 20 });
    expect(args).toContain('--sites=1');
    expect(args).toContain('--sectors=3');
    expect(args).toContain('--stepTime=0.1');
    expect(args).toContain('--simTime=1');
    expect(args).toContain('--embbName=embb');
    expect(args).toContain('--embbUes=2');
    expect(args).toContain('--embbPacket=1200');
    expect(args).toContain('--urllcDelay=10');
    expect(args).toContain('--mmtcPhi=0.02');
    expect(args).toContain('--scheduler=ns3::PfFfMacScheduler');
    expect(args.filter((a) => a.startsWith('--embbRate='))).toEqual(['--embbRate=20']);
  });

  it('derives sites x sectors from cells when env.args does not give them', () => {
    const base = lte();
    if (base.env.kind !== 'ns3') throw new Error('ns3');
    const { sites: _s, sectors: _t, ...rest } = base.env.args;
    const twelve = { ...base, cells: 12, env: { ...base.env, args: rest } };
    expect(ns3ScenarioArgs(twelve).slice(0, 2)).toEqual(['--sites=4', '--sectors=3']);
    const two = { ...base, cells: 2, env: { ...base.env, args: rest } };
    expect(ns3ScenarioArgs(two).slice(0, 2)).toEqual(['--sites=2', '--sectors=1']);
  });

  it('refuses a layout that does not give the scenario cells, and slices not eMBB/URLLC/mMTC', () => {
    expect(() => ns3ScenarioArgs(lte({ cells: 4 }))).toThrow(/sites x sectors = cells \(4\)/);
    const base = lte();
    const swapped = { ...base, slices: [base.slices[1]!, base.slices[0]!, base.slices[2]!] };
    expect(() => ns3ScenarioArgs(swapped)).toThrow(/eMBB, URLLC, mMTC in this order/);
    const joining = { ...base, slices: base.slices.map((sl, i) => (i === 1 ? { ...sl, joinStep: 5 } : sl)) };
    expect(() => ns3ScenarioArgs(joining)).toThrow(/slices\[1\]\.joinStep: got 5/);
  });

  it('validates the scenario ns3 settings before launching anything', async () => {
    await expect(createEnv({ ...lte(), ns3: { stepTimeoutMs: -1 } }, { build: false, buildDir: '/nonexistent' })).rejects.toThrow(
      /ns3.stepTimeoutMs: got -1, expected a positive integer/,
    );
    await expect(createEnv(lte(), { build: false, buildDir: '/nonexistent' })).rejects.toThrow(/env.program: got "slicing-lte", expected a program built in/);
    await expect(createEnv({ ...lte(), ns3: { stepTimeout: 5 } }, { build: false, buildDir: '/nonexistent' })).rejects.toThrow(/ns3.stepTimeout: .*no such setting/);
    await expect(createEnv({ ...lte(), ns3: { socket: 'uv' } }, { build: false, buildDir: '/nonexistent' })).rejects.toThrow(
      /ns3.socket: got "uv", expected 'auto', 'native' or 'zeromq'/,
    );
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { killChildren, runCli } from './helpers-scenarios.js';

afterAll(killChildren);

describe('ns3ts scenarios families', () => {
  it('lists the registered families with their env kinds and baselines', async () => {
    const [text, json] = await Promise.all([runCli(['scenarios', 'families']), runCli(['scenarios', 'families', '--json'])]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^slicing {2}\(env\.kind synthetic \| ns3 \| linux-tc\) {2}RAN slicing/);
    expect(text.stdout).toContain('  baselines: static, proportional, demand, oracle');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: 'slicing', envKinds: ['synthetic', 'ns3', 'linux-tc'], baselines: ['static', 'proportional', 'demand', 'oracle'] }),
      expect.objectContaining({ id: 'sfc', envKinds: ['synthetic', 'ns3'], baselines: ['threshold', 'greedy', 'static'] }),
      expect.objectContaining({ id: 'vnf-migration', envKinds: ['synthetic'], baselines: ['none', 'threshold', 'ffd'] }),
    ]);
  }, 120_000);
});

// Allocation sources of ns3ts enforce: fixed shares, baselines and a trained checkpoint, acting on
// a kernel-shaped observation of the mapping's layout. Needs no privileges.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAllocationSource } from '../../src/cli/commands/enforce-sources.js';
import { slicingObservation, DEMO_MAPPING, type EnforceMapping } from '../../src/enforce/index.js';
import { parseScenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';

const measured = [
  { throughputMbit: 60, offeredMbit: 80, dropRate: 0.25, backlogKbit: 900, delayMs: 15 },
  { throughputMbit: 5, offeredMbit: 5, dropRate: 0, backlogKbit: 1, delayMs: 0.2 },
  { throughputMbit: 1, offeredMbit: 1, dropRate: 0, backlogKbit: 0, delayMs: 0 },
];
const observation = slicingObservation(DEMO_MAPPING, [0.6, 0.3, 0.1], measured, 100e6);
const feasible = (shares: number[]): void => {
  expect(shares).toHaveLength(3);
  for (const s of shares) expect(s).toBeGreaterThanOrEqual(0);
  expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
};

describe('allocation sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-enforce-ckpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fixed shares start in force; baselines act on the measured observation', async () => {
    const fixed = await resolveAllocationSource('fixed:0.6,0.3,0.1', DEMO_MAPPING, 1);
    expect(fixed.initialShares).toEqual([0.6, 0.3, 0.1]);
    expect(await fixed.next(observation, 0)).toEqual([0.6, 0.3, 0.1]);
    for (const name of ['static', 'proportional', 'demand']) {
      const source = await resolveAllocationSource(`baseline:${name}`, DEMO_MAPPING, 1);
      expect(source.initialShares).toBeUndefined();
      feasible(await source.next(observation, 0));
    }
    // proportional follows the offered load: embb offers most.
    const proportional = await (await resolveAllocationSource('baseline:proportional', DEMO_MAPPING, 1)).next(observation, 0);
    expect(proportional[0]!).toBeGreaterThan(proportional[1]!);
  });

  it('checkpoint:<run> plays a policy trained on the same slices, and refuses other slices', async () => {
    const scenario = parseScenario({
      name: 'one-link',
      cells: 1,
      episodeSteps: 4,
      slices: DEMO_MAPPING.slices.map((s) => ({ name: s.name, type: s.type, phiTarget: 1, delayTarget: 100 })),
    });
    await train({ scenario, agent: 'td3', episodes: 1, evalEvery: 0, outDir: dir, runId: 'r1', progress: false, backend: 'cpu' });
    const source = await resolveAllocationSource(`checkpoint:${join(dir, 'r1')}`, DEMO_MAPPING, 1);
    feasible(await source.next(observation, 0));
    const renamed: EnforceMapping = { ...DEMO_MAPPING, slices: DEMO_MAPPING.slices.map((s, i) => ({ ...s, name: `s${i}` })) };
    await expect(resolveAllocationSource(`checkpoint:${join(dir, 'r1')}`, renamed, 1)).rejects.toThrow(/trained on scenario one-link with 1 cells × 3 slices \(embb, urllc, mmtc\)/);
  }, 120_000);
});

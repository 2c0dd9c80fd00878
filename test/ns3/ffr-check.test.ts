import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureNs3Build, resolveNs3Program } from '../../src/remote/index.js';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';

// SlicingFfrAlgorithm through the scheduler's and the RRC's SAP interfaces (ns3-patch/examples/slicing-ffr-check.cc):
// largest-remainder rounding, per-UE RBG blocks (DL and UL), repair of infeasible shares, CQI reports.

const hasNs3 = checkRequirement(ns3Requirement());
let program = '';

beforeAll(async () => {
  if (hasNs3) program = resolveNs3Program('slicing-ffr-check', (await ensureNs3Build()).buildDir);
}, 20 * 60_000);

describe.runIf(hasNs3)('SlicingFfrAlgorithm self-checks', () => {
  it('passes every check', async () => {
    const result = await promisify(execFile)(program, [], { timeout: 60_000 }).catch((err: { stdout?: string; message: string }) => {
      throw new Error(`slicing-ffr-check failed:\n${err.stdout ?? err.message}`);
    });
    const match = /slicing-ffr-check: (\d+) of (\d+) checks passed/.exec(result.stdout);
    expect(match, result.stdout).not.toBeNull();
    expect(match![1]).toBe(match![2]);
    expect(Number(match![2])).toBeGreaterThan(50);
  }, 60_000);
});

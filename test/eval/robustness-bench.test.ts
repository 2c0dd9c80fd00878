import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'robustness.ts'), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bench:robustness', () => {
  it('writes one row per (scenario, policy) in the shape of bench-results/robustness.json on a 1-episode run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-robustness-'));
    try {
      const out = join(dir, 'robustness.json');
      const policies = ['maddpg-lagrangian', 'static', 'oracle', 'oracle-constrained'];
      const { code, stdout, stderr } = await runBench([
        '--episodes', '1', '--eval-episodes', '1', '--scenarios', 'robustness-outage', '--policies', policies.join(','), '--out', out,
      ]);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('robustness-outage: training maddpg-lagrangian for 1 episodes');
      expect(stdout).toMatch(/^robustness-outage: 1 training episodes per agent, training seed 13, 1 held-out episodes from seed 900000/m);
      expect(stdout).toMatch(/^aim maddpg-lagrangian mean utility vs constrained oracle: [\d.]+ vs 0\.95 (met|MISSED)$/m);
      const result = JSON.parse(readFileSync(out, 'utf8')) as {
        rows: Array<Record<string, unknown> & { constraints: Array<Record<string, unknown>> }>;
        aims: Array<Record<string, unknown>>;
      };
      expect(result.rows.map((r) => [r.scenario, r.policy])).toEqual(policies.map((p) => ['robustness-outage', p]));
      for (const row of result.rows) {
        expect(typeof row.meanUtility).toBe('number');
        expect(row.qosSatisfaction).toBeGreaterThanOrEqual(0);
        expect(row.qosSatisfaction).toBeLessThanOrEqual(1);
        expect(row.constraints).toEqual([{ slice: 'urllc', kind: 'delay-violation-rate', limit: 0.01, value: expect.any(Number) }]);
        expect(row.recoverySteps === null || typeof row.recoverySteps === 'number').toBe(true);
      }
      const byPolicy = Object.fromEntries(result.rows.map((r) => [r.policy, r]));
      expect(byPolicy['oracle']!.vsOracle).toBe(1);
      expect(byPolicy['oracle-constrained']!.vsConstrainedOracle).toBe(1);
      // The constrained oracle meets the limit on this scenario, so the constrained agent has that aim.
      expect(result.aims.map((a) => a.aim)).toEqual(['mean utility vs constrained oracle', 'urllc delay-violation-rate <= limit']);
      expect(byPolicy['maddpg-lagrangian']!.seeds).toEqual([13]);
      expect(byPolicy['static']!.perSeed).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('--seeds trains each agent once per seed: the row holds the seed means, perSeed each seed, the aims count the seeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-robustness-'));
    try {
      const out = join(dir, 'robustness.json');
      const { code, stdout, stderr } = await runBench([
        '--episodes', '1', '--eval-episodes', '1', '--scenarios', 'robustness-outage', '--policies', 'maddpg-lagrangian,oracle-constrained', '--seeds', '3,4', '--out', out,
      ]);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('training maddpg-lagrangian for 1 episodes (seed 3)');
      expect(stderr).toContain('training maddpg-lagrangian for 1 episodes (seed 4)');
      expect(stdout).toMatch(/^robustness-outage: .*agents: the mean over training seeds 3, 4,/m);
      expect(stdout).toMatch(/^aim maddpg-lagrangian mean utility vs constrained oracle: [\d.]+ vs 0\.95 (met|MISSED) \(mean of 2 seeds; met on [012] of 2\)$/m);
      const result = JSON.parse(readFileSync(out, 'utf8')) as {
        rows: Array<{ policy: string; meanUtility: number; constraints: Array<{ value: number }>; seeds: number[] | null; perSeed: Array<{ seed: number; meanUtility: number; constraints: number[] }> | null }>;
        aims: Array<{ aim: string; metOnSeeds?: { met: number; of: number } }>;
      };
      const agent = result.rows.find((r) => r.policy === 'maddpg-lagrangian')!;
      expect(agent.seeds).toEqual([3, 4]);
      expect(agent.perSeed!.map((p) => p.seed)).toEqual([3, 4]);
      const [a, b] = agent.perSeed!;
      expect(agent.meanUtility).toBeCloseTo((a!.meanUtility + b!.meanUtility) / 2, 12);
      expect(agent.constraints[0]!.value).toBeCloseTo((a!.constraints[0]! + b!.constraints[0]!) / 2, 12);
      for (const aim of result.aims) expect(aim.metOnSeeds?.of).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('finds the Lagrangian expected-model oracle\'s weight within the limits and prints the cap against the constrained oracle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-robustness-'));
    try {
      const out = join(dir, 'robustness.json');
      const { code, stdout, stderr } = await runBench([
        '--eval-episodes', '1', '--scenarios', 'robustness-outage', '--policies', 'oracle-constrained,oracle-expected,oracle-lagrangian-expected', '--out', out,
      ]);
      expect(code, stderr).toBe(0);
      const result = JSON.parse(readFileSync(out, 'utf8')) as {
        rows: Array<{ policy: string; meanUtility: number; constraints: Array<{ value: number; limit: number }>; violationWeight: number | null; vsConstrainedOracle: number }>;
      };
      const [constrained, expected, lagrangian] = result.rows;
      expect(constrained!.violationWeight).toBeNull();
      // The unconstrained search goes over the outage limit, so the search prices violations, doubling from 0.25, then bisecting.
      expect(expected!.constraints[0]!.value).toBeGreaterThan(expected!.constraints[0]!.limit);
      expect(stderr).toContain('oracle-lagrangian-expected at weight 0.00');
      expect(stderr).toContain('oracle-lagrangian-expected at weight 0.250');
      expect(lagrangian!.violationWeight).toBeGreaterThan(0);
      expect(lagrangian!.constraints[0]!.value).toBeLessThanOrEqual(lagrangian!.constraints[0]!.limit);
      // Within the limit it gives up utility against the unconstrained search, and it does not know the draw.
      expect(lagrangian!.meanUtility).toBeLessThan(expected!.meanUtility);
      expect(lagrangian!.vsConstrainedOracle).toBeLessThan(1);
      expect(stdout).toMatch(/^oracle-lagrangian-expected \(weight [\d.]+\) /m);
      expect(stdout).toContain(`cap within the limits (no policy choosing before the draw does better): oracle-lagrangian-expected ${lagrangian!.vsConstrainedOracle.toFixed(4)} of the constrained oracle`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses --seed together with --seeds, in one line naming the option', async () => {
    const { code, stderr } = await runBench(['--seed', '1', '--seeds', '2,3', '--scenarios', 'robustness-outage']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--seeds/);
  }, 30_000);
});

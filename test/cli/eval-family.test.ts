import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const entry = join(import.meta.dirname, 'fixtures', 'corridor-cli.ts');

/** Runs the CLI entry that registers the corridor family first. */
function runCorridorCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let scenarioFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-eval-family-'));
  scenarioFile = join(dir, 'corridor-5.yaml');
  writeFileSync(scenarioFile, 'name: corridor-5\nfamily: corridor\nenv: { kind: synthetic }\nepisodeSteps: 10\nseed: 3\ncorridor: { length: 5 }\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ns3ts eval on another env family', () => {
  it("runs the family's baselines through the generic evaluation and prints its KPIs", async () => {
    const out = join(dir, 'all.json');
    const { code, stdout, stderr } = await runCorridorCli(['eval', '-s', scenarioFile, '-e', '2', '--out', out, '--no-progress']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('scenario corridor-5 (family corridor), 2 episode(s) from seed 3');
    expect(lines[1]).toMatch(/^policy\s+return\s+steps\s+goalRate\s+meanLength$/);
    // Always right reaches cell 4 in 4 steps: return 5 - 3, goal every episode.
    expect(lines[3]).toMatch(/^baseline:right\s+2\.000\s+8\s+1\.000\s+4\.000$/);
    const results = JSON.parse(readFileSync(out, 'utf8')) as Array<{ policy: string; family: string; kpis: Record<string, number | null> }>;
    expect(results.map((r) => r.policy)).toEqual(['baseline:random', 'baseline:right']);
    expect(results[1]).toMatchObject({ family: 'corridor', kpis: { goalRate: 1, meanLength: 4 } });
  }, 120_000);

  it('--json prints one object for one baseline; a slicing-only policy spec is refused in one line', async () => {
    const one = await runCorridorCli(['eval', '-s', scenarioFile, '-p', 'baseline:right', '-e', '1', '--json', '--no-progress']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ scenario: 'corridor-5', family: 'corridor', policy: 'baseline:right', episodes: 1, seed: 3 });
    const refused = await runCorridorCli(['eval', '-s', scenarioFile, '-p', 'shares:0.5,0.5', '--no-progress']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')[0]).toBe(
      'ns3ts: policy: got "shares:0.5,0.5", expected all-baselines or baseline:<random|right> (the baselines of family corridor)',
    );
  }, 120_000);
});

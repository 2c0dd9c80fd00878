import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/index.js';

interface ChildReport {
  steps: number;
  zeromqModules: string[];
  zeromqAddons: string[];
}

function runChild(...args: string[]): ChildReport {
  const child = join(packageRoot, 'test', 'families', 'fixtures', 'lazy-load-child.ts');
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ChildReport;
}

describe('the synthetic path', () => {
  it('loads a synthetic scenario, creates and steps its env without loading ZeroMQ', () => {
    const report = runChild();
    expect(report.steps).toBe(3);
    expect(report.zeromqModules).toEqual([]);
    expect(report.zeromqAddons).toEqual([]);
  }, 60_000);

  it('the check sees ZeroMQ once remote/ is loaded', () => {
    const report = runChild('remote');
    expect(report.zeromqModules.length + report.zeromqAddons.length).toBeGreaterThan(0);
  }, 60_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, runCli } from './helpers-scenarios.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-inputs-'));
});
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI input checks', () => {
  it('`ns3ts sweep` without a file is a usage error', async () => {
    const { code, stderr } = await runCli(['sweep']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/Usage: ns3ts sweep/);
  }, 60_000);

  it('`sweep --workers 0` is refused in one line', async () => {
    const { code, stderr } = await runCli(['sweep', 'scenarios/sweeps/slices-scaling.yaml', '--workers', '0', '--out', join(dir, 'w0'), '--dry-run']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^ns3ts: --workers: got "?0"?, expected an integer >= 1/m);
  }, 60_000);

  it('`train --out /proc/...` is refused at once instead of spinning', async () => {
    const { code, stderr } = await runCli(['train', '--out', '/proc/ns3ts-runs', '--run-id', 'x', '--episodes', '1', '--no-progress'], 30_000);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--out: .*virtual filesystem/);
  }, 60_000);

  it('`scenarios show /etc/passwd` does not print the file', async () => {
    const { code, stdout, stderr } = await runCli(['scenarios', 'show', '/etc/passwd']);
    expect(code).not.toBe(0);
    expect(`${stdout}${stderr}`).not.toMatch(/root|bin\/|nologin/);
    expect(stderr).toMatch(/line \d+ column \d+/);
  }, 60_000);
});

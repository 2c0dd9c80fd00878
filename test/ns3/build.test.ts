import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureNs3Build, ns3SourceHash, resolveNs3Program } from '../../src/remote/index.js';
import { selfCommand } from '../../src/util/index.js';
import { checkRequirement, ns3Requirement } from '../helpers/requirements.js';

// The ns-3 build: skipped when the sources did not change, serialized by its lock; `ns3ts build-ns3`.

const hasNs3 = checkRequirement(ns3Requirement());

beforeAll(async () => {
  if (hasNs3) await ensureNs3Build();
}, 20 * 60_000);

describe.runIf(hasNs3)('ns-3 build', () => {
  it('does nothing when the sources are unchanged, also for concurrent callers (lock)', async () => {
    const [a, b] = await Promise.all([ensureNs3Build(), ensureNs3Build()]);
    expect(a.rebuilt).toBe(false);
    expect(b.rebuilt).toBe(false);
    expect(a.sourceHash).toBe(ns3SourceHash());
    expect(a.programs).toEqual(expect.arrayContaining(['slicing-lte', 'slicing-null']));
    expect(existsSync(resolveNs3Program('slicing-lte', a.buildDir))).toBe(true);
    expect(existsSync(join(a.buildDir, '.ns3ts-build.lock'))).toBe(false);
  }, 60_000);

  it('takes over a lock left by a dead process', async () => {
    const first = await ensureNs3Build();
    writeFileSync(join(first.buildDir, '.ns3ts-build.lock'), '999999999\n');
    const again = await ensureNs3Build({ lockTimeoutMs: 10_000 });
    expect(again.rebuilt).toBe(false);
  }, 60_000);

  it('the source hash covers the sources: a changed file changes it', () => {
    const root = mkdtempSync(join(tmpdir(), 'ns3ts-hash-'));
    try {
      for (const dir of ['ns3-patch/model', 'bridge', 'proto', 'src']) mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, 'CMakeLists.txt'), 'top');
      writeFileSync(join(root, 'ns3-patch', 'model', 'x.cc'), 'a');
      const before = ns3SourceHash(root);
      expect(ns3SourceHash(root)).toBe(before);
      writeFileSync(join(root, 'src', 'not-a-source.ts'), 'ignored');
      expect(ns3SourceHash(root)).toBe(before);
      writeFileSync(join(root, 'ns3-patch', 'model', 'x.cc'), 'b');
      expect(ns3SourceHash(root)).not.toBe(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('ns3ts build-ns3 --json reports the build directory and the programs', async () => {
    const self = selfCommand();
    const { stdout } = await promisify(execFile)(self.command, [...self.args, 'build-ns3', '--json'], { timeout: 600_000 });
    const result = JSON.parse(stdout) as { rebuilt: boolean; binDir: string; programs: string[] };
    expect(result.rebuilt).toBe(false);
    expect(result.programs).toEqual(expect.arrayContaining(['slicing-lte', 'slicing-null']));
  }, 600_000);
});

// The library face (src/index.ts) re-exports every layer's face below the CLI, report/ and tune/
// included, and still loads no ZeroMQ: the transport is the ns3ts/remote subpath. Checked in a
// fresh process, whose loaded shared objects say whether the ZeroMQ addon came in.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..', '..');

describe('the library face', () => {
  it('exports the report and tune faces without loading ZeroMQ', () => {
    const script = [
      "const face = await import('./src/index.ts');",
      "const zmq = () => process.report.getReport().sharedObjects.filter((s) => /zmq|zeromq/i.test(s)).length;",
      "const names = ['writeReport', 'figureProviders', 'providerFor', 'renderSvg', 'runStudy', 'TpeSampler', 'parseSpace', 'train', 'evaluateFamilyPolicy'];",
      'const before = zmq();',
      "await import('./src/remote.ts');",
      'console.log(JSON.stringify({ missing: names.filter((n) => typeof face[n] !== "function"), before, after: zmq() }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { missing: string[]; before: number; after: number };
    expect(result.missing).toEqual([]);
    expect(result.before).toBe(0);
    // The check itself sees ZeroMQ once the transport subpath is imported.
    expect(result.after).toBeGreaterThan(0);
  }, 120_000);
});

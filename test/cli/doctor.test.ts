import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { selfCommand } from '../../src/util/index.js';
import { checkFamilies, checkNode, formatChecks, probeTfBackend, type DoctorCheck } from '../../src/cli/commands/doctor.js';
import { registerFamily } from '../../src/families/index.js';
import { corridorFamily } from '../families/fixtures/corridor.js';

const run = promisify(execFile);
const NAMES = ['Node.js', 'TensorFlow.js backend', 'native addon', 'ns-3', 'CMake', 'ZeroMQ dev', 'protobuf compiler + headers', 'Slurm', 'env families'];

describe('ns3ts doctor', () => {
  it('prints one line per check and exits 0; --json gives the same checks', async () => {
    const self = selfCommand();
    const text = await run(self.command, [...self.args, 'doctor'], { timeout: 60_000 });
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(NAMES.length);
    NAMES.forEach((name, i) => expect(lines[i]).toMatch(new RegExp(`^(ok|missing|FAIL)\\s+${name.replace(/[+.]/g, '\\$&')}\\s`)));
    const json = await run(self.command, [...self.args, 'doctor', '--json'], { timeout: 60_000 });
    const { checks } = JSON.parse(json.stdout) as { checks: DoctorCheck[] };
    expect(checks.map((c) => c.name)).toEqual(NAMES);
    expect(checks[0]!.ok).toBe(true);
    for (const c of checks) if (!c.ok) expect(c.install, c.name).toBeTruthy();
  });

  it('reports what to install when something is missing', () => {
    const old = checkNode('18.19.0');
    expect(old).toMatchObject({ ok: false, required: true });
    expect(formatChecks([old])).toMatch(/^FAIL\s+Node\.js\s+18\.19\.0 \(needs >= 20\.17\) -> install Node\.js 20\.17/);
    expect(checkNode('20.17.0').ok).toBe(true);
    expect(checkNode('22.1.0').ok).toBe(true);
    expect(formatChecks([{ name: 'Slurm', ok: false, required: false, detail: 'not found', install: 'apt-get install slurm-wlm' }])).toBe(
      'missing Slurm  not found -> apt-get install slurm-wlm',
    );
  });

  it('lists the registered env families with their env kinds on one line', () => {
    expect(formatChecks([checkFamilies()])).toBe('ok      env families  slicing (synthetic, ns3, linux-tc), sfc (synthetic, ns3), vnf-migration (synthetic)');
    registerFamily(corridorFamily);
    expect(checkFamilies().detail).toBe('slicing (synthetic, ns3, linux-tc), sfc (synthetic, ns3), vnf-migration (synthetic), corridor (synthetic)');
  });

  it('the TensorFlow.js probe falls back from tfjs-node to wasm to cpu', async () => {
    const probe = await probeTfBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(probe.backend);
  });
});

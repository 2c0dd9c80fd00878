import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayBuffer, selectBackend } from '../../src/agents/index.js';
import { loadScenario, resolveScenario, scenarioToYaml } from '../../src/scenario/index.js';
import { loadSweepFile } from '../../src/sweep/index.js';
import { train } from '../../src/train/index.js';
import { tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-inputs-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function trainError(options: Parameters<typeof train>[0]): Promise<string> {
  try {
    await train({ scenario: tinyScenario(), backend: 'wasm', progress: false, stopAfter: 1, ...options });
  } catch (err) {
    return (err as Error).message;
  }
  return '(trained without an error)';
}

describe('run ids and output folders', () => {
  it('refuses a --run-id that leaves --out, or is empty, before writing anything', async () => {
    const out = join(dir, 'a', 'out');
    mkdirSync(out, { recursive: true });
    expect(await trainError({ outDir: out, runId: '../../x' })).toMatch(/^--run-id: got "\.\.\/\.\.\/x", expected a folder name/);
    expect(await trainError({ outDir: out, runId: '' })).toMatch(/^--run-id: got "", expected a folder name/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses --out below /sys (or /proc, /dev: the CLI test), also through a symlink', async () => {
    symlinkSync('/sys', join(dir, 'sys-link'));
    for (const out of ['/sys/ns3ts-runs', join(dir, 'sys-link', 'ns3ts-runs')]) {
      expect(await trainError({ outDir: out, runId: 'r' })).toMatch(/^--out: .*\/sys is a virtual filesystem/);
    }
  });

  it('refuses a seed beyond the 32 bits the generators use', async () => {
    expect(await trainError({ outDir: dir, runId: 'big-seed', seed: 2 ** 53 + 2 })).toMatch(/^--seed: got 9007199254740994, expected an integer seed 0\.\.4294967295/);
    expect(await trainError({ outDir: dir, runId: 'neg-seed', seed: -1 })).toMatch(/^--seed/);
    expect(existsSync(join(dir, 'big-seed'))).toBe(false);
  });
});

describe('scenario and sweep files', () => {
  it('refuses a scenario or sweep file above the size limit before parsing it', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `${scenarioToYaml(tinyScenario())}${'# padding\n'.repeat(120_000)}`);
    expect(() => loadScenario(big)).toThrow(/at most 1048576 bytes \(it has 1[0-9]{6}/);
    const bigSweep = join(dir, 'big-sweep.yaml');
    writeFileSync(bigSweep, `name: big\nbase: slicing-synthetic\ncommand: {eval: {policy: baseline:static}}\n${'# padding\n'.repeat(120_000)}`);
    expect(() => loadSweepFile(bigSweep)).toThrow(/at most 1048576 bytes/);
  });

  it('bounds the number of slices and cells × slices with an error naming the field and the limit', () => {
    const base = tinyScenario() as unknown as Record<string, unknown>;
    const slice = (base.slices as Array<Record<string, unknown>>)[0]!;
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...slice, name: `s${i}`, minShare: 0 }));
    expect(() => resolveScenario({ ...base, slices: many })).toThrow(/^slices: got 10000, expected at most 64 slices/);
    const wide = Array.from({ length: 64 }, (_, i) => ({ ...slice, name: `s${i}`, minShare: 0 }));
    expect(() => resolveScenario({ ...base, cells: 10_000, slices: wide })).toThrow(/^cells × slices: got 640000, expected at most 65536/);
  });

  it('bounds replay buffers (capacity × width) with an error naming bufferCapacity', () => {
    expect(() => new ReplayBuffer(100_000_000, [{ name: 'obs', width: 960 }])).toThrow(/^bufferCapacity: got 100000000, expected at most 1118481 transitions for replay field obs of 960 floats/);
  });

  it('shows where a file fails to be a scenario, not its content', () => {
    const foreign = join(dir, 'passwd');
    writeFileSync(foreign, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    let message = '';
    try {
      loadScenario(foreign);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^passwd: .*line 1 column 1/);
    expect(message).not.toMatch(/root|daemon|bash/);
    // A file of "key: value" lines parses as a mapping: an unknown key is named, its value is not.
    const info = join(dir, 'info');
    writeFileSync(info, 'slices: [{name: a, type: eMBB, phiTarget: 1, delayTarget: 10}]\nmodel name: Secret CPU 9000\n');
    expect(() => loadScenario(info)).toThrow(/^info: model name: got "a string \(not shown\)", expected no such field/);
  });
});

// The package as a user gets it: `npm pack` the project, install the tarball into an empty folder,
// then use it there as a CLI (`ns3ts --help`, a two-episode `train`) and as a library
// (`import { ... } from 'ns3ts'`). Catches a missing `exports`/`bin`/`files` entry, a file the CLI
// needs at run time that is not packed, or a dependency that is only a devDependency.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..', '..');
let work = '';
let app = '';

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // The addon build is tested elsewhere; here the fallback keeps the install short.
    env: { ...process.env, NS3TS_NATIVE: 'off', npm_config_audit: 'false', npm_config_fund: 'false', ...env },
    timeout: 8 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ns3ts-pack-'));
  app = join(work, 'app');
  run('npm', ['pack', '--pack-destination', work], repoRoot);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'ns3ts-user', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], app);
}, 10 * 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into an empty folder', () => {
  it('puts ns3ts on the path of npm scripts and npx, with a complete --help', () => {
    expect(existsSync(join(app, 'node_modules', '.bin', 'ns3ts'))).toBe(true);
    const help = run('npx', ['--no-install', 'ns3ts', '--help'], app);
    for (const command of ['train', 'eval', 'sim', 'agent', 'sweep', 'scenarios', 'doctor']) expect(help).toContain(command);
  });

  it('trains two episodes of the default scenario and writes a run directory', () => {
    run('npx', ['--no-install', 'ns3ts', 'train', '--episodes', '2', '--out', 'runs', '--run-id', 'first', '--no-progress'], app);
    const summary = JSON.parse(readFileSync(join(app, 'runs', 'first', 'summary.json'), 'utf8')) as { episodes?: number };
    expect(summary.episodes).toBe(2);
    expect(existsSync(join(app, 'runs', 'first', 'checkpoint.bin'))).toBe(true);
  }, 5 * 60_000);

  it('is importable as a library (ns3ts, and ns3ts/remote for the transport), with types', async () => {
    const script = [
      "import { loadScenario, createEnv } from 'ns3ts';",
      "const env = await createEnv(loadScenario('slicing-synthetic'));",
      'const { obs } = await env.reset({ seed: 1 });',
      'const action = new Float32Array(obs.shape[0] * obs.shape[1]).fill(0.3);',
      'const step = await env.step({ data: action, shape: [obs.shape[0], obs.shape[1]] });',
      'console.log(JSON.stringify({ shape: obs.shape, reward: Number.isFinite(step.reward) }));',
      'await env.close();',
      "const remote = await import('ns3ts/remote');",
      "if (typeof remote.GymServer !== 'function' || typeof remote.RemoteEnv !== 'function') throw new Error('ns3ts/remote is incomplete');",
      "const face = await import('ns3ts');",
      "if (typeof face.writeReport !== 'function' || typeof face.runStudy !== 'function') throw new Error('ns3ts lacks the report or tune face');",
    ].join('\n');
    writeFileSync(join(app, 'use.mjs'), script);
    const out = JSON.parse(run('node', ['use.mjs'], app).trim().split('\n').pop()!) as { shape: number[]; reward: boolean };
    expect(out.shape).toEqual([3, 3, expect.any(Number)]);
    expect(out.reward).toBe(true);
    const types = readFileSync(join(app, 'node_modules', 'ns3ts', 'dist', 'index.d.ts'), 'utf8');
    expect(types).toContain('env/index.js');
  });
});

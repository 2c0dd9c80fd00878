import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/agents/index.js';
import { resolveLogLevel } from '../../src/cli/index.js';
import { scenarioToYaml } from '../../src/scenario/index.js';
import { log, setLogLevel, setLogSink } from '../../src/util/index.js';
import { selfCommand } from '../../src/util/index.js';
import { tinyScenario } from '../agents/helpers.js';

const execFileAsync = promisify(execFile);
let dir: string;
let scenarioFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-logging-'));
  scenarioFile = join(dir, 'tiny.yaml');
  writeFileSync(scenarioFile, scenarioToYaml(tinyScenario({ training: { episodes: 1, evalEvery: 0, evalEpisodes: 1 } })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const self = selfCommand();
  try {
    const { stdout, stderr } = await execFileAsync(self.command, [...self.args, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function trainArgs(runId: string): string[] {
  return ['train', '--scenario', scenarioFile, '--out', dir, '--run-id', runId, '--no-progress'];
}

describe('log levels and the backend line', () => {
  it('train starts with one calm backend line; the fallback reasons are not on it', async () => {
    const { code, stderr } = await cli(trainArgs('calm'));
    expect(code, stderr).toBe(0);
    const first = stderr.split('\n')[0]!;
    expect(first).toMatch(/^backend (native|ts|tensorflow|wasm|cpu); run /);
    expect(stderr).not.toContain('Cannot find package');
    expect(stderr).not.toContain('tfjs-node');
  }, 60_000);

  it('--verbose logs the backend fallbacks and the env construction at debug level', async () => {
    const info = await selectBackend('auto');
    const { code, stderr } = await cli(['--verbose', ...trainArgs('verbose')]);
    expect(code, stderr).toBe(0);
    for (const reason of info.fallbacks) expect(stderr).toContain(`debug: backend fallback: ${reason.split(':')[0]}: `);
    expect(stderr).toMatch(/^debug: env: synthetic env of scenario tiny-synthetic/m);
  }, 60_000);

  it('--quiet prints errors only; --log-level is checked', async () => {
    const quiet = await cli(['--quiet', ...trainArgs('quiet')]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const bad = await cli(['--log-level', 'loud', 'scenarios']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')[0]).toBe('ns3ts: --log-level: got "loud", expected one of error, warn, info, debug');
  }, 60_000);

  it('doctor explains the backend choice: every backend, why it did or did not load, how to get tfjs-node', async () => {
    const { code, stdout } = await cli(['doctor']);
    expect(code).toBe(0);
    const line = stdout.split('\n').find((l) => l.includes('TensorFlow.js backend'))!;
    for (const backend of ['tfjs-node:', 'wasm:', 'cpu:']) expect(line).toContain(backend);
    if (!line.includes('tensorflow in use')) expect(line).toContain('npm install @tensorflow/tfjs-node');
  }, 60_000);

  it('resolves the level: --log-level over --quiet over --verbose; the logger filters by it', () => {
    expect(resolveLogLevel({})).toBe('info');
    expect(resolveLogLevel({ quiet: true })).toBe('error');
    expect(resolveLogLevel({ verbose: true })).toBe('debug');
    expect(resolveLogLevel({ quiet: true, logLevel: 'warn' })).toBe('warn');
    expect(() => resolveLogLevel({ quiet: true, verbose: true })).toThrow(/--quiet/);
    const lines: string[] = [];
    const previous = setLogSink((text) => lines.push(text));
    try {
      setLogLevel('warn');
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
    } finally {
      setLogSink(previous);
      setLogLevel('info');
    }
    expect(lines).toEqual(['warning: w\n', 'ns3ts: e\n']);
  });
});

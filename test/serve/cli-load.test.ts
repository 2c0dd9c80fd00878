// `ns3ts serve` is registered with every other command; its HTTP stack (Fastify, the rate-limit
// plugin, prom-client) loads only when a server starts, so no other command pays its start-up time.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/index.js';

function modulesLoaded(...args: string[]): { httpModules: number; onnxModules: number } {
  const child = join(packageRoot, 'test', 'serve', 'fixtures', 'cli-load-child.ts');
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { httpModules: number; onnxModules: number };
}

function httpModulesLoaded(...args: string[]): number {
  return modulesLoaded(...args).httpModules;
}

describe('the CLI without a server', () => {
  it('builds every command without loading Fastify or prom-client', () => {
    expect(httpModulesLoaded()).toBe(0);
  }, 60_000);

  it('builds every command without loading onnxruntime-node (serve imports it with the first onnx: model)', () => {
    expect(modulesLoaded().onnxModules).toBe(0);
  }, 60_000);

  it('the check sees them once they are loaded', () => {
    expect(httpModulesLoaded('serve')).toBeGreaterThan(0);
  }, 60_000);
});

/**
 * The training engine under signals and garbage collection: a profiled child process (V8's CPU
 * profiler interrupts the main thread with SIGPROF every 50 µs) runs TD3-shaped updates with
 * changing batch sizes and a full GC between calls, and must finish with exactly the state of an
 * unprofiled run. oneDNN's JIT products used to corrupt the heap when a signal arrived inside them
 * (glibc aborted with "corrupted size vs. prev_size"); gemm.cc now blocks asynchronous signals
 * around each library product. Under CI=true the same child also runs on the AddressSanitizer
 * build of the addon (scripts/build-native.mjs --sanitize).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeStatus } from '../../src/native/index.js';
import { packageRoot } from '../../src/util/index.js';

const CHILD = join(packageRoot, 'test', 'native', 'trainer-stress-child.ts');
const UPDATES = 40;
const profileDir = mkdtempSync(join(tmpdir(), 'ns3ts-trainer-signals-'));
afterAll(() => rmSync(profileDir, { recursive: true, force: true }));

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(threads: number, nodeFlags: string[], env: NodeJS.ProcessEnv = process.env): ChildResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', ...nodeFlags, CHILD, String(UPDATES), String(threads)], {
    cwd: packageRoot,
    env,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr };
}

function stateOf(result: ChildResult): string {
  expect({ status: result.status, signal: result.signal, stderr: result.stderr.slice(-2000) }).toEqual({ status: 0, signal: null, stderr: expect.any(String) });
  const line = JSON.parse(result.stdout.trim().split('\n').pop()!) as { updates: number; state: string };
  expect(line.updates).toBe(UPDATES);
  return line.state;
}

const profiled = ['--expose-gc', '--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profileDir];

describe.skipIf(!nativeStatus().active)('native trainer under a profiler (signals) and forced GC', () => {
  for (const threads of [1, 2]) {
    it(`${threads} thread(s): a profiled run with changing batches ends with the unprofiled run's state`, () => {
      const reference = stateOf(runChild(threads, []));
      expect(stateOf(runChild(threads, profiled))).toBe(reference);
    }, 300_000);
  }

  it.runIf(process.env.CI === 'true' && process.platform === 'linux')('the profiled run is AddressSanitizer clean', () => {
    let libasan = '';
    try {
      libasan = execFileSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
    } catch {
      // no g++: the assertion below names what is missing
    }
    expect(existsSync(libasan), `libasan.so (g++ -print-file-name): got '${libasan}', expected an existing file`).toBe(true);
    execFileSync(process.execPath, [join(packageRoot, 'scripts', 'build-native.mjs'), '--sanitize'], { cwd: packageRoot, stdio: 'pipe', timeout: 240_000 });
    const addon = join(packageRoot, 'build', 'native-asan', 'Release', 'ns3ts_native.node');
    const reference = stateOf(runChild(1, []));
    const env = { ...process.env, NS3TS_NATIVE_ADDON: addon, LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0' };
    const result = runChild(1, profiled, env);
    expect(result.stderr).not.toMatch(/AddressSanitizer/);
    expect(stateOf(result)).toBe(reference);
  }, 400_000);
});

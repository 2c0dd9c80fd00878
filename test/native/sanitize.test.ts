import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/index.js';
import { checkRequirement } from '../helpers/requirements.js';

function hasCommand(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const toolchain = checkRequirement({
  name: 'C++ toolchain (cmake, g++)',
  available: hasCommand('cmake') && hasCommand('g++'),
  install: 'apt-get install cmake g++',
});

describe.skipIf(!toolchain)('native kernels under AddressSanitizer and UBSan', () => {
  it('the standalone kernel and trainer tests pass with no memory errors or leaks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-native-asan-'));
    try {
      const generator = hasCommand('ninja') ? ['-G', 'Ninja'] : [];
      execFileSync('cmake', ['-S', join(packageRoot, 'native'), '-B', dir, '-DNS3TS_SANITIZE=ON', '-DCMAKE_BUILD_TYPE=Release', ...generator], {
        stdio: 'pipe',
        timeout: 120_000,
      });
      execFileSync('cmake', ['--build', dir, '--parallel', '2'], { stdio: 'pipe', timeout: 240_000 });
      const output = execFileSync(join(dir, 'native_kernels_test'), {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
      });
      expect(output).toMatch(/all checks passed/);
      // The training engine (gradients, optimizer, the library products and the built-in ones).
      const trainerOutput = execFileSync(join(dir, 'native_trainer_test'), {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1', OMP_WAIT_POLICY: 'passive' },
      });
      expect(trainerOutput).toMatch(/native trainer \(.+ products\): all checks passed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

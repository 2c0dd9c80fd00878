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

describe.skipIf(!toolchain)('the trainer without a matrix library (NS3TS_GEMM=built-in)', () => {
  it('builds on the built-in kernels, says so, and passes the standalone trainer test', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-native-builtin-'));
    try {
      const generator = hasCommand('ninja') ? ['-G', 'Ninja'] : [];
      const configure = execFileSync('cmake', ['-S', join(packageRoot, 'native'), '-B', dir, '-DNS3TS_GEMM=built-in', '-DCMAKE_BUILD_TYPE=Release', ...generator], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(configure).toMatch(/ns3ts trainer matrix products: built-in/);
      execFileSync('cmake', ['--build', dir, '--parallel', '2', '--target', 'native_trainer_test'], { stdio: 'pipe', timeout: 240_000 });
      const output = execFileSync(join(dir, 'native_trainer_test'), { encoding: 'utf8', timeout: 120_000 });
      expect(output).toMatch(/native trainer \(built-in products\): all checks passed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});

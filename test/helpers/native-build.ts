import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/index.js';
import { hasCommand } from './requirements.js';

/**
 * Configures and builds a variant of the native CMake project (sanitizers, another matrix library)
 * in a fresh temporary folder, runs `use(dir, configureOutput)` on it and removes the folder.
 */
export function withNativeVariant(prefix: string, defines: readonly string[], targets: readonly string[], use: (dir: string, configureOutput: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const generator = hasCommand('ninja') ? ['-G', 'Ninja'] : [];
    const configureOutput = execFileSync('cmake', ['-S', join(packageRoot, 'native'), '-B', dir, ...defines, '-DCMAKE_BUILD_TYPE=Release', ...generator], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const targetArgs = targets.flatMap((target) => ['--target', target]);
    execFileSync('cmake', ['--build', dir, '--parallel', '2', ...targetArgs], { stdio: 'pipe', timeout: 240_000 });
    use(dir, configureOutput);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

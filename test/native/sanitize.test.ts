import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withNativeVariant } from '../helpers/native-build.js';
import { checkRequirement, cppToolchainRequirement } from '../helpers/requirements.js';

const toolchain = checkRequirement(cppToolchainRequirement());

describe.skipIf(!toolchain)('native kernels under AddressSanitizer and UBSan', () => {
  it('the standalone kernel and trainer tests pass with no memory errors or leaks', () => {
    withNativeVariant('ns3ts-native-asan-', ['-DNS3TS_SANITIZE=ON'], [], (dir) => {
      const sanitizers = { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' };
      const output = execFileSync(join(dir, 'native_kernels_test'), {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...sanitizers },
      });
      expect(output).toMatch(/all checks passed/);
      // The training engine (gradients, optimizer, the library products and the built-in ones).
      const trainerOutput = execFileSync(join(dir, 'native_trainer_test'), {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...sanitizers, OMP_WAIT_POLICY: 'passive' },
      });
      expect(trainerOutput).toMatch(/native trainer \(.+ products\): all checks passed/);
    });
  }, 300_000);
});

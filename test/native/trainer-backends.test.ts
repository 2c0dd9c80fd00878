import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withNativeVariant } from '../helpers/native-build.js';
import { checkRequirement, cppToolchainRequirement } from '../helpers/requirements.js';

const toolchain = checkRequirement(cppToolchainRequirement());

describe.skipIf(!toolchain)('the trainer without a matrix library (NS3TS_GEMM=built-in)', () => {
  it('builds on the built-in kernels, says so, and passes the standalone trainer test', () => {
    withNativeVariant('ns3ts-native-builtin-', ['-DNS3TS_GEMM=built-in'], ['native_trainer_test'], (dir, configure) => {
      expect(configure).toMatch(/ns3ts trainer matrix products: built-in/);
      const output = execFileSync(join(dir, 'native_trainer_test'), { encoding: 'utf8', timeout: 120_000 });
      expect(output).toMatch(/native trainer \(built-in products\): all checks passed/);
    });
  }, 400_000);
});

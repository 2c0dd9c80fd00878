import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/index.js';
import { createMlpRunner, nativeStatus } from '../../src/native/index.js';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Runs the same small workload in a child process (NS3TS_NATIVE as given) and returns its numbers. */
function runWorkload(nativeSetting: string | undefined): { status: { active: boolean; reason: string }; numbers: number[] } {
  const script = `
    import { Rng } from './src/util/index.ts';
    import { createMlpRunner, nativeStatus } from './src/native/index.ts';
    import { randomMlp, randomInput } from './test/native/helpers.ts';
    const rng = new Rng(41);
    const runner = createMlpRunner(randomMlp(rng, [6, 32, 32, 2], ['relu', 'tanh', 'sigmoid']));
    const input = randomInput(rng, 300 * 6);
    const { output, gradient } = runner.forwardWithInputGradient(input, 300, { inputIndex: 2, outputIndex: 1 });
    process.stdout.write(JSON.stringify({ status: nativeStatus(), impl: runner.impl,
      numbers: [...output, ...gradient] }));
  `;
  const env = { ...process.env };
  if (nativeSetting === undefined) delete env.NS3TS_NATIVE;
  else env.NS3TS_NATIVE = nativeSetting;
  const text = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageRoot,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(text) as { status: { active: boolean; reason: string }; numbers: number[] };
}

describe('native status and the forced fallback', () => {
  it('in CI the addon is built and active', () => {
    const status = nativeStatus();
    expect(status.reason.length).toBeGreaterThan(10);
    if (inCi) expect(status, `CI must build the native addon: ${status.reason}`).toMatchObject({ active: true });
    if (status.active) expect(status.reason).toMatch(/native addon .* loaded from build/);
    else expect(status.reason).toMatch(/TypeScript implementation/);
  });

  it('NS3TS_NATIVE=off forces the TypeScript fallback with the same results as the default', () => {
    const forced = runWorkload('off');
    expect(forced.status.active).toBe(false);
    expect(forced.status.reason).toMatch(/NS3TS_NATIVE=off/);
    const auto = runWorkload(undefined);
    // Without NS3TS_NATIVE the child uses the addon whenever it is built (always in CI).
    if (inCi || nativeStatus().active) expect(auto.status.active).toBe(true);
    expect(auto.numbers.length).toBe(forced.numbers.length);
    let worst = 0;
    forced.numbers.forEach((b, i) => {
      worst = Math.max(worst, Math.abs(auto.numbers[i]! - b) / (Math.abs(b) + 1));
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it("impl: 'native' fails clearly when the addon is not active, 'ts' always works", () => {
    const spec = { layers: [{ inSize: 1, outSize: 1, weights: Float32Array.of(2), bias: Float32Array.of(1), activation: 'linear' as const }] };
    expect(Array.from(createMlpRunner(spec, { impl: 'ts' }).forward(Float32Array.of(3), 1))).toEqual([7]);
    if (!nativeStatus().active) {
      expect(() => createMlpRunner(spec, { impl: 'native' })).toThrow(/options\.impl/);
    } else {
      expect(createMlpRunner(spec, { impl: 'native' }).impl).toBe('native');
      expect(createMlpRunner(spec).impl).toBe('native');
    }
    expect(() => createMlpRunner(spec, { impl: 'gpu' as 'ts' })).toThrow(/options\.impl: got "gpu"/);
  });
});

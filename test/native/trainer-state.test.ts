import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot, Rng } from '../../src/util/index.js';
import { createMlpTrainer, nativeStatus, type MlpTrainer } from '../../src/native/index.js';
import { randomInput, randomMlp } from './helpers.js';
import { impls, relativeError } from './trainer-helpers.js';

/** A few critic-style steps on fixed data (batch 64) so that every buffer changes. */
function train(trainer: MlpTrainer, steps: number, seed: number): void {
  const rng = new Rng(seed);
  for (let i = 0; i < steps; i++) {
    trainer.forward(randomInput(rng, 64 * trainer.inputSize), 64);
    trainer.loss('huber', randomInput(rng, 64 * trainer.outputSize), { huberDelta: 0.5 });
    trainer.backward();
    trainer.clipGradientNorm(1);
    trainer.adamStep();
  }
}

function bytes(trainer: MlpTrainer): Buffer {
  const s = trainer.getState();
  return Buffer.concat([Buffer.from(s.params.buffer), Buffer.from(s.adamM.buffer), Buffer.from(s.adamV.buffer), Buffer.from(Float64Array.of(s.step).buffer)]);
}

describe.each(impls)('MlpTrainer state (%s)', (impl) => {
  it('save and restore are byte-identical, and continuing after a restore equals continuing without', () => {
    const spec = randomMlp(new Rng(2), [10, 32, 32, 2], ['relu', 'relu', 'linear']);
    const original = createMlpTrainer(spec, { impl, maxBatch: 64, adam: { learningRate: 3e-3 } });
    train(original, 5, 100);
    const saved = original.getState();
    const savedBytes = bytes(original);
    const restored = createMlpTrainer(randomMlp(new Rng(3), [10, 32, 32, 2], ['relu', 'relu', 'linear']), { impl, maxBatch: 64, adam: { learningRate: 3e-3 } });
    restored.setState(structuredClone(saved));
    expect(bytes(restored).equals(savedBytes)).toBe(true);
    train(original, 5, 200);
    train(restored, 5, 200);
    expect(bytes(restored).equals(bytes(original))).toBe(true);
    expect(original.step).toBe(10);
  });

  it('a fixed thread count gives identical results run after run', () => {
    const spec = randomMlp(new Rng(4), [12, 64, 64, 3], ['tanh', 'relu', 'linear']);
    const runs = [0, 1].map(() => {
      const trainer = createMlpTrainer(spec, { impl, maxBatch: 64, threads: 2 });
      train(trainer, 4, 300);
      return bytes(trainer);
    });
    expect(runs[0]!.equals(runs[1]!)).toBe(true);
  });

  it('bad shapes, options and NaN inputs give one-line errors naming the field', () => {
    const spec = randomMlp(new Rng(5), [3, 4, 2], ['relu', 'linear']);
    const trainer = createMlpTrainer(spec, { impl, maxBatch: 8 });
    const one = (fn: () => unknown, pattern: RegExp): void => {
      let message = '';
      try {
        fn();
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(pattern);
      expect(message).not.toContain('\n');
    };
    one(() => trainer.loss('mse', new Float32Array(2)), /^loss: got "called before forward", expected forward\(input, batch\) first$/);
    one(() => trainer.forward(new Float32Array(5), 2), /^input\.length: got 5, expected 6$/);
    one(() => trainer.forward(new Float32Array(27), 9), /^batch: got 9, expected an integer in \[1, 8\] \(maxBatch\)$/);
    one(() => trainer.forward(Float64Array.of(1, 2, 3) as unknown as Float32Array, 1), /^input: got Float64Array\(3\), expected a Float32Array of length 3$/);
    one(() => trainer.forward(Float32Array.of(1, Number.NaN, 3), 1), /^input\[1\]: got NaN, expected a finite number$/);
    trainer.forward(Float32Array.of(1, 2, 3, 4, 5, 6), 2);
    one(() => trainer.loss('mse', Float32Array.of(0, 1, Infinity, 0)), /^target\[2\]: got Infinity, expected a finite number$/);
    one(() => trainer.loss('mse', new Float32Array(3)), /^target\.length: got 3, expected 4$/);
    one(() => trainer.loss('l1' as 'mse', new Float32Array(4)), /^kind: got "l1", expected 'mse' or 'huber'$/);
    one(() => trainer.backward(Float32Array.of(0, Number.NaN, 0, 0)), /^gradOutput\[1\]: got NaN, expected a finite number$/);
    one(() => trainer.clipGradientNorm(0), /^maxNorm: got 0, expected a finite number > 0$/);
    one(() => trainer.softUpdateFrom(new Float32Array(3), 0.5), /^source\.params\.length: got 3, expected 26$/);
    one(() => trainer.softUpdateFrom(trainer, 2), /^tau: got 2, expected a number in \[0, 1\]$/);
    one(() => trainer.adamStep({ beta1: 1 }), /^overrides\.beta1: got 1, expected a number in \[0, 1\)$/);
    one(() => trainer.setState({ ...trainer.getState(), adamV: new Float32Array(25) }), /^state\.adamV\.length: got 25, expected 26$/);
    one(() => createMlpTrainer(spec, { impl, maxBatch: 0 }), /^options\.maxBatch: got 0, expected an integer in \[1, 4194304\]$/);
    one(() => createMlpTrainer({ layers: [spec.layers[0]!, { ...spec.layers[1]!, inSize: 5, weights: new Float32Array(10) }] }, { impl }), /^spec\.layers\[1\]\.inSize: got 5, expected 4 \(the previous layer's outSize\)$/);
    one(() => createMlpTrainer(spec, { impl, adam: { learningRate: -1 } }), /^options\.adam\.learningRate: got -1, expected a finite number >= 0$/);
  });
});

describe('the TypeScript fallback in a child process (NS3TS_NATIVE=off)', () => {
  it('trains to the same parameters as this process (1e-5), with impl ts', () => {
    const script = `
      import { Rng } from './src/util/index.ts';
      import { createMlpTrainer, nativeStatus } from './src/native/index.ts';
      import { randomMlp, randomInput } from './test/native/helpers.ts';
      const trainer = createMlpTrainer(randomMlp(new Rng(31), [8, 24, 2], ['tanh', 'linear']), { maxBatch: 32, adam: { learningRate: 1e-3 } });
      const rng = new Rng(32);
      for (let i = 0; i < 3; i++) {
        trainer.forward(randomInput(rng, 32 * 8), 32);
        trainer.loss('mse', randomInput(rng, 64));
        trainer.backward();
        trainer.adamStep();
      }
      process.stdout.write(JSON.stringify({ impl: trainer.impl, status: nativeStatus(), params: Array.from(trainer.params) }));
    `;
    const run = (setting: string | undefined): { impl: string; status: { active: boolean; trainingProducts: string }; params: number[] } => {
      const env = { ...process.env };
      if (setting === undefined) delete env.NS3TS_NATIVE;
      else env.NS3TS_NATIVE = setting;
      const text = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: packageRoot, env, encoding: 'utf8', timeout: 60_000 });
      return JSON.parse(text) as { impl: string; status: { active: boolean; trainingProducts: string }; params: number[] };
    };
    const off = run('off');
    expect(off.impl).toBe('ts');
    expect(off.status).toMatchObject({ active: false, trainingProducts: 'typescript' });
    const auto = run(undefined);
    if (nativeStatus().active) {
      expect(auto.impl).toBe('native');
      expect(auto.status.trainingProducts).toBe(nativeStatus().trainingProducts);
    }
    // First Adam steps move each parameter by about lr sign(g): they agree to the float32 noise.
    expect(relativeError(auto.params, off.params, 1)).toBeLessThan(1e-5);
  });
});

describe('nativeStatus names what computes the training products', () => {
  it('onednn in CI (libdnnl-dev is installed there), and the reason says it too', () => {
    const status = nativeStatus();
    if (!status.active) {
      expect(status.trainingProducts).toBe('typescript');
      return;
    }
    expect(status.trainingProducts).toMatch(/^(onednn \d+\.\d+\.\d+|openblas|built-in)$/);
    expect(status.reason).toContain(`training products: ${status.trainingProducts}`);
    if (process.env.CI === 'true' || process.env.CI === '1') expect(status.trainingProducts).toMatch(/^onednn/);
  });
});

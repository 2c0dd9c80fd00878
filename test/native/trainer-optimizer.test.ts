import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpTrainer, type AdamOptions } from '../../src/native/index.js';
import { randomInput, randomMlp } from './helpers.js';
import { impls } from './trainer-helpers.js';

/**
 * Adam as in Kingma & Ba (2015), Algorithm 1, with ε added to sqrt(v̂), computed as PyTorch does:
 * step size η / (1 - β1^t) and sqrt(v̂) = sqrt(v) / sqrt(1 - β2^t) from float64 step counts, then
 * float32 arithmetic per parameter (each operation rounded to float32); weight decay as an L2 term
 * in the gradient, or decoupled (AdamW, Loshchilov & Hutter 2019).
 */
function referenceAdam(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, t: number, o: Required<AdamOptions>): void {
  // beta^t by repeated squaring: the engine's rule, so that the result is exactly reproducible.
  const power = (base: number, e: number): number => (e === 0 ? 1 : (e % 2 ? base : 1) * power(base * base, Math.floor(e / 2)));
  const f32 = (x: number): number => new Float32Array([x])[0]!;
  const step = f32(o.learningRate / (1 - power(o.beta1, t)));
  const scale = f32(1 / Math.sqrt(1 - power(o.beta2, t)));
  const decay = f32(o.decoupled ? 1 - o.learningRate * o.weightDecay : 1);
  const l2 = f32(o.decoupled ? 0 : o.weightDecay);
  for (let i = 0; i < p.length; i++) {
    const gi = f32(g[i]! + f32(l2 * p[i]!));
    const pi = f32(p[i]! * decay);
    m[i] = f32(f32(f32(o.beta1) * m[i]!) + f32(f32(1 - o.beta1) * gi));
    v[i] = f32(f32(f32(o.beta2) * v[i]!) + f32(f32(f32(1 - o.beta2) * gi) * gi));
    p[i] = pi - f32(f32(step * m[i]!) / f32(f32(f32(Math.sqrt(v[i]!)) * scale) + f32(o.epsilon)));
  }
}

const SETTINGS: Array<Required<AdamOptions>> = [
  { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false },
  { learningRate: 3e-2, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1, decoupled: false },
  { learningRate: 3e-2, beta1: 0.5, beta2: 0.9, epsilon: 1e-7, weightDecay: 0.01, decoupled: true },
];

describe.each(impls)('MlpTrainer optimizer (%s)', (impl) => {
  it.each(SETTINGS)('Adam steps equal the reference on fixed gradients (%o)', (settings) => {
    const rng = new Rng(3);
    const trainer = createMlpTrainer(randomMlp(rng, [5, 9, 2], ['relu', 'linear']), { impl, maxBatch: 4, adam: settings });
    const p = trainer.params.slice();
    const m = new Float32Array(p.length);
    const v = new Float32Array(p.length);
    for (let t = 1; t <= 12; t++) {
      const g = randomInput(rng, p.length, 0.5);
      trainer.grads.set(g);
      trainer.adamStep();
      referenceAdam(p, m, v, g, t, settings);
      expect(trainer.step).toBe(t);
      expect(trainer.params).toEqual(p);
      expect(trainer.adamM).toEqual(m);
      expect(trainer.adamV).toEqual(v);
    }
  });

  it('a learning-rate override applies to that step only', () => {
    const rng = new Rng(4);
    const spec = randomMlp(rng, [3, 2], ['linear']);
    const a = createMlpTrainer(spec, { impl, adam: { learningRate: 0.1 } });
    const b = createMlpTrainer(spec, { impl, adam: { learningRate: 0.5 } });
    const g = randomInput(rng, a.parameterCount);
    a.grads.set(g);
    b.grads.set(g);
    a.adamStep({ learningRate: 0.5 });
    b.adamStep();
    expect(a.params).toEqual(b.params);
  });

  it('global-norm clipping scales every gradient by maxNorm / norm', () => {
    const rng = new Rng(6);
    const trainer = createMlpTrainer(randomMlp(rng, [4, 6, 3], ['tanh', 'linear']), { impl });
    const g = randomInput(rng, trainer.parameterCount, 2);
    trainer.grads.set(g);
    const norm = Math.hypot(...g);
    expect(trainer.clipGradientNorm(0.25)).toBeCloseTo(norm, 6);
    for (let i = 0; i < g.length; i++) expect(trainer.grads[i]).toBe(Math.fround(g[i]! * (0.25 / norm)));
    trainer.grads.set(g);
    expect(trainer.clipGradientNorm(1e6)).toBeCloseTo(norm, 6);
    expect(trainer.grads).toEqual(g);
  });

  it('soft and hard target updates', () => {
    const rng = new Rng(8);
    const online = createMlpTrainer(randomMlp(rng, [3, 4, 1], ['relu', 'linear']), { impl });
    const target = createMlpTrainer(randomMlp(rng, [3, 4, 1], ['relu', 'linear']), { impl });
    const before = target.params.slice();
    target.softUpdateFrom(online, 0.01);
    for (let i = 0; i < before.length; i++) expect(target.params[i]).toBe(Math.fround(0.01 * online.params[i]! + 0.99 * before[i]!));
    target.copyFrom(online.params);
    expect(target.params).toEqual(online.params);
  });
});

describe('the native and TypeScript optimizers agree bit for bit', () => {
  it.skipIf(impls.length < 2)('identical gradients give identical parameters, moments and steps', () => {
    const rng = new Rng(12);
    const spec = randomMlp(rng, [6, 16, 3], ['relu', 'sigmoid']);
    const settings = { learningRate: 1e-2, weightDecay: 0.01, decoupled: true };
    const native = createMlpTrainer(spec, { impl: 'native', adam: settings });
    const ts = createMlpTrainer(spec, { impl: 'ts', adam: settings });
    for (let t = 0; t < 20; t++) {
      const g = randomInput(rng, native.parameterCount, 3);
      for (const trainer of [native, ts]) {
        trainer.grads.set(g);
        trainer.clipGradientNorm(1);
        trainer.adamStep();
      }
      expect(native.grads).toEqual(ts.grads);
      expect(native.params).toEqual(ts.params);
      expect(native.adamV).toEqual(ts.adamV);
    }
  });
});

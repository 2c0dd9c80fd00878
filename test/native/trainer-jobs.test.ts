import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpTrainer, runTrainerJobs, type MlpTrainer, type MlpTrainerOptions } from '../../src/native/index.js';
import { randomInput, randomMlp } from './helpers.js';
import { impls } from './trainer-helpers.js';

// Twin critics of td3-256's shape: 256-wide layers at batch 256, so that on two threads the
// separate calls would split the 256 x 256 products while the jobs keep each on one thread.
const SIZES = [48, 256, 256, 1];
const ACTIVATIONS = ['relu', 'relu', 'linear'] as const;
const B = 256;

function critics(options: MlpTrainerOptions): MlpTrainer[] {
  return [21, 22].map((seed) => createMlpTrainer(randomMlp(new Rng(seed), SIZES, [...ACTIVATIONS]), { maxBatch: B, adam: { learningRate: 3e-3 }, ...options }));
}

function bytes(trainers: readonly MlpTrainer[]): Buffer {
  return Buffer.concat(
    trainers.flatMap((t) => [Buffer.from(t.params.slice().buffer), Buffer.from(t.adamM.slice().buffer), Buffer.from(t.adamV.slice().buffer), Buffer.from(Float64Array.of(t.step).buffer)]),
  );
}

/** Three rounds of forwards and clipped MSE steps of both critics toward fresh targets. */
function train(trainers: readonly MlpTrainer[], together: boolean): number[] {
  const rng = new Rng(5);
  const losses: number[] = [];
  for (let round = 0; round < 3; round++) {
    const input = randomInput(rng, B * 48);
    const target = randomInput(rng, B);
    const epsilon = 1e-8 / (round + 1);
    if (together) {
      losses.push(...runTrainerJobs(trainers.map((trainer) => ({ trainer, input, batch: B, target, clipNorm: 0.5, adam: { epsilon } }))));
      continue;
    }
    for (const trainer of trainers) {
      trainer.forward(input, B);
      losses.push(trainer.loss('mse', target));
      trainer.backward();
      trainer.clipGradientNorm(0.5);
      trainer.adamStep({ epsilon });
    }
  }
  return losses;
}

describe.each(impls)('runTrainerJobs (%s)', (impl) => {
  it('twin critic steps give the separate one-thread calls bit for bit, on 1 and on 2 threads', () => {
    const separate = critics({ impl, threads: 1 });
    const separateLosses = train(separate, false);
    for (const threads of [1, 2]) {
      const together = critics({ impl, threads });
      expect(train(together, true)).toEqual(separateLosses);
      expect(bytes(together).equals(bytes(separate))).toBe(true);
    }
  });

  it('forward-only jobs leave each output in lastOutput, as separate forwards do; their losses are NaN', () => {
    const trainers = critics({ impl, threads: 2 });
    const input = randomInput(new Rng(8), B * 48);
    const losses = runTrainerJobs(trainers.map((trainer) => ({ trainer, input, batch: B })));
    expect(Array.from(losses)).toEqual([Number.NaN, Number.NaN]);
    const outputs = trainers.map((t) => t.lastOutput().slice());
    const reference = critics({ impl, threads: 1 }).map((t) => t.forward(input, B).slice());
    expect(outputs).toEqual(reference);
    expect(outputs[0]).not.toEqual(outputs[1]);
  });

  it('bad jobs give one-line errors naming the field, and a rejected call changes no trainer', () => {
    const trainers = critics({ impl });
    const input = randomInput(new Rng(9), B * 48);
    const target = randomInput(new Rng(10), B);
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    const [a, b] = trainers as [MlpTrainer, MlpTrainer];
    expect(message(() => runTrainerJobs([{ trainer: a, input, batch: B }, { trainer: a, input, batch: B }]))).toBe('jobs[1].trainer: got "the trainer of jobs[0]", expected distinct trainers');
    expect(message(() => runTrainerJobs([{ trainer: a, input, batch: 0 }]))).toBe(`jobs[0].batch: got 0, expected an integer in [1, ${B}] (maxBatch)`);
    expect(message(() => runTrainerJobs([{ trainer: a, input: input.subarray(1), batch: B }]))).toBe(`jobs[0].input.length: got ${B * 48 - 1}, expected ${B * 48}`);
    expect(message(() => runTrainerJobs([{ trainer: a, input, batch: B, target, clipNorm: -1 }]))).toBe('jobs[0].clipNorm: got -1, expected a finite number >= 0');
    expect(message(() => runTrainerJobs([{ trainer: {} as MlpTrainer, input, batch: B }]))).toBe('jobs[0].trainer: got {}, expected a trainer from createMlpTrainer');
    const before = bytes(trainers);
    const bad = target.slice();
    bad[7] = Number.NaN;
    const nanMessage = message(() => runTrainerJobs([{ trainer: a, input, batch: B, target }, { trainer: b, input, batch: B, target: bad }]));
    expect(nanMessage).toBe('jobs[1].target[7]: got NaN, expected a finite number');
    expect(bytes(trainers).equals(before)).toBe(true);
  });
});

describe('runTrainerJobs with a native and a TypeScript trainer', () => {
  it.skipIf(!impls.includes('native'))('runs them one after another, each as its separate calls would', () => {
    const mixed = [createMlpTrainer(randomMlp(new Rng(21), SIZES, [...ACTIVATIONS]), { impl: 'native', threads: 1, maxBatch: B, adam: { learningRate: 3e-3 } }), createMlpTrainer(randomMlp(new Rng(22), SIZES, [...ACTIVATIONS]), { impl: 'ts', maxBatch: B, adam: { learningRate: 3e-3 } })];
    const separate = [createMlpTrainer(randomMlp(new Rng(21), SIZES, [...ACTIVATIONS]), { impl: 'native', threads: 1, maxBatch: B, adam: { learningRate: 3e-3 } }), createMlpTrainer(randomMlp(new Rng(22), SIZES, [...ACTIVATIONS]), { impl: 'ts', maxBatch: B, adam: { learningRate: 3e-3 } })];
    expect(train(mixed, true)).toEqual(train(separate, false));
    expect(bytes(mixed).equals(bytes(separate))).toBe(true);
  });
});

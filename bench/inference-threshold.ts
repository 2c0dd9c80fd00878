/**
 * Where the library products start to win: the native MLP forward (12 -> h -> h -> 3) and the
 * IDLA-shaped forward + input gradient at growing batches, on the blocked kernels
 * (threshold rows 0) and on gemm.h's library (threshold rows 1, width 1), alternated, median of repeats.
 *
 *   npx tsx bench/inference-threshold.ts [repeats]      (BATCHES=16,64,... to pick the batches,
 *                                                        BENCH_STAT=min for the fastest call)
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { createMlpRunner, nativeStatus, type MlpSpec } from '../src/native/index.js';
import { Rng } from '../src/util/index.js';

const status = nativeStatus();
if (!status.active) throw new Error(`native addon: ${status.reason}`);
const addon = createRequire(import.meta.url)(status.path!) as { mlpLibraryThreshold(rows?: number, width?: number): unknown };
const repeats = Number(process.argv[2]) || 7;
const rng = new Rng(7);

function spec(sizes: number[], last: 'tanh' | 'sigmoid'): MlpSpec {
  return {
    layers: sizes.slice(1).map((outSize, l) => ({
      inSize: sizes[l]!,
      outSize,
      weights: Float32Array.from({ length: sizes[l]! * outSize }, () => rng.uniform(-0.3, 0.3)),
      bias: Float32Array.from({ length: outSize }, () => rng.uniform(-0.05, 0.05)),
      activation: l === sizes.length - 2 ? last : ('relu' as const),
    })),
  };
}

// BENCH_STAT=min: the fastest single call instead of the mean (bench/inference.ts has the reason).
const fastest = process.env.BENCH_STAT === 'min';

function usPerCall(fn: () => void): number {
  fn();
  let reps = 0;
  let best = Infinity;
  const start = process.hrtime.bigint();
  let ms = 0;
  while (reps < 3 || ms < 40) {
    const before = process.hrtime.bigint();
    fn();
    const after = process.hrtime.bigint();
    best = Math.min(best, Number(after - before) / 1e3);
    reps++;
    ms = Number(after - start) / 1e6;
  }
  return fastest ? best : (ms * 1000) / reps;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${status.trainingProducts}; ${fastest ? 'fastest call' : 'mean'}`);
console.log('shape            threads  batch  kernels µs  library µs  library/kernels');
const shapes = [
  { name: 'forward h=64', spec: spec([12, 64, 64, 3], 'tanh'), gradient: false },
  { name: 'forward h=256', spec: spec([12, 256, 256, 3], 'tanh'), gradient: false },
  { name: 'idla grad', spec: spec([13, 36, 24, 16, 16, 1], 'sigmoid'), gradient: true },
];
for (const shape of shapes) {
  const inSize = shape.spec.layers[0]!.inSize;
  for (const threads of [1, 2]) {
    const runner = createMlpRunner(shape.spec, { impl: 'native', threads });
    for (const batch of (process.env.BATCHES ?? "16,64,128,256,512,1024,4096").split(",").map(Number)) {
      const input = Float32Array.from({ length: batch * inSize }, () => rng.uniform(-1, 1));
      const call = shape.gradient
        ? () => void runner.forwardWithInputGradient(input, batch, { inputIndex: 0 })
        : () => void runner.forward(input, batch);
      const times: [number[], number[]] = [[], []];
      for (let r = 0; r < repeats; r++) {
        for (const mode of [0, 1] as const) {
          addon.mlpLibraryThreshold(mode === 0 ? 0 : 1, 1);
          times[mode].push(usPerCall(call));
        }
      }
      const [k, l] = [median(times[0]), median(times[1])];
      console.log(`${shape.name.padEnd(16)} ${String(threads).padStart(7)} ${String(batch).padStart(6)} ${k.toFixed(1).padStart(11)} ${l.toFixed(1).padStart(11)} ${(l / k).toFixed(2).padStart(16)}`);
    }
  }
}

// Inference benchmark: an actor-shaped MLP (12 -> h -> h -> 3, relu/relu/tanh) at batch sizes
// 1, 64, 1024, 16384 and hidden sizes 64, 256, through the native addon, the TensorFlow.js backend
// in use (predict + read-back, what acting with a tf.LayersModel costs) and the pure-TypeScript
// fallback, all in one run. Also times the batched input gradient in the shape IDLA's Lagrangian
// search uses (13 -> 36 -> 24 -> 16 -> 16 -> 1). Writes bench-results/inference.json.
//
//   npm run bench:inference              (BENCH_MIN_MS=300 per cell by default)
import { join } from 'node:path';
import * as tf from '../src/agents/tf.js';
import { selectBackend } from '../src/agents/index.js';
import { createMlpRunner, mlpSpecFromTfModel, nativeStatus, type MlpRunner, type MlpSpec } from '../src/native/index.js';
import { packageRoot, Rng, writeJsonAtomic } from '../src/util/index.js';

type Impl = 'native' | 'tfjs' | 'ts';

interface Row {
  impl: string;
  batch: number;
  hidden: number;
  usPerCall: number;
  gflops: number;
}

const BATCHES = [1, 64, 1024, 16384];
const HIDDEN = [64, 256];
const INPUT = 12;
const OUTPUT = 3;
const minMs = Number(process.env.BENCH_MIN_MS) || 300;

function macsPerRow(spec: MlpSpec): number {
  return spec.layers.reduce((sum, layer) => sum + layer.inSize * layer.outSize, 0);
}

/**
 * Calls fn until minMs have passed (at least twice after one warm-up call); returns µs per call.
 * A call that alone takes over 2 × minMs is measured once (the JIT is warm from smaller batches).
 */
function time(fn: () => void): number {
  const first = process.hrtime.bigint();
  fn();
  const firstMs = Number(process.hrtime.bigint() - first) / 1e6;
  if (firstMs > 2 * minMs) return firstMs * 1000;
  let reps = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (reps < 2 || elapsedMs < minMs) {
    fn();
    reps++;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (elapsedMs * 1000) / reps;
}

function actorModel(hidden: number, rng: Rng): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: hidden, inputShape: [INPUT], activation: 'relu' }));
  model.add(tf.layers.dense({ units: hidden, activation: 'relu' }));
  model.add(tf.layers.dense({ units: OUTPUT, activation: 'tanh' }));
  // Small random biases so that no path is trivially zero.
  model.layers.forEach((layer) => {
    const [kernel, bias] = layer.getWeights();
    const biasValues = Float32Array.from({ length: bias!.size }, () => rng.uniform(-0.05, 0.05));
    layer.setWeights([kernel!, tf.tensor1d(biasValues)]);
  });
  return model;
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + 1e-3));
  return worst;
}

async function main(): Promise<void> {
  const backend = await selectBackend('wasm').catch(() => selectBackend('auto'));
  const status = nativeStatus();
  const impls: Impl[] = status.active ? ['native', 'tfjs', 'ts'] : ['tfjs', 'ts'];
  process.stderr.write(`TF.js backend: ${backend.name}; native: ${status.reason}\n`);
  if (!status.active) process.stderr.write('(native rows left out: build the addon with `npm run build:native`)\n');
  const rng = new Rng(2024);
  const rows: Row[] = [];
  const agreement: Record<string, number> = {};

  for (const hidden of HIDDEN) {
    const model = actorModel(hidden, rng);
    const spec = mlpSpecFromTfModel(model);
    const flopsPerRow = 2 * macsPerRow(spec);
    const runners: Partial<Record<Impl, MlpRunner>> = {
      ts: createMlpRunner(spec, { impl: 'ts' }),
      ...(status.active ? { native: createMlpRunner(spec, { impl: 'native' }) } : {}),
    };
    for (const batch of BATCHES) {
      const input = Float32Array.from({ length: batch * INPUT }, () => rng.uniform(-1, 1));
      const out = new Float32Array(batch * OUTPUT);
      const results: Partial<Record<Impl, Float32Array>> = {};
      for (const impl of impls) {
        let us: number;
        if (impl === 'tfjs') {
          const call = (): Float32Array =>
            tf.tidy(() => (model.predict(tf.tensor2d(input, [batch, INPUT])) as tf.Tensor).dataSync() as Float32Array);
          results.tfjs = Float32Array.from(call());
          us = time(() => void call());
        } else {
          const runner = runners[impl]!;
          results[impl] = Float32Array.from(runner.forward(input, batch, out));
          us = time(() => void runner.forward(input, batch, out));
        }
        rows.push({ impl, batch, hidden, usPerCall: us, gflops: (flopsPerRow * batch) / (us * 1e3) });
      }
      for (const impl of ['native', 'ts'] as const) {
        if (results[impl] && results.tfjs) {
          const key = `${impl} vs tfjs`;
          agreement[key] = Math.max(agreement[key] ?? 0, maxRelativeError(results[impl]!, results.tfjs));
        }
      }
    }
    model.dispose();
  }

  // IDLA-shaped batched input gradient (one chosen input column), native and TS.
  const idlaSizes = [13, 36, 24, 16, 16, 1];
  const idlaSpec: MlpSpec = {
    layers: idlaSizes.slice(1).map((outSize, l) => ({
      inSize: idlaSizes[l]!,
      outSize,
      weights: Float32Array.from({ length: idlaSizes[l]! * outSize }, () => rng.uniform(-0.4, 0.4)),
      bias: Float32Array.from({ length: outSize }, () => rng.uniform(-0.1, 0.1)),
      activation: l === idlaSizes.length - 2 ? ('sigmoid' as const) : ('relu' as const),
    })),
  };
  const gradientRows: Row[] = [];
  for (const impl of status.active ? (['native', 'ts'] as const) : (['ts'] as const)) {
    const runner = createMlpRunner(idlaSpec, { impl });
    for (const batch of impl === 'native' ? [4_800, 400_000, 2_000_000] : [4_800, 100_000]) {
      const input = Float32Array.from({ length: batch * 13 }, () => rng.uniform(0, 1));
      const output = new Float32Array(batch);
      const gradient = new Float32Array(batch);
      const us = time(() => void runner.forwardWithInputGradient(input, batch, { inputIndex: 0, output, gradient }));
      // Forward plus backward: about twice the forward multiply-adds.
      gradientRows.push({ impl: `${impl} (forward+gradient)`, batch, hidden: 36, usPerCall: us, gflops: (4 * macsPerRow(idlaSpec) * batch) / (us * 1e3) });
    }
  }

  const find = (impl: string, batch: number, hidden: number) => rows.find((r) => r.impl === impl && r.batch === batch && r.hidden === hidden);
  const header = ['hidden', 'batch', 'impl', 'µs/call', 'GFLOP/s', 'vs tfjs', 'vs ts'];
  const lines: string[][] = [];
  for (const row of rows) {
    const tfjs = find('tfjs', row.batch, row.hidden)!;
    const ts = find('ts', row.batch, row.hidden)!;
    lines.push([
      String(row.hidden),
      String(row.batch),
      row.impl === 'tfjs' ? `tfjs-${backend.name}` : row.impl,
      row.usPerCall.toFixed(row.usPerCall < 100 ? 2 : 0),
      row.gflops.toFixed(2),
      `${(tfjs.usPerCall / row.usPerCall).toFixed(2)}x`,
      `${(ts.usPerCall / row.usPerCall).toFixed(2)}x`,
    ]);
  }
  for (const row of gradientRows) {
    lines.push([`idla`, String(row.batch), row.impl, row.usPerCall.toFixed(0), row.gflops.toFixed(2), '', '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
  console.log(`max relative difference of outputs: ${Object.entries(agreement).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
  if (status.active) {
    const big = find('native', 1024, 256)!;
    const bigger = find('native', 16384, 256)!;
    const single = find('native', 1, 64)!;
    console.log(
      `aims: batch >= 1024, hidden 256: ${(find('tfjs', 1024, 256)!.usPerCall / big.usPerCall).toFixed(1)}x and ` +
        `${(find('tfjs', 16384, 256)!.usPerCall / bigger.usPerCall).toFixed(1)}x the TF.js backend (aim >= 4x); ` +
        `one observation through 2x64: ${single.usPerCall.toFixed(2)} µs (aim < 5 µs)`,
    );
  }
  const file = join(packageRoot, 'bench-results', 'inference.json');
  await writeJsonAtomic(file, {
    rows,
    backend: backend.name,
    native: status,
    gradientRows,
    agreement,
    network: `${INPUT} -> h -> h -> ${OUTPUT} (relu, relu, tanh)`,
  });
  console.log(`wrote ${file}`);
}

await main();

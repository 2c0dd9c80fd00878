/**
 * IDLA at O&M scale: one allocation (the batched Lagrangian search with 1 + P starts, P = 5) for
 * 1k, 10k and 100k cells x 4 slices, with the estimator on the native MLP runner and in
 * TensorFlow.js (tf.grad, batched), in the same run. Prints seconds, cells/s, the native/TF.js
 * ratio and the peak RSS after the native 100k run; writes bench-results/idla-scale.json.
 *
 *   npm run bench:idla-scale -- [--sizes 1000,10000,100000] [--iterations 120] [--eta 1e-3] [--no-tfjs]
 *                               [--search key=value,...] [--profile] [--estimator-in f] [--estimator-out f]
 *
 * `--search` overrides the agent's search settings (e.g. "pruneAfter=0,mergeTolerance=0" for the
 * search without its work savings). `--profile` times one cold allocation of the largest size
 * instead: the estimator calls, the rest of the search, garbage collection, and how many starts
 * are still live at each iteration.
 *
 * The estimator is fitted like the agent's (H0 of idla-12cell with its four slices active, the
 * agent's epochs and loss), so the search meets the curves it meets in the agent; the cells'
 * histories and targets are the env's cells repeated with jitter. Each
 * size is timed cold (equal shares, lambda = 0) and warm (the previous solution as warm start).
 */
import * as tf from '../src/agents/tf.js';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeJsonAtomic, Rng } from '../src/util/index.js';
import {
  CollectionPolicy,
  IDLA_DEFAULTS,
  IDLA_INPUTS,
  INPUT_X,
  SampleCollector,
  SliceHistory,
  fitEstimator,
  lagrangianSearch,
  mlpSpecFromJson,
  mlpSpecToJson,
  runnerPairEstimator,
  searchOptionsOf,
  type MlpSpecJson,
  type PairEstimator,
  type SearchOptions,
  type SearchProblem,
  type SearchEstimator,
  type ValueAndGradient,
} from '../src/agents/idla/index.js';
import { selectBackend } from '../src/agents/index.js';
import { FEATURE, FEATURES_PER_SLICE, SyntheticSlicingEnv } from '../src/families/index.js';
import { createMlpRunner, nativeStatus, type MlpSpec } from '../src/native/index.js';
import { loadScenario } from '../src/scenario/index.js';

const TFJS_LIMIT_SECONDS = 120;

interface Args {
  sizes: number[];
  iterations: number;
  eta: number;
  tfjs: boolean;
  search: SearchOptions;
  profile: boolean;
  /** Reuse a fitted estimator's MlpSpec (JSON) / save the fitted one, to compare settings on one estimator. */
  estimatorIn: string;
  estimatorOut: string;
}

function parseArgs(argv: string[]): Args {
  let sizes = [1000, 10_000, 100_000];
  let iterations = IDLA_DEFAULTS.maxIterations;
  let eta = IDLA_DEFAULTS.eta;
  let tfjs = true;
  let profile = false;
  let estimatorIn = '';
  let estimatorOut = '';
  const search: Record<string, number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sizes') sizes = String(argv[++i]).split(',').map(Number);
    else if (argv[i] === '--iterations') iterations = Number(argv[++i]);
    else if (argv[i] === '--eta') eta = Number(argv[++i]);
    else if (argv[i] === '--no-tfjs') tfjs = false;
    else if (argv[i] === '--profile') profile = true;
    else if (argv[i] === '--estimator-in') estimatorIn = String(argv[++i]);
    else if (argv[i] === '--estimator-out') estimatorOut = String(argv[++i]);
    else if (argv[i] === '--search') {
      for (const pair of String(argv[++i]).split(',').filter(Boolean)) {
        const [key, value] = pair.split('=');
        const v = value === 'true' ? true : value === 'false' ? false : Number(value);
        if (!key || (typeof v === 'number' && !Number.isFinite(v))) throw new Error(`--search: expected key=number pairs, got ${pair}`);
        search[key] = v;
      }
    }
  }
  if (!(eta > 0)) throw new Error(`--eta: expected a number > 0, got ${eta}`);
  if (!sizes.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--sizes: expected positive integers, got ${sizes.join(',')}`);
  if (!(Number.isInteger(iterations) && iterations > 0)) throw new Error(`--iterations: expected a positive integer, got ${iterations}`);
  return { sizes, iterations, eta, tfjs, search: search as SearchOptions, profile, estimatorIn, estimatorOut };
}

/** A quickly fitted estimator plus the 12 cells' estimator inputs of one step of the env. */
async function estimatorAndTemplates(estimatorIn: string, estimatorOut: string): Promise<{ spec: MlpSpec; templates: Float32Array; cells: number; slices: number }> {
  const scenario = loadScenario('idla-12cell');
  const slices = scenario.slices.map((s) => ({ ...s, joinStep: 0 }));
  const env = new SyntheticSlicingEnv({ ...scenario, slices }, { seed: 5 });
  const C = env.cells;
  const S = env.sliceCount;
  const collector = new SampleCollector(C, S);
  const history = new SliceHistory(C, S);
  const collect = new CollectionPolicy(5, IDLA_DEFAULTS.randomFraction);
  let obs = env.resetSync(5);
  collector.observe(obs, true);
  history.push(obs);
  for (let t = 0; t < IDLA_DEFAULTS.collectSteps; t++) {
    env.stepSync(collect.act({ data: obs, shape: [C, S, FEATURES_PER_SLICE] }));
    obs = env.obs;
    collector.observe(obs);
    history.push(obs);
  }
  // Fitted like the agent's estimator (the search's iteration count depends on its shape).
  const spec = estimatorIn
    ? mlpSpecFromJson(JSON.parse(readFileSync(estimatorIn, 'utf8')) as MlpSpecJson, estimatorIn)
    : (await fitEstimator(collector.samples, { epochs: IDLA_DEFAULTS.epochs, mseWarmup: IDLA_DEFAULTS.mseWarmup, relabel: IDLA_DEFAULTS.relabel, seed: 5, progress: true })).spec;
  if (estimatorOut) writeJsonAtomic(estimatorOut, mlpSpecToJson(spec));
  const templates = new Float32Array(C * S * IDLA_INPUTS);
  for (let i = 0; i < C * S; i++) {
    history.writeInputs(i, 0, obs[i * FEATURES_PER_SLICE + FEATURE.phiTarget]!, obs[i * FEATURES_PER_SLICE + FEATURE.delayTarget]!, templates, i * IDLA_INPUTS);
  }
  return { spec, templates, cells: C, slices: S };
}

function problemOf(cells: number, base: { templates: Float32Array; cells: number; slices: number }, rng: Rng): SearchProblem {
  const S = base.slices;
  const n = cells * S;
  const templates = new Float32Array(n * IDLA_INPUTS);
  for (let c = 0; c < cells; c++) {
    const from = (c % base.cells) * S * IDLA_INPUTS;
    templates.set(base.templates.subarray(from, from + S * IDLA_INPUTS), c * S * IDLA_INPUTS);
    // Jitter the user counts so the cells are not copies of 12.
    for (let s = 0; s < S; s++) {
      for (let h = 1; h <= 5; h++) {
        const k = (c * S + s) * IDLA_INPUTS + h;
        templates[k] = Math.max(0, templates[k]! + Math.round(rng.normal(0, 1)));
      }
    }
  }
  const warmStart = new Float32Array(n).fill(1 / S);
  // A first allocation: no previous solution in any cell.
  return { cells, slices: S, active: new Uint8Array(n).fill(1), templates, warmStart, cold: new Uint8Array(cells).fill(1) };
}

/** The estimator in TensorFlow.js: the same MLP as tensors, f and df/dx by tf.grad over the batch. */
function tfEstimator(spec: MlpSpec): ValueAndGradient {
  const layers = spec.layers.map((l) => ({
    w: tf.tensor2d(l.weights, [l.inSize, l.outSize]),
    b: tf.tensor1d(l.bias),
    activation: l.activation,
  }));
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    let h = x;
    for (const l of layers) {
      const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
      h = l.activation === 'relu' ? tf.relu(z) : l.activation === 'sigmoid' ? tf.sigmoid(z) : l.activation === 'tanh' ? tf.tanh(z) : z;
    }
    return h;
  };
  // Rows are independent, so d(sum_r f_r)/d input_r is each row's own gradient.
  const gradOfSum = tf.grad((x: tf.Tensor) => tf.sum(forward(x as tf.Tensor2D)));
  return async (inputs, batch) => {
    const [value, gradient] = tf.tidy(() => {
      const x = tf.tensor2d(inputs, [batch, IDLA_INPUTS]);
      const f = tf.reshape(forward(x), [batch]);
      const g = tf.reshape(tf.slice(gradOfSum(x), [0, INPUT_X], [batch, 1]), [batch]);
      return [f, g];
    });
    const out = { value: (await value.data()) as Float32Array, gradient: (await gradient.data()) as Float32Array };
    value.dispose();
    gradient.dispose();
    return out;
  };
}

async function timeSearch(
  estimator: SearchEstimator,
  problem: SearchProblem,
  iterations: number,
  eta: number,
  overrides: SearchOptions = {},
): Promise<{ cold: number; warm: number; meanIterations: number }> {
  const rng = new Rng(9);
  // The agent's search settings (step sizes, grid start, slack filling), P = 5.
  const options = { ...searchOptionsOf(IDLA_DEFAULTS), neighbours: 5, maxIterations: iterations, eta, ...overrides };
  let t0 = process.hrtime.bigint();
  const first = await lagrangianSearch(estimator, problem, rng, options);
  const cold = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  await lagrangianSearch(estimator, { ...problem, warmStart: first.x, warmLambda: first.lambda, cold: undefined }, rng, options);
  const warm = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cold, warm, meanIterations: first.meanIterations };
}

/**
 * One cold allocation of `cells` cells, split into the estimator's calls (the grid pass, then one
 * call per iteration), the rest of the search and garbage collection; with the live rows per
 * iteration (how many starts are still running).
 */
async function profileSearch(runner: PairEstimator, problem: SearchProblem, iterations: number, eta: number, overrides: SearchOptions): Promise<void> {
  const calls: Array<{ rows: number; ms: number }> = [];
  let prepareMs = 0;
  const timed: PairEstimator = {
    prepare(templates, pairs, width) {
      const t0 = performance.now();
      runner.prepare(templates, pairs, width);
      prepareMs += performance.now() - t0;
    },
    evaluate(pairOf, x, batch) {
      const t0 = performance.now();
      const out = runner.evaluate(pairOf, x, batch);
      calls.push({ rows: batch, ms: performance.now() - t0 });
      return out;
    },
  };
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const options = { ...searchOptionsOf(IDLA_DEFAULTS), neighbours: 5, maxIterations: iterations, eta, ...overrides };
  const t0 = performance.now();
  const result = await lagrangianSearch(timed, problem, new Rng(9), options);
  const totalMs = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc.disconnect();
  const grid = (options.gridPoints ?? 0) > 0 ? calls.shift()! : { rows: 0, ms: 0 };
  const mlpMs = prepareMs + grid.ms + calls.reduce((sum, c) => sum + c.ms, 0);
  const rows = calls.reduce((sum, c) => sum + c.rows, 0);
  console.log(`profile: ${problem.cells} cells, one cold allocation, load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(`  total ${totalMs.toFixed(0)} ms; first-layer offsets ${prepareMs.toFixed(0)} ms; grid pass ${grid.rows} rows ${grid.ms.toFixed(0)} ms`);
  console.log(`  ascent: ${calls.length} estimator calls, ${rows} rows, ${(calls.reduce((sum, c) => sum + c.ms, 0)).toFixed(0)} ms (${((rows / Math.max(1e-9, calls.reduce((sum, c) => sum + c.ms, 0))) * 1e3 / 1e6).toFixed(1)}M rows/s)`);
  console.log(`  outside the estimator: ${(totalMs - mlpMs).toFixed(0)} ms (${(((totalMs - mlpMs) / totalMs) * 100).toFixed(0)}%); garbage collection ${gcMs.toFixed(0)} ms`);
  console.log(`  mean iterations per start ${result.meanIterations.toFixed(2)}, last iteration ${result.iterations}, rows evaluated ${result.rowsEvaluated}`);
  const first = calls[0]?.rows ?? 0;
  console.log(`  live rows per iteration (fraction of the first): ${calls.map((c) => (c.rows / first).toFixed(2)).join(' ')}`);
}

async function main(): Promise<void> {
  const { sizes, iterations, eta, tfjs, search, profile, estimatorIn, estimatorOut } = parseArgs(process.argv.slice(2));
  const backend = await selectBackend('auto');
  const native = nativeStatus();
  const base = await estimatorAndTemplates(estimatorIn, estimatorOut);
  const nativeImpl = native.active ? 'native' : 'ts';
  console.log(
    `IDLA allocation search (the agent's settings), 4 slices, 1 + P = 6 starts + the grid start (${IDLA_DEFAULTS.gridPoints} points), i_max ${iterations}, eta ${eta}; MLP runner: ${native.active ? 'native addon' : `TypeScript fallback (${native.reason})`}; ` +
      `TF.js backend ${backend.name}; ${process.env.NS3TS_NATIVE_THREADS ?? 'all'} native threads; ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at the start`,
  );
  const rows: Array<{ impl: string; cells: number; seconds: number; warmSeconds: number | null; skipped?: string }> = [];
  let peakRssMiB: number | null = null;
  // The agent's path: fixed inputs folded into the first layer once per search, (pair, x) per row.
  const runner = runnerPairEstimator(createMlpRunner(base.spec, { impl: nativeImpl }));
  if (profile) {
    const cells = Math.max(...sizes);
    await profileSearch(runner, problemOf(cells, base, new Rng(cells)), iterations, eta, search);
    return;
  }
  for (const cells of sizes) {
    const problem = problemOf(cells, base, new Rng(cells));
    const t = await timeSearch(runner, problem, iterations, eta, search);
    rows.push({ impl: nativeImpl, cells, seconds: t.cold, warmSeconds: t.warm });
    if (cells === Math.max(...sizes)) peakRssMiB = process.resourceUsage().maxRSS / 1024;
    console.log(`  ${nativeImpl} ${cells} cells: ${t.cold.toFixed(2)} s cold (${t.meanIterations.toFixed(1)} iterations/start), ${t.warm.toFixed(2)} s warm`);
  }
  // The same 100k allocation with the tighter stop eta 1e-3 (4.5 times the iterations of 1e-2; on
  // bench:idla it changes IDLA's mean utility by less than 0.02%).
  const largest = Math.max(...sizes);
  if (largest >= 100_000 && eta > 1e-3) {
    const t = await timeSearch(runner, problemOf(largest, base, new Rng(largest)), iterations, 1e-3, search);
    rows.push({ impl: `${nativeImpl}-eta0.001`, cells: largest, seconds: t.cold, warmSeconds: t.warm });
    console.log(`  ${nativeImpl} ${largest} cells, eta 1e-3: ${t.cold.toFixed(2)} s cold (${t.meanIterations.toFixed(1)} iterations/start), ${t.warm.toFixed(2)} s warm`);
  }
  const tfEst = tfEstimator(base.spec);
  let lastPerCell = 0;
  for (const cells of tfjs ? sizes : []) {
    const projected = lastPerCell * cells;
    if (projected > TFJS_LIMIT_SECONDS) {
      const why = `skipped: projected ${projected.toFixed(0)} s from the smaller size exceeds ${TFJS_LIMIT_SECONDS} s`;
      rows.push({ impl: `tfjs-${backend.name}`, cells, seconds: Number.NaN, warmSeconds: null, skipped: why });
      console.log(`  tfjs ${cells} cells: ${why}`);
      continue;
    }
    const problem = problemOf(cells, base, new Rng(cells));
    const t = await timeSearch(tfEst, problem, iterations, eta, search);
    lastPerCell = t.cold / cells;
    rows.push({ impl: `tfjs-${backend.name}`, cells, seconds: t.cold, warmSeconds: t.warm });
    console.log(`  tfjs ${cells} cells: ${t.cold.toFixed(2)} s cold, ${t.warm.toFixed(2)} s warm`);
  }

  console.log('');
  console.log('impl                 cells    cold s   cells/s    warm s   vs tfjs');
  for (const row of rows) {
    const ref = rows.find((r) => r.impl.startsWith('tfjs') && r.cells === row.cells && Number.isFinite(r.seconds));
    const ratio = ref && row !== ref && Number.isFinite(row.seconds) ? `${(ref.seconds / row.seconds).toFixed(1)}x` : row === ref ? '1.0x' : '-';
    console.log(
      `${row.impl.padEnd(19)} ${String(row.cells).padStart(6)}  ${Number.isFinite(row.seconds) ? row.seconds.toFixed(2).padStart(8) : ' skipped'}  ${
        Number.isFinite(row.seconds) ? String(Math.round(row.cells / row.seconds)).padStart(8) : '       -'
      }  ${row.warmSeconds === null ? '       -' : row.warmSeconds.toFixed(2).padStart(8)}  ${ratio.padStart(8)}`,
    );
  }
  console.log(`load average ${loadavg()[0]!.toFixed(1)} at the end (other work on the machine slows every row alike)`);
  if (peakRssMiB !== null) console.log(`peak RSS after the native ${Math.max(...sizes)}-cell allocation: ${peakRssMiB.toFixed(0)} MiB`);
  for (const row of rows) if (row.skipped) console.log(`${row.impl} ${row.cells}: ${row.skipped}`);
  writeJsonAtomic('bench-results/idla-scale.json', {
    rows: rows.map((r) => ({ impl: r.impl, cells: r.cells, seconds: Number.isFinite(r.seconds) ? r.seconds : null, warmSeconds: r.warmSeconds, ...(r.skipped ? { skipped: r.skipped } : {}) })),
    slices: 4,
    starts: 6,
    maxIterations: iterations,
    eta,
    peakRssMiB,
    nativeActive: native.active,
    cpus: cpus().length,
    loadAverage: loadavg()[0],
    tfjsBackend: backend.name,
  });
  console.log('wrote bench-results/idla-scale.json');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});

// Int8 quantization benchmark (docs/export.md): the native int8 runner against the native float
// runner on the MADDPG actor shape (17 -> 64 -> 64 -> 1, relu/relu/sigmoid) and the TD3 cell actor
// shape (45 -> 128 -> 128 -> 3) at batch 1, 64 and 1024 on one thread and on all threads; then the
// change in mean utility on slicing-synthetic when a trained maddpg-admm policy acts through int8
// actors (calibrated on evaluation episodes from the scenario's seed, measured on other seeds).
// Writes bench-results/quantize.json {speed: [...], utility: {...}}.
//
//   npm run bench:quantize                       trains a maddpg-admm run first (BENCH_EPISODES, default 30)
//   BENCH_RUN=runs/<run-id> npm run bench:quantize   uses an existing maddpg-* / td3 / ddpg run
//   BENCH_SPEED_ONLY=1 npm run bench:quantize         timings only (no training, no utility)
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { actorNetworksOfRun, type ActorForward } from '../src/agents/index.js';
import { evaluatePolicy } from '../src/eval/index.js';
import { DEFAULT_CALIBRATION_EPISODES, quantizeRunActors } from '../src/export/index.js';
import { createMlpRunner, createQuantizedMlpRunner, nativeStatus, quantizeMlpSpec, type MlpSpec, type QuantizedMlpRunner } from '../src/native/index.js';
import { loadScenario, type Scenario } from '../src/scenario/index.js';
import { train } from '../src/train/index.js';
import { packageRoot, Rng, writeJsonAtomic } from '../src/util/index.js';

const BATCHES = [1, 64, 1024];
const minMs = Number(process.env.BENCH_MIN_MS) || 300;
const evalEpisodes = Number(process.env.BENCH_EVAL_EPISODES) || 5;

interface SpeedRow {
  network: string;
  batch: number;
  threads: number;
  floatUs: number;
  int8Us: number;
  speedup: number;
  int8Kernel: string;
}

/**
 * µs per call: the fastest of 10 rounds of repeated calls (~minMs in all). The minimum, not the
 * mean: on a shared machine other processes only ever add time, so the fastest round is the
 * closest to the cost of the call itself.
 */
function time(fn: () => void): number {
  fn();
  const start = process.hrtime.bigint();
  fn();
  const onceMs = Math.max(Number(process.hrtime.bigint() - start) / 1e6, 1e-4);
  const perRound = Math.max(1, Math.round(minMs / 10 / onceMs));
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 10; round++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < perRound; k++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / perRound);
  }
  return best;
}

function randomSpec(sizes: number[], rng: Rng): MlpSpec {
  return {
    layers: sizes.slice(1).map((outSize, l) => {
      const inSize = sizes[l]!;
      const limit = Math.sqrt(6 / (inSize + outSize));
      return {
        inSize,
        outSize,
        weights: Float32Array.from({ length: inSize * outSize }, () => rng.uniform(-limit, limit)),
        bias: new Float32Array(outSize),
        activation: l === sizes.length - 2 ? ('sigmoid' as const) : ('relu' as const),
      };
    }),
  };
}

function speed(): SpeedRow[] {
  const rng = new Rng(1);
  const rows: SpeedRow[] = [];
  const shapes: Array<[string, number[]]> = [
    ['maddpg actor 17-64-64-1', [17, 64, 64, 1]],
    ['td3 cell actor 45-128-128-3', [45, 128, 128, 3]],
  ];
  for (const [network, sizes] of shapes) {
    const spec = randomSpec(sizes, rng);
    const inSize = sizes[0]!;
    const calibration = Float32Array.from({ length: 4096 * inSize }, () => rng.uniform(-1, 1));
    const quantized = quantizeMlpSpec(spec, calibration);
    for (const threads of [1, availableParallelism()]) {
      const float = createMlpRunner(spec, { threads });
      const int8: QuantizedMlpRunner = createQuantizedMlpRunner(quantized, { threads });
      for (const batch of BATCHES) {
        const input = Float32Array.from({ length: batch * inSize }, () => rng.uniform(-1, 1));
        const out = new Float32Array(batch * sizes[sizes.length - 1]!);
        const floatUs = time(() => float.forward(input, batch, out));
        const int8Us = time(() => int8.forward(input, batch, out));
        rows.push({ network, batch, threads, floatUs, int8Us, speedup: floatUs / int8Us, int8Kernel: int8.kernel });
        console.log(`${network.padEnd(28)} batch ${String(batch).padStart(4)} threads ${threads}: float ${floatUs.toFixed(2)} µs, int8 ${int8Us.toFixed(2)} µs (${int8.kernel}) -> ${(floatUs / int8Us).toFixed(2)}x`);
      }
    }
  }
  return rows;
}

async function utility() {
  const scenario = loadScenario('slicing-synthetic');
  let runDir = process.env.BENCH_RUN;
  let trainedEpisodes: number | null = null;
  // The folder of a run trained here (none with BENCH_RUN), removed at the end.
  let out: string | null = null;
  try {
    if (!runDir) {
      trainedEpisodes = Number(process.env.BENCH_EPISODES) || 30;
      out = mkdtempSync(join(tmpdir(), 'ns3ts-bench-quantize-'));
      console.log(`training maddpg-admm on ${scenario.name} for ${trainedEpisodes} episodes (BENCH_RUN=<run-dir> skips this)`);
      await train({ scenario, agent: 'maddpg-admm', episodes: trainedEpisodes, evalEvery: 0, outDir: out, runId: 'run', progress: false });
      runDir = join(out, 'run');
    }
    return await measureUtility(scenario, runDir, trainedEpisodes);
  } finally {
    if (out) rmSync(out, { recursive: true, force: true });
  }
}

async function measureUtility(scenario: Scenario, runDir: string, trainedEpisodes: number | null) {
  // Calibration from the scenario's seed (as `ns3ts export` does), measurement on later seeds.
  const evalSeed = scenario.seed + 1000;
  const floatRun = await actorNetworksOfRun(runDir);
  const float = await evaluatePolicy(scenario, floatRun.policy, { episodes: evalEpisodes, seed: evalSeed });
  const quantRun = await actorNetworksOfRun(runDir);
  const { specs, calibration } = await quantizeRunActors(quantRun, scenario, DEFAULT_CALIBRATION_EPISODES, scenario.seed);
  const runners = specs.map((spec) => createQuantizedMlpRunner(spec));
  const int8Policy = quantRun.policy.withActors((current, t): ActorForward => ({
    inputSize: current.inputSize,
    outputSize: current.outputSize,
    forward: (input, batch, out) => runners[t]!.forward(input, batch, out),
    setWeights: () => {
      throw new Error('int8 actors are fixed');
    },
  }));
  const int8 = await evaluatePolicy(scenario, int8Policy, { episodes: evalEpisodes, seed: evalSeed });
  const change = (int8.kpis.meanUtility - float.kpis.meanUtility) / Math.abs(float.kpis.meanUtility);
  console.log(
    `mean utility on ${scenario.name} (${evalEpisodes} episodes from seed ${evalSeed}): float ${float.kpis.meanUtility.toFixed(5)}, ` +
      `int8 ${int8.kpis.meanUtility.toFixed(5)} (${(100 * change).toFixed(3)}%; aim: no worse than -0.5%)`,
  );
  return {
    scenario: scenario.name,
    agent: floatRun.agentId,
    run: process.env.BENCH_RUN ?? null,
    trainedEpisodes,
    evalEpisodes,
    evalSeed,
    calibrationEpisodes: calibration.episodes,
    calibrationRows: calibration.rows,
    floatMeanUtility: float.kpis.meanUtility,
    int8MeanUtility: int8.kpis.meanUtility,
    relativeChange: change,
    int8Kernel: runners[0]!.kernel,
  };
}

async function main(): Promise<void> {
  const status = nativeStatus();
  console.log(status.reason);
  const speedRows = speed();
  const utilityResult = process.env.BENCH_SPEED_ONLY ? null : await utility();
  const file = join(packageRoot, 'bench-results', 'quantize.json');
  await writeJsonAtomic(file, { speed: speedRows, utility: utilityResult, native: status, loadAverage: loadavg() });
  console.log(`wrote ${file}`);
}

await main();

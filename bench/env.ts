/**
 * Synthetic env speed: steps/s and (cell, slice) steps/s of `stepSync` on slicing-synthetic (3x3)
 * and the IDLA layout (12x4), plus the Gymnasium `step()` path (obs copy + info) and the oracle's
 * per-step search.
 *
 * Reference, measured in the same run: the exact projection of one [cells, slices] action per cell
 * (projectSimplex) — the least work any agent does per step on the same array. The ratio says how
 * many such projections one env step costs.
 *
 *   npm run bench:env -- [--seconds 1]
 */
import { projectSimplex } from '../src/constraints/index.js';
import { FEATURES_PER_SLICE, SyntheticSlicingEnv, createBaseline } from '../src/families/index.js';
import { loadScenario, scenarioLayout, type Scenario } from '../src/scenario/index.js';
import { packageRoot, textTableLines, writeJsonAtomic } from '../src/util/index.js';
import { join } from 'node:path';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;
if (!(seconds > 0)) throw new Error(`--seconds: got ${process.argv[secondsArg + 1]}, expected a positive number`);

/** CPU microseconds per operation of the last `measure` (unaffected by other processes on a busy machine). */
let lastCpuUsPerOp = 0;

/** Runs `body` in batches until `seconds` have passed; returns operations per (wall-clock) second. */
async function measure(body: () => void | Promise<void>, batch: number): Promise<number> {
  for (let i = 0; i < batch; i++) await body(); // warm up the JIT
  let ops = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const budget = BigInt(Math.round(seconds * 1e9));
  for (;;) {
    for (let i = 0; i < batch; i++) await body();
    ops += batch;
    const elapsed = process.hrtime.bigint() - start;
    if (elapsed >= budget) {
      const cpu = process.cpuUsage(cpuStart);
      lastCpuUsPerOp = (cpu.user + cpu.system) / ops;
      return ops / (Number(elapsed) / 1e9);
    }
  }
}

interface Row {
  scenario: string;
  layout: string;
  path: string;
  stepsPerSec: number;
  cellSliceStepsPerSec: number;
  usPerStep: number;
  /** CPU time per step (what the step costs when the machine is shared). */
  cpuUsPerStep: number;
  /** Projections of the same [cells, slices] action per second (the reference). */
  referencePerSec: number;
  /** Env step time / reference time. */
  ratio: number;
}

async function benchScenario(scenario: Scenario): Promise<Row[]> {
  const C = scenario.cells;
  const S = scenario.slices.length;
  const action = new Float32Array(C * S).fill(1 / S);
  const projected = new Float64Array(S);
  const reference = await measure(() => {
    for (let c = 0; c < C; c++) projectSimplex(action.subarray(c * S, c * S + S), 1, false, projected);
  }, 1000);

  const env = new SyntheticSlicingEnv(scenario);
  let episode = 0;
  env.resetSync(episode);
  const syncRate = await measure(() => {
    if (env.episodeDone) env.resetSync(++episode);
    env.stepSync(action);
  }, 1000);
  const syncCpu = lastCpuUsPerOp;

  const asyncEnv = new SyntheticSlicingEnv(scenario);
  await asyncEnv.reset({ seed: 0 });
  const nd = { data: action, shape: [C, S] };
  const asyncRate = await measure(async () => {
    if (asyncEnv.episodeDone) await asyncEnv.reset();
    await asyncEnv.step(nd);
  }, 200);
  const asyncCpu = lastCpuUsPerOp;

  const oracleEnv = new SyntheticSlicingEnv(scenario);
  const oracle = createBaseline('oracle', scenario, oracleEnv);
  const context = { layout: scenarioLayout(scenario), step: 0 };
  oracleEnv.resetSync(0);
  const oracleRate = await measure(() => {
    if (oracleEnv.episodeDone) oracleEnv.resetSync(++episode);
    const x = oracle.act({ data: oracleEnv.obs, shape: [C, S, FEATURES_PER_SLICE] }, context) as Float32Array;
    oracleEnv.stepSync(x);
  }, 20);
  const oracleCpu = lastCpuUsPerOp;

  const row = (path: string, rate: number, cpuUs: number): Row => ({
    scenario: scenario.name,
    layout: `${C}x${S}`,
    path,
    stepsPerSec: rate,
    cellSliceStepsPerSec: rate * C * S,
    usPerStep: 1e6 / rate,
    cpuUsPerStep: cpuUs,
    referencePerSec: reference,
    ratio: reference / rate,
  });
  return [row('stepSync', syncRate, syncCpu), row('step() (Gymnasium API)', asyncRate, asyncCpu), row('oracle act + stepSync', oracleRate, oracleCpu)];
}

const rows: Row[] = [];
for (const name of ['slicing-synthetic', 'idla-12cell']) rows.push(...(await benchScenario(loadScenario(name))));

const header = ['scenario', 'layout', 'path', 'steps/s', 'cell-slice steps/s', 'us/step', 'cpu us/step', 'projection ref/s', 'step cost (x ref)'];
const table = rows.map((r) => [
  r.scenario,
  r.layout,
  r.path,
  r.stepsPerSec.toFixed(0),
  r.cellSliceStepsPerSec.toFixed(0),
  r.usPerStep.toFixed(2),
  r.cpuUsPerStep.toFixed(2),
  r.referencePerSec.toFixed(0),
  r.ratio.toFixed(2),
]);
process.stdout.write(`${textTableLines([header, ...table], { leftColumns: 3 }).join('\n')}\n`);
process.stdout.write(
  'reference: exact projection of the same [cells, slices] action, one projectSimplex per cell; ' +
    '"step cost" = env step time / reference time; "cpu us/step" = process CPU time per step (wall time suffers when the machine is shared)\n',
);
const out = join(packageRoot, 'bench-results', 'env.json');
writeJsonAtomic(out, { benchmark: 'env', seconds, node: process.version, loadAverage: (await import('node:os')).loadavg(), date: new Date().toISOString(), rows });
process.stdout.write(`wrote ${out}\n`);

/**
 * Samplers on standard test functions (Branin, Hartmann-6, a noisy 4-D Rosenbrock; all
 * minimised): per function and sampler, the median and interquartile range over study seeds of
 * the best value found in N trials, for ns3ts's TPE, ns3ts's random sampler and, when a Python
 * with optuna is found, Optuna's TPE (bench/optuna_reference.py; optional, never needed by CI).
 *
 *   npm run bench:tune -- [--trials 100] [--seeds 10] [--python /usr/bin/python3]
 *
 * Each sampler runs with its defaults (ns3ts: multivariate TPE, as Optuna 5; the Debian
 * python3-optuna 3.1 defaults to univariate TPE). Writes bench-results/tune.json:
 * {"rows": [{function, sampler, medianBest, iqr}], ...} (plus `variants`: ns3ts's TPE with
 * multivariate: false, for information), and
 * checks the aim: ns3ts-tpe's median best is no worse than optuna-tpe's by more than 5% of the
 * distance between optuna-tpe's and ns3ts-random's, and better than ns3ts-random's.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot, writeJsonAtomic } from '../src/util/index.js';
import { TEST_FUNCTIONS, bestOnTestFunction, createSampler } from '../src/tune/index.js';

interface Args {
  trials: number;
  seeds: number;
  python?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { trials: 100, seeds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    const value = argv[++i];
    if (key === '--python') args.python = value;
    else if (key === '--trials' || key === '--seeds') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${key}: got ${value}, expected a positive integer`);
      args[key === '--trials' ? 'trials' : 'seeds'] = n;
    } else throw new Error(`${key}: unknown option (expected --trials, --seeds or --python)`);
  }
  return args;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

function stats(values: readonly number[]): { medianBest: number; iqr: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { medianBest: quantile(sorted, 0.5), iqr: quantile(sorted, 0.75) - quantile(sorted, 0.25) };
}

/** The first Python that can import optuna: --python, $PYTHON, python3, /usr/bin/python3. */
function findPython(preferred?: string): string | undefined {
  const candidates = [preferred, process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import optuna'], { stdio: 'ignore', timeout: 60_000 });
      return python;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

const args = parseArgs(process.argv.slice(2));
const seeds = Array.from({ length: args.seeds }, (_, i) => i + 1);
const bests: Record<string, Record<string, number[]>> = {};
const seconds: Record<string, number> = {};
const variants: Record<string, Record<string, number[]>> = {};
for (const fn of TEST_FUNCTIONS) {
  bests[fn.name] = {};
  for (const sampler of ['tpe', 'random'] as const) {
    const started = performance.now();
    bests[fn.name]![`ns3ts-${sampler}`] = seeds.map((seed) => bestOnTestFunction(fn, createSampler(fn.space, seed, { type: sampler }), args.trials, seed));
    seconds[`${fn.name}/ns3ts-${sampler}`] = (performance.now() - started) / 1000;
  }
  // For information (not part of the aim): the univariate option (Optuna 3 and 4's default).
  variants[fn.name] = {
    'ns3ts-tpe-univariate': seeds.map((seed) => bestOnTestFunction(fn, createSampler(fn.space, seed, { type: 'tpe', multivariate: false }), args.trials, seed)),
  };
}
const python = findPython(args.python);
let optuna: string;
if (python) {
  const started = performance.now();
  const out = execFileSync(python, [join(packageRoot, 'bench', 'optuna_reference.py'), '--trials', String(args.trials), '--seeds', String(args.seeds)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const reference = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number[]>;
  for (const [name, values] of Object.entries(reference)) if (bests[name]) bests[name]!['optuna-tpe'] = values;
  seconds.optuna = (performance.now() - started) / 1000;
  optuna = execFileSync(python, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8' }).trim();
} else {
  optuna = 'not found (optuna-tpe rows left out)';
}

const rows: Array<{ function: string; sampler: string; medianBest: number; iqr: number }> = [];
for (const [name, bySampler] of Object.entries(bests)) {
  for (const [sampler, values] of Object.entries(bySampler)) rows.push({ function: name, sampler, ...stats(values) });
}

const aims: Array<{ function: string; met: boolean | null; slack: number | null }> = [];
for (const name of Object.keys(bests)) {
  const row = (sampler: string): number | undefined => rows.find((r) => r.function === name && r.sampler === sampler)?.medianBest;
  const tpe = row('ns3ts-tpe')!;
  const random = row('ns3ts-random')!;
  const ref = row('optuna-tpe');
  if (ref === undefined) {
    aims.push({ function: name, met: null, slack: null });
    continue;
  }
  // Allowed: no worse than Optuna by more than 5% of |random − Optuna|; and better than random.
  const allowed = ref + 0.05 * Math.abs(random - ref);
  aims.push({ function: name, met: tpe <= allowed && tpe < random, slack: allowed - tpe });
}

console.log(`samplers on test functions: ${args.trials} trials, ${args.seeds} study seeds; best value found (lower is better); optuna ${optuna}`);
console.log("function            sampler                 median best          IQR");
for (const r of rows) console.log(`${r.function.padEnd(19)} ${r.sampler.padEnd(22)} ${r.medianBest.toPrecision(6).padStart(12)} ${r.iqr.toPrecision(4).padStart(12)}`);
for (const [name, byVariant] of Object.entries(variants)) {
  for (const [variant, values] of Object.entries(byVariant)) {
    const s = stats(values);
    console.log(`${name.padEnd(19)} ${variant.padEnd(22)} ${s.medianBest.toPrecision(6).padStart(12)} ${s.iqr.toPrecision(4).padStart(12)}  (option, not in the aim)`);
  }
}
for (const a of aims) {
  console.log(`aim ${a.function}: ${a.met === null ? 'not checked (no optuna)' : a.met ? 'met' : 'NOT met'}${a.slack !== null ? ` (margin ${a.slack.toPrecision(4)})` : ''}`);
}
const out = join(packageRoot, 'bench-results', 'tune.json');
const variantRows = Object.entries(variants).flatMap(([name, byVariant]) => Object.entries(byVariant).map(([sampler, values]) => ({ function: name, sampler, ...stats(values) })));
writeJsonAtomic(out, { trials: args.trials, seeds: args.seeds, optuna, rows, aims, variants: variantRows, seconds, bests });
console.log(`wrote ${out}`);

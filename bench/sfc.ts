/**
 * SFC provisioning: the DQN (full) and its ablations against the family's baselines on held-out
 * seeds (docs/sfc.md#benchmark). Each DQN variant trains through `train()` (the family loop, the
 * same run directory as `ns3ts train`) — the full DQN once per training seed, its row the mean over
 * the seeds with their spread, the ablations with the first seed — then every policy plays the same evaluation episodes
 * (seeds 1,000,000 + e, never used in training). A DQN row is its run's best policy on the run's
 * validation episodes (best.bin); what the last policy scored is next to it. Writes bench-results/sfc.json as
 * {"rows":[{policy, acceptanceRate, cpuHours, meanDelayMs, p95DelayMs, slaViolations, meanReward, ...}]}
 * and prints the table with the design's three targets against the threshold autoscaler
 * (+20% acceptance, −50% resources (CPU-hours), −42% mean end-to-end delay) and what was reached.
 *
 *   npm run bench:sfc -- [--episodes N] [--ablation-episodes N] [--eval-episodes 5] [--seeds 7,8,9]
 *                        [--variants dqn,dqn-plain,...] [--jobs 2] [--out bench-results/sfc.json]
 *
 * The episodes default to the scenario's training budget (`training.episodes`: 300 for
 * sfc-synthetic), for the ablations too, so that every component is compared on the same budget.
 *
 * `--jobs n` trains up to n (variant, seed) pairs at once, each in a child process of this script.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEST_CHECKPOINT_FILE, DQN_VARIANTS, dqnPolicyFromRun, readCheckpoint, type DqnVariant } from '../src/agents/index.js';
import { evaluateFamilyPolicy, resolveFamilyBaselines, type FamilyEvalResult } from '../src/eval/index.js';
import { loadFamilyScenario, type SfcScenario } from '../src/families/index.js';
import { train } from '../src/train/index.js';
import { textTableLines, writeJsonAtomic } from '../src/util/index.js';
import { baselineLevels, validationCurve, writeSfcValidationFigure, type ValidationPoint } from './sfc-figure.js';

interface Args {
  /** null: the scenario's training budget. */
  episodes: number | null;
  ablationEpisodes: number | null;
  evalEpisodes: number;
  /** Training seeds of the full DQN; the ablations train with the first. */
  seeds: number[];
  variants: DqnVariant[];
  out: string;
  scenario: string;
  jobs: number;
  /** Child mode: train and evaluate the listed variants only, no baselines, write the rows. */
  noBaselines: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    episodes: null,
    ablationEpisodes: null,
    evalEpisodes: 5,
    seeds: [7, 8, 9],
    variants: Object.keys(DQN_VARIANTS) as DqnVariant[],
    out: 'bench-results/sfc.json',
    scenario: 'sfc-synthetic',
    jobs: 1,
    noBaselines: false,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i]!, argv[i + 1]];
    if (key === '--no-baselines') {
      args.noBaselines = true;
      i -= 1;
      continue;
    }
    if (value === undefined) throw new Error(`${key}: got no value, expected one`);
    const int = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${key}: got ${value}, expected an integer >= 1`);
      return n;
    };
    if (key === '--episodes') args.episodes = int();
    else if (key === '--ablation-episodes') args.ablationEpisodes = int();
    else if (key === '--eval-episodes') args.evalEpisodes = int();
    else if (key === '--seed') args.seeds = [int()];
    else if (key === '--seeds') {
      args.seeds = value.split(',').map(Number);
      if (args.seeds.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--seeds: got ${value}, expected integers >= 1 separated by commas`);
    } else if (key === '--jobs') args.jobs = int();
    else if (key === '--out') args.out = value;
    else if (key === '--scenario') args.scenario = value;
    else if (key === '--variants') {
      const list = value.split(',');
      for (const v of list) if (!(v in DQN_VARIANTS)) throw new Error(`--variants: got ${v}, expected some of ${Object.keys(DQN_VARIANTS).join(', ')}`);
      args.variants = list as DqnVariant[];
    } else throw new Error(`${key}: got an unknown option, expected --episodes, --ablation-episodes, --eval-episodes, --seeds, --variants, --jobs, --scenario or --out`);
  }
  return args;
}

interface Row {
  policy: string;
  acceptanceRate: number | null;
  cpuHours: number | null;
  meanDelayMs: number | null;
  p95DelayMs: number | null;
  slaViolations: number | null;
  meanReward: number | null;
  utilisation: number | null;
  dropped: number | null;
  invalidActions: number | null;
  trainEpisodes?: number;
  trainSeconds?: number;
  trainSeed?: number;
  /** A DQN row is its run's best policy (best.bin): the episode it was kept at, and what the last policy scored on the same episodes. */
  bestEpisode?: number;
  lastMeanReward?: number | null;
  lastAcceptanceRate?: number | null;
  /** The full DQN over several training seeds: each seed's row (the row itself is their mean). */
  perSeed?: Row[];
  /** The run's validations (keep-the-best): the greedy policy's mean reward per step by episode. */
  validation?: ValidationPoint[];
}

const KPI_FIELDS = ['acceptanceRate', 'cpuHours', 'meanDelayMs', 'p95DelayMs', 'slaViolations', 'meanReward', 'utilisation', 'dropped', 'invalidActions', 'lastMeanReward', 'lastAcceptanceRate'] as const;

/** The mean of rows of one policy over training seeds, each seed's row kept in perSeed. */
function meanRow(rows: Row[]): Row {
  if (rows.length === 1) return rows[0]!;
  const out: Row = { ...rows[0]!, perSeed: rows, trainSeconds: rows.reduce((s, r) => s + (r.trainSeconds ?? 0), 0) };
  delete out.trainSeed;
  delete out.bestEpisode;
  delete out.validation;
  for (const k of KPI_FIELDS) {
    const values = rows.map((r) => r[k]);
    out[k] = values.every((v): v is number => typeof v === 'number') ? values.reduce((a, b) => a + b, 0) / values.length : null;
  }
  return out;
}

function row(policy: string, r: FamilyEvalResult, extra: Partial<Row> = {}): Row {
  const k = r.kpis;
  return {
    policy,
    acceptanceRate: k.acceptanceRate ?? null,
    cpuHours: k.cpuHours ?? null,
    meanDelayMs: k.meanDelayMs ?? null,
    p95DelayMs: k.p95DelayMs ?? null,
    slaViolations: k.slaViolations ?? null,
    meanReward: k.meanReward ?? null,
    utilisation: k.utilisation ?? null,
    dropped: k.dropped ?? null,
    invalidActions: k.invalidActions ?? null,
    ...extra,
  };
}

const f = (v: number | null | undefined, d = 3): string => (v === null || v === undefined ? '-' : v.toFixed(d));

/** Trains one variant with one seed through train() and evaluates its greedy policy. */
async function trainAndEvaluate(scenario: SfcScenario, variant: DqnVariant, seed: number, episodes: number, evaluate: { episodes: number; seed: number }): Promise<Row> {
  const workDir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-sfc-'));
  try {
    const started = Date.now();
    const summary = await train({
      scenario,
      agent: 'dqn',
      seed,
      episodes,
      evalEvery: 0,
      // Only the last checkpoint is read (best.bin is written by the validation); one per episode
      // would write the replay memory every time.
      checkpointEvery: episodes,
      outDir: workDir,
      runId: variant.replace('+', '-with-'),
      agentSettings: { variant },
      progress: false,
    });
    const seconds = (Date.now() - started) / 1000;
    const result = await evaluateFamilyPolicy(scenario, await dqnPolicyFromRun(summary.runDir, scenario, 'best'), evaluate);
    const last = await evaluateFamilyPolicy(scenario, await dqnPolicyFromRun(summary.runDir, scenario, 'last'), evaluate);
    const kept = existsSync(join(summary.runDir, BEST_CHECKPOINT_FILE)) ? (readCheckpoint(summary.runDir, BEST_CHECKPOINT_FILE).meta.validation as { episode: number }).episode : episodes;
    process.stderr.write(
      `${variant} seed ${seed}: ${episodes} episodes in ${seconds.toFixed(0)} s, held-out mean reward ${f(result.kpis.meanReward ?? null)} (best, episode ${kept}), ${f(last.kpis.meanReward ?? null)} (last)\n`,
    );
    return row(variant, result, {
      trainEpisodes: episodes,
      trainSeconds: Math.round(seconds),
      trainSeed: seed,
      bestEpisode: kept,
      lastMeanReward: last.kpis.meanReward ?? null,
      lastAcceptanceRate: last.kpis.acceptanceRate ?? null,
      validation: validationCurve(summary.runDir, scenario.episodeSteps),
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Runs this script as a child for one (variant, seed) and returns its row. */
function trainInChild(args: Args, variant: DqnVariant, seed: number, out: string): Promise<Row> {
  const childArgs = ['--scenario', args.scenario, '--variants', variant, '--seeds', String(seed), '--eval-episodes', String(args.evalEpisodes), '--out', out, '--no-baselines'];
  if (args.episodes !== null) childArgs.push('--episodes', String(args.episodes));
  if (args.ablationEpisodes !== null) childArgs.push('--ablation-episodes', String(args.ablationEpisodes));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...childArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bench child ${variant} seed ${seed}: exit code ${String(code)}`));
      else resolve((JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[] }).rows[0]!);
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenario = loadFamilyScenario(args.scenario) as SfcScenario;
  const evalSeed = 1_000_000;
  const evaluate = { episodes: args.evalEpisodes, seed: evalSeed };
  const jobs: Array<{ variant: DqnVariant; seed: number; episodes: number }> = [];
  for (const variant of args.variants) {
    const seeds = variant === 'dqn' ? args.seeds : args.seeds.slice(0, 1);
    const budget = scenario.training.episodes;
    for (const seed of seeds) jobs.push({ variant, seed, episodes: (variant === 'dqn' ? args.episodes : args.ablationEpisodes) ?? budget });
  }
  const trained: Row[] = new Array<Row>(jobs.length);
  if (args.jobs > 1 && jobs.length > 1) {
    const workDir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-sfc-jobs-'));
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < jobs.length) {
          const j = next++;
          trained[j] = await trainInChild(args, jobs[j]!.variant, jobs[j]!.seed, join(workDir, `${j}.json`));
        }
      };
      await Promise.all(Array.from({ length: Math.min(args.jobs, jobs.length) }, worker));
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  } else {
    for (let j = 0; j < jobs.length; j++) trained[j] = await trainAndEvaluate(scenario, jobs[j]!.variant, jobs[j]!.seed, jobs[j]!.episodes, evaluate);
  }
  const rows: Row[] = args.variants.map((variant) => meanRow(trained.filter((r) => r.policy === variant)));
  if (!args.noBaselines) {
    for (const baseline of resolveFamilyBaselines('all-baselines', scenario)) {
      rows.push(row(baseline.id, await evaluateFamilyPolicy(scenario, baseline.create, evaluate)));
    }
  }
  writeJsonAtomic(args.out, { scenario: scenario.name, seeds: args.seeds, evalSeed, evalEpisodes: args.evalEpisodes, rows });
  if (args.noBaselines) return;

  const header = ['policy', 'train ep', 'acceptance', 'CPU-h', 'mean delay ms', 'P95 delay ms', 'SLA viol.', 'dropped', 'invalid', 'mean reward', 'last policy: reward'];
  /** The value and, over several training seeds, its range (min–max). */
  const spread = (r: Row, key: 'acceptanceRate' | 'meanReward' | 'lastMeanReward'): string => {
    if (r[key] === undefined) return '-';
    if (!r.perSeed) return f(r[key]);
    const v = r.perSeed.map((p) => p[key] ?? NaN);
    return `${f(r[key])} (${f(Math.min(...v))}..${f(Math.max(...v))})`;
  };
  const lines = rows.map((r) => [
    r.perSeed ? `${r.policy} x${r.perSeed.length}` : r.policy,
    r.trainEpisodes === undefined ? '-' : String(r.trainEpisodes),
    spread(r, 'acceptanceRate'),
    f(r.cpuHours, 0),
    f(r.meanDelayMs, 1),
    f(r.p95DelayMs, 1),
    f(r.slaViolations, 1),
    f(r.dropped, 1),
    f(r.invalidActions, 1),
    spread(r, 'meanReward'),
    spread(r, 'lastMeanReward'),
  ]);
  console.log(`scenario ${scenario.name}, ${args.evalEpisodes} held-out episodes from seed ${evalSeed}; full DQN: mean (min..max) over training seeds ${args.seeds.join(', ')}`);
  for (const l of textTableLines([header, ...lines])) console.log(l);

  const dqn = rows.find((r) => r.policy === 'dqn');
  const threshold = rows.find((r) => r.policy === 'baseline:threshold');
  if (dqn && threshold) {
    const change = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : (a - b) / b);
    const pct = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`);
    console.log('design targets, full DQN against the threshold autoscaler:');
    console.log(`  acceptance   target +20%   reached ${pct(change(dqn.acceptanceRate, threshold.acceptanceRate))}`);
    console.log(`  resources    target -50%   reached ${pct(change(dqn.cpuHours, threshold.cpuHours))} (CPU-hours)`);
    console.log(`  mean delay   target -42%   reached ${pct(change(dqn.meanDelayMs, threshold.meanDelayMs))}`);
    const baselines = rows.filter((r) => r.policy.startsWith('baseline:'));
    const beats = (key: 'meanReward' | 'acceptanceRate'): boolean => baselines.every((b) => (dqn[key] ?? -Infinity) > (b[key] ?? Infinity));
    console.log(`  full DQN beats every baseline on mean reward: ${beats('meanReward') ? 'yes' : 'no'}; on acceptance: ${beats('acceptanceRate') ? 'yes' : 'no'}`);
  }
  if (dqn) {
    const figure = args.out.replace(/\.json$/, '') + '-validation.svg';
    const seeds = dqn.perSeed ?? [dqn];
    await writeSfcValidationFigure(
      figure,
      seeds.map((r) => ({ label: `seed ${String(r.trainSeed)}`, points: r.validation ?? [] })),
      baselineLevels(rows),
    );
    console.log(`wrote ${figure}`);
  }
  console.log(`wrote ${args.out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

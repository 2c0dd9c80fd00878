/**
 * SFC provisioning: the DQN (full) and its ablations against the family's baselines on held-out
 * seeds (docs/sfc.md#benchmark). Each DQN variant trains through `train()` (the family loop, the
 * same run directory as `ns3ts train`), then every policy plays the same evaluation episodes
 * (seeds 1,000,000 + e, never used in training). Writes bench-results/sfc.json as
 * {"rows":[{policy, acceptanceRate, cpuHours, meanDelayMs, p95DelayMs, slaViolations, meanReward, ...}]}
 * and prints the table with the design's three targets against the threshold autoscaler
 * (+20% acceptance, −50% resources (CPU-hours), −42% mean end-to-end delay) and what was reached.
 *
 *   npm run bench:sfc -- [--episodes 60] [--ablation-episodes 20] [--eval-episodes 5] [--seed 7]
 *                        [--variants dqn,dqn-plain,...] [--out bench-results/sfc.json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DQN_VARIANTS, dqnPolicyFromRun, type DqnVariant } from '../src/agents/index.js';
import { evaluateFamilyPolicy, resolveFamilyBaselines, type FamilyEvalResult } from '../src/eval/index.js';
import { loadFamilyScenario, type SfcScenario } from '../src/families/index.js';
import { train } from '../src/train/index.js';
import { writeJsonAtomic } from '../src/util/index.js';

interface Args {
  episodes: number;
  ablationEpisodes: number;
  evalEpisodes: number;
  seed: number;
  variants: DqnVariant[];
  out: string;
  scenario: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    episodes: 60,
    ablationEpisodes: 20,
    evalEpisodes: 5,
    seed: 7,
    variants: Object.keys(DQN_VARIANTS) as DqnVariant[],
    out: 'bench-results/sfc.json',
    scenario: 'sfc-synthetic',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${key}: got no value, expected one`);
    const int = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${key}: got ${value}, expected an integer >= 1`);
      return n;
    };
    if (key === '--episodes') args.episodes = int();
    else if (key === '--ablation-episodes') args.ablationEpisodes = int();
    else if (key === '--eval-episodes') args.evalEpisodes = int();
    else if (key === '--seed') args.seed = int();
    else if (key === '--out') args.out = value;
    else if (key === '--scenario') args.scenario = value;
    else if (key === '--variants') {
      const list = value.split(',');
      for (const v of list) if (!(v in DQN_VARIANTS)) throw new Error(`--variants: got ${v}, expected some of ${Object.keys(DQN_VARIANTS).join(', ')}`);
      args.variants = list as DqnVariant[];
    } else throw new Error(`${key}: got an unknown option, expected --episodes, --ablation-episodes, --eval-episodes, --seed, --variants, --scenario or --out`);
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenario = loadFamilyScenario(args.scenario) as SfcScenario;
  const evalSeed = 1_000_000;
  const evaluate = { episodes: args.evalEpisodes, seed: evalSeed };
  const rows: Row[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-sfc-'));
  try {
    for (const variant of args.variants) {
      const episodes = variant === 'dqn' ? args.episodes : args.ablationEpisodes;
      const started = Date.now();
      const summary = await train({
        scenario,
        agent: 'dqn',
        seed: args.seed,
        episodes,
        evalEvery: 0,
        outDir: workDir,
        runId: variant.replace('+', '-with-'),
        agentSettings: { variant },
        progress: false,
      });
      const seconds = (Date.now() - started) / 1000;
      const policy = await dqnPolicyFromRun(summary.runDir, scenario);
      const result = await evaluateFamilyPolicy(scenario, policy, evaluate);
      rows.push(row(variant, result, { trainEpisodes: episodes, trainSeconds: Math.round(seconds) }));
      process.stderr.write(`${variant}: ${episodes} episodes in ${seconds.toFixed(0)} s, eval mean reward ${f(result.kpis.meanReward ?? null)}\n`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  for (const baseline of resolveFamilyBaselines('all-baselines', scenario)) {
    rows.push(row(baseline.id, await evaluateFamilyPolicy(scenario, baseline.create, evaluate)));
  }
  writeJsonAtomic(args.out, { scenario: scenario.name, seed: args.seed, evalSeed, evalEpisodes: args.evalEpisodes, rows });

  const header = ['policy', 'train ep', 'acceptance', 'CPU-h', 'mean delay ms', 'P95 delay ms', 'SLA viol.', 'dropped', 'invalid', 'mean reward'];
  const lines = rows.map((r) => [
    r.policy,
    r.trainEpisodes === undefined ? '-' : String(r.trainEpisodes),
    f(r.acceptanceRate),
    f(r.cpuHours, 0),
    f(r.meanDelayMs, 1),
    f(r.p95DelayMs, 1),
    f(r.slaViolations, 1),
    f(r.dropped, 1),
    f(r.invalidActions, 1),
    f(r.meanReward),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...lines.map((l) => l[j]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  console.log(`scenario ${scenario.name}, ${args.evalEpisodes} held-out episodes from seed ${evalSeed}`);
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));

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
  console.log(`wrote ${args.out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

/**
 * Learning benchmark: trains `maddpg-admm` and `td3` on `slicing-synthetic` with the scenario's
 * default budget, then evaluates them and every baseline on the same held-out seeds. Prints the
 * table (with each policy's mean utility relative to the oracle's) and writes
 * bench-results/learning.json.
 *
 *   npm run bench:learning -- [--episodes N] [--eval-episodes N] [--seed N | --seeds 1,2,3] [--agents maddpg-admm,td3]
 *     [--backend auto|native|ts|tfjs|wasm|...] [--settings '{"td3":{"gamma":0.9}}'] [--out FILE] [--no-baselines]
 *
 * --settings overrides agent settings per agent id (a variant to compare with the defaults);
 * --out writes the JSON elsewhere than bench-results/learning.json. --seeds trains every agent once
 * per training seed: its row is then the mean over them (the capacity violation the worst), each
 * seed's utility and training time are kept under `perSeed`, and each aim is judged on the mean and
 * counted per seed, as in bench:robustness: one seed moves these utilities by more than the aims'
 * margins.
 *
 * Besides every baseline it evaluates the myopic oracle (baseline:oracle-myopic: the oracle's search
 * on the steps an agent has observed), the reference for what the agents' observation allows, and
 * the expected-model oracle (baseline:oracle-expected: the search on the mean over fresh draws of
 * the coming step), what no policy that chooses before the draw beats.
 *
 * Aims: maddpg-admm reaches >= 99% of the oracle's mean utility and at least TD3's, never violates
 * capacity (capacityViolation exactly 0), and trains the default job in at most a third of the
 * previous release's time (TF.js wasm, an update every 3rd step). Measurements and the settings
 * chosen from them: docs/agents.md#settings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFromRun, parseBackendChoice, selectBackend } from '../src/agents/index.js';
import { evaluatePolicy, resolvePolicies, type EvalResult } from '../src/eval/index.js';
import { loadScenario } from '../src/scenario/index.js';
import { train } from '../src/train/index.js';
import { InputError, textTableLines, writeJsonAtomic } from '../src/util/index.js';
import { agentSettingsOption, mean, seedCount, trainingSeedsOption } from './args.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const scenario = loadScenario('slicing-synthetic');
const episodes = arg('--episodes') ? Number(arg('--episodes')) : scenario.training.episodes;
const evalEpisodes = arg('--eval-episodes') ? Number(arg('--eval-episodes')) : 5;
const agents = (arg('--agents') ?? 'maddpg-admm,td3').split(',');
// Held-out evaluation seeds: far from every training episode seed.
const heldOutSeed = 900_000;

let settings: Record<string, Record<string, unknown>>;
let seeds: number[];
try {
  settings = agentSettingsOption(arg('--settings'));
  seeds = trainingSeedsOption(arg('--seeds'), arg('--seed')) ?? [scenario.seed];
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`bench:learning: ${error.message}\n`);
  process.exit(2);
}
const outFile = arg('--out') ?? join('bench-results', 'learning.json');
const withBaselines = !process.argv.includes('--no-baselines');
const backend = await selectBackend(parseBackendChoice(arg('--backend') ?? 'auto'));
process.stderr.write(`backend ${backend.name}; training ${agents.join(', ')} for ${episodes} episodes each\n`);
const loadBefore = loadavg()[0]!;
const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-learning-'));
interface Row {
  policy: string;
  meanUtility: number;
  qosSatisfaction: number;
  violationRate: number;
  capacityViolation: number;
  /**
   * An agent's training run, the mean over its seeds: wall seconds, and CPU seconds (user + sys, every
   * thread of the process), which other work on the machine barely moves. Null for a baseline.
   */
  trainSeconds: number | null;
  trainCpuSeconds: number | null;
  /** The training seeds behind an agent's row, each seed's utility and training times (null for a baseline). */
  perSeed: Array<{ seed: number; meanUtility: number; trainSeconds: number; trainCpuSeconds: number }> | null;
}
const rowOf = (r: EvalResult): Row => ({
  policy: r.policy,
  meanUtility: r.kpis.meanUtility,
  qosSatisfaction: r.kpis.qosSatisfaction,
  violationRate: r.kpis.slaViolationRate,
  capacityViolation: r.kpis.capacityViolation,
  trainSeconds: null,
  trainCpuSeconds: null,
  perSeed: null,
});

const rows: Row[] = [];
try {
  for (const agent of agents) {
    const runs: Array<{ seed: number; row: Row; seconds: number; cpuSeconds: number }> = [];
    for (const seed of seeds) {
      const cpuBefore = process.cpuUsage();
      const summary = await train({ scenario, agent, seed, episodes, outDir: dir, runId: `${agent}-s${seed}`, progress: true, backend: backend.requested, agentSettings: settings[agent] ?? {} });
      const cpu = process.cpuUsage(cpuBefore);
      const policy = await loadPolicyFromRun(summary.runDir);
      const row = rowOf(await evaluatePolicy(scenario, policy, { episodes: evalEpisodes, seed: heldOutSeed }));
      runs.push({ seed, row, seconds: summary.trainSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    }
    rows.push({
      policy: runs[0]!.row.policy,
      meanUtility: mean(runs.map((r) => r.row.meanUtility)),
      qosSatisfaction: mean(runs.map((r) => r.row.qosSatisfaction)),
      violationRate: mean(runs.map((r) => r.row.violationRate)),
      capacityViolation: Math.max(...runs.map((r) => r.row.capacityViolation)),
      trainSeconds: mean(runs.map((r) => r.seconds)),
      trainCpuSeconds: mean(runs.map((r) => r.cpuSeconds)),
      perSeed: runs.map((r) => ({ seed: r.seed, meanUtility: r.row.meanUtility, trainSeconds: r.seconds, trainCpuSeconds: r.cpuSeconds })),
    });
  }
  const references = [...(withBaselines ? resolvePolicies('all-baselines', scenario) : resolvePolicies('baseline:oracle', scenario)), ...resolvePolicies('baseline:oracle-myopic', scenario), ...resolvePolicies('baseline:oracle-expected', scenario)];
  for (const named of references) {
    rows.push(rowOf(await evaluatePolicy(scenario, named.create, { episodes: evalEpisodes, seed: heldOutSeed })));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const oracle = rows.find((r) => r.policy === 'baseline:oracle')?.meanUtility ?? Number.NaN;
const myopicOracle = rows.find((r) => r.policy === 'baseline:oracle-myopic')?.meanUtility ?? Number.NaN;
const header = ['policy', 'mean utility', 'vs oracle', 'vs myopic', 'QoS sat', 'SLA viol', 'capacity viol'];
const table = rows.map((r) => [
  r.policy,
  r.meanUtility.toFixed(4),
  (r.meanUtility / oracle).toFixed(3),
  (r.meanUtility / myopicOracle).toFixed(3),
  r.qosSatisfaction.toFixed(3),
  r.violationRate.toFixed(3),
  String(r.capacityViolation),
]);
const trained = rows.filter((r) => r.trainSeconds !== null);
const admm = rows.find((r) => r.policy === 'maddpg-admm');
const td3 = rows.find((r) => r.policy === 'td3');
const aims: Array<{ aim: string; value: number; target: number; met: boolean; metOnSeeds?: { met: number; of: number } }> = [];
if (admm) {
  aims.push({ aim: 'maddpg-admm mean utility vs oracle', value: admm.meanUtility / oracle, target: 0.99, met: admm.meanUtility / oracle >= 0.99, ...seedCount(admm.perSeed, (run) => run.meanUtility / oracle >= 0.99) });
  if (td3) {
    // Per seed: against TD3 trained on the same seed.
    const td3Of = (seed: number): number => td3.perSeed?.find((r) => r.seed === seed)?.meanUtility ?? Number.NaN;
    aims.push({ aim: 'maddpg-admm mean utility vs td3', value: admm.meanUtility, target: td3.meanUtility, met: admm.meanUtility >= td3.meanUtility, ...seedCount(admm.perSeed, (run) => run.meanUtility >= td3Of(run.seed)) });
  }
  aims.push({ aim: 'maddpg-admm capacity violation', value: admm.capacityViolation, target: 0, met: admm.capacityViolation === 0 });
}
const seedText = seeds.length > 1 ? `agents: the mean over training seeds ${seeds.join(', ')}` : `seed ${seeds[0]}`;
process.stdout.write(
  `slicing-synthetic, ${episodes} training episodes per agent (${seedText}), ${evalEpisodes} held-out episodes from seed ${heldOutSeed}, backend ${backend.name}` +
    `${Object.keys(settings).length ? `, settings ${JSON.stringify(settings)}` : ''}, load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}\n` +
    `${textTableLines([header, ...table]).join('\n')}\n` +
    `training time${seeds.length > 1 ? ' (mean per run)' : ''}: ${trained
      .map((r) => `${r.policy} ${r.trainSeconds!.toFixed(1)} s (CPU ${r.trainCpuSeconds!.toFixed(1)} s)`)
      .join(', ')}\n` +
    aims.map((a) => `aim ${a.aim}: ${a.value.toFixed(4)} vs ${a.target.toFixed(4)} ${a.met ? 'met' : 'MISSED'}${a.metOnSeeds ? ` (on ${a.metOnSeeds.met} of ${a.metOnSeeds.of} seeds)` : ''}\n`).join(''),
);
writeJsonAtomic(outFile, {
  rows,
  aims,
  settings,
  // The wall time of every training run of the bench together.
  trainSeconds: trained.flatMap((r) => r.perSeed!).reduce((total, run) => total + run.trainSeconds, 0),
  backend: backend.name,
  episodes,
  seeds,
  evalEpisodes,
  heldOutSeed,
});

/**
 * The IDLA paper's experiment on `idla-12cell`: phase H0 collects samples, H1 optimizes with three
 * slices, H2 after a fourth slice joins. Per phase: QoS satisfaction probability (fraction of
 * active (t, c, s) with r >= 1) and mean utility (mean per-step sum over cells and slices of
 * log(r + 1)) of IDLA, TD3 (max-min reward, when the agent is available), traffic-proportional
 * and the oracle grid, plus the estimator's test MAE. All policies play the same seeded episode.
 *
 *   npm run bench:idla -- [--scale 0.1] [--epochs 60] [--td3-episodes 2] [--seed 3]
 *                         [--mse-warmup 1] [--random-fraction 0.5] [--share-input share|used]
 *                         [--features paper|extended] [--set env.userSamples=1 ...]
 *
 * `--scale s` multiplies the phase lengths (1000 / 2000 / 1000 steps at 1).
 */
import { deriveSeed, writeJsonAtomic } from '../src/util/index.js';
import {
  CollectionPolicy,
  IdlaPolicy,
  SampleCollector,
  fitEstimator,
  loadEstimator,
  mlpSpecToJson,
  resolveIdlaSettings,
  saveEstimator,
  IDLA_DEFAULTS,
  searchOptionsOf,
  type EstimatorReport,
  type ShareInput,
  type FeatureSet,
} from '../src/agents/idla/index.js';
import type { MlpSpec } from '../src/native/index.js';
import { agentRegistry, selectBackend, type SlicingPolicy } from '../src/agents/index.js';
import { SyntheticSlicingEnv, FEATURES_PER_SLICE, createBaseline } from '../src/families/index.js';
import { applyOverrides, loadScenario, scenarioLayout, type Scenario } from '../src/scenario/index.js';

interface Args {
  scale: number;
  epochs: number;
  mseWarmup: number;
  randomFraction: number;
  /** Relabelled copies per training sample. */
  relabel: number;
  shareInput: ShareInput;
  features: FeatureSet;
  td3Episodes: number;
  seed: number;
  /** Reuse an estimator file (skips the fit) / save the fitted one. */
  estimatorIn: string;
  estimatorOut: string;
  /** Search settings overrides, e.g. "noise=0.1,maxIterations=100". */
  search: string;
  /** Skip the baselines (when only IDLA's search settings change). */
  idlaOnly: boolean;
  /** Scenario overrides "path=value" (as `ns3ts train --set`), applied to idla-12cell. */
  sets: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { scale: 1, epochs: IDLA_DEFAULTS.epochs, td3Episodes: 2, seed: 3, mseWarmup: IDLA_DEFAULTS.mseWarmup, randomFraction: IDLA_DEFAULTS.randomFraction, relabel: IDLA_DEFAULTS.relabel, shareInput: IDLA_DEFAULTS.shareInput, features: IDLA_DEFAULTS.features, estimatorIn: '', estimatorOut: '', search: '', idlaOnly: false, sets: [] };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    if (key === '--estimator-in' || key === '--estimator-out' || key === '--search') {
      const v = argv[++i] ?? '';
      if (key === '--estimator-in') args.estimatorIn = v;
      else if (key === '--estimator-out') args.estimatorOut = v;
      else args.search = v;
      continue;
    }
    if (key === '--set') {
      args.sets.push(argv[++i] ?? '');
      continue;
    }
    if (key === '--idla-only') {
      args.idlaOnly = true;
      continue;
    }
    if (key === '--features') {
      const v = argv[++i];
      if (v !== 'paper' && v !== 'extended') throw new Error(`--features: got ${v}, expected paper or extended`);
      args.features = v;
      continue;
    }
    if (key === '--share-input') {
      const v = argv[++i];
      if (v !== 'share' && v !== 'used') throw new Error(`--share-input: got ${v}, expected share or used`);
      args.shareInput = v;
      continue;
    }
    const value = Number(argv[i + 1]);
    if (key === '--scale') args.scale = value;
    else if (key === '--epochs') args.epochs = value;
    else if (key === '--td3-episodes') args.td3Episodes = value;
    else if (key === '--seed') args.seed = value;
    else if (key === '--mse-warmup') args.mseWarmup = value;
    else if (key === '--random-fraction') args.randomFraction = value;
    else if (key === '--relabel') args.relabel = value;
    else continue;
    if (!Number.isFinite(value) || value < 0) throw new Error(`${key}: got ${argv[i + 1]}, expected a number >= 0`);
    i++;
  }
  if (!(args.scale > 0)) throw new Error('--scale: expected a number > 0');
  return args;
}

const PHASES = ['H0', 'H1', 'H2'] as const;

interface PhaseStats {
  satisfied: number;
  pairs: number;
  utility: number;
  steps: number;
}

interface EpisodeResult {
  phases: PhaseStats[];
  /** Mean r of the joining slice in the first steps after it joined. */
  joinCurve: number[];
}

function scaledScenario(args: Args): { scenario: Scenario; h1: number; h2: number; joiner: number } {
  const base = applyOverrides(loadScenario('idla-12cell'), args.sets);
  const h1 = Math.max(20, Math.round(1000 * args.scale));
  const h2 = Math.max(h1 + 20, Math.round(3000 * args.scale));
  const end = Math.max(h2 + 20, Math.round(4000 * args.scale));
  const joiner = base.slices.findIndex((s) => s.joinStep > 0);
  const slices = base.slices.map((s, i) => (i === joiner ? { ...s, joinStep: h2 } : s));
  return { scenario: { ...base, slices, episodeSteps: end, seed: args.seed }, h1, h2, joiner };
}

/** Plays one episode; `choose(t)` gives the policy acting at step t (IDLA switches after H0). */
async function play(
  scenario: Scenario,
  h1: number,
  h2: number,
  joiner: number,
  choose: (t: number, env: SyntheticSlicingEnv) => SlicingPolicy | Promise<SlicingPolicy>,
  observe?: (obs: Float32Array, t: number) => void,
): Promise<EpisodeResult> {
  const env = new SyntheticSlicingEnv(scenario, { seed: scenario.seed });
  const S = scenario.slices.length;
  const C = scenario.cells;
  const layout = scenarioLayout(scenario);
  const phases: PhaseStats[] = PHASES.map(() => ({ satisfied: 0, pairs: 0, utility: 0, steps: 0 }));
  const joinCurve: number[] = [];
  let obs = env.resetSync(scenario.seed);
  observe?.(obs, -1);
  let last: SlicingPolicy | null = null;
  for (let t = 0; !env.episodeDone; t++) {
    const policy = await choose(t, env);
    if (policy !== last) {
      policy.reset?.();
      last = policy;
    }
    const shares = await policy.act({ data: obs.slice(), shape: [C, S, FEATURES_PER_SLICE] }, { layout, step: t });
    const reward = env.stepSync(shares);
    obs = env.obs;
    observe?.(obs, t);
    const phase = phases[t < h1 ? 0 : t < h2 ? 1 : 2]!;
    phase.steps += 1;
    phase.utility += reward;
    for (const r of env.qos) {
      if (Number.isNaN(r)) continue;
      phase.pairs += 1;
      if (r >= 1) phase.satisfied += 1;
    }
    if (t >= h2 && t < h2 + 10 && joiner >= 0) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += env.qos[c * S + joiner]!;
      joinCurve.push(sum / C);
    }
  }
  await env.close();
  return { phases, joinCurve };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await selectBackend('auto');
  const { scenario, h1, h2, joiner } = scaledScenario(args);
  const C = scenario.cells;
  const S = scenario.slices.length;
  console.log(
    `idla-12cell: ${C} cells x ${S} slices, H0 [0, ${h1}) H1 [${h1}, ${h2}) H2 [${h2}, ${scenario.episodeSteps}) (scale ${args.scale}), ` +
      `seed ${args.seed}, TF.js backend ${backend.name}`,
  );
  const results: Record<string, EpisodeResult> = {};
  const notes: string[] = [];

  // IDLA: collect in H0 with the collection policy, fit at the end of H0, then search.
  const collection = new CollectionPolicy(args.seed, args.randomFraction);
  const collector = new SampleCollector(C, S);
  let idla: IdlaPolicy | null = null;
  let estimatorReport: Awaited<ReturnType<typeof fitEstimator>>['report'] | null = null;
  let searchSeconds = 0;
  let searchCalls = 0;
  let iterationSum = 0;
  const started = Date.now();
  results.idla = await play(
    scenario,
    h1,
    h2,
    joiner,
    async (t) => {
      if (t < h1) return collection;
      if (!idla) {
        let fitted: { spec: MlpSpec; report: EstimatorReport };
        if (args.estimatorIn) {
          const file = loadEstimator(args.estimatorIn);
          fitted = { spec: file.mlp, report: file.report };
        } else {
          const fit = await fitEstimator(collector.samples, { epochs: args.epochs, seed: args.seed, progress: true, mseWarmup: args.mseWarmup, shareInput: args.shareInput, features: args.features, relabel: args.relabel });
          fitted = fit;
          if (args.estimatorOut) {
            saveEstimator(args.estimatorOut, { kind: 'idla-estimator', version: 1, shareInput: fit.shareInput, features: fit.features, spec: mlpSpecToJson(fit.spec), report: fit.report });
          }
        }
        estimatorReport = fitted.report;
        const search = searchOptionsOf(resolveIdlaSettings(Object.fromEntries(args.search.split(',').filter(Boolean).map((kv: string) => kv.split('=') as [string, string]))));
        const policy = new IdlaPolicy(fitted.spec, { search, seed: args.seed });
        // Time the search separately from the env.
        idla = policy;
        const timed: SlicingPolicy = {
          id: 'idla',
          reset: () => policy.reset(),
          act: async (obs, context) => {
            const t0 = process.hrtime.bigint();
            const shares = await policy.act(obs, context);
            searchSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
            searchCalls += 1;
            iterationSum += policy.lastSearch?.meanIterations ?? 0;
            return shares;
          },
        };
        timedPolicy = timed;
      }
      return timedPolicy!;
    },
    (obs, t) => {
      if (t < h1) collector.observe(obs, t < 0);
    },
  );
  const idlaSeconds = (Date.now() - started) / 1000;
  const report = estimatorReport as Awaited<ReturnType<typeof fitEstimator>>['report'] | null;

  if (args.idlaOnly) {
    const stats = results.idla!.phases;
    for (let p = 0; p < PHASES.length; p++) {
      console.log(`${PHASES[p]} idla QoS ${(stats[p]!.satisfied / stats[p]!.pairs).toFixed(3)} utility ${(stats[p]!.utility / stats[p]!.steps).toFixed(3)}`);
    }
    return;
  }
  results['baseline:proportional'] = await play(scenario, h1, h2, joiner, (() => {
    const p = createBaseline('proportional', scenario);
    return () => p;
  })());
  let oracle: SlicingPolicy | null = null;
  results['baseline:oracle'] = await play(scenario, h1, h2, joiner, (_t, env) => (oracle ??= createBaseline('oracle', scenario, env)));

  // TD3 with the max-min reward, through the agent registry (trained on the same scenario).
  const td3Entry = (agentRegistry as Record<string, (typeof agentRegistry)[string] | undefined>).td3;
  if (args.td3Episodes === 0) {
    notes.push('TD3: skipped (--td3-episodes 0)');
  } else if (!td3Entry) {
    notes.push('TD3: not available in this build (no td3 agent in the registry) - no TD3 row');
  } else {
    try {
      // Loaded by name: the training loop is optional for this benchmark.
      const specifier = '../src/train/index.js';
      const { train } = (await import(specifier)) as { train: (options: Record<string, unknown>) => Promise<{ runDir: string }> };
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const outDir = mkdtempSync(join(tmpdir(), 'bench-idla-td3-'));
      try {
        const summary = await train({
          scenario,
          agent: 'td3',
          // Trained on other episodes (seeds) than the one all policies are scored on.
          seed: deriveSeed(args.seed, 'td3-train'),
          episodes: Math.max(1, args.td3Episodes),
          outDir,
          evalEvery: 0,
          progress: true,
          agentSettings: { reward: 'min-qos' },
        });
        const policy = await td3Entry.load(summary.runDir);
        results.td3 = await play(scenario, h1, h2, joiner, () => policy);
        notes.push(
          `TD3: ${Math.max(1, args.td3Episodes)} training episodes of ${scenario.episodeSteps} steps on other seeds than the scored episode (reward: min QoS over the cell's slices)`,
        );
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    } catch (err) {
      notes.push(`TD3: failed (${(err as Error).message.split('\n')[0]}) - no TD3 row`);
    }
  }

  const order = ['idla', 'td3', 'baseline:proportional', 'baseline:oracle'].filter((id) => results[id]);
  const phases = PHASES.map((phase, p) => ({
    phase,
    rows: order.map((policy) => {
      const stats = results[policy]!.phases[p]!;
      return {
        policy,
        qosSatisfaction: stats.pairs ? stats.satisfied / stats.pairs : Number.NaN,
        meanUtility: stats.steps ? stats.utility / stats.steps : Number.NaN,
      };
    }),
  }));

  console.log('');
  console.log('phase  policy                  QoS sat.  mean utility  vs oracle');
  for (const { phase, rows } of phases) {
    const ref = rows.find((r) => r.policy === 'baseline:oracle')!.meanUtility;
    for (const row of rows) {
      console.log(
        `${phase.padEnd(6)} ${row.policy.padEnd(23)} ${row.qosSatisfaction.toFixed(3).padStart(8)}  ${row.meanUtility.toFixed(3).padStart(12)}  ${(row.meanUtility / ref).toFixed(3).padStart(9)}`,
      );
    }
  }
  console.log('(H0: IDLA acts with its sample-collection policy)');
  if (report) {
    console.log(
      `estimator: test MAE ${report.testMae.toFixed(4)}, train MAE ${report.trainMae.toFixed(4)} (${report.samples} samples, ` +
        `+${report.augmented.rule1} rule-1 / +${report.augmented.rule2} rule-2 / +${report.augmented.relabelled ?? 0} relabelled copies in training, ${report.epochs} epochs, ${report.seconds.toFixed(1)} s)`,
    );
  }
  console.log(
    `IDLA search: ${searchCalls} decisions, ${(searchSeconds / Math.max(1, searchCalls) * 1000).toFixed(1)} ms each, ` +
      `${(iterationSum / Math.max(1, searchCalls)).toFixed(1)} iterations per start on average; whole IDLA episode ${idlaSeconds.toFixed(1)} s`,
  );
  const curve = results.idla!.joinCurve;
  const after = curve.map((v) => v.toFixed(2)).join(' ');
  const oracleCurve = results['baseline:oracle']!.joinCurve.map((v) => v.toFixed(2)).join(' ');
  console.log(`new slice (s${joiner + 1}) mean r over the cells, first ${curve.length} steps after it joins: IDLA ${after} | oracle ${oracleCurve}`);
  for (const note of notes) console.log(note);

  writeJsonAtomic('bench-results/idla.json', {
    phases,
    estimatorMae: report?.testMae ?? null,
    estimator: report,
    scale: args.scale,
    steps: { h0: [0, h1], h1: [h1, h2], h2: [h2, scenario.episodeSteps] },
    joinCurve: { idla: curve, oracle: results['baseline:oracle']!.joinCurve },
    notes,
    backend: backend.name,
  });
  console.log('wrote bench-results/idla.json');
}

let timedPolicy: SlicingPolicy | null = null;

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});

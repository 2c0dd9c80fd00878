/**
 * VNF migration on a digital twin (docs/vnf-migration.md): trains PPO with the federated Bi-GRU
 * predictor on `vnf-twin` (through the same run as `ns3ts train`), then plays held-out seeds with
 * PPO and the three baselines, all planning with that predictor, and compares the predictor with
 * the same model trained centrally and with the last-value and seasonal naive forecasts on the
 * held-out physical demand.
 *
 *   npm run bench:vnf -- [--scenario vnf-twin] [--episodes 60] [--eval-episodes 5] [--seed 1]
 *
 * Writes bench-results/vnf.json:
 *   {"rows":[{"policy","energyKWh","loadVariance","migrations","objective",...}],
 *    "predictor":[{"model","mae","rmse"}], ...}
 * and bench-results/vnf-steps.json, the per-step records of every policy on the first held-out seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forecastError, loadPpoRun, selectBackend, trainCentralisedPredictor } from '../src/agents/index.js';
import { VNF_BASELINES, VnfEnv, demandSeries, historySteps, lastValueForecaster, loadFamilyScenario, movesToAction, seasonalForecaster, vnfPopulation, type DemandForecaster, type FamilyPolicy, type VnfAction, type VnfObs, type VnfScenario, type VnfStepRecord } from '../src/families/index.js';
import { train } from '../src/train/index.js';
import { deriveSeed, writeJsonAtomic } from '../src/util/index.js';

interface Args {
  scenario: string;
  episodes: number;
  evalEpisodes: number;
  seed: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { scenario: 'vnf-twin', episodes: 60, evalEpisodes: 5, seed: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--scenario' && value) args.scenario = value;
    else if (key === '--episodes') args.episodes = Number(value);
    else if (key === '--eval-episodes') args.evalEpisodes = Number(value);
    else if (key === '--seed') args.seed = Number(value);
    else throw new Error(`${key}: got ${JSON.stringify(value)}, expected one of --scenario, --episodes, --eval-episodes, --seed with a value`);
  }
  return args;
}

/** Held-out seeds: disjoint from training (deriveSeed(seed, 'train', e)) and evaluation (deriveSeed(seed, 'eval')). */
function heldOutSeed(seed: number, e: number): number {
  return deriveSeed(seed, 'bench-held-out', e);
}

interface Row {
  policy: string;
  energyKWh: number;
  loadVariance: number;
  migrations: number;
  objective: number;
  downtimeSeconds: number;
  overloadCpu: number;
  twinEnergyErrorPct: number;
}

async function play(scenario: VnfScenario, forecaster: DemandForecaster, make: (env: VnfEnv) => FamilyPolicy<VnfObs, VnfAction>, seeds: readonly number[]): Promise<{ row: Omit<Row, 'policy'>; first: VnfStepRecord[] }> {
  const env = new VnfEnv(scenario, { forecaster });
  const policy = make(env);
  const all: VnfStepRecord[][] = [];
  for (const seed of seeds) {
    let { obs } = await env.reset({ seed });
    policy.reset?.();
    for (let step = 0; ; step++) {
      const result = await env.step(await policy.act(obs, { step, episode: 0, envIndex: 0 } as never));
      obs = result.obs;
      if (result.truncated || result.terminated) break;
    }
    all.push(env.records);
  }
  const steps = all.flat();
  const sum = (key: keyof VnfStepRecord): number => steps.reduce((a, r) => a + (r[key] as number), 0);
  const n = all.length;
  return {
    row: {
      energyKWh: sum('energyKWh') / n,
      loadVariance: sum('loadVariance') / steps.length,
      migrations: sum('migrations') / n,
      objective: sum('cost') / n,
      downtimeSeconds: sum('downtimeSeconds') / n,
      overloadCpu: sum('overloadCpu') / n,
      twinEnergyErrorPct: (100 * Math.abs(sum('twinEnergyKWh') - sum('energyKWh'))) / sum('energyKWh'),
    },
    first: all[0]!,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await selectBackend('auto');
  const scenario = loadFamilyScenario(args.scenario) as VnfScenario;
  const started = Date.now();
  const out = mkdtempSync(join(tmpdir(), 'ns3ts-bench-vnf-'));
  try {
    console.log(`scenario ${scenario.name}: ${scenario.vnf.vnfs} VNFs, backend ${backend.name}; training PPO (${args.episodes} episodes) with the federated predictor`);
    const summary = await train({
      scenario,
      agent: 'ppo',
      seed: args.seed,
      episodes: args.episodes,
      outDir: out,
      runId: 'ppo',
      evalEvery: 0,
      progress: false,
      announce: (line) => console.log(line),
      onEpisode: (line) => {
        const e = line.episode as number;
        if (e % 10 === 0 || e === 1) console.log(`  episode ${e}: objective ${(line.objective as number).toFixed(2)}, migrations ${String(line.migrations)}`);
      },
    });
    const trainSeconds = (Date.now() - started) / 1000;
    const { agent, forecaster } = loadPpoRun(summary.runDir);
    const seeds = Array.from({ length: args.evalEpisodes }, (_, e) => heldOutSeed(args.seed, e));
    const rows: Row[] = [];
    const steps: Record<string, VnfStepRecord[]> = {};
    const ppo = await play(scenario, forecaster, (env) => ({ id: 'ppo', act: () => movesToAction(scenario, agent.act(env, false)) }), seeds);
    rows.push({ policy: 'ppo', ...ppo.row });
    steps.ppo = ppo.first;
    for (const [name, baseline] of Object.entries(VNF_BASELINES)) {
      const played = await play(scenario, forecaster, (env) => baseline.create(env, scenario) as FamilyPolicy<VnfObs, VnfAction>, seeds);
      rows.push({ policy: `baseline:${name}`, ...played.row });
      steps[`baseline:${name}`] = played.first;
    }
    console.log('\npolicy               energyKWh  loadVariance  migrations  downtime_s  overloadCpu  objective');
    for (const r of rows) {
      console.log(
        `${r.policy.padEnd(20)} ${r.energyKWh.toFixed(3).padStart(9)}  ${r.loadVariance.toFixed(4).padStart(12)}  ${r.migrations.toFixed(1).padStart(10)}  ${r.downtimeSeconds.toFixed(1).padStart(10)}  ${r.overloadCpu.toFixed(2).padStart(11)}  ${r.objective.toFixed(3).padStart(9)}`,
      );
    }
    console.log('\ntraining the centralised Bi-GRU (same model, same seed, pooled windows)');
    const centralised = await trainCentralisedPredictor(scenario, { seed: deriveSeed(args.seed, 'predictor') });
    const population = vnfPopulation(scenario.vnf, scenario.seed);
    const H = historySteps(scenario.vnf);
    const predictor: Array<{ model: string; mae: number; rmse: number }> = [];
    const models: Array<[string, DemandForecaster]> = [
      ['bigru-federated', forecaster],
      ['bigru-centralised', centralised],
      ['last-value', lastValueForecaster()],
      ['seasonal', seasonalForecaster(scenario.vnf.stepsPerDay)],
    ];
    for (const [model, f] of models) {
      let mae = 0;
      let mse = 0;
      for (const seed of seeds) {
        const series = demandSeries(scenario.vnf, population, seed + scenario.vnf.physicalSeedOffset, H + scenario.episodeSteps);
        const e = forecastError(f, series, H, H + scenario.episodeSteps);
        mae += e.mae / seeds.length;
        mse += (e.rmse * e.rmse) / seeds.length;
      }
      predictor.push({ model, mae, rmse: Math.sqrt(mse) });
    }
    console.log('\nmodel               MAE      RMSE   (CPU units per VNF and step, held-out physical demand)');
    for (const p of predictor) console.log(`${p.model.padEnd(18)} ${p.mae.toFixed(4)}  ${p.rmse.toFixed(4)}`);
    const best = rows.reduce((a, b) => (b.objective < a.objective ? b : a));
    const fed = predictor[0]!;
    const cen = predictor[1]!;
    const aims = {
      ppoLowestObjective: best.policy === 'ppo',
      federatedWithin10PctOfCentralised: fed.mae <= 1.1 * cen.mae,
      federatedBeatsNaive: fed.mae < predictor[2]!.mae && fed.mae < predictor[3]!.mae,
    };
    console.log(`\naims: ${JSON.stringify(aims)}`);
    writeJsonAtomic('bench-results/vnf.json', {
      scenario: scenario.name,
      seed: args.seed,
      trainEpisodes: args.episodes,
      heldOutEpisodes: seeds.length,
      backend: backend.name,
      trainSeconds,
      totalSeconds: (Date.now() - started) / 1000,
      rows,
      predictor,
      aims,
    });
    writeJsonAtomic('bench-results/vnf-steps.json', { scenario: scenario.name, seed: seeds[0], steps });
    console.log('wrote bench-results/vnf.json and bench-results/vnf-steps.json');
    centralised.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await main();

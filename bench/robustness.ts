/**
 * Robustness benchmark: on each robustness scenario, trains the agents with the scenario's default
 * budget, then evaluates them and the baselines (static, the oracle, the constrained oracle, their
 * myopic counterparts and the expected-model oracle) on the same held-out seeds. Measures mean utility, QoS satisfaction, each scenario constraint's
 * rate, and the recovery after scheduled events (EvalKpis.recoverySteps: steps after an event ends
 * until the step's QoS ratio is back within 5% of its mean over the 8 steps before the event).
 * Prints one table per scenario (utility relative to the oracle, the constrained oracle and the myopic
 * oracle) and the aims as met/missed, and writes bench-results/robustness.json.
 *
 *   npm run bench:robustness -- [--episodes N] [--eval-episodes N] [--seed N | --seeds 13,14,15]
 *     [--scenarios robustness-burst,...] [--policies maddpg-admm,static,...] [--out file.json]
 *     [--settings '{"maddpg-admm":{"timeOfDay":false}}']
 *
 * --episodes: training episodes per agent (default: each scenario's training.episodes).
 * --settings: agent settings overrides per agent id (a variant to compare with the defaults).
 * --seeds: train every agent once per training seed (default: the scenario's seed); an agent's row
 * is then the mean over its seeds (the rates too), with each seed's own numbers under `perSeed`,
 * and the aims are judged on the mean and counted per seed. The baselines do not train: they are
 * evaluated once.
 * Aims: maddpg-admm >= 97% of the oracle's mean utility on each scenario; the constrained agents
 * (maddpg-lagrangian, maddpg-rcpo) meet every constraint the constrained oracle meets, at >= 95% of
 * its mean utility. The myopic oracles (the oracle's search on the steps an agent has observed,
 * src/families/slicing/myopic-oracle.ts) are references for what the observation allows, not aims;
 * so is the expected-model oracle (the oracle's search on the mean over fresh draws of the coming
 * step from the model: what no policy choosing before the draw beats, src/families/slicing/expected-oracle.ts),
 * and its Lagrangian variant at the weight where it does best within the limits (what no such
 * policy beats within them: the constrained agents' cap, printed beside their aims).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluatePolicy, resolvePolicies, type EvalResult } from '../src/eval/index.js';
import { LAGRANGIAN_EXPECTED_ORACLE_NAME, withinLimit } from '../src/families/index.js';
import { loadScenario, type Scenario } from '../src/scenario/index.js';
import { train } from '../src/train/index.js';
import { InputError, textTableLines, writeJsonAtomic } from '../src/util/index.js';
import { agentSettingsOption, mean, seedCount, trainingSeedsOption } from './args.js';

const SCENARIOS = ['robustness-burst', 'robustness-outage', 'robustness-diurnal'];
const AGENTS = ['maddpg-admm', 'maddpg-lagrangian', 'maddpg-rcpo', 'td3'];
const BASELINES = ['static', 'oracle', 'oracle-constrained', 'oracle-myopic', 'oracle-constrained-myopic', 'oracle-expected', LAGRANGIAN_EXPECTED_ORACLE_NAME];
const CONSTRAINED_AGENTS = ['maddpg-lagrangian', 'maddpg-rcpo'];
/** Held-out evaluation seeds: episode e uses 900000 + e, far from every training episode seed. */
const HELD_OUT_SEED = 900_000;
/** maddpg-admm's mean utility relative to the oracle's. */
const ORACLE_AIM = 0.97;
/** A constrained agent's mean utility relative to the constrained oracle's. */
const CONSTRAINED_AIM = 0.95;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function intArg(name: string, min: number): number | undefined {
  const text = arg(name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new InputError(name, text, `an integer >= ${min}`);
  return value;
}

function listArg(name: string, fallback: readonly string[], known: readonly string[]): string[] {
  const text = arg(name);
  if (text === undefined) return [...fallback];
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) if (!known.includes(item)) throw new InputError(name, item, `a comma-separated list of ${known.join(', ')}`);
  return items;
}

interface Row {
  scenario: string;
  policy: string;
  meanUtility: number;
  qosSatisfaction: number;
  constraints: Array<{ slice: string; kind: string; limit: number; value: number }>;
  recoverySteps: number | null;
  unrecoveredEvents: number;
  capacityViolation: number;
  /** The training seeds behind an agent's row (null for a baseline). */
  seeds: number[] | null;
  /** An agent's numbers per training seed (its row holds their means). */
  perSeed: Array<{ seed: number; meanUtility: number; constraints: number[] }> | null;
  vsOracle: number | null;
  vsConstrainedOracle: number | null;
  /** Mean utility relative to the myopic oracle's (what the agent's observation allows). */
  vsMyopicOracle: number | null;
  trainSeconds: number | null;
  /** The Lagrangian expected-model oracle's weight on expected violations (null for the other rows). */
  violationWeight: number | null;
}

interface Aim {
  scenario: string;
  policy: string;
  aim: string;
  value: number;
  target: number;
  met: boolean;
  /** With several training seeds: on how many of them the aim holds. */
  metOnSeeds?: { met: number; of: number };
}

/** The command line, read once; bad input ends the run with one line naming the option. */
function readOptions() {
  try {
    return {
      episodes: intArg('--episodes', 1),
      evalEpisodes: intArg('--eval-episodes', 1) ?? 5,
      seeds: trainingSeedsOption(arg('--seeds'), arg('--seed')),
      scenarios: listArg('--scenarios', SCENARIOS, SCENARIOS),
      policies: listArg('--policies', [...AGENTS, ...BASELINES], [...AGENTS, ...BASELINES]),
      settings: agentSettingsOption(arg('--settings')),
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    process.stderr.write(`bench:robustness: ${error.message}\n`);
    process.exit(2);
  }
}

const options = readOptions();
const episodesOverride = options.episodes;
const evalEpisodes = options.evalEpisodes;
const seedsOverride = options.seeds;
const scenarios = options.scenarios;
const policies = options.policies;
const agentSettings = options.settings;
const out = arg('--out') ?? join('bench-results', 'robustness.json');

const rows: Row[] = [];
const aims: Aim[] = [];
const startedAt = Date.now();
const progress = (line: string): void => void process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);

/** Trains `agent` on the scenario with its default budget (or --episodes) and evaluates it held out. */
async function trainAndEvaluate(scenario: Scenario, agent: string, seed: number, dir: string): Promise<{ result: EvalResult; trainSeconds: number }> {
  const episodes = episodesOverride ?? scenario.training.episodes;
  progress(`${scenario.name}: training ${agent} for ${episodes} episodes (seed ${seed})`);
  const summary = await train({
    scenario,
    agent,
    seed,
    episodes,
    outDir: dir,
    runId: `${scenario.name}-${agent}-${seed}`,
    progress: process.stderr.isTTY === true,
    agentSettings: agentSettings[agent] ?? {},
  });
  progress(`${scenario.name}: ${agent} trained in ${summary.trainSeconds.toFixed(1)} s; evaluating`);
  const [named] = resolvePolicies(`checkpoint:${summary.runDir}`, scenario);
  const result = await evaluatePolicy(scenario, named!.create, { episodes: evalEpisodes, seed: HELD_OUT_SEED });
  return { result, trainSeconds: summary.trainSeconds };
}

function rowOf(scenario: Scenario, policy: string, result: EvalResult, trainSeconds: number | null): Row {
  return {
    scenario: scenario.name,
    policy,
    meanUtility: result.kpis.meanUtility,
    qosSatisfaction: result.kpis.qosSatisfaction,
    constraints: result.constraints.map((c) => ({ slice: c.slice, kind: c.kind, limit: c.limit, value: c.value })),
    recoverySteps: result.kpis.recoverySteps,
    unrecoveredEvents: result.kpis.unrecoveredEvents,
    capacityViolation: result.kpis.capacityViolation,
    vsOracle: null,
    vsConstrainedOracle: null,
    vsMyopicOracle: null,
    trainSeconds,
    seeds: null,
    perSeed: null,
    violationWeight: null,
  };
}

/** An agent's row over its training seeds: the means, each seed's numbers under perSeed. */
function meanRow(runs: Array<{ seed: number; row: Row }>): Row {
  const rows = runs.map((r) => r.row);
  const first = rows[0]!;
  const recovered = rows.map((r) => r.recoverySteps).filter((v): v is number => v !== null);
  return {
    ...first,
    meanUtility: mean(rows.map((r) => r.meanUtility)),
    qosSatisfaction: mean(rows.map((r) => r.qosSatisfaction)),
    constraints: first.constraints.map((c, j) => ({ ...c, value: mean(rows.map((r) => r.constraints[j]!.value)) })),
    recoverySteps: recovered.length > 0 ? mean(recovered) : null,
    unrecoveredEvents: rows.reduce((a, r) => a + r.unrecoveredEvents, 0),
    capacityViolation: Math.max(...rows.map((r) => r.capacityViolation)),
    trainSeconds: mean(rows.map((r) => r.trainSeconds ?? 0)),
    seeds: runs.map((r) => r.seed),
    perSeed: runs.map(({ seed, row }) => ({ seed, meanUtility: row.meanUtility, constraints: row.constraints.map((c) => c.value) })),
  };
}

/** The aims of one scenario's rows (those whose reference policies were run). */
function scenarioAims(scenarioRows: Row[]): Aim[] {
  const found: Aim[] = [];
  const by = (policy: string): Row | undefined => scenarioRows.find((r) => r.policy === policy);
  const oracle = by('oracle');
  const constrainedOracle = by('oracle-constrained');
  const admm = by('maddpg-admm');
  if (admm && oracle) {
    const ratio = admm.meanUtility / oracle.meanUtility;
    const metOnSeeds = seedCount(admm.perSeed, (run) => run.meanUtility / oracle.meanUtility >= ORACLE_AIM);
    found.push({ scenario: admm.scenario, policy: admm.policy, aim: 'mean utility vs oracle', value: ratio, target: ORACLE_AIM, met: ratio >= ORACLE_AIM, ...metOnSeeds });
  }
  if (constrainedOracle) {
    for (const agent of CONSTRAINED_AGENTS) {
      const row = by(agent);
      if (!row) continue;
      const ratio = row.meanUtility / constrainedOracle.meanUtility;
      const metOnSeeds = seedCount(row.perSeed, (run) => run.meanUtility / constrainedOracle.meanUtility >= CONSTRAINED_AIM);
      found.push({ scenario: row.scenario, policy: agent, aim: 'mean utility vs constrained oracle', value: ratio, target: CONSTRAINED_AIM, met: ratio >= CONSTRAINED_AIM, ...metOnSeeds });
      constrainedOracle.constraints.forEach((reference, j) => {
        if (!withinLimit(reference.value, reference.limit)) return; // not feasible for the constrained oracle: no aim
        const value = row.constraints[j]!.value;
        found.push({
          scenario: row.scenario,
          policy: agent,
          aim: `${reference.slice} ${reference.kind} <= limit`,
          value,
          target: reference.limit,
          met: withinLimit(value, reference.limit),
          ...seedCount(row.perSeed, (run) => withinLimit(run.constraints[j]!, reference.limit)),
        });
      });
    }
  }
  return found;
}

/** Whether every measured constraint rate of a result is within its limit (evaluateConstraints' verdict). */
const meetsLimits = (result: EvalResult): boolean => result.constraints.every((c) => c.satisfied);

/**
 * The Lagrangian expected-model oracle at the weight where it does best within the scenario's
 * limits, on the held-out episodes: weight 0 (the unconstrained expected-model oracle) when that
 * already meets them; else weights 0.25, 0.5, 1, ... doubled until the rates meet the limits, then
 * four geometric bisection steps between the last weight over and the first within. The best
 * utility among the weights within the limits is what no policy choosing before the draw beats
 * there (docs/algorithms.md#constrained-rl). When no weight up to 4096 meets them, the limits are
 * out of reach before the draw, and the row is the largest weight's (its rates over the limits).
 */
async function lagrangianExpectedOracle(scenario: Scenario): Promise<{ result: EvalResult; weight: number }> {
  const evaluate = (weight: number): Promise<EvalResult> => {
    progress(`${scenario.name}: evaluating baseline:${LAGRANGIAN_EXPECTED_ORACLE_NAME} at weight ${weight.toPrecision(3)}`);
    const [named] = resolvePolicies(`baseline:${LAGRANGIAN_EXPECTED_ORACLE_NAME}:${weight}`, scenario);
    return evaluatePolicy(scenario, named!.create, { episodes: evalEpisodes, seed: HELD_OUT_SEED });
  };
  let best: { result: EvalResult; weight: number } | null = null;
  const consider = (weight: number, result: EvalResult): boolean => {
    const within = meetsLimits(result);
    if (within && (!best || result.kpis.meanUtility > best.result.kpis.meanUtility)) best = { result, weight };
    return within;
  };
  const unconstrained = await evaluate(0);
  if (consider(0, unconstrained) || scenario.constraints.length === 0) return { result: unconstrained, weight: 0 };
  let over = 0;
  let within = 0.25;
  let last = unconstrained;
  for (;;) {
    last = await evaluate(within);
    if (consider(within, last)) break;
    if (within >= 4096) return { result: last, weight: within };
    over = within;
    within *= 2;
  }
  for (let step = 0; step < 4; step++) {
    const weight = over === 0 ? within / 2 : Math.sqrt(over * within);
    if (consider(weight, await evaluate(weight))) within = weight;
    else over = weight;
  }
  return best!;
}

function table(header: string[], body: string[][]): string {
  return textTableLines([header, ...body]).join('\n');
}

function printScenario(scenario: Scenario, scenarioRows: Row[], scenarioAimList: Aim[]): void {
  const constraintHeads = scenario.constraints.map((c) => `${c.slice} ${c.kind.replace(/-rate$/, '')} (<= ${c.limit})`);
  const header = ['policy', 'mean utility', 'vs oracle', 'vs c-oracle', 'vs myopic', 'QoS sat', ...constraintHeads, 'recovery', 'train s'];
  const ratio = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
  const body = scenarioRows.map((r) => [
    r.violationWeight === null ? r.policy : `${r.policy} (weight ${r.violationWeight.toPrecision(3)})`,
    r.meanUtility.toFixed(4),
    ratio(r.vsOracle),
    ratio(r.vsConstrainedOracle),
    ratio(r.vsMyopicOracle),
    r.qosSatisfaction.toFixed(3),
    ...r.constraints.map((c) => `${c.value.toFixed(4)}${withinLimit(c.value, c.limit) ? '' : ' !'}`),
    r.recoverySteps === null ? (r.unrecoveredEvents > 0 ? `none of ${r.unrecoveredEvents}` : '-') : `${r.recoverySteps.toFixed(1)}${r.unrecoveredEvents > 0 ? ` (+${r.unrecoveredEvents} not)` : ''}`,
    r.trainSeconds === null ? '-' : r.trainSeconds.toFixed(0),
  ]);
  const episodes = episodesOverride === undefined ? `${scenario.training.episodes} (default)` : String(episodesOverride);
  const seeds = seedsOf(scenario);
  const seedText = seeds.length > 1 ? `, agents: the mean over training seeds ${seeds.join(', ')}` : `, training seed ${seeds[0]}`;
  process.stdout.write(
    `\n${scenario.name}: ${episodes} training episodes per agent${seedText}, ${evalEpisodes} held-out episodes from seed ${HELD_OUT_SEED} (! = over the limit)\n` +
      `${table(header, body)}\n` +
      scenarioAimList
        .map((a) => {
          const onSeeds = a.metOnSeeds ? ` (mean of ${a.metOnSeeds.of} seeds; met on ${a.metOnSeeds.met} of ${a.metOnSeeds.of})` : '';
          return `aim ${a.policy} ${a.aim}: ${a.value.toFixed(4)} vs ${a.target} ${a.met ? 'met' : 'MISSED'}${onSeeds}\n`;
        })
        .join('') +
      capLine(scenarioRows),
  );
}

/** What the Lagrangian expected-model oracle reaches within the limits, against the constrained oracle (the constrained agents' reference). */
function capLine(scenarioRows: Row[]): string {
  const cap = scenarioRows.find((r) => r.policy === LAGRANGIAN_EXPECTED_ORACLE_NAME);
  if (!cap || cap.vsConstrainedOracle === null || cap.constraints.length === 0) return '';
  const within = cap.constraints.every((c) => withinLimit(c.value, c.limit));
  return within
    ? `cap within the limits (no policy choosing before the draw does better): ${LAGRANGIAN_EXPECTED_ORACLE_NAME} ${cap.vsConstrainedOracle.toFixed(4)} of the constrained oracle (aim for the constrained agents ${CONSTRAINED_AIM})\n`
    : `the limits are out of reach before the draw: ${LAGRANGIAN_EXPECTED_ORACLE_NAME} stays over them at every weight up to ${cap.violationWeight}\n`;
}

/** The training seeds of a scenario's agents: --seeds, --seed, or the scenario's own. */
function seedsOf(scenario: Scenario): number[] {
  return seedsOverride ?? [scenario.seed];
}

const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-robustness-'));
try {
  for (const name of scenarios) {
    const scenario = loadScenario(name);
    const scenarioRows: Row[] = [];
    for (const policy of policies) {
      if (AGENTS.includes(policy)) {
        const runs: Array<{ seed: number; row: Row }> = [];
        for (const seed of seedsOf(scenario)) {
          const { result, trainSeconds } = await trainAndEvaluate(scenario, policy, seed, dir);
          runs.push({ seed, row: rowOf(scenario, policy, result, trainSeconds) });
        }
        scenarioRows.push(meanRow(runs));
      } else if (policy === LAGRANGIAN_EXPECTED_ORACLE_NAME) {
        const { result, weight } = await lagrangianExpectedOracle(scenario);
        scenarioRows.push({ ...rowOf(scenario, policy, result, null), violationWeight: weight });
      } else {
        progress(`${scenario.name}: evaluating baseline:${policy}`);
        const [named] = resolvePolicies(`baseline:${policy}`, scenario);
        const result = await evaluatePolicy(scenario, named!.create, { episodes: evalEpisodes, seed: HELD_OUT_SEED });
        scenarioRows.push(rowOf(scenario, policy, result, null));
      }
    }
    const oracle = scenarioRows.find((r) => r.policy === 'oracle')?.meanUtility;
    const constrainedOracle = scenarioRows.find((r) => r.policy === 'oracle-constrained')?.meanUtility;
    const myopicOracle = scenarioRows.find((r) => r.policy === 'oracle-myopic')?.meanUtility;
    for (const r of scenarioRows) {
      r.vsOracle = oracle === undefined ? null : r.meanUtility / oracle;
      r.vsConstrainedOracle = constrainedOracle === undefined ? null : r.meanUtility / constrainedOracle;
      r.vsMyopicOracle = myopicOracle === undefined ? null : r.meanUtility / myopicOracle;
    }
    const scenarioAimList = scenarioAims(scenarioRows);
    rows.push(...scenarioRows);
    aims.push(...scenarioAimList);
    printScenario(scenario, scenarioRows, scenarioAimList);
    // Written after every scenario, so a long run that is stopped keeps what it measured.
    writeJsonAtomic(out, { rows, aims, evalEpisodes, heldOutSeed: HELD_OUT_SEED, trainingEpisodes: episodesOverride ?? 'scenario default', trainingSeeds: seedsOverride ?? 'scenario default' });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
progress(`done; wrote ${out}`);

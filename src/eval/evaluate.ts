import { type NdArray } from '../env/index.js';
import {
  BASELINE_NAMES,
  CONSTRAINED_ORACLE_NAME,
  MYOPIC_ORACLE_NAMES,
  EXPECTED_ORACLE_NAMES,
  LAGRANGIAN_EXPECTED_ORACLE_NAME,
  FixedSharesPolicy,
  KpiAccumulator,
  createBaseline,
  createConstrainedOracle,
  createMyopicOracle,
  createExpectedOracle,
  createLagrangianExpectedOracle,
  isViolationWeight,
  createEnv,
  evaluateConstraints,
  parseShares,
  shareBounds,
  slicingModelOf,
  type BaselineName,
  type CellKpis,
  type ConstraintResult,
  type EvalKpis,
  type KpiOptions,
  type MyopicOracleName,
  type ExpectedOracleName,
  type PolicyContext,
  type SliceKpis,
  type SlicingEnv,
  type SlicingPolicy,
} from '../families/index.js';
import { runEpisodes, type StepContext } from '../rollout/index.js';
import { scenarioLayout, type Scenario } from '../scenario/index.js';
import { InputError, Ns3tsError, ProgressBar, checkSeed } from '../util/index.js';

/** Builds a policy for the env it will play against (the oracle needs the env's model). */
export type PolicyFactory = (env: SlicingEnv, scenario: Scenario) => SlicingPolicy | Promise<SlicingPolicy>;

export interface EvaluateOptions {
  /** Episodes to run (default: the scenario's training.evalEpisodes). */
  episodes?: number;
  /** Episode e is reset with seed + e (default: the scenario's seed). */
  seed?: number;
  /** An env to use (not closed afterwards); by default one is created from the scenario and closed. */
  env?: SlicingEnv;
  /** A progress bar on stderr (default false). */
  progress?: boolean;
  kpi?: KpiOptions;
  /** Cap on steps per episode (default: until the env truncates or terminates). */
  maxSteps?: number;
}

export interface EvalResult {
  scenario: string;
  policy: string;
  episodes: number;
  seed: number;
  kpis: EvalKpis;
  perSlice: Record<string, SliceKpis>;
  perCell: CellKpis[];
  constraints: ConstraintResult[];
  episodeReturns: number[];
  seconds: number;
}

/**
 * Runs `policy` for a number of episodes (through the rollout runner) and computes the KPIs (see
 * kpis.ts). Works with any slicing env; the synthetic env's fast path is inside its step(). The
 * capacity violation is measured on the policy's raw output, before the env sees it.
 */
export async function evaluatePolicy(scenario: Scenario, policy: SlicingPolicy | PolicyFactory, options: EvaluateOptions = {}): Promise<EvalResult> {
  const episodes = options.episodes ?? scenario.training.evalEpisodes;
  if (!Number.isInteger(episodes) || episodes < 1) throw new InputError('episodes', episodes, 'an integer >= 1');
  const seed = options.seed ?? scenario.seed;
  checkSeed(seed, 'seed');
  const started = Date.now();
  const ownEnv = options.env === undefined;
  const env = options.env ?? (await createEnv(scenario, { seed }));
  try {
    const resolved = typeof policy === 'function' ? await policy(env, scenario) : policy;
    const layout = scenarioLayout(scenario);
    const acc = new KpiAccumulator(layout, scenario.episodeSteps, { events: scenario.events, ...options.kpi });
    const size = scenario.cells * scenario.slices.length;
    const layoutText = `scenario ${scenario.name}: ${scenario.cells} cells × ${scenario.slices.length} slices`;
    const shape = [scenario.cells, scenario.slices.length];
    const bar = new ProgressBar({ total: episodes, label: `eval ${resolved.id}`, enabled: options.progress ?? false });
    const returns: number[] = [];
    const context: PolicyContext = { layout, step: 0 };
    const checked = (shares: Float32Array): NdArray<Float32Array> => {
      checkAction(shares, size, resolved.id, layoutText);
      return { data: shares, shape };
    };
    // Synchronous policies (the baselines) stay synchronous: no promise per step.
    const act = (obs: NdArray<Float32Array>, at: StepContext): NdArray<Float32Array> | Promise<NdArray<Float32Array>> => {
      context.step = at.step;
      const shares = resolved.act(obs, context);
      return shares instanceof Promise ? shares.then(checked) : checked(shares);
    };
    await runEpisodes(env, act, {
      episodes,
      seed: (e) => seed + e,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
      onRoundStart: () => {
        resolved.reset?.();
        acc.beginEpisode();
      },
      onStep: (t) => acc.addEnvStep(t.action.data, t.nextObs.data, t.reward, t.step + 1, t.info),
      onEpisodeEnd: (e) => {
        returns.push(e.return);
        bar.update(e.episode + 1, `return ${e.return.toFixed(2)}`);
      },
    });
    // The last update already drew the final state; done() only ends the line on a terminal.
    if (process.stderr.isTTY) bar.done();
    const { kpis, perSlice, perCell } = acc.result();
    return {
      scenario: scenario.name,
      policy: resolved.id,
      episodes,
      seed,
      kpis,
      perSlice,
      perCell,
      constraints: evaluateConstraints(scenario.constraints, perSlice),
      episodeReturns: returns,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    if (ownEnv) await env.close();
  }
}

function checkAction(shares: Float32Array, size: number, id: string, layoutText: string): void {
  if (!(shares instanceof Float32Array) || shares.length !== size) {
    throw new Ns3tsError(
      `policy ${id} returned ${shares instanceof Float32Array ? `${shares.length} shares` : typeof shares}, expected a Float32Array of ${size} (${layoutText})`,
    );
  }
}

/** A policy named by a `--policy` spec, built once the env exists. */
export interface NamedPolicy {
  id: string;
  create: PolicyFactory;
  /** Checks that need no env (a checkpoint's layout and usability), run before any env is built. */
  check?: () => Promise<void>;
}

export const POLICY_SPEC_HELP =
  'baseline:<static|proportional|demand|oracle|oracle-constrained|oracle-myopic|oracle-constrained-myopic|oracle-expected|oracle-constrained-expected>, baseline:oracle-lagrangian-expected:<weight>, shares:<a,b,...> (one per slice), all-baselines, checkpoint:<run-dir>';

function baselineFactory(name: BaselineName): NamedPolicy {
  return {
    id: `baseline:${name}`,
    create: (env, scenario) => {
      const model = slicingModelOf(env);
      if (name === 'oracle' && !model) {
        throw new InputError('policy', 'baseline:oracle', 'a synthetic scenario (the oracle uses the synthetic env model)');
      }
      return createBaseline(name, scenario, model);
    },
  };
}

/** The oracles search the synthetic env's model: `policy` (the spec) names one only for a synthetic scenario. */
function requireSyntheticModel(spec: string, scenario: Scenario, oracle: string): void {
  if (scenario.env.kind !== 'synthetic') throw new InputError('policy', spec, `a synthetic scenario (${oracle} uses the synthetic env model)`);
}

/**
 * Resolves a `--policy` spec: `baseline:<name>`, `shares:<a,b,c>`, `all-baselines` (the four
 * baselines; the oracle only for synthetic scenarios) or `checkpoint:<run-dir>` (a trained
 * policy, through the agents' `loadPolicyFromRun`).
 */
export function resolvePolicies(spec: string, scenario: Scenario): NamedPolicy[] {
  if (typeof spec !== 'string' || spec === '') throw new InputError('policy', spec, POLICY_SPEC_HELP);
  if (spec === 'all-baselines') {
    return BASELINE_NAMES.filter((n) => n !== 'oracle' || scenario.env.kind === 'synthetic').map(baselineFactory);
  }
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'baseline': {
      if (arg === CONSTRAINED_ORACLE_NAME) {
        requireSyntheticModel(spec, scenario, 'the constrained oracle');
        return [{ id: spec, create: (env, s) => createConstrainedOracle(s, slicingModelOf(env)) }];
      }
      if ((EXPECTED_ORACLE_NAMES as readonly string[]).includes(arg)) {
        requireSyntheticModel(spec, scenario, 'the expected-model oracle');
        return [{ id: spec, create: (env, s) => createExpectedOracle(arg as ExpectedOracleName, s, slicingModelOf(env)) }];
      }
      if (arg === LAGRANGIAN_EXPECTED_ORACLE_NAME || arg.startsWith(`${LAGRANGIAN_EXPECTED_ORACLE_NAME}:`)) {
        // The weight it prices a violation at: bench:robustness finds the one where it does best within the limits.
        const text = arg.slice(LAGRANGIAN_EXPECTED_ORACLE_NAME.length + 1);
        const weight = text === '' ? Number.NaN : Number(text);
        if (!isViolationWeight(weight)) {
          throw new InputError('policy', spec, `baseline:${LAGRANGIAN_EXPECTED_ORACLE_NAME}:<weight>, a weight >= 0 in utility per violated (cell, constraint) pair`);
        }
        requireSyntheticModel(spec, scenario, 'the expected-model oracle');
        return [{ id: spec, create: (env, s) => createLagrangianExpectedOracle(s, slicingModelOf(env), weight) }];
      }
      if ((MYOPIC_ORACLE_NAMES as readonly string[]).includes(arg)) {
        requireSyntheticModel(spec, scenario, 'the myopic oracle');
        return [{ id: spec, create: (env, s) => createMyopicOracle(arg as MyopicOracleName, s, slicingModelOf(env)) }];
      }
      if (!(BASELINE_NAMES as readonly string[]).includes(arg)) {
        throw new InputError('policy', spec, `baseline:<${BASELINE_NAMES.join('|')}>`);
      }
      if (arg === 'oracle') requireSyntheticModel(spec, scenario, 'the oracle');
      return [baselineFactory(arg as BaselineName)];
    }
    case 'shares': {
      const shares = parseShares(arg, scenario);
      const bounds = shareBounds(scenario);
      const policy = new FixedSharesPolicy(scenario.cells, shares, bounds);
      return [{ id: policy.id, create: () => new FixedSharesPolicy(scenario.cells, shares, bounds) }];
    }
    case 'checkpoint': {
      if (arg === '') throw new InputError('policy', spec, 'checkpoint:<run-dir>');
      let loaded: Promise<SlicingPolicy> | null = null;
      const load = (): Promise<SlicingPolicy> =>
        (loaded ??= (async () => {
          // Loaded on demand: the agents (and TensorFlow.js) are not needed for baselines.
          const { loadPolicyFromRun } = await import('../agents/index.js');
          return loadPolicyFromRun(arg, { scenario: scenario.name, layout: scenarioLayout(scenario) });
        })());
      // check() loads it before an env (maybe a simulator) is built, so an unusable run fails first.
      return [{ id: spec, check: async () => void (await load()), create: load }];
    }
    default:
      throw new InputError('policy', spec, POLICY_SPEC_HELP);
  }
}

/** Evaluates every policy of a spec on the same episodes (same seeds). */
export async function evaluatePolicySpec(scenario: Scenario, spec: string, options: EvaluateOptions = {}): Promise<EvalResult[]> {
  const results: EvalResult[] = [];
  const policies = resolvePolicies(spec, scenario);
  for (const named of policies) await named.check?.();
  for (const named of policies) results.push(await evaluatePolicy(scenario, named.create, options));
  return results;
}

/**
 * Evaluation of any env family through the registry: the scenario's family builds the env and the
 * KPI accumulator and names the baselines; the episodes run through the rollout runner. The
 * slicing evaluation with its per-slice and per-cell tables is evaluatePolicy (evaluate.ts).
 */
import { getAgentEntry, readCheckpoint } from '../agents/index.js';
import type { Env } from '../env/index.js';
import { familyOf, type FamilyPolicy } from '../families/index.js';
import { runEpisodes } from '../rollout/index.js';
import type { ScenarioBase } from '../scenario/index.js';
import { InputError, ProgressBar, checkSeed } from '../util/index.js';

/** Builds a policy for the env it will play against. */
export type FamilyPolicyFactory = (env: Env, scenario: ScenarioBase) => FamilyPolicy | Promise<FamilyPolicy>;

export interface FamilyEvaluateOptions {
  /** Episodes to run (default: the scenario's training.evalEpisodes). */
  episodes?: number;
  /** Episode e is reset with seed + e (default: the scenario's seed). */
  seed?: number;
  /** An env to use (not closed afterwards); by default the family creates one and it is closed. */
  env?: Env;
  /** Cap on steps per episode (default: until the env truncates or terminates). */
  maxSteps?: number;
  /** A progress bar on stderr (default false). */
  progress?: boolean;
}

export interface FamilyEvalResult {
  scenario: string;
  family: string;
  policy: string;
  episodes: number;
  seed: number;
  /** The family's KPIs by name. */
  kpis: Record<string, number | null>;
  episodeReturns: number[];
  steps: number;
  seconds: number;
}

/** The mean of an evaluation's episode returns (0 for none). */
export function meanEpisodeReturn(result: Pick<FamilyEvalResult, 'episodeReturns'>): number {
  return result.episodeReturns.reduce((a, b) => a + b, 0) / Math.max(1, result.episodeReturns.length);
}

/** A policy named by a `--policy` spec of the family's baselines, built once the env exists. */
export interface NamedFamilyPolicy {
  id: string;
  create: FamilyPolicyFactory;
}

/**
 * The policies of `baseline:<name>` or `all-baselines` from the scenario's family (its baselines
 * by name); anything else is an error listing the family's baselines.
 */
export function resolveFamilyBaselines(spec: string, scenario: ScenarioBase): NamedFamilyPolicy[] {
  const family = familyOf(scenario);
  if (typeof spec === 'string' && spec.startsWith('checkpoint:')) return [familyCheckpointPolicy(spec.slice('checkpoint:'.length), scenario)];
  const names = Object.keys(family.baselines);
  const named = (name: string): NamedFamilyPolicy => ({ id: `baseline:${name}`, create: (env, s) => family.baselines[name]!.create(env, s) });
  if (spec === 'all-baselines') return names.map(named);
  const name = typeof spec === 'string' && spec.startsWith('baseline:') ? spec.slice('baseline:'.length) : undefined;
  if (name === undefined || !Object.prototype.hasOwnProperty.call(family.baselines, name)) {
    throw new InputError('policy', spec, `all-baselines or baseline:<${names.join('|')}> (the baselines of family ${family.id})`);
  }
  return [named(name)];
}

/**
 * The trained policy of a run directory on a scenario of the run's family: its agent's
 * loadForFamily (a step-wise agent, e.g. sfc's DQN), or loadFamilyPolicy (an agent with its own
 * training loop, e.g. vnf-migration's PPO, whose policy is built for the env it plays).
 */
function familyCheckpointPolicy(runDir: string, scenario: ScenarioBase): NamedFamilyPolicy {
  const agentId = readCheckpoint(runDir).meta.agentId;
  if (typeof agentId !== 'string') throw new InputError(`checkpoint:${runDir}`, agentId, 'a checkpoint that names its agent');
  const entry = getAgentEntry(agentId, `checkpoint:${runDir} agent`);
  const id = `checkpoint:${runDir}`;
  if (entry.loadForFamily) return { id, create: () => entry.loadForFamily!(runDir, scenario) };
  if (entry.loadFamilyPolicy) return { id, create: async (env, s) => (await entry.loadFamilyPolicy!(runDir))(env, s) };
  throw new InputError(id, `agent ${agentId}`, `a run of an agent that plays family ${familyOf(scenario).id}`);
}

/**
 * Runs `policy` on the scenario's env for a number of episodes and returns the family's KPIs and
 * the episode returns. Works for every registered family.
 */
export async function evaluateFamilyPolicy(
  scenario: ScenarioBase,
  policy: FamilyPolicy | FamilyPolicyFactory,
  options: FamilyEvaluateOptions = {},
): Promise<FamilyEvalResult> {
  const family = familyOf(scenario);
  const episodes = options.episodes ?? scenario.training.evalEpisodes;
  if (!Number.isInteger(episodes) || episodes < 1) throw new InputError('episodes', episodes, 'an integer >= 1');
  const seed = checkSeed(options.seed ?? scenario.seed, 'seed');
  const started = Date.now();
  const env = options.env ?? (await family.createEnv(scenario, { seed }));
  try {
    const resolved = typeof policy === 'function' ? await policy(env, scenario) : policy;
    const kpis = family.kpis(scenario);
    const returns: number[] = [];
    const bar = new ProgressBar({ total: episodes, label: `eval ${resolved.id}`, enabled: options.progress ?? false });
    const summary = await runEpisodes(env, (obs, at) => resolved.act(obs, at), {
      episodes,
      seed: (e) => seed + e,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
      onRoundStart: () => {
        resolved.reset?.();
        kpis.beginEpisode();
      },
      onStep: (t) => kpis.addStep(t),
      onEpisodeEnd: (e) => {
        returns.push(e.return);
        bar.update(e.episode + 1, `return ${e.return.toFixed(2)}`);
      },
    });
    if (process.stderr.isTTY) bar.done();
    return {
      scenario: scenario.name,
      family: family.id,
      policy: resolved.id,
      episodes,
      seed,
      kpis: kpis.result(),
      episodeReturns: returns,
      steps: summary.steps,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    if (options.env === undefined) await env.close();
  }
}

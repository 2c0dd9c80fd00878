/**
 * The env family interface (docs/families.md). A family is everything the generic paths (train,
 * eval, `ns3ts scenarios`, sweeps) need to run one kind of problem without knowing it: how its
 * scenarios are read, which envs it builds, its observation and action spaces, its KPIs and its
 * baselines. Agents declare which spaces they accept (AcceptedSpaces) and the registry refuses a
 * mismatch before anything is built.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Env, Space } from '../env/index.js';
import type { StepContext, Transition } from '../rollout/index.js';
import type { ScenarioBase } from '../scenario/index.js';

/** The space kinds of env/spaces.ts (Space.kind). */
export const SPACE_KINDS = ['Box', 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Tuple', 'Dict'] as const;
export type SpaceKind = (typeof SPACE_KINDS)[number];

/** The spaces of a family's envs for one scenario (known before any env exists). */
export interface FamilySpaces {
  observation: Space;
  action: Space;
}

/** Options of createEnv: every family reads seed and runDir; the rest is the family's (ns-3 settings). */
export interface FamilyEnvOptions {
  /** Seed of the first reset without a seed (default: the scenario's seed). */
  seed?: number;
  /** Run directory: simulator processes write their logs there (ns-3 envs). */
  runDir?: string;
  [option: string]: unknown;
}

/** A policy in the family's own observation and action values, as the episode runner calls it. */
export interface FamilyPolicy<O = unknown, A = unknown> {
  /** e.g. "baseline:random" */
  readonly id: string;
  /** Called at the start of every episode. */
  reset?(): void;
  act(obs: O, context: StepContext): A | Promise<A>;
}

/** One named baseline of a family (`--policy baseline:<name>`). */
export interface FamilyBaseline<S extends ScenarioBase = ScenarioBase, O = unknown, A = unknown> {
  /** One line. */
  description: string;
  /** Builds the policy for the env it will play (an oracle may read the env's model). */
  create(env: Env<O, A>, scenario: S): FamilyPolicy<O, A> | Promise<FamilyPolicy<O, A>>;
}

/** KPI bookkeeping of an evaluation: one accumulator per evaluation run. */
export interface FamilyKpis<O = unknown, A = unknown> {
  beginEpisode(): void;
  /** After every env step (the rollout runner's transition: obs, action, reward, nextObs, info). */
  addStep(step: Transition<O, A>): void;
  /** The KPIs over every step seen, by name; null where a KPI is undefined (no data). */
  result(): Record<string, number | null>;
}

/** One step of an evaluation episode as a figure provider reads it (flat arrays, in the family's layout). */
export interface FamilyTraceStep {
  step: number;
  action: Float32Array;
  /** Observation after the step. */
  obs: Float32Array;
}

/** One evaluation episode of one policy, as a figure provider reads it. */
export interface FamilyEpisodeTrace {
  policy: string;
  steps: readonly FamilyTraceStep[];
  kpis: Record<string, number>;
}

/** A figure as a family draws it: a Vega-Lite spec with its data inline (report/ renders it). */
export interface FamilyFigure {
  /** File name stem of the figure's SVG, unique within a report. */
  id: string;
  title: string;
  caption: string;
  section: string;
  spec: TopLevelSpec;
}

/**
 * The figures a family draws of evaluation episodes (`ns3ts report`). report/ sits above the
 * families, so this is its provider interface written structurally, not imported from there.
 */
export interface FamilyFigureProvider<S extends ScenarioBase = ScenarioBase> {
  /** Whether the provider draws episodes of this scenario of the family (absent: every one). */
  accepts?(scenario: S): boolean;
  /** Figures of the same evaluation episode (same seed) played by each policy; the first is the trained one. */
  episodeFigures(scenario: S, episodes: readonly FamilyEpisodeTrace[]): FamilyFigure[];
}

/**
 * An env family. Methods (not function-valued fields) so that a family of a narrower scenario and
 * value types registers as the generic EnvFamily.
 */
export interface EnvFamily<S extends ScenarioBase = ScenarioBase, O = unknown, A = unknown> {
  /** The value of a scenario's `family:` field (a scenario without one is slicing). */
  readonly id: string;
  /** One line, shown by `ns3ts scenarios families` and `ns3ts doctor`. */
  readonly description: string;
  /** The `env.kind`s of its scenarios, e.g. ['synthetic', 'ns3']. */
  readonly envKinds: readonly string[];
  /** Its baselines by name. */
  readonly baselines: Readonly<Record<string, FamilyBaseline<S, O, A>>>;
  /**
   * Validates a scenario document of this family and applies its defaults. Errors name the field
   * path, the value and what is allowed (scenario/ parseScenarioBase does this for the common fields).
   */
  parseScenario(document: Record<string, unknown>, fallbackName?: string): S;
  /** The observation and action spaces of the scenario's envs. */
  spaces(scenario: S): FamilySpaces;
  /** The scenario's env: in-process for synthetic kinds; an ns-3 env loads remote/ lazily. */
  createEnv(scenario: S, options?: FamilyEnvOptions): Promise<Env<O, A>>;
  /** A fresh KPI accumulator for an evaluation of the scenario. */
  kpis(scenario: S): FamilyKpis<O, A>;
  /** Its figures of evaluation episodes for `ns3ts report`; absent = no episode figures. */
  readonly figures?: FamilyFigureProvider<S>;
}

/**
 * The spaces an agent can work in (AgentEntry.accepts in src/agents). An agent that reads one
 * family's layout beyond the spaces (the slicing agents read features by name) lists it in
 * `families`.
 */
export interface AcceptedSpaces {
  observation: readonly SpaceKind[];
  action: readonly SpaceKind[];
  /** The families whose layout the agent reads; absent = any family with matching spaces. */
  families?: readonly string[];
}

/** How messages name a space: Discrete(15), Box(float32, [3, 3]), MultiDiscrete([4, 4]). */
export function describeSpace(space: Space): string {
  if (space.kind === 'Discrete' && 'n' in space) return `Discrete(${String((space as { n: unknown }).n)})`;
  if ('describe' in space && typeof (space as { describe: unknown }).describe === 'function') {
    return (space as { describe(): string }).describe();
  }
  return space.kind;
}

/**
 * The family registry: family id -> EnvFamily (family.ts). A scenario names its family in a
 * top-level `family:` field; a scenario without one is slicing, so every slicing scenario written
 * before families existed stays valid unchanged. The registry also holds the one check of an
 * agent's accepted spaces against a scenario (checkAgentSpaces), which train runs before it builds
 * anything.
 *
 * To add a family: build its EnvFamily in src/families/<family>/ and add it to BUILT_IN below
 * (docs/families.md). registerFamily adds one at run time (tests, downstream packages).
 */
import { loadScenarioWith, type Scenario, type ScenarioBase } from '../scenario/index.js';
import { InputError, Ns3tsError } from '../util/index.js';
import { SPACE_KINDS, describeSpace, type AcceptedSpaces, type EnvFamily } from './family.js';
import { slicingFamily } from './slicing/index.js';
import { sfcFamily } from './sfc/index.js';
import { vnfFamily } from './vnf/index.js';

/** The family of a scenario without a `family:` field. */
export const DEFAULT_FAMILY_ID = 'slicing';

const BUILT_IN: readonly EnvFamily[] = [slicingFamily, sfcFamily, vnfFamily];

const registry = new Map<string, EnvFamily>(BUILT_IN.map((family) => [family.id, family]));

const ID_PATTERN = /^[a-z][a-z0-9-]*$/;

/** Registered family ids, built-in ones first. */
export function familyIds(): string[] {
  return [...registry.keys()];
}

/** Every registered family, built-in ones first. */
export function listFamilies(): EnvFamily[] {
  return [...registry.values()];
}

/**
 * Adds a family. Refuses an id already taken, an id that is not a lowercase name, and a family
 * without env kinds.
 */
export function registerFamily<S extends ScenarioBase, O, A>(family: EnvFamily<S, O, A>): void {
  const id: unknown = family.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new InputError('family id', id, 'a lowercase name of letters, digits and - (starting with a letter)');
  }
  if (registry.has(id)) throw new InputError('family id', id, `an id no registered family has (registered: ${familyIds().join(', ')})`);
  if (!Array.isArray(family.envKinds) || family.envKinds.length === 0 || family.envKinds.some((k) => typeof k !== 'string' || k === '')) {
    throw new InputError(`family ${id}: envKinds`, family.envKinds, 'a non-empty list of env kinds (e.g. ["synthetic"])');
  }
  registry.set(id, family);
}

/** A registered family by id; `field` names where the id came from in the error. */
export function getFamily(id: string, field = 'family'): EnvFamily {
  const family = typeof id === 'string' ? registry.get(id) : undefined;
  if (!family) throw new InputError(field, id, `one of ${familyIds().join(', ')} (the registered env families)`);
  return family;
}

/** The family of a resolved scenario (its `family`, else slicing), checked against its env.kind. */
export function familyOf(scenario: ScenarioBase): EnvFamily {
  const family = getFamily(scenario.family ?? DEFAULT_FAMILY_ID);
  if (!family.envKinds.includes(scenario.env.kind)) {
    throw new InputError('env.kind', scenario.env.kind, `one of ${family.envKinds.join(', ')} (the env kinds of family ${family.id})`);
  }
  return family;
}

/** True for a scenario of the slicing family (no `family:` field, or `family: slicing`). */
export function isSlicingScenario(scenario: ScenarioBase): scenario is Scenario {
  return (scenario.family ?? DEFAULT_FAMILY_ID) === slicingFamily.id;
}

/**
 * Validates a parsed scenario document through its family: the `family` field picks the family
 * (slicing when absent), whose parseScenario checks the rest.
 */
export function parseFamilyScenario(document: Record<string, unknown>, fallbackName?: string): ScenarioBase {
  const id = document.family ?? DEFAULT_FAMILY_ID;
  if (typeof id !== 'string') throw new InputError('family', id, `one of ${familyIds().join(', ')} (the registered env families)`);
  return getFamily(id).parseScenario(document, fallbackName);
}

/** Loads a scenario of any family by name (in `scenarios/`) or path. */
export function loadFamilyScenario(nameOrPath: string): ScenarioBase {
  return loadScenarioWith(nameOrPath, parseFamilyScenario);
}

/** A scenario of any family from a name, a path, a parsed document or a scenario object (validated again). */
export function resolveFamilyScenario(spec: string | ScenarioBase | Record<string, unknown>): ScenarioBase {
  if (typeof spec === 'string') return loadFamilyScenario(spec);
  return parseFamilyScenario(structuredClone(spec) as unknown as Record<string, unknown>);
}

/** An agent whose accepted spaces do not fit a scenario's family. The message is one line. */
export class SpaceMismatchError extends Ns3tsError {
  override readonly name = 'SpaceMismatchError';
  constructor(
    readonly agent: string,
    readonly scenario: string,
    readonly family: string,
    message: string,
  ) {
    super(message);
  }
}

function kinds(list: readonly string[]): string {
  return list.length <= 1 ? (list[0] ?? '(no)') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** Checks an AcceptedSpaces declaration itself (its kinds are space kinds). */
export function checkAcceptedSpaces(agent: string, accepts: AcceptedSpaces): void {
  for (const side of ['observation', 'action'] as const) {
    const list: unknown = accepts[side];
    if (!Array.isArray(list) || list.length === 0 || list.some((k) => !(SPACE_KINDS as readonly string[]).includes(k as string))) {
      throw new InputError(`agent ${agent}: accepts.${side}`, list, `a non-empty list of ${SPACE_KINDS.join(', ')}`);
    }
  }
}

/**
 * Refuses an agent on a scenario whose spaces it cannot work in, with one line naming both, e.g.
 * "agent td3 acts in Box action spaces; scenario sfc-x (family sfc) has a Discrete(15) action
 * space". Checked in this order: action space, observation space, family layout.
 */
export function checkAgentSpaces(agent: string, accepts: AcceptedSpaces, scenario: ScenarioBase): void {
  const family = familyOf(scenario);
  const spaces = family.spaces(scenario);
  const where = `scenario ${scenario.name} (family ${family.id})`;
  if (!(accepts.action as readonly string[]).includes(spaces.action.kind)) {
    throw new SpaceMismatchError(agent, scenario.name, family.id, `agent ${agent} acts in ${kinds(accepts.action)} action spaces; ${where} has a ${describeSpace(spaces.action)} action space`);
  }
  if (!(accepts.observation as readonly string[]).includes(spaces.observation.kind)) {
    throw new SpaceMismatchError(
      agent,
      scenario.name,
      family.id,
      `agent ${agent} observes ${kinds(accepts.observation)} observation spaces; ${where} has a ${describeSpace(spaces.observation)} observation space`,
    );
  }
  if (accepts.families && !accepts.families.includes(family.id)) {
    throw new SpaceMismatchError(agent, scenario.name, family.id, `agent ${agent} reads the ${kinds(accepts.families)} layout; ${where} has the ${family.id} layout`);
  }
}

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError, describeValue } from '../util/index.js';
import { agentIds, checkAgentFits } from '../agents/index.js';
import { isSlicingScenario, loadFamilyScenario, resolveFamilyScenario } from '../families/index.js';
import { scenarioPath, type Scenario, type ScenarioBase } from '../scenario/index.js';
import { COMMAND_PATH_PREFIX, COUNT_SUFFIX, type StepOptions, type SweepCommand, type SweepSpec } from './schema.js';
import { runId } from './run-id.js';

/** What a run's id is the hash of: everything that can change its result. */
export interface SweepRunSpec {
  scenario: Scenario;
  seed: number;
  command: SweepCommand;
}

/** One `ns3ts` invocation of a run; paths in `args` are relative to the run folder. */
export interface RunStep {
  name: 'train' | 'eval';
  args: string[];
}

export interface PlannedRun {
  id: string;
  /** Position in the sweep (grid order, seeds innermost). */
  index: number;
  /** The grid values of this run's point, grid path -> value. */
  point: Record<string, unknown>;
  seed: number;
  config: SweepRunSpec;
  steps: RunStep[];
}

export interface SweepPlan {
  spec: SweepSpec;
  runs: PlannedRun[];
  /** Grid paths in file order (the parameter columns of the results). */
  params: string[];
}

/** File names inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  scenario: 'scenario.yaml',
  status: 'status.json',
  metrics: 'metrics.json',
  repro: 'repro.sh',
  lock: '.lock',
  trainDir: 'train',
} as const;

/** The policy an eval step uses after a train step: the run folder `ns3ts train` wrote. */
export const TRAINED_CHECKPOINT = `checkpoint:${RUN_FILES.trainDir}`;

type Doc = Record<string, unknown>;

/**
 * Expands a sweep into its runs: every grid point × every seed, each with a fully resolved and
 * validated scenario. Overrides apply to the scenario document before defaults are filled in
 * (so that, e.g., switching a traffic profile also switches the profile's defaults), in this
 * order: list resizes (`<list>.$count`), then `set`, then the grid axes.
 */
export function planSweep(spec: SweepSpec): SweepPlan {
  const baseDoc = loadBaseDocument(spec.base);
  const points = expandGrid(spec.grid);
  const runs: PlannedRun[] = [];
  const ids = new Set<string>();
  for (const point of points) {
    const overrides: Array<{ field: string; path: string; value: unknown }> = [
      ...spec.set.map(([path, value]) => ({ field: `set["${path}"]`, path, value })),
      ...Object.entries(point).map(([path, value]) => ({ field: `grid["${path}"]`, path, value })),
    ];
    const ordered = [...overrides.filter((o) => o.path.endsWith(COUNT_SUFFIX)), ...overrides.filter((o) => !o.path.endsWith(COUNT_SUFFIX))];
    const doc = structuredClone(baseDoc);
    const command: SweepCommand = structuredClone(spec.command);
    for (const o of ordered) {
      if (o.path.startsWith(COMMAND_PATH_PREFIX)) setCommandOption(command, o.field, o.path, o.value);
      else setInDocument(doc, o.field, o.path, o.value);
    }
    let scenario: Scenario;
    try {
      scenario = sweepScenario(resolveFamilyScenario(doc), command);
    } catch (err) {
      if (err instanceof InputError) {
        const where = ordered.length > 0 ? ` (with ${ordered.map((o) => `${o.path}=${describeValue(o.value)}`).join(', ')})` : '';
        throw new InputError(`scenario ${err.field}${where}`, err.value, err.expected);
      }
      throw err;
    }
    if (command.eval && command.eval.policy === undefined && !command.train) {
      throw new InputError('command.eval.policy', undefined, 'a policy (e.g. baseline:static) when the sweep does not train');
    }
    for (const seed of spec.seeds) {
      const config: SweepRunSpec = { scenario, seed, command };
      const id = runId(config);
      if (ids.has(id)) {
        throw new InputError('grid', point, 'grid points that resolve to different scenarios (two points give the same run)');
      }
      ids.add(id);
      runs.push({ id, index: runs.length, point, seed, config, steps: runSteps(command, seed) });
    }
  }
  return { spec, runs, params: spec.grid.map((a) => a.path) };
}

/**
 * A grid point's scenario as the sweep runs it: an agent the sweep trains must accept the spaces of
 * the scenario's family (checked here, before any run starts; an unknown agent id is left to the
 * run's own error), and the runs train and evaluate slicing scenarios.
 */
function sweepScenario(resolved: ScenarioBase, command: SweepCommand): Scenario {
  if (command.train) {
    const agent = String(command.train.agent ?? resolved.agent.id);
    if (agentIds().includes(agent)) checkAgentFits(agent, resolved, 'command.train.agent');
  }
  if (!isSlicingScenario(resolved)) throw new InputError('family', resolved.family, 'slicing (sweep runs train and evaluate slicing scenarios)');
  return resolved;
}

function loadBaseDocument(base: string): Doc {
  let resolved: ScenarioBase;
  let path: string;
  try {
    path = scenarioPath(base);
    resolved = loadFamilyScenario(path);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`base: ${err.field}`, err.value, err.expected);
    throw err;
  }
  const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError('base', base, 'a scenario document (a mapping)');
  const out = doc as Doc;
  // A scenario file may leave its name to the file name; the resolved copy in each run keeps it.
  if (out.name === undefined) out.name = resolved.name;
  return out;
}

/** The cartesian product of the grid axes, in file order with the last axis varying fastest. */
export function expandGrid(axes: ReadonlyArray<{ path: string; values: readonly unknown[] }>): Array<Record<string, unknown>> {
  let points: Array<Record<string, unknown>> = [{}];
  for (const axis of axes) {
    const next: Array<Record<string, unknown>> = [];
    for (const point of points) for (const value of axis.values) next.push({ ...point, [axis.path]: value });
    points = next;
  }
  return points;
}

function setCommandOption(command: SweepCommand, field: string, path: string, value: unknown): void {
  const [, step, option] = path.split('.') as [string, 'train' | 'eval', string];
  const options: StepOptions | undefined = command[step];
  if (!options) throw new InputError(field, value, `a command.${step} section in the sweep for this option to apply to`);
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new InputError(field, value, 'a string, number or boolean option value');
  }
  options[option] = value;
}

/**
 * Sets a dotted path in a scenario document. Segments are mapping keys, list indices, a list
 * item's `name`, or `*` (every item of a list); the last segment `$count` resizes a list.
 */
export function setInDocument(doc: Doc, field: string, path: string, value: unknown): void {
  const parts = path.split('.');
  const visit = (node: unknown, i: number, here: string): void => {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    const at = here === '' ? part : `${here}.${part}`;
    if (part === '$count') {
      if (!Array.isArray(node) || node.length === 0) throw new InputError(field, value, `a non-empty list at ${here || '(root)'} to resize`);
      resizeList(node, value as number);
      return;
    }
    if (Array.isArray(node)) {
      let indices: number[];
      if (part === '*') indices = node.map((_, k) => k);
      else if (/^\d+$/.test(part)) indices = [Number(part)];
      else indices = [node.findIndex((item) => typeof item === 'object' && item !== null && (item as Doc).name === part)];
      for (const index of indices) {
        if (index < 0 || index >= node.length) {
          throw new InputError(field, path, `a path whose segment "${part}" at ${here} is an index 0..${node.length - 1}, a slice name or *`);
        }
        if (last) node[index] = structuredClone(value);
        else {
          if (typeof node[index] !== 'object' || node[index] === null) node[index] = {};
          visit(node[index], i + 1, `${here}.${index}`);
        }
      }
      return;
    }
    if (typeof node !== 'object' || node === null) throw new InputError(field, path, `a path through mappings and lists (${here} is ${describeValue(node)})`);
    const obj = node as Doc;
    if (part === '*') throw new InputError(field, path, `* only on lists (${here || '(root)'} is a mapping)`);
    if (last) obj[part] = structuredClone(value);
    else {
      if (obj[part] === undefined || obj[part] === null) obj[part] = parts[i + 1] === '$count' ? [] : {};
      visit(obj[part], i + 1, at);
    }
  };
  visit(doc, 0, '');
}

/** Resizes a list in place to `count` items, repeating its items cyclically with unique names. */
function resizeList(list: unknown[], count: number): void {
  const originals = list.slice();
  list.length = 0;
  for (let k = 0; k < count; k++) {
    const item = structuredClone(originals[k % originals.length]);
    const copy = Math.floor(k / originals.length);
    if (copy > 0 && typeof item === 'object' && item !== null && typeof (item as Doc).name === 'string') {
      (item as Doc).name = `${(item as Doc).name as string}-${copy + 1}`;
    }
    list.push(item);
  }
}

/** `--kebab-case value` for each option (true: a bare flag, false: left out). */
export function optionArgs(options: StepOptions, skip: readonly string[] = []): string[] {
  const args: string[] = [];
  for (const key of Object.keys(options).sort()) {
    if (skip.includes(key)) continue;
    const value = options[key]!;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (value === false) continue;
    if (value === true) args.push(flag);
    else args.push(flag, String(value));
  }
  return args;
}

/** The ns3ts invocations of a run (train, then eval), relative to the run folder. */
export function runSteps(command: SweepCommand, seed: number): RunStep[] {
  const steps: RunStep[] = [];
  const common = ['--scenario', RUN_FILES.scenario, '--seed', String(seed)];
  if (command.train) {
    steps.push({ name: 'train', args: ['train', ...common, '--out', '.', '--run-id', RUN_FILES.trainDir, ...optionArgs(command.train)] });
  }
  if (command.eval) {
    const policy = command.eval.policy !== undefined ? String(command.eval.policy) : TRAINED_CHECKPOINT;
    steps.push({ name: 'eval', args: ['eval', ...common, '--policy', policy, '--json', ...optionArgs(command.eval, ['policy'])] });
  }
  return steps;
}

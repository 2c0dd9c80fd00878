import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import { InputError, packageRoot, readInputFile } from '../util/index.js';
import type { SlicingLayout } from './slicing.js';
import { parseScenario } from './schema.js';
import type { Scenario, ScenarioBase, ScenarioSummary } from './types.js';

/** The folder of the shipped scenarios. */
export const scenariosDir: string = join(packageRoot, 'scenarios');

function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || /\.ya?ml$/i.test(spec);
}

/** Where a scenario name or path points; throws listing the shipped names when nothing matches. */
export function scenarioPath(nameOrPath: string): string {
  if (typeof nameOrPath !== 'string' || nameOrPath === '') {
    throw new InputError('scenario', nameOrPath, 'a scenario name (see `ns3ts scenarios`) or a path to a .yaml file');
  }
  if (looksLikePath(nameOrPath)) {
    const path = resolve(nameOrPath);
    if (!existsSync(path) || !statSync(path).isFile()) throw new InputError('scenario', nameOrPath, 'an existing scenario file');
    return path;
  }
  for (const ext of ['.yaml', '.yml']) {
    const path = join(scenariosDir, nameOrPath + ext);
    if (existsSync(path)) return path;
  }
  const known = listScenarioFiles().map((p) => basename(p, extname(p)));
  throw new InputError('scenario', nameOrPath, `a scenario name (one of ${known.join(', ')}) or a path to a .yaml file`);
}

function listScenarioFiles(): string[] {
  if (!existsSync(scenariosDir)) return [];
  return readdirSync(scenariosDir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(scenariosDir, f));
}

/** Parses YAML text; syntax errors become an InputError naming the file, line and column. */
export function parseScenarioText(text: string, source = 'scenario', fallbackName?: string): Scenario {
  return parseScenarioTextWith(text, parseScenario, source, fallbackName);
}

/** A reader of parsed scenario documents (parseScenario, or the families' parseFamilyScenario). */
export type ScenarioDocumentReader<T> = (raw: Record<string, unknown>, fallbackName?: string) => T;

/** parseScenarioText with another document reader (same YAML and file-name error handling). */
export function parseScenarioTextWith<T>(text: string, read: ScenarioDocumentReader<T>, source = 'scenario', fallbackName?: string): T {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      // The position only: the file may not be a scenario at all, and its content is not ours to print.
      throw new InputError(source, pos ? `line ${pos.line} column ${pos.col}` : '?', `valid YAML (${err.code})`);
    }
    throw err;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const what = raw === null ? 'an empty document' : kindOf(raw);
    throw new InputError(source, `${what} at ${documentStart(text)}`, 'a YAML mapping (the scenario document)');
  }
  try {
    return read(raw as Record<string, unknown>, fallbackName);
  } catch (err) {
    if (err instanceof InputError && source !== 'scenario') {
      // An unknown top-level key is most likely a file that is not a scenario: its value is not printed.
      const foreign = !err.field.includes('.') && err.expected.startsWith('no such field');
      throw new InputError(`${source}: ${err.field}`, foreign ? `${kindOf(err.value)} (not shown)` : err.value, err.expected);
    }
    throw err;
  }
}

function kindOf(value: unknown): string {
  return value === null || value === undefined ? 'no value' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** "line L column C" of the first character of a YAML text that is not blank, a comment or a directive. */
function documentStart(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const col = line.search(/\S/);
    if (col >= 0 && !/^\s*(#|---|%)/.test(line)) return `line ${i + 1} column ${col + 1}`;
  }
  return 'line 1 column 1';
}

/** Loads and validates a scenario by name (in `scenarios/`) or path. */
export function loadScenario(nameOrPath: string): Scenario {
  const path = scenarioPath(nameOrPath);
  const fallbackName = basename(path, extname(path));
  return parseScenarioText(readInputFile(path, basename(path)), basename(path), fallbackName);
}

/** loadScenario with another document reader (the families' parseFamilyScenario). */
export function loadScenarioWith<T>(nameOrPath: string, read: ScenarioDocumentReader<T>): T {
  const path = scenarioPath(nameOrPath);
  const fallbackName = basename(path, extname(path));
  return parseScenarioTextWith(readInputFile(path, basename(path)), read, basename(path), fallbackName);
}

/**
 * The fully resolved scenario: from a name, a path, an already parsed document, or a resolved
 * scenario (validated again, so hand-edited objects are checked too).
 */
export function resolveScenario(spec: string | Scenario | Record<string, unknown>): Scenario {
  if (typeof spec === 'string') return loadScenario(spec);
  return parseScenario(structuredClone(spec));
}

/** The shipped scenarios, sorted by name, with their one-line descriptions. */
export function listScenarios(read?: ScenarioDocumentReader<ScenarioBase>): ScenarioSummary[] {
  // Without a reader: the slicing scenarios only (other families' files are read through the
  // family registry's parseFamilyScenario, which the CLI passes).
  const files = read ? listScenarioFiles() : listScenarioFiles().filter(isSlicingFile);
  return files.map((path) => {
    const s = loadScenarioWith(path, read ?? parseScenario);
    return { name: s.name, description: s.description, envKind: s.env.kind, path };
  });
}

/** Whether a scenario file names no family or the slicing family (an unreadable file counts as slicing, so that its error shows). */
function isSlicingFile(path: string): boolean {
  try {
    const raw: unknown = parseYaml(readInputFile(path, basename(path)));
    const family = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).family : undefined;
    return family === undefined || family === 'slicing';
  } catch {
    return true;
  }
}

/** The resolved scenario as YAML (what `ns3ts scenarios show` prints). */
export function scenarioToYaml(scenario: ScenarioBase): string {
  return stringifyYaml(scenario, { lineWidth: 0 });
}

/** The static slicing layout of a scenario (cells, slice names, types and targets). */
export function scenarioLayout(scenario: Scenario): SlicingLayout {
  return {
    cells: scenario.cells,
    slices: scenario.slices.map((s) => ({ name: s.name, type: s.type, phiTarget: s.phiTarget, delayTarget: s.delayTarget })),
  };
}

/**
 * Returns a copy of `scenario` with the field at a dotted path set to `value`, validated again.
 * Path segments are mapping keys or list indices; in `slices` a slice may also be named
 * (`slices.urllc.delayTarget`). New keys may be added where the schema allows them (agent,
 * training, ns3, env.args); anything else fails validation with the path. `read` validates the
 * result: parseScenario (slicing) by default, or a family's reader (parseFamilyScenario).
 */
export function setByPath(scenario: Scenario, path: string, value: unknown): Scenario;
export function setByPath<T extends object>(scenario: T, path: string, value: unknown, read: ScenarioDocumentReader<T>): T;
export function setByPath(scenario: object, path: string, value: unknown, read: ScenarioDocumentReader<object> = parseScenario): object {
  if (typeof path !== 'string' || path === '' || path.split('.').some((p) => p === '')) {
    throw new InputError('override path', path, 'a dotted path such as slices.0.phiTarget');
  }
  const copy = structuredClone(scenario) as unknown as Record<string, unknown>;
  const parts = path.split('.');
  let node: unknown = copy;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    const here = parts.slice(0, i + 1).join('.');
    if (Array.isArray(node)) {
      let index = /^\d+$/.test(part) ? Number(part) : node.findIndex((item) => typeof item === 'object' && item !== null && (item as { name?: unknown }).name === part);
      if (index < 0 || index >= node.length) {
        throw new InputError(here, part, `an index 0..${node.length - 1}${node.some((x) => typeof x === 'object' && x !== null && 'name' in x) ? ' or a name in the list' : ''}`);
      }
      if (last) node[index] = value;
      else node = node[index];
    } else if (typeof node === 'object' && node !== null) {
      const obj = node as Record<string, unknown>;
      if (last) obj[part] = value;
      else {
        if (obj[part] === undefined || obj[part] === null) obj[part] = {};
        node = obj[part];
      }
    } else {
      throw new InputError(parts.slice(0, i).join('.'), node, 'a mapping or list to descend into');
    }
  }
  return read(copy);
}

/** Reads an override value from the command line as YAML: "0.5" -> 0.5, "true" -> true, "[1, 2]" -> [1, 2]. */
export function parseOverrideValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

/** One `--set path=value` override: the dotted path, and the value read as YAML (parseOverrideValue). */
export function parseOverride(text: string, field = '--set'): { path: string; value: unknown } {
  const eq = typeof text === 'string' ? text.indexOf('=') : -1;
  if (eq <= 0) throw new InputError(field, text, 'path=value, e.g. episodeSteps=50 or slices.urllc.delayTarget=5');
  return { path: text.slice(0, eq).trim(), value: parseOverrideValue(text.slice(eq + 1)) };
}

/**
 * Applies `--set path=value` overrides in order (setByPath: each result is validated by the
 * scenario schema, or by `read`, a family's reader). A refused override names itself and the
 * field the schema refused.
 */
export function applyOverrides(scenario: Scenario, sets: readonly string[], field?: string): Scenario;
export function applyOverrides<T extends object>(scenario: T, sets: readonly string[], field: string, read: ScenarioDocumentReader<T>): T;
export function applyOverrides(scenario: object, sets: readonly string[], field = '--set', read: ScenarioDocumentReader<object> = parseScenario): object {
  let out = scenario;
  for (const text of sets) {
    const { path, value } = parseOverride(text, field);
    try {
      out = setByPath(out, path, value, read);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(`${field} ${path}${err.field === path ? '' : ` (${err.field})`}`, err.value, err.expected);
    }
  }
  return out;
}

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, Ns3tsError } from '../../util/index.js';
import type { Scenario, SettingValue } from '../../scenario/index.js';
import { RemoteEnv } from '../remote-env.js';
import { RemoteVectorEnv } from '../vector-env.js';
import { FEATURES_PER_SLICE, SLICE_TYPES } from '../../scenario/index.js';
import {
  Box,
  FailFastOnExit,
  FailFastOnExitVector,
  type AutoresetMode,
  type Env,
  type GymSpace,
  type NdArray,
  type SimulatorExitSignal,
  type VectorEnv,
} from '../../env/index.js';
import { ensureNs3Build, resolveNs3Program, defaultNs3BuildDir } from './build.js';
import { ProcessLauncher, type SimulatorExit } from './launcher.js';

/** Options of the ns-3 env (the factory's CreateEnvOptions carry them). */
export interface Ns3EnvOptions {
  /** Seed of the first episode (default: the scenario's seed); later episodes derive theirs. */
  seed?: number;
  /** Where simulators connect (default: ipc:// in a new temporary directory). */
  endpoint?: string;
  /** Build directory of the ns-3 programs (default: $NS3TS_BUILD_DIR, else build/cpp). */
  buildDir?: string;
  /** Build the programs first if their sources changed (default true). */
  build?: boolean;
  /** Directory of the simulators' logs (default: the run directory if given, else a temporary one). */
  logDir?: string;
  runDir?: string;
  /** Server timeouts, ms. */
  initTimeoutMs?: number;
  stepTimeoutMs?: number;
  /** Extra program arguments (override the scenario's). */
  args?: Record<string, SettingValue>;
}

/** The programs whose three slices are, in this order, eMBB, URLLC and mMTC. */
const SLICING_PROGRAMS = new Set(['slicing-lte', 'slicing-null']);

function argValue(value: SettingValue): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * The command-line arguments of an ns-3 scenario program for a scenario: its layout, slices and
 * timing as the slicing programs name them, then the scenario's env.args (which win), then
 * `overrides`. For programs other than slicing-lte / slicing-null only env.args and overrides.
 */
export function ns3ScenarioArgs(scenario: Scenario, overrides: Record<string, SettingValue> = {}): string[] {
  if (scenario.env.kind !== 'ns3') throw new InputError('env.kind', scenario.env.kind, 'ns3');
  const args = new Map<string, string>();
  const given = { ...scenario.env.args, ...overrides };
  const program = scenario.env.program;
  if (SLICING_PROGRAMS.has(program)) {
    const types = scenario.slices.map((s) => s.type);
    if (types.length !== SLICE_TYPES.length || types.some((t, i) => t !== SLICE_TYPES[i])) {
      throw new InputError('slices', types, `three slices of types ${SLICE_TYPES.join(', ')} in this order (${program})`);
    }
    // What the synthetic env models and these programs do not: refuse rather than ignore.
    scenario.slices.forEach((slice, i) => {
      if (slice.joinStep !== 0) throw new InputError(`slices[${i}].joinStep`, slice.joinStep, `0 (${program} has every slice from the start)`);
      if (slice.leaveStep !== null) throw new InputError(`slices[${i}].leaveStep`, slice.leaveStep, `none (${program} keeps every slice)`);
    });
    if (scenario.events.length > 0) {
      throw new InputError('events', scenario.events.length, `no scheduled events (${program} does not model them)`);
    }
    let sites = given.sites === undefined ? undefined : Number(given.sites);
    let sectors = given.sectors === undefined ? undefined : Number(given.sectors);
    if (sites === undefined && sectors === undefined) {
      sectors = scenario.cells % 3 === 0 ? 3 : 1;
      sites = scenario.cells / sectors;
    } else if (sites === undefined) sites = scenario.cells / sectors!;
    else if (sectors === undefined) sectors = scenario.cells / sites;
    if (!Number.isInteger(sites) || !Number.isInteger(sectors) || sites! * sectors! !== scenario.cells) {
      throw new InputError('env.args.sites/sectors', { sites, sectors }, `sites x sectors = cells (${scenario.cells})`);
    }
    args.set('sites', String(sites));
    args.set('sectors', String(sectors));
    args.set('stepTime', String(scenario.stepSeconds));
    args.set('simTime', String(Number((scenario.episodeSteps * scenario.stepSeconds).toPrecision(12))));
    for (const slice of scenario.slices) {
      const key = slice.type.toLowerCase();
      args.set(`${key}Name`, slice.name);
      args.set(`${key}Ues`, String(Math.round(slice.users)));
      args.set(`${key}Rate`, String(slice.demand));
      args.set(`${key}Packet`, String(Math.min(1400, Math.max(40, Math.round(slice.packetKbit * 125)))));
      args.set(`${key}Phi`, String(slice.phiTarget));
      args.set(`${key}Delay`, String(slice.delayTarget));
    }
  }
  for (const [key, value] of Object.entries(given)) args.set(key, argValue(value));
  return [...args].map(([key, value]) => `--${key}=${value}`);
}

/** A fresh ipc:// endpoint in a new private temporary directory. */
export function temporaryIpcEndpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-ipc-'));
  return `ipc://${join(dir, `gym-${randomBytes(3).toString('hex')}.sock`)}`;
}

/** The endpoint to bind, and what to remove once the env is closed (a temporary ipc directory). */
function endpointFor(options: Ns3EnvOptions): { endpoint: string; cleanup: () => void } {
  if (options.endpoint !== undefined) return { endpoint: options.endpoint, cleanup: () => {} };
  const endpoint = temporaryIpcEndpoint();
  const dir = dirname(endpoint.slice('ipc://'.length));
  return { endpoint, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The last lines of a simulator's log (why it exited), for error messages. */
function logTail(path: string, lines = 6): string {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('--- '))
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * The launcher's simulator exits as the fail-fast wrappers see them: only exits of simulators
 * started after a subscription are reported (the previous one may end on its own meanwhile).
 */
export function launcherExitSignal(launcher: ProcessLauncher): SimulatorExitSignal {
  return {
    watchExits(listener) {
      const earlier = new Set(launcher.spawnedPids());
      const onExit = (index: number, exit: SimulatorExit, pid: number): void => {
        if (!earlier.has(pid)) listener(index, exit);
      };
      launcher.on('exit', onExit);
      return () => launcher.off('exit', onExit);
    },
    exitInfo: (index) => launcher.exitInfo(index),
    logPath: (index) => launcher.logPath(index),
    logTail: (index) => logTail(launcher.logPath(index)),
  };
}

/** The scenario's `ns3:` settings this env reads: the server's timeouts (ms). */
const NS3_SETTINGS = ['initTimeoutMs', 'stepTimeoutMs'] as const;

function ns3Settings(scenario: Scenario): { initTimeoutMs?: number; stepTimeoutMs?: number } {
  const out: { initTimeoutMs?: number; stepTimeoutMs?: number } = {};
  for (const [key, value] of Object.entries(scenario.ns3)) {
    if (!(NS3_SETTINGS as readonly string[]).includes(key)) {
      throw new InputError(`ns3.${key}`, value, `no such setting; allowed: ${NS3_SETTINGS.join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new InputError(`ns3.${key}`, value, 'a positive integer (ms)');
    out[key as (typeof NS3_SETTINGS)[number]] = value;
  }
  return out;
}

interface PreparedNs3 {
  launcher: ProcessLauncher;
  seed: number;
  spaces: { observationSpace?: GymSpace<Obs>; actionSpace?: GymSpace<Obs> };
  timeouts: { initTimeoutMs?: number; stepTimeoutMs?: number };
}

type Obs = NdArray<Float32Array>;
/** The env of a slicing program: observation [cells, slices, features], action [cells, slices]. */
type SlicingEnv = Env<Obs, Obs>;

async function prepare(scenario: Scenario, options: Ns3EnvOptions): Promise<PreparedNs3> {
  if (scenario.env.kind !== 'ns3') throw new InputError('env.kind', scenario.env.kind, 'ns3');
  const settings = ns3Settings(scenario);
  const extraArgs = ns3ScenarioArgs(scenario, options.args ?? {});
  const buildDir = options.buildDir ?? defaultNs3BuildDir();
  const program = scenario.env.program;
  if (!program.includes('/') && options.build !== false) await ensureNs3Build({ buildDir });
  const command = resolveNs3Program(program, buildDir);
  if (!existsSync(command)) {
    throw new InputError('env.program', program, `a program built in ${join(buildDir, 'bin')} (run \`ns3ts build-ns3\`)`);
  }
  const logDir = options.logDir ?? options.runDir;
  const launcher = new ProcessLauncher({
    command,
    name: program.split('/').pop()!,
    extraArgs,
    ...(logDir === undefined ? {} : { logDir }),
  });
  // Known before the first reset (agents are built from them); a simulator declaring other
  // spaces is refused.
  const spaces = SLICING_PROGRAMS.has(program)
    ? {
        observationSpace: new Box({
          dtype: 'float32',
          shape: [scenario.cells, scenario.slices.length, FEATURES_PER_SLICE],
          low: 0,
          high: Number.POSITIVE_INFINITY,
        }) as unknown as GymSpace<Obs>,
        actionSpace: new Box({ dtype: 'float32', shape: [scenario.cells, scenario.slices.length], low: 0, high: 1 }) as unknown as GymSpace<Obs>,
      }
    : {};
  const initTimeoutMs = options.initTimeoutMs ?? settings.initTimeoutMs;
  const stepTimeoutMs = options.stepTimeoutMs ?? settings.stepTimeoutMs;
  return {
    launcher,
    seed: options.seed ?? scenario.seed,
    spaces,
    timeouts: {
      ...(initTimeoutMs === undefined ? {} : { initTimeoutMs }),
      ...(stepTimeoutMs === undefined ? {} : { stepTimeoutMs }),
    },
  };
}

/**
 * The env of an `ns3` scenario: builds the program if stale, binds a server, and launches one
 * simulator per episode (reset = restart with the next seed of the sequence; a simulator that
 * crashes or hangs ends its episode truncated with info.reason and is restarted on reset).
 */
export async function createNs3Env(scenario: Scenario, options: Ns3EnvOptions & Record<string, unknown> = {}): Promise<SlicingEnv> {
  const { launcher, seed, spaces, timeouts } = await prepare(scenario, options);
  const { endpoint, cleanup } = endpointFor(options);
  try {
    const env = await RemoteEnv.listen<Obs, Obs>({
      endpoint,
      launcher,
      seed,
      maxEpisodeSteps: scenario.episodeSteps,
      ...spaces,
      ...timeouts,
    });
    return new FailFastOnExit(env, launcherExitSignal(launcher), env.index, { afterClose: cleanup });
  } catch (err) {
    await launcher.close();
    cleanup();
    if (err instanceof Ns3tsError) throw err;
    throw new Ns3tsError(`scenario ${scenario.name}: cannot start the ns-3 env: ${(err as Error).message}`);
  }
}

/**
 * `numEnvs` simulators of an `ns3` scenario on one ROUTER endpoint, served as one vector env
 * (env i is seeded with seed + i; a dead or hung simulator truncates only its env).
 */
export async function createNs3VectorEnv(
  scenario: Scenario,
  options: Ns3EnvOptions & { numEnvs: number; autoresetMode?: AutoresetMode },
): Promise<VectorEnv<Obs, Obs>> {
  if (!Number.isInteger(options.numEnvs) || options.numEnvs < 1) throw new InputError('numEnvs', options.numEnvs, 'a positive integer');
  const { launcher, seed, spaces, timeouts } = await prepare(scenario, options);
  const { endpoint, cleanup } = endpointFor(options);
  try {
    const venv = await RemoteVectorEnv.listen<Obs, Obs>({
      endpoint,
      numEnvs: options.numEnvs,
      launcher,
      seed,
      maxEpisodeSteps: scenario.episodeSteps,
      ...(options.autoresetMode === undefined ? {} : { autoresetMode: options.autoresetMode }),
      ...spaces,
      ...timeouts,
    });
    return new FailFastOnExitVector(venv, launcherExitSignal(launcher), { afterClose: cleanup });
  } catch (err) {
    await launcher.close();
    cleanup();
    if (err instanceof Ns3tsError) throw err;
    throw new Ns3tsError(`scenario ${scenario.name}: cannot start the ns-3 vector env: ${(err as Error).message}`);
  }
}

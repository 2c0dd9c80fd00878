import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, Ns3tsError, log } from '../../util/index.js';
import {
  CURVE_KEYS_VARIABLE,
  curveServerKeys,
  generateCurveRunKeys,
  isLoopbackEndpoint,
  normalizeEndpoint,
  writeCurveKeyFile,
  type CurveServerKeys,
  type ServerTransport,
} from '../../server/index.js';
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
import { SlurmLauncher } from './slurm-launcher.js';

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
  /**
   * Directory of the simulators' logs (default: the run directory if given, else a temporary one,
   * removed on close unless a simulator failed).
   */
  logDir?: string;
  runDir?: string;
  /** Server timeouts, ms. */
  initTimeoutMs?: number;
  stepTimeoutMs?: number;
  /** Extra program arguments (override the scenario's). */
  args?: Record<string, SettingValue>;
  /** Where the simulators run: 'local' processes (default) or the tasks of one Slurm job array. */
  simExecutor?: SimExecutor;
  /** Slurm settings of the simulators' job (simExecutor 'slurm'). */
  slurm?: SlurmSimulatorOptions;
  /** ZeroMQ CURVE on the endpoint (default: on for endpoints other hosts can reach, off on loopback). */
  curve?: boolean;
}

export type SimExecutor = 'local' | 'slurm';

export interface SlurmSimulatorOptions {
  partition?: string;
  /** Time limit of the job, Slurm format. */
  time?: string;
  cpusPerTask?: number;
  /** Further sbatch arguments (e.g. --account=x). */
  sbatchArgs?: string[];
  /** The host name or address simulators reach the trainer at (default: this host's name). */
  host?: string;
  /** Longest wait for a task to start its program, queue wait included (ms, default 300000). */
  startTimeoutMs?: number;
  /** How often the queue is polled (ms, default 1000). */
  pollMs?: number;
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
function endpointFor(options: Ns3EnvOptions, fallback?: string): { endpoint: string; cleanup: () => void } {
  if (options.endpoint !== undefined) return { endpoint: normalizeEndpoint(options.endpoint), cleanup: () => {} };
  if (fallback !== undefined) return { endpoint: normalizeEndpoint(fallback), cleanup: () => {} };
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
export function launcherExitSignal(launcher: ProcessLauncher | SlurmLauncher): SimulatorExitSignal {
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

/**
 * The scenario's `ns3:` settings this env reads: the server's timeouts (ms), and where the
 * simulators run (docs/cluster.md): simExecutor (local | slurm), simulators (how many envs a
 * vector env gets), slurmPartition, slurmTime, slurmCpusPerTask, slurmArgs (sbatch arguments,
 * separated by spaces), simHost (the address simulators reach the trainer at), curve (true/false),
 * socket (the server's: auto | native | zeromq; GymServerOptions.transport, default auto: the
 * simulators are child processes or remote, never in the trainer's process).
 */
interface Ns3Settings {
  initTimeoutMs?: number;
  stepTimeoutMs?: number;
  simExecutor?: SimExecutor;
  simulators?: number;
  slurmPartition?: string;
  slurmTime?: string;
  slurmCpusPerTask?: number;
  slurmArgs?: string;
  simHost?: string;
  curve?: boolean;
  socket?: ServerTransport;
}

const NS3_SETTINGS: Record<keyof Ns3Settings, 'ms' | 'count' | 'string' | 'boolean' | 'executor' | 'socket'> = {
  initTimeoutMs: 'ms',
  stepTimeoutMs: 'ms',
  simExecutor: 'executor',
  simulators: 'count',
  slurmPartition: 'string',
  slurmTime: 'string',
  slurmCpusPerTask: 'count',
  slurmArgs: 'string',
  simHost: 'string',
  curve: 'boolean',
  socket: 'socket',
};

export function ns3Settings(scenario: Scenario): Ns3Settings {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(scenario.ns3)) {
    const kind = (NS3_SETTINGS as Record<string, string>)[key];
    if (kind === undefined) throw new InputError(`ns3.${key}`, value, `no such setting; allowed: ${Object.keys(NS3_SETTINGS).join(', ')}`);
    const ok =
      kind === 'ms' || kind === 'count'
        ? typeof value === 'number' && Number.isInteger(value) && value >= 1
        : kind === 'string'
          ? typeof value === 'string' && value !== ''
          : kind === 'boolean'
            ? typeof value === 'boolean'
            : kind === 'socket'
              ? value === 'auto' || value === 'native' || value === 'zeromq'
              : value === 'local' || value === 'slurm';
    if (!ok) {
      const expected = { ms: 'a positive integer (ms)', count: 'a positive integer', string: 'a non-empty string', boolean: 'true or false', executor: "'local' or 'slurm'", socket: "'auto', 'native' or 'zeromq'" }[kind];
      throw new InputError(`ns3.${key}`, value, expected!);
    }
    out[key] = value;
  }
  return out as Ns3Settings;
}

interface PreparedNs3 {
  launcher: ProcessLauncher | SlurmLauncher;
  seed: number;
  spaces: { observationSpace?: GymSpace<Obs>; actionSpace?: GymSpace<Obs> };
  timeouts: { initTimeoutMs?: number; stepTimeoutMs?: number };
  /** The endpoint to bind, its CURVE keys (if any), and what to remove once the env is closed. */
  endpoint: string;
  curve: CurveServerKeys | undefined;
  /** The server's socket (GymServerOptions.transport). */
  transport: ServerTransport;
  cleanup: () => void;
}

type Obs = NdArray<Float32Array>;
/** The env of a slicing program: observation [cells, slices, features], action [cells, slices]. */
type SlicingEnv = Env<Obs, Obs>;

async function prepare(scenario: Scenario, options: Ns3EnvOptions, simulators: number): Promise<PreparedNs3> {
  if (scenario.env.kind !== 'ns3') throw new InputError('env.kind', scenario.env.kind, 'ns3');
  const settings = ns3Settings(scenario);
  const executor = options.simExecutor ?? settings.simExecutor ?? 'local';
  if (executor !== 'local' && executor !== 'slurm') throw new InputError('simExecutor', executor, "'local' or 'slurm'");
  const extraArgs = ns3ScenarioArgs(scenario, options.args ?? {});
  const buildDir = options.buildDir ?? defaultNs3BuildDir();
  const program = scenario.env.program;
  if (!program.includes('/') && options.build !== false) await ensureNs3Build({ buildDir });
  const command = resolveNs3Program(program, buildDir);
  if (!existsSync(command)) {
    throw new InputError('env.program', program, `a program built in ${join(buildDir, 'bin')} (run \`ns3ts build-ns3\`)`);
  }
  const logDir = options.logDir ?? options.runDir;
  // Simulators on other nodes connect over TCP to every interface of this host by default.
  const { endpoint, cleanup: endpointCleanup } = endpointFor(options, executor === 'slurm' ? 'tcp://0.0.0.0:0' : undefined);
  const useCurve = options.curve ?? settings.curve ?? !isLoopbackEndpoint(endpoint);
  if (!useCurve && !isLoopbackEndpoint(endpoint)) log.warn(`endpoint ${endpoint} is reachable from the network and runs without CURVE (curve: false)`);
  const curveKeys = useCurve ? generateCurveRunKeys() : null;
  const name = program.split('/').pop()!;
  let launcher: ProcessLauncher | SlurmLauncher;
  let keyDir: string | null = null;
  if (executor === 'slurm') {
    const slurm = options.slurm ?? {};
    // Without a run or log folder, a temporary one: the launcher removes it on close unless a
    // simulator failed (its logs are what the error points at).
    const dir = resolve(logDir !== undefined ? join(logDir, 'simulators') : mkdtempSync(join(tmpdir(), 'ns3ts-slurm-sim-')));
    mkdirSync(dir, { recursive: true });
    const environment: Record<string, string> = {};
    if (curveKeys) {
      writeCurveKeyFile(join(dir, 'curve.keys'), curveKeys);
      environment[CURVE_KEYS_VARIABLE] = join(dir, 'curve.keys');
    }
    const sbatchArgs = slurm.sbatchArgs ?? (settings.slurmArgs ? settings.slurmArgs.split(/\s+/).filter(Boolean) : undefined);
    const partition = slurm.partition ?? settings.slurmPartition;
    const time = slurm.time ?? settings.slurmTime;
    const cpusPerTask = slurm.cpusPerTask ?? settings.slurmCpusPerTask;
    const host = slurm.host ?? settings.simHost;
    launcher = new SlurmLauncher({
      command,
      name,
      extraArgs,
      simulators,
      dir,
      removeDirOnClose: logDir === undefined,
      environment,
      ...(partition === undefined ? {} : { partition }),
      ...(time === undefined ? {} : { time }),
      ...(cpusPerTask === undefined ? {} : { cpusPerTask }),
      ...(sbatchArgs === undefined ? {} : { sbatchArgs }),
      ...(host === undefined ? {} : { host }),
      ...(slurm.startTimeoutMs === undefined ? {} : { startTimeoutMs: slurm.startTimeoutMs }),
      ...(slurm.pollMs === undefined ? {} : { pollMs: slurm.pollMs }),
    });
  } else {
    let env: NodeJS.ProcessEnv | undefined;
    if (curveKeys) {
      keyDir = mkdtempSync(join(tmpdir(), 'ns3ts-curve-'));
      writeCurveKeyFile(join(keyDir, 'curve.keys'), curveKeys);
      env = { ...process.env, [CURVE_KEYS_VARIABLE]: join(keyDir, 'curve.keys') };
    }
    launcher = new ProcessLauncher({
      command,
      name,
      extraArgs,
      ...(logDir === undefined ? {} : { logDir }),
      ...(env === undefined ? {} : { env }),
    });
  }
  const cleanup = (): void => {
    endpointCleanup();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  };
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
    endpoint,
    curve: curveKeys ? curveServerKeys(curveKeys) : undefined,
    transport: settings.socket ?? 'auto',
    cleanup,
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
  const { launcher, seed, spaces, timeouts, endpoint, curve, transport, cleanup } = await prepare(scenario, options, 1);
  try {
    const env = await RemoteEnv.listen<Obs, Obs>({
      endpoint,
      transport,
      ...(curve ? { curve } : {}),
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
  options: Ns3EnvOptions & { numEnvs?: number; autoresetMode?: AutoresetMode } = {},
): Promise<VectorEnv<Obs, Obs>> {
  const numEnvs = options.numEnvs ?? (scenario.env.kind === 'ns3' ? ns3Settings(scenario).simulators : undefined) ?? 1;
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new InputError('numEnvs', numEnvs, 'a positive integer');
  const { launcher, seed, spaces, timeouts, endpoint, curve, transport, cleanup } = await prepare(scenario, options, numEnvs);
  try {
    const venv = await RemoteVectorEnv.listen<Obs, Obs>({
      endpoint,
      transport,
      ...(curve ? { curve } : {}),
      numEnvs,
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

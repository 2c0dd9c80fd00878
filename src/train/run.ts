/**
 * The training loop: episodes of any slicing env (synthetic or ns-3, through createEnv) with a
 * registered agent, periodic evaluation (src/eval KPIs), a progress bar, and a run directory:
 *
 *   runs/<run-id>/config.json      resolved scenario, seed, agent settings, backend, versions, git commit
 *   runs/<run-id>/metrics.jsonl    one line per training episode ("train") and evaluation ("eval");
 *                                  no wall-clock values, so the same seed and backend give the same file
 *   runs/<run-id>/checkpoint.bin   agent state (weights, optimizer, replay buffer, RNG) + loop counters,
 *                                  replaced atomically after every `checkpointEvery` episodes
 *   runs/<run-id>/summary.json     final figures, timings, throughput
 *
 * Resume (`resume: runDir`) restores the last checkpoint, cuts metrics.jsonl back to what the
 * checkpoint had seen, and continues — the finished run equals an uninterrupted one. Episode e of
 * a run is reset with seed deriveSeed(seed, 'train', e), so no env RNG state needs saving.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  arraysWithPrefix,
  getAgentEntry,
  readCheckpoint,
  selectBackend,
  writeCheckpoint,
  type AgentMetrics,
  type AgentScenario,
  type BackendChoice,
  type BackendInfo,
  type TrainableAgent,
} from '../agents/index.js';
import { type Info, type NdArray, type VectorEnv } from '../env/index.js';
import {
  FEATURE,
  FEATURES_PER_SLICE,
  createEnv,
  stepQos,
  type SlicingEnv,
  type SlicingLayout,
} from '../families/index.js';
import { constraintCosts, evaluatePolicy, type EvalResult } from '../eval/index.js';
import { resolveScenario, scenarioLayout, type Scenario } from '../scenario/index.js';
import { InputError, Ns3tsError, ProgressBar, deriveSeed, packageRoot, writeJsonAtomic } from '../util/index.js';

export interface TrainOptions {
  /** Scenario name, path or resolved scenario (ignored on resume: the run's config has it). */
  scenario?: string | Scenario;
  /** Agent id (default: the scenario's agent.id). */
  agent?: string;
  seed?: number;
  /** Training episodes in total (default: the scenario's training.episodes). */
  episodes?: number;
  /** Folder holding run directories (default "runs"). */
  outDir?: string;
  /** Run directory name (default: <scenario>-<agent>-s<seed>-<timestamp>). */
  runId?: string;
  backend?: BackendChoice;
  /** Continue the run in this directory from its last checkpoint. */
  resume?: string;
  /** Evaluate every N episodes (default: the scenario's training.evalEvery; 0 = never). */
  evalEvery?: number;
  evalEpisodes?: number;
  /** Checkpoint every N episodes (default 1; the last episode always checkpoints). */
  checkpointEvery?: number;
  /** Agent settings overrides (on top of the scenario's agent section). */
  agentSettings?: Record<string, unknown>;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /**
   * An env to train on instead of createEnv(scenario) (not closed here): a slicing Env, or a
   * VectorEnv of them (e.g. createNs3VectorEnv) whose sub-envs play episodes e..e+n-1 in lockstep.
   */
  env?: SlicingEnv | VectorEnv<NdArray<Float32Array>, NdArray<Float32Array>>;
  /** Called after each episode with its metrics line (tests, benches). */
  onEpisode?: (line: Record<string, unknown>) => void;
  /** Stop after this many episodes in this process (tests of resume), leaving the run unfinished. */
  stopAfter?: number;
  /** Receives one-line notices (backend in use, run directory, resume point); default: none. */
  announce?: (line: string) => void;
}

export interface TrainSummary {
  runId: string;
  runDir: string;
  agent: string;
  scenario: string;
  seed: number;
  episodes: number;
  completedEpisodes: number;
  finished: boolean;
  totalSteps: number;
  updates: number;
  trainSeconds: number;
  stepsPerSecond: number;
  backend: string;
  replayBytesPerTransition: number | null;
  lastTrain: Record<string, unknown> | null;
  lastEval: Record<string, unknown> | null;
  resumedFrom: number | null;
}

export interface TrainRunConfig {
  runId: string;
  agent: { id: string; settings: Record<string, unknown> };
  scenario: Scenario;
  seed: number;
  episodes: number;
  evalEvery: number;
  evalEpisodes: number;
  checkpointEvery: number;
  backend: BackendInfo;
  versions: Record<string, string | null>;
  git: { commit: string | null; dirty: boolean | null };
  createdAt: string;
}

interface TrainerState {
  episode: number;
  totalSteps: number;
  metricsBytes: number;
  lastEval: Record<string, unknown> | null;
}

export const METRICS_FILE = 'metrics.jsonl';
export const CONFIG_FILE = 'config.json';
export const SUMMARY_FILE = 'summary.json';

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    return null;
  }
}

function ns3Version(): string | null {
  try {
    return execFileSync('pkg-config', ['--modversion', 'ns3-core'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim() || null;
  } catch {
    return null;
  }
}

function versions(scenario: Scenario): Record<string, string | null> {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return { ns3ts: pkg.version, node: process.version, tfjs: tf.version.tfjs, ns3: scenario.env.kind === 'ns3' ? ns3Version() : null };
}

export function agentScenario(scenario: Scenario): AgentScenario {
  return {
    name: scenario.name,
    slices: scenario.slices.map((s) => ({ name: s.name, minShare: s.minShare, maxShare: s.maxShare })),
    constraints: scenario.constraints.map((c) => ({ slice: c.slice, kind: c.kind, limit: c.limit })),
    agent: { ...scenario.agent },
    episodeSteps: scenario.episodeSteps,
  };
}

function integer(value: number, field: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InputError(field, value, `an integer >= ${min}`);
  return value;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

/** Finite numbers only (JSON has no NaN/Infinity); others become null. */
function clean(metrics: AgentMetrics | Record<string, number> | undefined): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(metrics ?? {})) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

function evalLine(episode: number, result: EvalResult): Record<string, unknown> {
  const k = result.kpis;
  return {
    type: 'eval',
    episode,
    meanUtility: k.meanUtility,
    meanReturn: k.meanReturn,
    qosSatisfaction: k.qosSatisfaction,
    slaViolationRate: k.slaViolationRate,
    capacityViolation: k.capacityViolation,
    jainFairness: k.jainFairness,
    constraints: result.constraints.map((c) => ({ slice: c.slice, kind: c.kind, limit: c.limit, value: c.value, satisfied: c.satisfied })),
  };
}

/** Trains an agent; returns when the run has finished (or `stopAfter` episodes ran). */
export async function train(options: TrainOptions = {}): Promise<TrainSummary> {
  const resumeDir = options.resume ? resolve(options.resume) : null;
  let config: TrainRunConfig;
  let runDir: string;
  let trainer: TrainerState = { episode: 0, totalSteps: 0, metricsBytes: 0, lastEval: null };
  let checkpoint: ReturnType<typeof readCheckpoint> | null = null;
  if (resumeDir) {
    const configPath = join(resumeDir, CONFIG_FILE);
    if (!existsSync(configPath)) throw new InputError('--resume', options.resume, `a run directory with ${CONFIG_FILE}`);
    const stored = JSON.parse(readFileSync(configPath, 'utf8')) as TrainRunConfig;
    const scenario = resolveScenario(stored.scenario);
    const backend = await selectBackend(options.backend ?? (stored.backend.requested as BackendChoice));
    config = { ...stored, scenario, backend, episodes: options.episodes ?? stored.episodes };
    runDir = resumeDir;
    if (existsSync(join(runDir, 'checkpoint.bin'))) {
      checkpoint = readCheckpoint(runDir);
      trainer = (checkpoint.meta.trainer as TrainerState) ?? trainer;
    }
  } else {
    const scenario = typeof options.scenario === 'object' ? options.scenario : resolveScenario(options.scenario ?? 'slicing-synthetic');
    const agentId = options.agent ?? String(scenario.agent.id);
    getAgentEntry(agentId); // an unknown id fails before anything is written
    const seed = integer(options.seed ?? scenario.seed, '--seed', 0);
    const episodes = integer(options.episodes ?? scenario.training.episodes, '--episodes', 1);
    const backend = await selectBackend(options.backend ?? 'auto');
    const runId = options.runId ?? `${scenario.name}-${agentId}-s${seed}-${timestamp()}`;
    runDir = resolve(options.outDir ?? 'runs', runId);
    if (existsSync(join(runDir, CONFIG_FILE))) {
      throw new InputError('run directory', runDir, 'a new directory (use --resume to continue a run)');
    }
    const commit = git(['rev-parse', 'HEAD']);
    const status = commit ? git(['status', '--porcelain', '--untracked-files=no']) : null;
    config = {
      runId,
      agent: { id: agentId, settings: { ...options.agentSettings } },
      scenario,
      seed,
      episodes,
      evalEvery: integer(options.evalEvery ?? scenario.training.evalEvery, '--eval-every', 0),
      evalEpisodes: integer(options.evalEpisodes ?? scenario.training.evalEpisodes, 'evalEpisodes', 1),
      checkpointEvery: integer(options.checkpointEvery ?? 1, 'checkpointEvery', 1),
      backend,
      versions: versions(scenario),
      git: { commit, dirty: status === null ? null : status.length > 0 },
      createdAt: new Date().toISOString(),
    };
    mkdirSync(runDir, { recursive: true });
  }

  const announce = options.announce ?? ((): void => {});
  announce(
    `backend ${config.backend.name}${config.backend.fallbacks.length ? ` (${config.backend.fallbacks.join('; ')})` : ''}; run ${runDir}`,
  );
  const scenario = config.scenario;
  const layout: SlicingLayout = scenarioLayout(scenario);
  const entry = getAgentEntry(config.agent.id);
  const agent: TrainableAgent = await entry.create(layout, agentScenario(scenario), {
    seed: config.seed,
    settings: config.agent.settings,
    plannedSteps: config.episodes * scenario.episodeSteps,
    runDir,
  });
  if (!resumeDir) {
    // The resolved settings (defaults included) go into the config, so the run can be repeated.
    config.agent.settings = { ...config.agent.settings };
    writeJsonAtomic(join(runDir, CONFIG_FILE), { ...config, agentSettingsResolved: agent.settings() });
  }
  if (checkpoint) {
    await agent.setState({ meta: checkpoint.meta.agent as Record<string, unknown>, arrays: arraysWithPrefix(checkpoint.arrays, 'agent') });
  }
  const metricsPath = join(runDir, METRICS_FILE);
  // Lines written after the last checkpoint belong to episodes that will run again.
  if (existsSync(metricsPath)) {
    if (statSync(metricsPath).size !== trainer.metricsBytes) truncateSync(metricsPath, trainer.metricsBytes);
  } else {
    writeFileSync(metricsPath, '');
  }
  const resumedFrom = resumeDir ? trainer.episode : null;

  let env: SlicingEnv | VectorEnv<NdArray<Float32Array>, NdArray<Float32Array>>;
  try {
    // Simulator stdout/stderr (ns-3 scenarios) go into the run directory beside the metrics.
    env = options.env ?? (await createEnv(scenario, { seed: config.seed, runDir }));
  } catch (err) {
    agent.dispose();
    throw err;
  }
  const ownEnv = options.env === undefined;
  const stepper = lockstep(env, layout);
  const bar = new ProgressBar({ total: config.episodes, label: `train ${agent.id}`, enabled: options.progress ?? true });
  const started = Date.now();
  let stepsThisProcess = 0;
  let lastTrain: Record<string, unknown> | null = null;
  let episodesThisProcess = 0;
  const context = { layout, step: 0 };
  try {
    if (resumedFrom !== null && resumedFrom < config.episodes) announce(`resuming at episode ${resumedFrom + 1}`);
    bar.update(trainer.episode);
    while (trainer.episode < config.episodes) {
      if (options.stopAfter !== undefined && episodesThisProcess >= options.stopAfter) break;
      // One round = one episode per sub-env (1 for a plain Env), stepped in lockstep.
      const first = trainer.episode;
      const count = Math.min(stepper.n, config.episodes - first);
      agent.reset?.();
      let obs = await stepper.reset(Array.from({ length: stepper.n }, (_, i) => deriveSeed(config.seed, 'train', first + i)));
      const stats = Array.from({ length: stepper.n }, () => ({
        ret: 0,
        steps: 0,
        qosMet: 0,
        qosCount: 0,
        capacity: 0,
        done: false,
        costs: new Float64Array(scenario.constraints.length),
      }));
      let lastMetrics: AgentMetrics | null = null;
      let step = 0;
      while (stats.slice(0, count).some((x) => !x.done)) {
        context.step = step;
        const actions: Float32Array[] = [];
        for (let i = 0; i < stepper.n; i++) {
          // Finished (or surplus) sub-envs still need an action; theirs are ignored.
          actions.push(i < count && !stats[i]!.done ? await agent.actExplore(obs[i]!, context) : uniformShares(obs[i]!, layout));
        }
        const result = await stepper.step(actions);
        for (let i = 0; i < count; i++) {
          const st = stats[i]!;
          if (st.done) continue;
          st.capacity += excessCapacity(actions[i]!, layout);
          if (scenario.constraints.length > 0) {
            const c = constraintCosts(scenario.constraints, layout, result.obs[i]!.data);
            for (let j = 0; j < c.length; j++) st.costs[j] = st.costs[j]! + c[j]!;
          }
          const qos = stepQos(result.info[i]!.qos, result.obs[i]!.data, layout.cells, layout.slices.length);
          for (const r of qos) {
            if (Number.isNaN(r)) continue;
            st.qosCount += 1;
            if (r >= 1) st.qosMet += 1;
          }
          const m = await agent.observe({
            obs: obs[i]!,
            action: actions[i]!,
            reward: result.reward[i]!,
            nextObs: result.obs[i]!,
            terminated: result.terminated[i]!,
            truncated: result.truncated[i]!,
            info: result.info[i]!,
            step,
          });
          if (m) lastMetrics = m;
          st.ret += result.reward[i]!;
          st.steps += 1;
          stepsThisProcess += 1;
          if (result.terminated[i] || result.truncated[i]) st.done = true;
        }
        obs = result.obs;
        step += 1;
        if (step % 8 === 0) {
          const elapsed = (Date.now() - started) / 1000;
          const st = stats[0]!;
          bar.update(
            first,
            `ep ${first + 1}/${config.episodes} ${(stepsThisProcess / Math.max(elapsed, 1e-3)).toFixed(0)} steps/s reward ${(st.ret / Math.max(1, st.steps)).toFixed(3)} qos ${(st.qosMet / Math.max(1, st.qosCount)).toFixed(3)}`,
          );
        }
      }
      for (let i = 0; i < count; i++) {
        const st = stats[i]!;
        const episode = first + i;
        trainer.totalSteps += st.steps;
        const constraintRates = Array.from(st.costs, (v) => v / Math.max(1, st.steps));
        const endMetrics = agent.endEpisode?.({ episode, steps: st.steps, return: st.ret, constraintRates }) ?? {};
        const rates: Record<string, number> = {};
        scenario.constraints.forEach((c, j) => (rates[`constraintRate.${c.slice}.${c.kind}`] = constraintRates[j]!));
        lastTrain = {
          type: 'train',
          episode: episode + 1,
          steps: st.steps,
          totalSteps: trainer.totalSteps,
          return: st.ret,
          meanReward: st.ret / Math.max(1, st.steps),
          qosSatisfaction: st.qosMet / Math.max(1, st.qosCount),
          capacityViolation: st.capacity / Math.max(1, st.steps),
          ...clean(rates),
          ...clean(lastMetrics ?? undefined),
          ...clean(endMetrics),
        };
        appendFileSync(metricsPath, `${JSON.stringify(lastTrain)}\n`);
        options.onEpisode?.(lastTrain);
      }
      const before = trainer.episode;
      trainer.episode = first + count;
      episodesThisProcess += count;
      const last = trainer.episode === config.episodes;
      const crossed = (every: number): boolean => Math.floor(trainer.episode / every) > Math.floor(before / every);
      if (config.evalEvery > 0 && (crossed(config.evalEvery) || last)) {
        const result = await evaluatePolicy(scenario, agent.evaluationPolicy(), {
          episodes: config.evalEpisodes,
          seed: evaluationSeed(config.seed),
          ...(stepper.env ? { env: stepper.env } : {}),
        });
        trainer.lastEval = evalLine(trainer.episode, result);
        appendFileSync(metricsPath, `${JSON.stringify(trainer.lastEval)}\n`);
        options.onEpisode?.(trainer.lastEval);
      }
      const st = stats[count - 1]!;
      bar.update(trainer.episode, `ep ${trainer.episode}/${config.episodes} return ${st.ret.toFixed(2)} qos ${(st.qosMet / Math.max(1, st.qosCount)).toFixed(3)}`);
      if (crossed(config.checkpointEvery) || last) {
        trainer.metricsBytes = statSync(metricsPath).size;
        const state = await agent.getState();
        const arrays: Record<string, (typeof state.arrays)[string]> = {};
        for (const [k, v] of Object.entries(state.arrays)) arrays[`agent/${k}`] = v;
        writeCheckpoint(runDir, {
          meta: { agentId: agent.id, layout, scenario: agentScenario(scenario), trainer, agent: state.meta },
          arrays,
        });
      }
    }
    bar.done();
  } catch (err) {
    agent.dispose();
    throw err;
  } finally {
    if (ownEnv) await env.close();
  }
  const trainSeconds = (Date.now() - started) / 1000;
  const settings = agent.settings();
  const summary: TrainSummary = {
    runId: config.runId,
    runDir,
    agent: agent.id,
    scenario: scenario.name,
    seed: config.seed,
    episodes: config.episodes,
    completedEpisodes: trainer.episode,
    finished: trainer.episode >= config.episodes,
    totalSteps: trainer.totalSteps,
    updates: typeof lastTrain?.updates === 'number' ? lastTrain.updates : 0,
    trainSeconds,
    stepsPerSecond: stepsThisProcess / Math.max(trainSeconds, 1e-9),
    backend: config.backend.name,
    replayBytesPerTransition: typeof settings.replayBytesPerTransition === 'number' ? settings.replayBytesPerTransition : null,
    lastTrain,
    lastEval: trainer.lastEval,
    resumedFrom,
  };
  if (summary.finished) writeJsonAtomic(join(runDir, SUMMARY_FILE), summary);
  agent.dispose();
  return summary;
}

/** Held-out evaluation seeds of a run (disjoint in practice from the training episodes' seeds). */
export function evaluationSeed(seed: number): number {
  return 1_000_000 + (deriveSeed(seed, 'eval') % 1_000_000_000);
}

function excessCapacity(action: Float32Array, layout: SlicingLayout): number {
  const S = layout.slices.length;
  let total = 0;
  for (let c = 0; c < layout.cells; c++) {
    let sum = 0;
    for (let s = 0; s < S; s++) {
      const v = action[c * S + s]!;
      if (!Number.isFinite(v) || v < 0) throw new Ns3tsError(`agent produced an invalid share ${v} at cell ${c}, slice ${s}`);
      sum += v;
    }
    total += Math.max(0, sum - 1);
  }
  return total / layout.cells;
}

type Obs = NdArray<Float32Array>;

/** Env and VectorEnv behind one interface: n sub-envs reset with a seed each and stepped together. */
interface Lockstep {
  n: number;
  /** The plain Env (evaluation reuses it), or null for a vector env. */
  env: SlicingEnv | null;
  reset(seeds: number[]): Promise<Obs[]>;
  step(actions: Float32Array[]): Promise<{ obs: Obs[]; reward: number[]; terminated: boolean[]; truncated: boolean[]; info: Info[] }>;
}

function lockstep(env: SlicingEnv | VectorEnv<Obs, Obs>, layout: SlicingLayout): Lockstep {
  const shape = [layout.cells, layout.slices.length];
  if ('numEnvs' in env) {
    return {
      n: env.numEnvs,
      env: null,
      reset: async (seeds) => (await env.reset({ seed: seeds })).obs,
      step: async (actions) => {
        const r = await env.step(actions.map((data) => ({ data, shape })));
        return { obs: r.obs, reward: Array.from(r.reward), terminated: r.terminated, truncated: r.truncated, info: r.info };
      },
    };
  }
  return {
    n: 1,
    env,
    reset: async (seeds) => [(await env.reset({ seed: seeds[0]! })).obs],
    step: async (actions) => {
      const r = await env.step({ data: actions[0]!, shape });
      return { obs: [r.obs], reward: [r.reward], terminated: [r.terminated], truncated: [r.truncated], info: [r.info] };
    },
  };
}

/** Equal shares over the active slices (the action of a sub-env whose episode already ended). */
function uniformShares(obs: Obs, layout: SlicingLayout): Float32Array {
  const S = layout.slices.length;
  const out = new Float32Array(layout.cells * S);
  for (let c = 0; c < layout.cells; c++) {
    let k = 0;
    for (let s = 0; s < S; s++) if (obs.data[(c * S + s) * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5) k++;
    for (let s = 0; s < S; s++) if (obs.data[(c * S + s) * FEATURES_PER_SLICE + FEATURE.active]! >= 0.5) out[c * S + s] = 0.999 / k;
  }
  return out;
}

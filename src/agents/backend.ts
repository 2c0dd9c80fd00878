/**
 * Training backend selection. The MLP agents train on the training engine (src/native's
 * MlpTrainer) by default: on the native addon when it is built, else on its TypeScript fallback
 * (the same computation). TensorFlow.js stays selectable (`--backend tfjs`, or one of its backends
 * by name) as the reference implementation: `@tensorflow/tfjs-node` (libtensorflow) is its fastest
 * backend but an optional peer dependency that often cannot install (it downloads libtensorflow at
 * install time); WebAssembly is its portable fast path; the plain JavaScript CPU backend always works.
 */
import * as tf from './tf.js';
import { nativeStatus } from '../native/index.js';
import { InputError } from '../util/index.js';

/**
 * auto: the engine, native when the addon loads, else its TS fallback; native: the engine on the
 * addon (an error without it); ts: the engine's TS fallback; tfjs: TensorFlow.js on its fastest
 * backend that loads (tfjs-node, wasm, cpu); tfjs-node, wasm, cpu: that TensorFlow.js backend.
 */
export type BackendChoice = 'auto' | 'native' | 'ts' | 'tfjs' | 'tfjs-node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'ts', 'tfjs', 'tfjs-node', 'wasm', 'cpu'];

/** What trains the agents' networks: the training engine (addon or TS fallback) or TensorFlow.js. */
export type TrainingEngine = 'native' | 'ts' | 'tfjs';

/** What was selected, for logs, run configs, `doctor` and benchmarks. */
export interface BackendInfo {
  /** What trains: 'native' or 'ts' (the training engine), or the TensorFlow.js backend name 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  name: string;
  /** The engine the agents train on. */
  engine: TrainingEngine;
  /** The choice that was asked for. */
  requested: BackendChoice;
  /** Why a faster backend was not used (empty when the first choice loaded). */
  fallbacks: string[];
  /** TensorFlow.js version. */
  tfjsVersion: string;
}

let current: BackendInfo | null = null;

const TFJS_NODE = '@tensorflow/tfjs-node';

/** The backends `auto` tries, fastest first, with the package each comes from. */
export const BACKEND_PACKAGES: ReadonlyArray<{ choice: 'tfjs-node' | 'wasm' | 'cpu'; name: string; package: string }> = [
  { choice: 'tfjs-node', name: 'tensorflow', package: TFJS_NODE },
  { choice: 'wasm', name: 'wasm', package: '@tensorflow/tfjs-backend-wasm' },
  { choice: 'cpu', name: 'cpu', package: '@tensorflow/tfjs-backend-cpu' },
];

/** One line saying which backend is in use (the calm line a run prints; the reasons are for debug logs). */
export function describeBackend(info: BackendInfo): string {
  return `backend ${info.name}${info.requested === 'auto' ? '' : ` (--backend ${info.requested})`}`;
}

export function parseBackendChoice(value: string, field = '--backend'): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new InputError(field, value, `one of ${BACKEND_CHOICES.join(', ')}`);
}

/** The first sentence of an error, for a one-line notice. */
function shortReason(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  const sentence = text.split(/(?<=\.)\s/)[0]!;
  return sentence.length > 120 ? `${sentence.slice(0, 117)}...` : sentence;
}

async function tryNode(): Promise<string | null> {
  try {
    // A variable module name keeps bundlers and the type checker from requiring the package.
    const name = TFJS_NODE;
    await import(name);
    if (!(await tf.setBackend('tensorflow'))) return 'tfjs-node: the tensorflow backend did not initialize';
    return null;
  } catch (err) {
    // Not installed is the usual case (an optional peer dependency), not a failure worth a stack.
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(TFJS_NODE)) {
      return 'tfjs-node: not installed (an optional peer dependency; see docs/backends.md)';
    }
    return `tfjs-node: ${shortReason(err)}`;
  }
}

async function tryWasm(): Promise<string | null> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return 'wasm: the backend did not initialize';
    await tf.ready();
    return null;
  } catch (err) {
    return `wasm: ${shortReason(err)}`;
  }
}

/** The engine `auto` and `native`/`ts` select (no TensorFlow.js backend is initialized for them). */
function selectEngine(choice: 'auto' | 'native' | 'ts'): BackendInfo {
  const status = nativeStatus();
  if (choice === 'native' && !status.active) throw new InputError('--backend', choice, `a backend that loads here (native: ${status.reason})`);
  const name = choice === 'ts' || !status.active ? 'ts' : 'native';
  const fallbacks = choice === 'auto' && name === 'ts' ? [`native: ${status.reason}`] : [];
  return { name, engine: name, requested: choice, fallbacks, tfjsVersion: tf.version.tfjs };
}

/**
 * Selects the training backend. `auto` (the default) is the training engine, on the native addon
 * when it loads, else its TypeScript fallback. `tfjs` initializes TensorFlow.js, trying tfjs-node,
 * then wasm, then cpu; an explicit choice that fails to load is an error (so a benchmark never
 * silently measures the wrong backend). Idempotent for the same choice; switching choices switches
 * the global backend. Agents created afterwards train on it (AgentCreateOptions.engine overrides).
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (choice === 'auto' || choice === 'native' || choice === 'ts') {
    current = selectEngine(choice);
    return current;
  }
  if (current && current.requested === choice && current.engine === 'tfjs' && tf.getBackend() === current.name) return current;
  // Production mode skips per-op debug checks and silences the "install tfjs-node" banner, which
  // would otherwise land in logs.
  tf.enableProdMode();
  const fallbacks: string[] = [];
  const order: Array<'tfjs-node' | 'wasm' | 'cpu'> = choice === 'tfjs' ? ['tfjs-node', 'wasm', 'cpu'] : [choice];
  for (const candidate of order) {
    let failure: string | null;
    if (candidate === 'tfjs-node') failure = await tryNode();
    else if (candidate === 'wasm') failure = await tryWasm();
    else failure = (await tf.setBackend('cpu')) ? null : 'cpu: the backend did not initialize';
    if (failure === null) {
      await tf.ready();
      current = { name: tf.getBackend(), engine: 'tfjs', requested: choice, fallbacks, tfjsVersion: tf.version.tfjs };
      return current;
    }
    fallbacks.push(failure);
  }
  throw new InputError('--backend', choice, `a backend that loads here (${fallbacks.join('; ')})`);
}

/** The backend selected last (null before the first selectBackend call). */
export function currentBackend(): BackendInfo | null {
  return current;
}

/**
 * The engine an agent trains on: `requested` when given, else the selected backend's, else the
 * default (native when the addon is active, else the TS fallback).
 */
export function trainingEngine(requested?: TrainingEngine): TrainingEngine {
  if (requested !== undefined) return requested;
  if (current) return current.engine;
  return nativeStatus().active ? 'native' : 'ts';
}

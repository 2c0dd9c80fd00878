/**
 * Loads the N-API addon built by `npm run build:native` (cmake-js, native/) once per process.
 * NS3TS_NATIVE=off forces the TypeScript fallback (CI runs the suite that way too).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../util/index.js';
import type { TrainerBuffers, TrainerCore, TrainerLayerShape } from './trainer-fallback.js';

/** A dense layer as the addon takes it (weights row-major [inSize, outSize]). */
export interface NativeLayer {
  inSize: number;
  outSize: number;
  weights: Float32Array;
  bias: Float32Array;
  activation: string;
}

/**
 * A compiled MLP living in native memory (weights are copied in at construction). Both methods
 * return -1, or the index of the first non-finite input element (the outputs are then undefined).
 */
export interface NativeMlp {
  forward(input: Float32Array, batch: number, out: Float32Array, threads: number): number;
  forwardWithInputGradient(
    input: Float32Array,
    batch: number,
    output: Float32Array,
    gradient: Float32Array,
    inputIndex: number,
    outputIndex: number,
    threads: number,
  ): number;
  /** Loads new weights in place (no allocation); the layer sizes and activations must be the network's. */
  setWeights(layers: NativeLayer[]): void;
  /** The first layer's output width (the row length of offsets). */
  readonly firstLayerSize: number;
  /** offsets [pairs, firstLayerSize]; returns -1 or the first non-finite templates index read. */
  firstLayerOffsets(templates: Float32Array, pairs: number, inputIndex: number, offsets: Float32Array, threads: number): number;
  /**
   * Returns -1, or the first row r with pairOf[r] outside [0, pairs) or a non-finite x[r] (checked
   * before any offsets row is read), else the first row whose first-layer pre-activation is not
   * finite (a non-finite offsets row).
   */
  forwardWithInputGradientFromOffsets(
    offsets: Float32Array,
    pairs: number,
    pairOf: Int32Array,
    x: Float32Array,
    batch: number,
    output: Float32Array,
    gradient: Float32Array,
    inputIndex: number,
    outputIndex: number,
    threads: number,
  ): number;
}

/** An int8 layer as the addon takes it (native/src/qmlp.h; see quantized.ts for the scheme). */
export interface NativeQuantizedLayer {
  inSize: number;
  outSize: number;
  weights: Int8Array;
  weightScales: Float32Array;
  bias: Float32Array;
  activation: string;
  inputScales: Float32Array;
}

/** A quantized MLP in native memory; forward returns -1 or the first non-finite input index. */
export interface NativeQuantizedMlp {
  forward(input: Float32Array, batch: number, out: Float32Array, threads: number): number;
  /** The int8 kernel this instance runs. */
  readonly kernel: string;
}

/** One job of trainJobs: a forward, and with a target the loss, gradients, clipping and an Adam step. */
export interface NativeTrainerJob {
  trainer: TrainerCore;
  input: Float32Array;
  batch: number;
  target?: Float32Array;
  /** 0 = MSE, 1 = Huber. */
  loss?: number;
  huberDelta?: number;
  /** > 0: clip the gradient's global norm to it before the step. */
  clipNorm?: number;
  /** [learningRate, beta1, beta2, epsilon, weightDecay, decoupled (0/1)]; required with a target. */
  adam?: Float64Array;
}

/** The addon's exports (native/src/addon.cc). */
export interface NativeAddon {
  version: string;
  /** Which matmul kernel the CPU dispatch picked, e.g. "avx2+fma" or "baseline". */
  kernel(): string;
  hardwareThreads: number;
  Mlp: new (layers: NativeLayer[]) => NativeMlp;
  /** The training engine (native/src/trainer.cc) on caller-owned buffers. */
  MlpTrainer: new (layers: TrainerLayerShape[], maxBatch: number, buffers: TrainerBuffers) => TrainerCore;
  /**
   * Independent jobs on distinct trainers side by side, each on one thread (native/src/trainer.h,
   * runTrainerJobs); returns their losses. Absent from addons built before it.
   */
  trainJobs?(jobs: NativeTrainerJob[], threads: number): Float64Array;
  /** Which library computes the trainer's matrix products: "onednn 2.6.3", "openblas" or "built-in". */
  gemmBackend: string;
  /**
   * From which batch (rows, 0 = never) and widest layer (width) the Mlp methods take their matrix
   * products from gemmBackend (when that is a library) instead of the blocked kernels; sets them
   * first when given.
   */
  mlpLibraryThreshold(rows?: number, width?: number): { rows: number; width: number };
  /** Int8 inference (absent from addons built before it): see quantized.ts. */
  QuantizedMlp?: new (layers: NativeQuantizedLayer[], kernel?: string) => NativeQuantizedMlp;
  /** Which int8 kernel the CPU dispatch picked: "avx512-vnni", "avx2" or "portable". */
  int8Kernel?(): string;
}

/** Where cmake-js puts the addon (scripts/build-native.mjs builds into build/native). */
export const addonCandidates: readonly string[] = [
  join(packageRoot, 'build', 'native', 'Release', 'ns3ts_native.node'),
  join(packageRoot, 'build', 'native', 'ns3ts_native.node'),
  join(packageRoot, 'build', 'Release', 'ns3ts_native.node'),
];

interface LoadResult {
  addon: NativeAddon | undefined;
  reason: string;
  path?: string;
}

let loaded: LoadResult | undefined;

function load(): LoadResult {
  const setting = (process.env.NS3TS_NATIVE ?? '').trim().toLowerCase();
  if (setting === 'off' || setting === '0' || setting === 'false') {
    return { addon: undefined, reason: 'native addon disabled by NS3TS_NATIVE=off: using the TypeScript implementation' };
  }
  // NS3TS_NATIVE_ADDON names another build of the addon (e.g. the AddressSanitizer one of
  // scripts/build-native.mjs --sanitize) instead of the default places.
  const override = (process.env.NS3TS_NATIVE_ADDON ?? '').trim();
  if (override !== '' && !existsSync(override)) {
    return { addon: undefined, reason: `NS3TS_NATIVE_ADDON: got ${override}, expected the path of a built ns3ts_native.node` };
  }
  const path = override !== '' ? override : addonCandidates.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    return {
      addon: undefined,
      reason:
        'native addon not built (no build/native/Release/ns3ts_native.node): using the TypeScript implementation; ' +
        'install cmake and g++, then run `npm run build:native`',
    };
  }
  // oneDNN's OpenMP threads (the training products) sleep between products instead of spinning:
  // spinning threads starve everything else on a shared, loaded machine (measured: 2-thread
  // updates 25x slower under load). libgomp reads this once, when the addon loads it.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const shown = relative(packageRoot, path);
    return {
      addon,
      path,
      reason:
        `native addon ${addon.version} loaded from ${shown} (${addon.kernel()} kernels, ${addon.hardwareThreads} hardware threads, ` +
        `training products: ${addon.gemmBackend ?? 'none (rebuild with `npm run build:native`)'})`,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      addon: undefined,
      reason: `native addon at ${relative(packageRoot, path)} failed to load (${message}): using the TypeScript implementation; rebuild it with \`npm run build:native\``,
    };
  }
}

/** The addon, or undefined when it is disabled, missing or fails to load (see loadState().reason). */
export function loadState(): LoadResult {
  loaded ??= load();
  return loaded;
}

export function nativeAddon(): NativeAddon | undefined {
  return loadState().addon;
}

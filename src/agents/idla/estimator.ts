/**
 * IDLA's QoS estimator f(x, z) -> r in [0, 1]: an MLP with hidden layers (36, 24, 16, 16) and a
 * sigmoid output, trained with Adam on the mean absolute error over a 75/25 split of the collected
 * samples (docs/algorithms.md#qos-estimator). Only the training part is augmented; the test MAE is
 * measured on untouched samples. It trains on the training engine (src/native's MlpTrainer) by
 * default, or on TensorFlow.js (`engine: 'tfjs'`): the same initial weights (TF.js's seeded
 * Glorot initializer) and the same Adam (TF.js's: epsilon 1e-7 added to sqrt(v̂)).
 *
 * The input standardization is folded into the first layer when exporting, so the exported
 * MlpSpec takes the raw 13 inputs and its d/dx is the gradient the search needs.
 */
import * as tf from '../tf.js';
import { readFileSync } from 'node:fs';
import { InputError, ProgressBar, Rng, writeJsonAtomic } from '../../util/index.js';
import { createMlpRunner, createMlpTrainer, mlpInputSize, mlpOutputSize, type Activation, type MlpSpec } from '../../native/index.js';
import { augment } from './augment.js';
import { type FeatureSet, INPUT_X, inputWidth } from './features.js';
import { SampleSet, SAMPLE_WIDTH, type ShareInput, sampleColumns, samplesToInputs } from './samples.js';
import { currentBackend, selectBackend, trainingEngine, type TrainingEngine } from '../backend.js';

export const ESTIMATOR_HIDDEN = [36, 24, 16, 16] as const;

export interface EstimatorOptions {
  /** Training epochs (paper: 200). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Fraction of the samples used for training (paper: 0.75). */
  trainFraction?: number;
  hidden?: readonly number[];
  shareInput?: ShareInput;
  /** The paper's 13 inputs or the extended 15 (features.ts). Default 'paper'. */
  features?: FeatureSet;
  seed?: number;
  /**
   * Fraction of the epochs trained on the squared error before switching to the paper's absolute
   * error. With mostly satisfied slices (labels of 1, more of them after augmentation) the MAE's
   * sign gradient drives a fresh sigmoid output to 1 everywhere, where it saturates and stops
   * learning; a squared-error start fits the conditional mean first and MAE then refines it.
   * Default 0.5; 0 = MAE from the first epoch.
   */
  mseWarmup?: number;
  /** Relabelled copies per training sample (augment.ts; 0 = the paper's two rules only). Default 0. */
  relabel?: number;
  /** Show a progress bar on stderr. */
  progress?: boolean;
  /** What trains the network (default: the selected backend's engine, see trainingEngine). */
  engine?: TrainingEngine;
}

export interface EstimatorReport {
  trainMae: number;
  testMae: number;
  samples: number;
  trainSamples: number;
  testSamples: number;
  augmented: { rule1: number; rule2: number; relabelled?: number };
  epochs: number;
  seconds: number;
  backend: string;
}

/** The trained estimator as saved with a run. */
export interface EstimatorFile {
  kind: 'idla-estimator';
  version: 1;
  shareInput: ShareInput;
  /** Absent in files written before the extended inputs existed: 'paper'. */
  features?: FeatureSet;
  spec: MlpSpecJson;
  report: EstimatorReport;
}

export interface MlpSpecJson {
  layers: Array<{ inSize: number; outSize: number; activation: Activation; weights: number[]; bias: number[] }>;
}

export function mlpSpecToJson(spec: MlpSpec): MlpSpecJson {
  return {
    layers: spec.layers.map((l) => ({
      inSize: l.inSize,
      outSize: l.outSize,
      activation: l.activation,
      weights: Array.from(l.weights),
      bias: Array.from(l.bias),
    })),
  };
}

export function mlpSpecFromJson(json: MlpSpecJson, field = 'spec'): MlpSpec {
  if (!json || !Array.isArray(json.layers) || json.layers.length === 0) throw new InputError(field, json, 'an object with a non-empty layers array');
  return {
    layers: json.layers.map((l, i) => {
      if (!(l.inSize > 0) || !(l.outSize > 0) || l.weights?.length !== l.inSize * l.outSize || l.bias?.length !== l.outSize) {
        throw new InputError(`${field}.layers[${i}]`, { inSize: l.inSize, outSize: l.outSize }, 'weights of inSize*outSize and bias of outSize values');
      }
      if (i > 0 && json.layers[i - 1]!.outSize !== l.inSize) throw new InputError(`${field}.layers[${i}].inSize`, l.inSize, `${json.layers[i - 1]!.outSize}`);
      return {
        inSize: l.inSize,
        outSize: l.outSize,
        activation: l.activation,
        weights: Float32Array.from(l.weights),
        bias: Float32Array.from(l.bias),
      };
    }),
  };
}

export function saveEstimator(path: string, file: EstimatorFile): void {
  writeJsonAtomic(path, file);
}

export function loadEstimator(path: string): EstimatorFile & { mlp: MlpSpec } {
  let file: EstimatorFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as EstimatorFile;
  } catch (err) {
    throw new InputError('IDLA estimator file', path, `a readable JSON file (${(err as Error).message})`);
  }
  if (file.kind !== 'idla-estimator') throw new InputError(`${path} kind`, file.kind, '"idla-estimator"');
  const mlp = mlpSpecFromJson(file.spec, `${path} spec`);
  const width = inputWidth(file.features ?? 'paper');
  if (mlp.layers[0]!.inSize !== width) throw new InputError(`${path} input size`, mlp.layers[0]!.inSize, `${width} (features ${file.features ?? 'paper'})`);
  return { ...file, mlp };
}

/** Splits, augments, trains and exports the estimator. */
export async function fitEstimator(
  samples: SampleSet,
  options: EstimatorOptions = {},
): Promise<{ spec: MlpSpec; report: EstimatorReport; shareInput: ShareInput; features: FeatureSet }> {
  const epochs = options.epochs ?? 200;
  const batchSize = options.batchSize ?? 256;
  const learningRate = options.learningRate ?? 1e-3;
  const trainFraction = options.trainFraction ?? 0.75;
  const hidden = options.hidden ?? ESTIMATOR_HIDDEN;
  const shareInput = options.shareInput ?? 'share';
  const features = options.features ?? 'paper';
  const W = inputWidth(features);
  const seed = options.seed ?? 1;
  const mseEpochs = Math.round(epochs * (options.mseWarmup ?? 0.5));
  if (!(epochs >= 1) || !Number.isInteger(epochs)) throw new InputError('epochs', epochs, 'an integer >= 1');
  if (!(trainFraction > 0 && trainFraction < 1)) throw new InputError('trainFraction', trainFraction, 'a number in (0, 1)');
  if (samples.size < 8) throw new InputError('IDLA samples', samples.size, 'at least 8 samples');
  const started = Date.now();
  const engine = trainingEngine(options.engine);
  // TF.js draws the initial weights on either engine; the TF.js path trains on the selected backend.
  const backend = engine === 'tfjs' ? (currentBackend()?.engine === 'tfjs' ? currentBackend()!.name : (await selectBackend('tfjs')).name) : engine;
  const rng = new Rng(seed);

  // 75/25 split of the original samples.
  const order = permutation(samples.size, rng);
  const trainCount = Math.max(1, Math.min(samples.size - 1, Math.round(samples.size * trainFraction)));
  const trainSet = subset(samples, order.subarray(0, trainCount));
  const testSet = subset(samples, order.subarray(trainCount));
  const trainBase = samplesToInputs(trainSet, shareInput, features);
  const throughput = column(trainSet, sampleColumns.throughput);
  const delay = column(trainSet, sampleColumns.delay);
  const train = augment(trainBase, throughput, delay, rng, options.relabel ?? 0);
  const test = samplesToInputs(testSet, shareInput, features);

  const { mean, std } = standardization(train.inputs, W);
  const model = buildModel(hidden, seed, W);
  const n = train.labels.length;
  const xs = new Float32Array(n * W);
  const ys = new Float32Array(n);
  const bar = new ProgressBar({ total: epochs, label: 'idla estimator', enabled: options.progress ?? false });
  const step = engine === 'tfjs' ? tfjsStep(model, learningRate) : engineStep(model, engine, batchSize, learningRate);
  let trainMae = Number.NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const perm = permutation(n, rng);
    for (let i = 0; i < n; i++) {
      const j = perm[i]!;
      for (let k = 0; k < W; k++) xs[i * W + k] = (train.inputs[j * W + k]! - mean[k]!) / std[k]!;
      ys[i] = train.labels[j]!;
    }
    let lossSum = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      lossSum += (await step.minimize(xs.subarray(start * W, end * W), ys.subarray(start, end), end - start, epoch < mseEpochs)) * (end - start);
    }
    trainMae = lossSum / n;
    bar.update(epoch + 1, `${epoch < mseEpochs ? 'mse' : 'mae'} ${trainMae.toFixed(4)}`);
  }
  bar.done();
  const spec = exportSpec(step.layers(), mean, std);
  step.dispose();
  model.dispose();
  const testMae = maeOf(spec, test.inputs, test.labels);
  const fittedTrainMae = maeOf(spec, train.inputs, train.labels);
  return {
    spec,
    shareInput,
    features,
    report: {
      trainMae: fittedTrainMae,
      testMae,
      samples: samples.size,
      trainSamples: train.labels.length,
      testSamples: test.labels.length,
      augmented: { rule1: train.counts.rule1, rule2: train.counts.rule2, relabelled: train.counts.relabelled },
      epochs,
      seconds: (Date.now() - started) / 1000,
      backend,
    },
  };
}

/** Mean absolute error of an MlpSpec on labelled inputs (plain TS forward, batch by batch). */
export function maeOf(spec: MlpSpec, inputs: Float32Array, labels: Float32Array): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  const out = forwardSpec(spec, inputs, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(out[i]! - labels[i]!);
  return sum / n;
}

/**
 * Forward pass of an MlpSpec (first output only), for evaluation and checks. It runs the native
 * face's pure-TypeScript implementation, so it is independent of the addon it is checked against.
 */
export function forwardSpec(spec: MlpSpec, inputs: Float32Array, batch: number): Float32Array {
  const current = createMlpRunner(spec, { impl: 'ts' }).forward(inputs.subarray(0, batch * mlpInputSize(spec)), batch);
  const width = mlpOutputSize(spec);
  if (width === 1) return current;
  const first = new Float32Array(batch);
  for (let b = 0; b < batch; b++) first[b] = current[b * width]!;
  return first;
}

function buildModel(hidden: readonly number[], seed: number, width: number): tf.Sequential {
  const model = tf.sequential();
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        ...(i === 0 ? { inputShape: [width] } : {}),
      }),
    );
  });
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }) }));
  return model;
}

/** One optimizer step on a batch (mean squared or absolute error) and the trained layers. */
interface EstimatorStep {
  /** One Adam step on rows [batch, W] with labels [batch]; the batch's loss before the step. */
  minimize(xb: Float32Array, yb: Float32Array, batch: number, squared: boolean): Promise<number>;
  /** [kernel, bias] per dense layer (copies). */
  layers(): Array<{ weights: Float32Array; bias: Float32Array }>;
  dispose(): void;
}

function tfjsStep(model: tf.Sequential, learningRate: number): EstimatorStep {
  const optimizer = tf.train.adam(learningRate);
  const W = (model.inputs[0]!.shape[1] as number);
  return {
    async minimize(xb, yb, batch, squared) {
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(xb, [batch, W]);
        const y = tf.tensor2d(yb, [batch, 1]);
        return optimizer.minimize(() => {
          const error = tf.sub(model.apply(x) as tf.Tensor, y);
          return tf.mean(squared ? tf.square(error) : tf.abs(error)) as tf.Scalar;
        }, true) as tf.Scalar;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      return value;
    },
    layers: () => modelLayers(model),
    dispose: () => optimizer.dispose(),
  };
}

function modelLayers(model: tf.Sequential): Array<{ weights: Float32Array; bias: Float32Array }> {
  return model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights();
    return { weights: Float32Array.from(kernel!.dataSync()), bias: Float32Array.from(bias!.dataSync()) };
  });
}

/** TF.js's Adam defaults (tf.train.adam): beta1 0.9, beta2 0.999, epsilon 1e-7 on sqrt(v̂). */
const TFJS_ADAM_EPSILON = 1e-7;

function engineStep(model: tf.Sequential, engine: 'native' | 'ts', batchSize: number, learningRate: number): EstimatorStep {
  const initial = modelLayers(model);
  const spec: MlpSpec = {
    layers: initial.map((l, i) => ({
      inSize: l.weights.length / l.bias.length,
      outSize: l.bias.length,
      weights: l.weights,
      bias: l.bias,
      activation: i === initial.length - 1 ? 'sigmoid' : 'relu',
    })),
  };
  const trainer = createMlpTrainer(spec, { impl: engine, maxBatch: batchSize, adam: { learningRate, epsilon: TFJS_ADAM_EPSILON } });
  return {
    async minimize(xb, yb, batch, squared) {
      const out = trainer.forward(xb, batch);
      let loss: number;
      if (squared) {
        loss = trainer.loss('mse', yb);
      } else {
        // Mean absolute error: d/dout = sign(out - y) / batch (0 where they are equal, as tf.abs's gradient).
        loss = 0;
        const grad = trainer.outputGradient;
        for (let i = 0; i < batch; i++) {
          const d = out[i]! - yb[i]!;
          loss += Math.abs(d) / batch;
          grad[i] = Math.sign(d) / batch;
        }
      }
      trainer.backward(trainer.outputGradient.subarray(0, batch));
      trainer.adamStep();
      return loss;
    },
    layers: () => trainer.toSpec().layers.map((l) => ({ weights: l.weights, bias: l.bias })),
    dispose: () => undefined,
  };
}

/** Dense layers' weights as an MlpSpec, with the standardization folded into the first layer. */
function exportSpec(trained: Array<{ weights: Float32Array; bias: Float32Array }>, mean: Float64Array, std: Float64Array): MlpSpec {
  const layers = trained.map(({ weights: kernel, bias }, index) => {
    const outSize = bias.length;
    const inSize = kernel.length / outSize;
    const weights = Float32Array.from(kernel);
    const b = Float32Array.from(bias);
    const activation = (index === trained.length - 1 ? 'sigmoid' : 'relu') as Activation;
    if (index === 0) {
      // (raw - mean) / std times W + b  ==  raw (W / std) + (b - sum_i mean_i / std_i W_i)
      for (let j = 0; j < outSize; j++) {
        let shift = 0;
        for (let i = 0; i < inSize; i++) {
          const w = weights[i * outSize + j]! / std[i]!;
          weights[i * outSize + j] = w;
          shift += mean[i]! * w;
        }
        b[j] = b[j]! - shift;
      }
    }
    return { inSize, outSize, weights, bias: b, activation };
  });
  return { layers };
}

function standardization(inputs: Float32Array, width: number): { mean: Float64Array; std: Float64Array } {
  const n = inputs.length / width;
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let k = 0; k < width; k++) mean[k]! += inputs[i * width + k]! / n;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) {
      const d = inputs[i * width + k]! - mean[k]!;
      std[k]! += (d * d) / n;
    }
  }
  for (let k = 0; k < width; k++) std[k] = Math.sqrt(std[k]!) > 1e-6 ? Math.sqrt(std[k]!) : 1;
  // x is already in [0, 1]: leave it as is so the first layer's x column keeps its scale.
  mean[INPUT_X] = 0;
  std[INPUT_X] = 1;
  return { mean, std };
}

function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function subset(samples: SampleSet, indices: Uint32Array): SampleSet {
  const out = new SampleSet(indices.length);
  const data = samples.data;
  for (const i of indices) out.add(data.subarray(i * SAMPLE_WIDTH, (i + 1) * SAMPLE_WIDTH));
  return out;
}

function column(samples: SampleSet, col: number): Float32Array {
  const out = new Float32Array(samples.size);
  const data = samples.data;
  for (let i = 0; i < samples.size; i++) out[i] = data[i * SAMPLE_WIDTH + col]!;
  return out;
}

// The demand predictor: a bidirectional GRU over a window of past demand (one VNF at a time),
// then a dense layer to the next step's demand. Inputs per window step k: the VNF's demand at k
// and at k + 1 − one day (so the last row holds the seasonal forecast of the target step), both divided by the VNF's own scale (its mean over the site's history, a
// statistic that stays at the site), and the time of day as sin/cos. Output: the change from the
// last observed demand to the next step's, over the same scale (a residual on the last-value
// forecast, so an untrained model starts at the naive forecast). Weights are seeded
// (Glorot-uniform kernels, the recurrent ones too) and training
// shuffles with the project's Rng, so a seed gives the same model.
import * as tf from '../tf.js';
import { Rng } from '../../util/index.js';

/** Hyperparameters of the predictor (docs/vnf-migration.md). */
export interface PredictorSettings {
  /** GRU units per direction. */
  units: number;
  /** Past steps in a window (the scenario's vnf.window). */
  window: number;
  learningRate: number;
  batchSize: number;
  /** Every stride-th target step of the history makes a training window. */
  stride: number;
}

export const PREDICTOR_DEFAULTS: PredictorSettings = {
  // A small recurrent layer: the series have one daily period and bursts; 16 units per direction
  // is about where the bench's MAE stops improving (docs/vnf-migration.md).
  units: 16,
  window: 12,
  // Adam's default 1e-3 (Kingma & Ba 2015) ×3: few epochs per FedAvg round.
  learningRate: 3e-3,
  batchSize: 64,
  // Neighbouring windows share all but one step: every second one halves the cost for little loss.
  stride: 2,
};

/** Features per window step k: scaled demand at k and at k + 1 − one day, sin and cos of the time of day. */
export const PREDICTOR_FEATURES = 4;

/** Windows of one or more series, ready for the model: x [n, window, 3], y [n]. */
export interface WindowSet {
  x: Float32Array;
  y: Float32Array;
  count: number;
  window: number;
}

/**
 * Windows of the columns `vnfs` of `series` (rows = absolute steps): every target step t in
 * [from, to) with a full window before it (every stride-th), scaled by `scale[v]`.
 */
export function windowsOf(series: readonly Float32Array[], vnfs: readonly number[], scale: Float64Array, window: number, stepsPerDay: number, from: number, to: number, stride = 1): WindowSet {
  const start = Math.max(from, window);
  const perVnf = Math.max(0, Math.ceil((to - start) / stride));
  const count = perVnf * vnfs.length;
  const x = new Float32Array(count * window * PREDICTOR_FEATURES);
  const y = new Float32Array(count);
  let i = 0;
  for (const v of vnfs) {
    for (let t = start; t < to; t += stride) {
      fillWindow(x, i, series, v, scale[v]!, window, stepsPerDay, t);
      y[i] = (series[t]![v]! - series[t - 1]![v]!) / scale[v]!;
      i++;
    }
  }
  return { x, y, count, window };
}

/** Writes the window ending before step t of VNF v at row i of x. */
export function fillWindow(x: Float32Array, i: number, series: readonly Float32Array[], v: number, scale: number, window: number, stepsPerDay: number, t: number): void {
  let o = i * window * PREDICTOR_FEATURES;
  for (let k = t - window; k < t; k++) {
    const phase = (2 * Math.PI * (k % stepsPerDay)) / stepsPerDay;
    x[o++] = series[k]![v]! / scale;
    // One day before the step after k: the last window row carries the seasonal forecast of t.
    x[o++] = series[k + 1 >= stepsPerDay ? k + 1 - stepsPerDay : k]![v]! / scale;
    x[o++] = Math.sin(phase);
    x[o++] = Math.cos(phase);
  }
}

/** The Bi-GRU model (compiled with Adam and MSE). */
export function buildPredictor(settings: PredictorSettings, seed: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.bidirectional({
      layer: tf.layers.gru({
        units: settings.units,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        // Keras' orthogonal recurrent default calls chained ops tf.ts does not register: Glorot-uniform.
        recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }) as tf.RNN,
      mergeMode: 'concat',
      inputShape: [settings.window, PREDICTOR_FEATURES],
    }),
  );
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }));
  compilePredictor(model, settings);
  return model;
}

/** (Re)compiles with a fresh Adam optimizer and the MSE loss. */
export function compilePredictor(model: tf.LayersModel, settings: PredictorSettings): void {
  model.compile({ optimizer: tf.train.adam(settings.learningRate), loss: 'meanSquaredError' });
}

/** The model's weights as plain arrays (what leaves a site in federated training). */
export function getWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array).map((d) => Float32Array.from(d));
}

export function setWeights(model: tf.LayersModel, weights: readonly Float32Array[]): void {
  const current = model.getWeights();
  const tensors = weights.map((w, i) => tf.tensor(w, current[i]!.shape));
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}

/** `epochs` passes over a window set in minibatches, shuffled with the seeded Rng; returns the last epoch's mean loss. */
export async function fitWindows(model: tf.LayersModel, data: WindowSet, epochs: number, batchSize: number, rng: Rng): Promise<number> {
  const per = data.window * PREDICTOR_FEATURES;
  let last = 0;
  for (let e = 0; e < epochs; e++) {
    const order = Array.from({ length: data.count }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let sum = 0;
    let batches = 0;
    for (let b = 0; b < order.length; b += batchSize) {
      const rows = order.slice(b, b + batchSize);
      const xb = new Float32Array(rows.length * per);
      const yb = new Float32Array(rows.length);
      rows.forEach((r, k) => {
        xb.set(data.x.subarray(r * per, (r + 1) * per), k * per);
        yb[k] = data.y[r]!;
      });
      const xs = tf.tensor3d(xb, [rows.length, data.window, PREDICTOR_FEATURES]);
      const ys = tf.tensor2d(yb, [rows.length, 1]);
      const loss = await model.trainOnBatch(xs, ys);
      xs.dispose();
      ys.dispose();
      sum += Array.isArray(loss) ? loss[0]! : loss;
      batches++;
    }
    last = batches > 0 ? sum / batches : 0;
  }
  return last;
}

/** Predictions (scaled changes from the last observed value) for a window set. */
export function predictWindows(model: tf.LayersModel, x: Float32Array, count: number, window: number): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor3d(x, [count, window, PREDICTOR_FEATURES])) as tf.Tensor;
    return Float32Array.from(out.dataSync());
  });
}

// Federated training of the Bi-GRU demand predictor (FedAvg, McMahan et al., AISTATS 2017): one
// client per site holds its own VNFs' demand history; each round the server picks a fraction C of
// the clients, each trains the global weights for E local epochs on its own windows, and the
// server averages the returned weights weighted by the clients' sample counts. Only weights cross
// the site boundary: a client's windows and scales never leave trainClient. The centralised
// comparison trains the same model on every site's windows pooled.
import type { VnfScenario } from '../../families/index.js';
import { historySteps, syntheticDemand, demandSeries, vnfPopulation, type DemandForecaster } from '../../families/index.js';
import { InputError, Rng, deriveSeed } from '../../util/index.js';
import type * as tf from '../tf.js';
import { PREDICTOR_DEFAULTS, PREDICTOR_FEATURES, buildPredictor, compilePredictor, fillWindow, fitWindows, getWeights, predictWindows, setWeights, windowsOf, type PredictorSettings, type WindowSet } from './model.js';

/** FedAvg settings (docs/vnf-migration.md). */
export interface FederatedSettings {
  rounds: number;
  /** Fraction C of the clients that train in a round (at least one). */
  clientFraction: number;
  /** Local epochs E per round. */
  localEpochs: number;
}

export const FEDERATED_DEFAULTS: FederatedSettings = {
  // McMahan et al. 2017 study C in 0..1 and E in 1..20; with a handful of sites every site takes
  // part (C = 1) and E = 1, which keeps FedAvg within a few percent of pooled training on these
  // non-IID sites in 6 rounds (docs/vnf-migration.md has the measurement); both are settings.
  rounds: 6,
  clientFraction: 1,
  localEpochs: 1,
};

/** The weighted mean of client weights: Σ n_k w_k / Σ n_k, tensor by tensor. */
export function fedAvg(clientWeights: ReadonlyArray<readonly Float32Array[]>, counts: readonly number[]): Float32Array[] {
  if (clientWeights.length === 0 || clientWeights.length !== counts.length) throw new InputError('fedAvg clients', clientWeights.length, `one weight list per count (${counts.length})`);
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new InputError('fedAvg counts', counts, 'sample counts with a positive sum');
  return clientWeights[0]!.map((first, i) => {
    const out = new Float32Array(first.length);
    clientWeights.forEach((weights, k) => {
      const w = weights[i]!;
      const share = counts[k]! / total;
      for (let j = 0; j < out.length; j++) out[j]! += share * w[j]!;
    });
    return out;
  });
}

/** One site's data, as only its client sees it. */
interface SiteData {
  site: number;
  windows: WindowSet;
}

/** Per-VNF scale: mean demand over the history (at least a small floor, so a silent VNF does not divide by 0). */
export function vnfScales(series: readonly Float32Array[], steps: number, vnfs: number): Float64Array {
  const scale = new Float64Array(vnfs);
  for (let t = 0; t < steps; t++) for (let v = 0; v < vnfs; v++) scale[v]! += series[t]![v]!;
  for (let v = 0; v < vnfs; v++) scale[v] = Math.max(1e-3, scale[v]! / Math.max(1, steps));
  return scale;
}

/** The training history of the twin: the scenario seed's own demand draw over historyDays (or the trace's first days). */
export function trainingHistory(scenario: VnfScenario): Float32Array[] {
  const s = scenario.vnf;
  const population = vnfPopulation(s, scenario.seed);
  const steps = historySteps(s);
  return s.trace === null ? syntheticDemand(s, population, deriveSeed(scenario.seed, 'twin-history'), steps) : demandSeries(s, population, scenario.seed, steps);
}

/** A trained predictor: the model, its per-VNF scales and how it was trained. */
export class BiGruPredictor implements DemandForecaster {
  constructor(
    readonly id: string,
    readonly model: tf.LayersModel,
    readonly scale: Float64Array,
    readonly settings: PredictorSettings,
    readonly stepsPerDay: number,
    /** Training loss of the last round or epoch. */
    readonly loss: number,
  ) {}

  forecast(history: readonly Float32Array[], t: number): Float32Array {
    const V = this.scale.length;
    const w = this.settings.window;
    if (t < w) return Float32Array.from(history[t - 1]!);
    const x = new Float32Array(V * w * PREDICTOR_FEATURES);
    for (let v = 0; v < V; v++) fillWindow(x, v, history, v, this.scale[v]!, w, this.stepsPerDay, t);
    const out = predictWindows(this.model, x, V, w);
    const last = history[t - 1]!;
    for (let v = 0; v < V; v++) out[v] = Math.max(0, last[v]! + out[v]! * this.scale[v]!);
    return out;
  }

  forecastRange(series: readonly Float32Array[], from: number, to: number): Float32Array[] {
    const V = this.scale.length;
    const w = this.settings.window;
    const rows: Float32Array[] = [];
    if (from < w) {
      for (let t = from; t < to; t++) rows.push(this.forecast(series.slice(0, t), t));
      return rows;
    }
    const steps = to - from;
    const x = new Float32Array(steps * V * w * PREDICTOR_FEATURES);
    for (let i = 0; i < steps; i++) for (let v = 0; v < V; v++) fillWindow(x, i * V + v, series, v, this.scale[v]!, w, this.stepsPerDay, from + i);
    const out = predictWindows(this.model, x, steps * V, w);
    for (let i = 0; i < steps; i++) {
      const last = series[from + i - 1]!;
      const row = new Float32Array(V);
      for (let v = 0; v < V; v++) row[v] = Math.max(0, last[v]! + out[i * V + v]! * this.scale[v]!);
      rows.push(row);
    }
    return rows;
  }

  dispose(): void {
    this.model.dispose();
  }
}

function siteData(scenario: VnfScenario, history: readonly Float32Array[], scale: Float64Array, settings: PredictorSettings): SiteData[] {
  const s = scenario.vnf;
  const population = vnfPopulation(s, scenario.seed);
  const steps = history.length;
  const sites: SiteData[] = [];
  for (let site = 0; site < s.tiers.edge.count; site++) {
    const vnfs: number[] = [];
    for (let v = 0; v < s.vnfs; v++) if (population.site[v] === site) vnfs.push(v);
    if (vnfs.length > 0) sites.push({ site, windows: windowsOf(history, vnfs, scale, settings.window, s.stepsPerDay, 0, steps, settings.stride) });
  }
  return sites;
}

export interface PredictorTrainOptions {
  seed: number;
  settings?: Partial<PredictorSettings>;
  federated?: Partial<FederatedSettings>;
  /** Called after each round (federated) or epoch (centralised) with its mean training loss. */
  onProgress?: (step: number, loss: number) => void;
}

function resolveSettings(scenario: VnfScenario, options: PredictorTrainOptions): PredictorSettings {
  return { ...PREDICTOR_DEFAULTS, window: scenario.vnf.window, ...options.settings };
}

/** FedAvg over the sites (see the header); the result forecasts every VNF of the scenario. */
export async function trainFederatedPredictor(scenario: VnfScenario, options: PredictorTrainOptions): Promise<BiGruPredictor> {
  const settings = resolveSettings(scenario, options);
  const fed = { ...FEDERATED_DEFAULTS, ...options.federated };
  const history = trainingHistory(scenario);
  // Each site computes its own VNFs' scales; the vector is only assembled for the forecaster,
  // which in deployment runs per site with its own entries.
  const scale = vnfScales(history, history.length, scenario.vnf.vnfs);
  const sites = siteData(scenario, history, scale, settings);
  const rng = new Rng(deriveSeed(options.seed, 'fedavg'));
  const model = buildPredictor(settings, deriveSeed(options.seed, 'predictor-init') % 2 ** 30);
  let global = getWeights(model);
  let loss = 0;
  for (let round = 0; round < fed.rounds; round++) {
    const m = Math.max(1, Math.round(fed.clientFraction * sites.length));
    const order = sites.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const chosen = order.slice(0, m).sort((a, b) => a - b);
    const returned: Float32Array[][] = [];
    const counts: number[] = [];
    let roundLoss = 0;
    for (const c of chosen) {
      // A client starts from the global weights with a fresh optimizer (no Adam moments of another site).
      setWeights(model, global);
      compilePredictor(model, settings);
      roundLoss += await fitWindows(model, sites[c]!.windows, fed.localEpochs, settings.batchSize, rng);
      returned.push(getWeights(model));
      counts.push(sites[c]!.windows.count);
    }
    global = fedAvg(returned, counts);
    loss = roundLoss / chosen.length;
    options.onProgress?.(round + 1, loss);
  }
  setWeights(model, global);
  return new BiGruPredictor('bigru-federated', model, scale, settings, scenario.vnf.stepsPerDay, loss);
}

/**
 * The same model trained on every site's windows pooled, for the same expected passes over each
 * window as FedAvg gives it (rounds × C × E epochs, at least one).
 */
export async function trainCentralisedPredictor(scenario: VnfScenario, options: PredictorTrainOptions): Promise<BiGruPredictor> {
  const settings = resolveSettings(scenario, options);
  const fed = { ...FEDERATED_DEFAULTS, ...options.federated };
  const history = trainingHistory(scenario);
  const scale = vnfScales(history, history.length, scenario.vnf.vnfs);
  const all = Array.from({ length: scenario.vnf.vnfs }, (_, v) => v);
  const windows = windowsOf(history, all, scale, settings.window, scenario.vnf.stepsPerDay, 0, history.length, settings.stride);
  const rng = new Rng(deriveSeed(options.seed, 'centralised'));
  const model = buildPredictor(settings, deriveSeed(options.seed, 'predictor-init') % 2 ** 30);
  const epochs = Math.max(1, Math.round(fed.rounds * fed.clientFraction * fed.localEpochs));
  let loss = 0;
  for (let e = 0; e < epochs; e++) {
    loss = await fitWindows(model, windows, 1, settings.batchSize, rng);
    options.onProgress?.(e + 1, loss);
  }
  return new BiGruPredictor('bigru-centralised', model, scale, settings, scenario.vnf.stepsPerDay, loss);
}

/** MAE and RMSE (CPU units) of a forecaster over the steps [from, to) of a series, every VNF. */
export function forecastError(forecaster: DemandForecaster, series: readonly Float32Array[], from: number, to: number): { mae: number; rmse: number } {
  let abs = 0;
  let sq = 0;
  let n = 0;
  const batch = forecaster.forecastRange?.(series, from, to);
  for (let t = from; t < to; t++) {
    const f = batch ? batch[t - from]! : forecaster.forecast(series.slice(0, t), t);
    const actual = series[t]!;
    for (let v = 0; v < actual.length; v++) {
      const e = actual[v]! - f[v]!;
      abs += Math.abs(e);
      sq += e * e;
      n++;
    }
  }
  return { mae: abs / Math.max(1, n), rmse: Math.sqrt(sq / Math.max(1, n)) };
}

// The Bi-GRU demand predictor on a seeded series: trained by FedAvg over two sites, it beats the
// last-value and seasonal naive forecasts on demand it has not seen (another seed).
import { describe, expect, it } from 'vitest';
import { forecastError, selectBackend, trainFederatedPredictor } from '../../src/agents/index.js';
import { demandSeries, historySteps, lastValueForecaster, parseFamilyScenario, seasonalForecaster, vnfPopulation, type VnfScenario } from '../../src/families/index.js';

describe('the federated Bi-GRU predictor', () => {
  it('beats last-value and seasonal forecasts on a held-out seeded series', async () => {
    await selectBackend('auto');
    const scenario = parseFamilyScenario({
      name: 'vnf-predict',
      family: 'vnf-migration',
      episodeSteps: 48,
      seed: 3,
      vnf: {
        tiers: { edge: { count: 2 }, fog: { count: 1 }, cloud: { count: 1 } },
        vnfs: 6,
        // A short day (steep daily slopes: last-value lags) and frequent bursts (seasonal misses them).
        stepsPerDay: 12,
        historyDays: 10,
        window: 6,
        demand: { amplitude: 0.8, burstProbability: 0.08, burstScale: 1, burstSteps: 4, noise: 0.05 },
      },
    }) as VnfScenario;
    const predictor = await trainFederatedPredictor(scenario, { seed: 1, settings: { units: 8, learningRate: 5e-3, batchSize: 32, stride: 1 }, federated: { rounds: 8 } });
    const H = historySteps(scenario.vnf);
    const series = demandSeries(scenario.vnf, vnfPopulation(scenario.vnf, scenario.seed), 77, H + scenario.episodeSteps);
    const learned = forecastError(predictor, series, H, H + scenario.episodeSteps);
    const last = forecastError(lastValueForecaster(), series, H, H + scenario.episodeSteps);
    const seasonal = forecastError(seasonalForecaster(12), series, H, H + scenario.episodeSteps);
    predictor.dispose();
    expect(learned.mae).toBeLessThan(last.mae);
    expect(learned.mae).toBeLessThan(seasonal.mae);
  }, 120_000);
});

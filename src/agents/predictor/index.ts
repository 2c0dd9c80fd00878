// The demand predictor's face: a Bi-GRU over a window of past demand, trained by FedAvg across
// sites or centrally, used by the twin of family vnf-migration as its forecaster.
export { PREDICTOR_DEFAULTS, PREDICTOR_FEATURES, buildPredictor, compilePredictor, windowsOf, fillWindow, fitWindows, predictWindows, getWeights, setWeights, type PredictorSettings, type WindowSet } from './model.js';
export {
  FEDERATED_DEFAULTS,
  fedAvg,
  vnfScales,
  trainingHistory,
  trainFederatedPredictor,
  trainCentralisedPredictor,
  forecastError,
  BiGruPredictor,
  type FederatedSettings,
  type PredictorTrainOptions,
} from './federated.js';

// The train face: the training loop and its run directories.
export {
  train,
  evaluationSeed,
  METRICS_FILE,
  CONFIG_FILE,
  SUMMARY_FILE,
  type TrainOptions,
  type TrainSummary,
  type TrainRunConfig,
} from './run.js';
export { validationSeed } from './family-run.js';
export { CheckpointSchedule, DEFAULT_CHECKPOINT_SECONDS } from './run-dir.js';

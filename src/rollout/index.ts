// The rollout face: the one episode loop (runEpisodes) that training, evaluation and the CLI run
// envs with. Imports only the env core and util.
export {
  runEpisodes,
  type RolloutPolicy,
  type RolloutOptions,
  type RolloutSummary,
  type StepContext,
  type Transition,
  type EpisodeResult,
} from './runner.js';

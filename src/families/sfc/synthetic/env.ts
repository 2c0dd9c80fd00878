/**
 * The seeded synthetic SFC env (`env.kind: synthetic`): the in-process model of model.ts behind the
 * Env interface. Observation: Box float32 [layout.size] (observation.ts); action: Discrete(15).
 * The step's info carries the reward's events and the KPIs' figures (SfcStepInfo).
 */
import { Box, Discrete, type Env, type NdArray, type ResetOptions, type ResetResult, type Space, type StepResult } from '../../../env/index.js';
import { SFC_ACTIONS } from '../../../scenario/index.js';
import { InputError } from '../../../util/index.js';
import type { SfcScenario } from '../scenario.js';
import { SfcModel } from './model.js';

export type SfcObservation = NdArray<Float32Array>;

/** The observation space of a scenario's envs: a float32 vector of the layout's size. */
export function sfcObservationSpace(size: number): Box {
  return new Box({ dtype: 'float32', shape: [size], low: -1, high: 1000 });
}

export class SyntheticSfcEnv implements Env<SfcObservation, number> {
  readonly observationSpace: Space<SfcObservation>;
  readonly actionSpace = new Discrete(SFC_ACTIONS);
  readonly model: SfcModel;
  private seed: number;
  private episodes = 0;
  private needsReset = true;

  constructor(readonly scenario: SfcScenario, seed = scenario.seed) {
    this.seed = seed;
    this.model = new SfcModel(scenario.sfc, seed);
    this.observationSpace = sfcObservationSpace(this.model.layout.size) as unknown as Space<SfcObservation>;
  }

  private obs(): SfcObservation {
    return { data: this.model.observe(), shape: [this.model.layout.size] };
  }

  /** Resets with `seed`; without one, the next of the env's own sequence (seed, seed + 1, ...). */
  reset(options: ResetOptions = {}): Promise<ResetResult<SfcObservation>> {
    const seed = options.seed ?? this.seed + this.episodes;
    if (options.seed !== undefined) this.seed = options.seed;
    this.episodes = options.seed !== undefined ? 1 : this.episodes + 1;
    this.model.reset(seed);
    this.needsReset = false;
    return Promise.resolve({ obs: this.obs(), info: { seed } });
  }

  step(action: number): Promise<StepResult<SfcObservation>> {
    if (this.needsReset) return Promise.reject(new InputError('step', 'before reset', 'reset() first (and after every episode end)'));
    if (!this.actionSpace.contains(action)) return Promise.reject(new InputError('action', action, `an integer in [0, ${SFC_ACTIONS - 1}] (VNF type × 3 + operation)`));
    const info = this.model.advance(action);
    const truncated = this.model.step >= this.scenario.episodeSteps;
    if (truncated) this.needsReset = true;
    return Promise.resolve({ obs: this.obs(), reward: info.reward, terminated: false, truncated, info: { ...info } });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

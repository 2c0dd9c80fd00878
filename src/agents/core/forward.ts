/**
 * The act path: every trained policy runs its actor networks through here (batched over all
 * cells and slices of a step). It runs the portable MlpSpec, not TensorFlow.js, so acting needs
 * no TF backend and a loaded policy needs no TF at all.
 */
import { createMlpRunner, type MlpImplChoice, type MlpSpec } from '../../native/index.js';

export interface ActorForward {
  readonly inputSize: number;
  readonly outputSize: number;
  /** [batch, inputSize] -> [batch, outputSize] (row-major). */
  forward(input: Float32Array, batch: number, out?: Float32Array): Float32Array;
  setWeights(spec: MlpSpec): void;
}

/**
 * The forward pass used to act: the native addon's batched MLP when it is built (else its
 * TypeScript fallback, same results; see nativeStatus()). Lengths must match exactly. `impl`
 * 'ts' keeps an agent training on the engine's TS fallback (`--backend ts`) in TypeScript throughout.
 */
export function createActorForward(spec: MlpSpec, impl: MlpImplChoice = 'auto'): ActorForward {
  return createMlpRunner(spec, { impl });
}

/** The act path's implementation for an agent training on `engine`. */
export function actImpl(engine: 'native' | 'ts' | 'tfjs'): MlpImplChoice {
  return engine === 'ts' ? 'ts' : 'auto';
}

/**
 * How a deployed policy is given its actors: as MlpSpecs (the policy builds its forward passes with
 * createActorForward) or as forward passes to act through as they are — what tools that run a
 * trained policy on other actors use (calibration records the actors' inputs, the int8 runner acts
 * on quantized actors). One rule for AdmmPolicy and CellActorPolicy.
 */
import type { MlpImplChoice, MlpSpec } from '../../native/index.js';
import { createActorForward, type ActorForward } from './forward.js';

/** An actor given to a policy: its weights, or the forward pass to use as is. */
export type ActorSource = MlpSpec | ActorForward;

/** Replaces an actor's forward pass: `current` is the policy's actor `index`, the result is used instead. */
export type ActorWrap = (current: ActorForward, index: number) => ActorForward;

function isActorForward(source: ActorSource): source is ActorForward {
  return typeof (source as Partial<ActorForward>).forward === 'function';
}

/** The forward pass of `source`: itself when it is one, else a new forward pass over the spec. */
export function actorForwardOf(source: ActorSource, impl: MlpImplChoice = 'auto'): ActorForward {
  return isActorForward(source) ? source : createActorForward(source, impl);
}

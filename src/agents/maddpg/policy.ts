/**
 * The deployed MADDPG+ADMM policy: at each decision the ADMM loop coordinates each cell's slices.
 * x-step = the slice type's actor on (local features, target z - u, log rho); z-step = the exact
 * projection; dual update; residual balancing; warm start from the previous step. The allocation
 * is z — feasible by construction. Runs on MlpSpecs only (no TensorFlow.js needed to act).
 */
import { admmSolve, createAdmmState, resetAdmmState, type AdmmSettings, type AdmmState } from '../../constraints/index.js';
import type { NdArray } from '../../env/index.js';
import type { SlicingLayout } from '../../families/index.js';
import type { MlpImplChoice, MlpSpec } from '../../native/index.js';
import type { PolicyContext, SlicingPolicy } from '../policy.js';
import { activeMask, NORM_FEATURES, normalizeObservation } from '../core/features.js';
import type { ActorForward } from '../core/forward.js';
import { actorForwardOf, type ActorSource, type ActorWrap } from '../core/actor-source.js';
import { projectAllocation, type ShareBounds } from '../core/allocation.js';

/** Actor inputs: the slice's normalized features, the ADMM target v = z - u, and log10(rho). */
export const ACTOR_INPUTS = NORM_FEATURES + 2;

export interface AdmmPolicySettings {
  admm: Partial<AdmmSettings> & { rho: number; maxIterations: number; rhoMin: number; rhoMax: number };
  /** The actors' forward implementation (default 'auto': the addon when built). */
  impl?: MlpImplChoice;
}

/** Slice type index of each slice, and the distinct types in first-seen order. */
export function sliceTypeGroups(layout: SlicingLayout): { types: string[]; typeOf: number[] } {
  const types: string[] = [];
  const typeOf = layout.slices.map((s) => {
    let t = types.indexOf(s.type);
    if (t < 0) {
      types.push(s.type);
      t = types.length - 1;
    }
    return t;
  });
  return { types, typeOf };
}

export function writeActorInput(features: Float32Array, featureRow: number, target: number, rho: number, out: Float32Array, at: number): void {
  // An element loop, not subarray and set: it runs for every (row, slice) of every ADMM iteration.
  const from = featureRow * NORM_FEATURES;
  for (let k = 0; k < NORM_FEATURES; k++) out[at + k] = features[from + k]!;
  out[at + NORM_FEATURES] = target;
  out[at + NORM_FEATURES + 1] = Math.log10(rho);
}

export class AdmmPolicy implements SlicingPolicy {
  readonly id: string;
  private readonly actors: ActorForward[];
  private readonly typeOf: number[];
  private readonly cells: number;
  private readonly slices: number;
  private state: AdmmState;
  /** Iterations of the last decision per cell, and the shadow prices (rho u), for diagnostics. */
  lastIterations: Int32Array = new Int32Array(0);
  lastPrice: Float64Array = new Float64Array(0);
  lastTarget: Float64Array = new Float64Array(0);

  /**
   * `actors`: one per slice type, in first-seen order (sliceTypeGroups), each as its MlpSpec (a
   * forward pass of `settings.impl` is built) or as a forward pass the policy acts through as given.
   */
  constructor(
    id: string,
    readonly layout: SlicingLayout,
    actors: readonly ActorSource[],
    readonly settings: AdmmPolicySettings,
    readonly bounds: ShareBounds | null,
  ) {
    this.id = id;
    this.typeOf = sliceTypeGroups(layout).typeOf;
    this.actors = actors.map((actor) => actorForwardOf(actor, settings.impl));
    this.cells = layout.cells;
    this.slices = layout.slices.length;
    this.state = createAdmmState(this.cells, this.slices, settings.admm.rho);
  }

  /**
   * The same policy (layout, ADMM settings, bounds; a cold ADMM state) acting through
   * `wrap(actor t's forward pass, t)` for every slice type t. This policy is left as it is.
   */
  withActors(wrap: ActorWrap): AdmmPolicy {
    return new AdmmPolicy(this.id, this.layout, this.actors.map(wrap), this.settings, this.bounds);
  }

  setActorWeights(specs: readonly MlpSpec[]): void {
    specs.forEach((spec, t) => this.actors[t]!.setWeights(spec));
  }

  reset(): void {
    resetAdmmState(this.state, this.settings.admm.rho);
  }

  /** The ADMM decision z (float64, [cells, slices]) for an observation; warm-starts from the last. */
  decide(obs: NdArray<Float32Array>): { z: Float64Array; mask: Float32Array } {
    const { cells, slices } = this;
    const features = normalizeObservation(obs.data, cells, slices);
    const mask = activeMask(obs.data, cells, slices);
    const rows: number[][] = this.actors.map(() => []);
    for (let i = 0; i < cells * slices; i++) if (mask[i]) rows[this.typeOf[i % slices]!]!.push(i);
    const inputs = rows.map((r) => new Float32Array(r.length * ACTOR_INPUTS));
    const outputs = rows.map((r) => new Float32Array(r.length));
    const result = admmSolve(
      this.state,
      (target, rho, x) => {
        for (let t = 0; t < rows.length; t++) {
          const r = rows[t]!;
          if (r.length === 0) continue;
          for (let j = 0; j < r.length; j++) {
            const i = r[j]!;
            writeActorInput(features, i, target[i]!, rho[Math.floor(i / slices)]!, inputs[t]!, j * ACTOR_INPUTS);
          }
          this.actors[t]!.forward(inputs[t]!, r.length, outputs[t]!);
          for (let j = 0; j < r.length; j++) x[r[j]!] = outputs[t]![j]!;
        }
      },
      this.settings.admm,
      mask,
      this.bounds && !this.bounds.trivial ? this.bounds : null,
    );
    this.lastIterations = result.iterations;
    this.lastPrice = result.price;
    return { z: Float64Array.from(result.z), mask };
  }

  act(obs: NdArray<Float32Array>, _context?: PolicyContext): Float32Array {
    const { z, mask } = this.decide(obs);
    return projectAllocation(z, mask, this.cells, this.slices, this.bounds);
  }
}

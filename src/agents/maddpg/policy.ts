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
import { activeMask, encodeObservation, featuresPerRow, type ActionTime, type StepClock } from '../core/features.js';
import type { ActorForward } from '../core/forward.js';
import { actorForwardOf, type ActorSource, type ActorWrap } from '../core/actor-source.js';
import { projectAllocation, type ShareBounds } from '../core/allocation.js';

/** Actor inputs: the slice's row of features (featuresPerRow), the ADMM target v = z - u, and log10(rho). */
export function actorInputs(clock: StepClock | null): number {
  return featuresPerRow(clock) + 2;
}

export interface AdmmPolicySettings {
  admm: Partial<AdmmSettings> & { rho: number; maxIterations: number; rhoMin: number; rhoMax: number };
  /** The actors' forward implementation (default 'auto': the addon when built). */
  impl?: MlpImplChoice;
  /** The clock, when the actors read the time of day (agent setting timeOfDay). */
  clock?: StepClock | null;
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

/** Writes one actor input at out[at..]: row `featureRow` of `features` (`width` per row), then v and log10(rho). */
export function writeActorInput(features: Float32Array, width: number, featureRow: number, target: number, rho: number, out: Float32Array, at: number): void {
  // An element loop, not subarray and set: it runs for every (row, slice) of every ADMM iteration.
  const from = featureRow * width;
  for (let k = 0; k < width; k++) out[at + k] = features[from + k]!;
  out[at + width] = target;
  out[at + width + 1] = Math.log10(rho);
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

  /** The clock the actors read (agent setting timeOfDay), or null. */
  get clock(): StepClock | null {
    return this.settings.clock ?? null;
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

  /**
   * The ADMM decision z (float64, [cells, slices]) for an observation; warm-starts from the last.
   * `at`: when the action is taken (read by actors with a clock).
   */
  decide(obs: NdArray<Float32Array>, at: ActionTime = { step: 0 }): { z: Float64Array; mask: Float32Array } {
    const { cells, slices } = this;
    const clock = this.clock;
    const width = featuresPerRow(clock);
    const inputWidth = width + 2;
    const features = encodeObservation(obs.data, cells, slices, clock, at);
    const mask = activeMask(obs.data, cells, slices);
    const rows: number[][] = this.actors.map(() => []);
    for (let i = 0; i < cells * slices; i++) if (mask[i]) rows[this.typeOf[i % slices]!]!.push(i);
    const inputs = rows.map((r) => new Float32Array(r.length * inputWidth));
    const outputs = rows.map((r) => new Float32Array(r.length));
    const result = admmSolve(
      this.state,
      (target, rho, x) => {
        for (let t = 0; t < rows.length; t++) {
          const r = rows[t]!;
          if (r.length === 0) continue;
          for (let j = 0; j < r.length; j++) {
            const i = r[j]!;
            writeActorInput(features, width, i, target[i]!, rho[Math.floor(i / slices)]!, inputs[t]!, j * inputWidth);
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

  act(obs: NdArray<Float32Array>, context?: PolicyContext): Float32Array {
    const { z, mask } = this.decide(obs, context);
    return projectAllocation(z, mask, this.cells, this.slices, this.bounds);
  }
}

/**
 * The actor networks of a trained run, for tools that take a policy out of ns3ts (`ns3ts export`).
 * The settings and share bounds come from the policy the agent's own `load` builds (one place for
 * them); the weights are read from the checkpoint under the names the MLP agents store them.
 */
import type { SlicingLayout } from '../families/index.js';
import type { AdmmSettings } from '../constraints/index.js';
import type { MlpSpec } from '../native/index.js';
import { Ns3tsError } from '../util/index.js';
import { arraysWithPrefix, readCheckpoint, type StoredArray } from './checkpoint.js';
import type { ActorForward } from './core/forward.js';
import { specFromArrays } from './core/mlp.js';
import { actorInputs, AdmmPolicy } from './maddpg/index.js';
import { sliceTypeGroups } from './maddpg/policy.js';
import { CellActorPolicy } from './td3/index.js';
import { loadPolicyFromRun } from './load.js';
import { featuresPerRow, type StepClock } from './core/features.js';

/**
 * `admm`: one actor per slice type, shared by every cell, input (normalized slice features, ADMM
 * target v, log10 rho) -> x in [0, 1], run inside the ADMM loop. `cell`: one actor per cell over
 * all its slices, input the cell's normalized features -> raw shares before the projection.
 */
export type ActorArrangement = 'admm' | 'cell';

export interface ActorNetwork {
  /** `actor-<slice type>` (admm) or `actor` (cell). */
  name: string;
  /** The slice type the actor serves (admm only). */
  sliceType?: string;
  spec: MlpSpec;
}

export interface RunActors {
  agentId: string;
  arrangement: ActorArrangement;
  layout: SlicingLayout;
  /** The scenario section stored in the checkpoint (name, slices with floors and caps, ...). */
  scenario: Record<string, unknown>;
  actors: ActorNetwork[];
  /** The distinct slice types in first-seen order (the admm actors' order) and each slice's type index. */
  sliceTypes: { types: string[]; typeOf: number[] };
  /**
   * Inputs per slice row (the actors' input before the ADMM columns): the 15 normalized features,
   * then sin and cos of the time of day when the policy reads the clock.
   */
  normFeatures: number;
  /** The policy's clock (agent setting timeOfDay), or null when it does not read the time of day. */
  clock: StepClock | null;
  /** ADMM settings of the deployed decision (admm only). */
  admm?: Partial<AdmmSettings> & { rho: number; maxIterations: number; rhoMin: number; rhoMax: number };
  /** Per-slice share floors and caps (the scenario's minShare / maxShare; 0 and 1 when unset). */
  bounds: { lower: number[]; upper: number[] };
  /**
   * The deployed policy of the run, as the agent's `load` builds it. To act through other actors
   * (recording their inputs, int8 runners), `policy.withActors(wrap)` returns a new policy.
   */
  policy: AdmmPolicy | CellActorPolicy;
}


function storedSpec(arrays: Record<string, StoredArray>, prefix: string, meta: { layers: number; actorActivations: Array<'relu' | 'sigmoid'> }, source: string): MlpSpec {
  const list = Array.from({ length: 2 * meta.layers }, (_, i) => {
    const a = arrays[`${prefix}/${i}`];
    if (!(a instanceof Float32Array)) throw new Ns3tsError(`${source}: checkpoint array agent/${prefix}/${i} is missing or not float32 (expected the actor's layer ${i >> 1})`);
    return a;
  });
  return specFromArrays(list, meta.actorActivations);
}

/** The actors, layout and deployment settings of the MLP agent trained in `runDir`. */
export async function actorNetworksOfRun(runDir: string): Promise<RunActors> {
  const ckpt = readCheckpoint(runDir);
  const agentId = ckpt.meta.agentId;
  if (typeof agentId !== 'string') throw new Ns3tsError(`${runDir}: the checkpoint does not name its agent`);
  const policy = await loadPolicyFromRun(runDir);
  const agentMeta = ckpt.meta.agent as { types?: string[]; layers: number; actorActivations: Array<'relu' | 'sigmoid'> };
  const arrays = arraysWithPrefix(ckpt.arrays, 'agent');
  const scenario = (ckpt.meta.scenario ?? {}) as Record<string, unknown>;
  const clock = policy instanceof AdmmPolicy || policy instanceof CellActorPolicy ? policy.clock : null;
  const common = { agentId, scenario, normFeatures: featuresPerRow(clock), clock };
  if (policy instanceof AdmmPolicy) {
    const types = agentMeta.types ?? [];
    const actors = types.map((type, t) => ({ name: `actor-${type}`, sliceType: type, spec: storedSpec(arrays, `actor${t}`, agentMeta, runDir) }));
    actors.forEach((a) => {
      const expected = actorInputs(clock);
      if (a.spec.layers[0]!.inSize !== expected) throw new Ns3tsError(`${runDir}: ${a.name} takes ${a.spec.layers[0]!.inSize} inputs, expected ${expected}`);
    });
    return { ...common, policy, sliceTypes: sliceTypeGroups(policy.layout), arrangement: 'admm', layout: policy.layout, actors, admm: { ...policy.settings.admm }, bounds: boundsOf(policy.bounds, policy.layout) };
  }
  if (policy instanceof CellActorPolicy) {
    return { ...common, policy, sliceTypes: sliceTypeGroups(policy.layout), arrangement: 'cell', layout: policy.layout, actors: [{ name: 'actor', spec: storedSpec(arrays, 'actor', agentMeta, runDir) }], bounds: boundsOf(policy.bounds, policy.layout) };
  }
  throw new Ns3tsError(
    `${runDir}: agent ${agentId} has no actor network to export (expected an MLP actor agent: maddpg-admm, maddpg-lagrangian, maddpg-rcpo, td3 or ddpg)`,
  );
}

function boundsOf(bounds: { lower: Float64Array; upper: Float64Array } | null, layout: SlicingLayout): { lower: number[]; upper: number[] } {
  const S = layout.slices.length;
  return bounds ? { lower: Array.from(bounds.lower), upper: Array.from(bounds.upper) } : { lower: new Array<number>(S).fill(0), upper: new Array<number>(S).fill(1) };
}

export type { ActorForward };
export type { ActorSource, ActorWrap } from './core/actor-source.js';

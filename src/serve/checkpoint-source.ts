/**
 * `checkpoint:<run-dir>`: the policy of a run written by `ns3ts train`, loaded through the agents'
 * own loader (loadPolicyFromRun), so a served policy acts exactly as it does in `ns3ts eval`.
 *
 * The raw actor output of a cell is what the agent's actors propose before the serving guard:
 *  - td3 / ddpg (one actor per cell): the actor's shares, before their exact projection;
 *  - maddpg-* (one actor per slice type, coordinated by ADMM): the agent's own ADMM decision z
 *    (its actors are the x-step), from a cold start for every request so requests stay independent.
 * A policy that reads the time of day (agent setting timeOfDay) acts for the request's
 * `secondsOfDay`, or the server's local time (source.ts servedSecondsOfDay).
 * The loaded policy is built for the run's layout (its number of cells). The server builds the same
 * policy class with the same weights, settings and bounds for chunks of 64, 16, 4 and 1 cells, and
 * runs a request's cells through the largest chunks that fit (a 1-cell request runs one actor row,
 * not a padded training layout). test/serve/source.test.ts checks that the chunks agree with the
 * loaded policy.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmmPolicy, CHECKPOINT_FILE, CellActorPolicy, loadPolicyFromRun, readCheckpoint } from '../agents/index.js';
import { DEFAULT_ADMM_SETTINGS } from '../constraints/index.js';
import { FEATURES_PER_SLICE, SLICE_FEATURES, shareBounds, type ShareBoundsSource, type SlicingLayout } from '../families/index.js';
import type { Activation, MlpSpec } from '../native/index.js';
import { InputError } from '../util/index.js';
import { servedSecondsOfDay, type ModelMetadata, type PolicySource, type PolicySourceOptions } from './source.js';
import { SERVE_BUDGET } from './allocate.js';

/** Agents whose checkpoints can be served, by the kind of policy their loader returns. */
export const SERVABLE_AGENTS = ['maddpg-admm', 'maddpg-lagrangian', 'maddpg-rcpo', 'td3', 'ddpg'] as const;

export async function loadCheckpointSource(runDir: string, spec = `checkpoint:${runDir}`, options: PolicySourceOptions = {}): Promise<PolicySource> {
  const file = join(runDir, CHECKPOINT_FILE);
  const ckpt = readCheckpoint(runDir);
  const agent = typeof ckpt.meta.agentId === 'string' ? ckpt.meta.agentId : '';
  if (!(SERVABLE_AGENTS as readonly string[]).includes(agent)) {
    throw new InputError(spec, agent || '(no agent named)', `a checkpoint of ${SERVABLE_AGENTS.join(', ')} (other agents are not servable yet)`);
  }
  const layout = ckpt.meta.layout as SlicingLayout | undefined;
  if (!layout || !Array.isArray(layout.slices) || !(layout.cells >= 1)) {
    throw new InputError(`${spec} layout`, layout, 'the layout the policy was trained on (checkpoints written by this version record it)');
  }
  const scenario = ckpt.meta.scenario as (ShareBoundsSource & { name?: string }) | undefined;
  const policy = await loadPolicyFromRun(runDir);
  const bounds = shareBounds(layout, scenario);
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
  // The clock the policy's actors read (agent setting timeOfDay; null for runs without it).
  const clock = policy instanceof AdmmPolicy || policy instanceof CellActorPolicy ? policy.clock : null;
  // A maddpg policy's decision settings, with the server's cap on its ADMM iterations when it sets one.
  let settings: AdmmPolicy['settings'] | null = null;
  if (policy instanceof AdmmPolicy) {
    settings = options.admmIterations === undefined ? policy.settings : { ...policy.settings, admm: { ...policy.settings.admm, maxIterations: options.admmIterations } };
  }
  const metadata: ModelMetadata = {
    source: spec,
    kind: 'checkpoint',
    agent,
    hash,
    version: `${agent}@${hash.slice(0, 12)}`,
    scenario: typeof scenario?.name === 'string' ? scenario.name : null,
    trainedCells: layout.cells,
    slices: layout.slices.map((s) => ({ name: s.name, type: s.type, phiTarget: s.phiTarget, delayTarget: s.delayTarget })),
    features: SLICE_FEATURES,
    timeOfDay: clock !== null,
    bounds: { lower: Array.from(bounds.lower), upper: Array.from(bounds.upper) },
    admm: { ...DEFAULT_ADMM_SETTINGS, budget: SERVE_BUDGET },
    decisionAdmmIterations: settings?.admm.maxIterations ?? null,
    loadedAt: new Date().toISOString(),
  };
  const agentMeta = ckpt.meta.agent as { actorActivations: Activation[]; layers: number; types?: string[] };
  const arrays = ckpt.arrays;
  if (policy instanceof AdmmPolicy && settings) {
    const specs = (agentMeta.types ?? []).map((_, t) => actorSpec(arrays, `agent/actor${t}`, agentMeta, spec));
    return new ChunkedSource(metadata, layout, (cells) => {
      const sized = new AdmmPolicy(policy.id, { ...layout, cells }, specs, settings, policy.bounds);
      return (obs, at) => {
        sized.reset();
        return sized.decide(obs, at).z;
      };
    });
  }
  if (policy instanceof CellActorPolicy) {
    const actor = actorSpec(arrays, 'agent/actor', agentMeta, spec);
    return new ChunkedSource(metadata, layout, (cells) => {
      const sized = new CellActorPolicy(policy.id, { ...layout, cells }, actor, policy.bounds, 'auto', policy.clock);
      return (obs, at) => sized.raw(obs, at);
    });
  }
  throw new InputError(spec, policy.id, `a policy of ${SERVABLE_AGENTS.join(', ')}`);
}

/** The actor network stored under `<prefix>/<i>` (weights and biases of each layer, in order). */
function actorSpec(
  arrays: Record<string, ArrayLike<number>>,
  prefix: string,
  meta: { actorActivations: Activation[]; layers: number },
  spec: string,
): MlpSpec {
  const layers = meta.actorActivations.map((activation, l) => {
    const weights = arrays[`${prefix}/${2 * l}`];
    const bias = arrays[`${prefix}/${2 * l + 1}`];
    if (!(weights instanceof Float32Array) || !(bias instanceof Float32Array) || bias.length === 0 || weights.length % bias.length !== 0) {
      throw new InputError(`${spec} ${prefix}/${2 * l}`, weights === undefined ? undefined : `${weights.length} values`, 'the float32 weights and biases of the actor');
    }
    return { inSize: weights.length / bias.length, outSize: bias.length, weights, bias, activation };
  });
  return { layers };
}

/** A chunk's raw outputs; `at` is when the action is taken (a request is a step 0 at its time of day). */
type ChunkForward = (obs: { data: Float32Array; shape: readonly number[] }, at: { step: number; secondsOfDay?: number }) => ArrayLike<number>;

/** Chunk sizes, largest first; 1 last, so every request decomposes exactly. */
const CHUNK_CELLS = [64, 16, 4, 1] as const;

/** Runs any number of cells through policies built for CHUNK_CELLS cells, largest chunks first. */
class ChunkedSource implements PolicySource {
  private readonly slices: number;
  private readonly chunks: Array<{ cells: number; obs: { data: Float32Array; shape: readonly number[] }; forward: ChunkForward }>;
  private out = new Float32Array(0);

  constructor(
    readonly metadata: ModelMetadata,
    layout: SlicingLayout,
    build: (cells: number) => ChunkForward,
  ) {
    this.slices = layout.slices.length;
    this.chunks = CHUNK_CELLS.map((cells) => ({
      cells,
      obs: { data: new Float32Array(cells * this.slices * FEATURES_PER_SLICE), shape: [cells, this.slices, FEATURES_PER_SLICE] },
      forward: build(cells),
    }));
  }

  predict(observations: Float32Array, cells: number, secondsOfDay?: number): Float32Array {
    const S = this.slices;
    // A request is one step of its own; policies without a clock never read its time.
    const at = this.metadata.timeOfDay ? { step: 0, secondsOfDay: servedSecondsOfDay(secondsOfDay) } : { step: 0 };
    if (this.out.length < cells * S) this.out = new Float32Array(Math.max(cells * S, 2 * this.out.length));
    const out = this.out.subarray(0, cells * S);
    const cellFloats = S * FEATURES_PER_SLICE;
    let first = 0;
    for (const chunk of this.chunks) {
      for (; cells - first >= chunk.cells; first += chunk.cells) {
        chunk.obs.data.set(observations.subarray(first * cellFloats, (first + chunk.cells) * cellFloats));
        const raw = chunk.forward(chunk.obs, at);
        for (let i = 0; i < chunk.cells * S; i++) out[first * S + i] = raw[i]!;
      }
    }
    return out;
  }
}

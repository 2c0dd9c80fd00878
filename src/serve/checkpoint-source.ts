/**
 * `checkpoint:<run-dir>`: the policy of a run written by `ns3ts train`, loaded through the agents'
 * own loader (loadPolicyFromRun), so a served policy acts exactly as it does in `ns3ts eval`.
 *
 * The raw actor output of a cell is what the agent's actors propose before the serving guard:
 *  - td3 / ddpg (one actor per cell): the actor's shares, before their exact projection;
 *  - maddpg-* (one actor per slice type, coordinated by ADMM): the agent's own ADMM decision z
 *    (its actors are the x-step), from a cold start for every request so requests stay independent.
 * A policy is built for the run's layout (its number of cells); a request's cells are run through
 * it in chunks of that many, the last chunk padded with inactive cells (which the policies skip).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmmPolicy, CHECKPOINT_FILE, CellActorPolicy, loadPolicyFromRun, readCheckpoint } from '../agents/index.js';
import { DEFAULT_ADMM_SETTINGS } from '../constraints/index.js';
import { FEATURES_PER_SLICE, SLICE_FEATURES, shareBounds, type ShareBoundsSource, type SlicingLayout } from '../families/index.js';
import { InputError } from '../util/index.js';
import type { ModelMetadata, PolicySource } from './source.js';
import { SERVE_BUDGET } from './allocate.js';

/** Agents whose checkpoints can be served, by the kind of policy their loader returns. */
export const SERVABLE_AGENTS = ['maddpg-admm', 'maddpg-lagrangian', 'maddpg-rcpo', 'td3', 'ddpg'] as const;

export async function loadCheckpointSource(runDir: string, spec = `checkpoint:${runDir}`): Promise<PolicySource> {
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
    bounds: { lower: Array.from(bounds.lower), upper: Array.from(bounds.upper) },
    admm: { ...DEFAULT_ADMM_SETTINGS, budget: SERVE_BUDGET },
    loadedAt: new Date().toISOString(),
  };
  if (policy instanceof AdmmPolicy) return new ChunkedSource(metadata, layout, (obs) => {
    policy.reset();
    return policy.decide(obs).z;
  });
  if (policy instanceof CellActorPolicy) return new ChunkedSource(metadata, layout, (obs) => policy.raw(obs));
  throw new InputError(spec, policy.id, `a policy of ${SERVABLE_AGENTS.join(', ')}`);
}

type ChunkForward = (obs: { data: Float32Array; shape: readonly number[] }) => ArrayLike<number>;

/** Runs any number of cells through a policy built for `layout.cells` cells, chunk by chunk. */
class ChunkedSource implements PolicySource {
  private readonly chunkCells: number;
  private readonly slices: number;
  private readonly chunk: Float32Array;
  private readonly chunkObs: { data: Float32Array; shape: readonly number[] };
  private out = new Float32Array(0);

  constructor(
    readonly metadata: ModelMetadata,
    layout: SlicingLayout,
    private readonly forward: ChunkForward,
  ) {
    this.chunkCells = layout.cells;
    this.slices = layout.slices.length;
    this.chunk = new Float32Array(this.chunkCells * this.slices * FEATURES_PER_SLICE);
    this.chunkObs = { data: this.chunk, shape: [this.chunkCells, this.slices, FEATURES_PER_SLICE] };
  }

  predict(observations: Float32Array, cells: number): Float32Array {
    const S = this.slices;
    const rowCells = this.chunkCells;
    if (this.out.length < cells * S) this.out = new Float32Array(Math.max(cells * S, 2 * this.out.length));
    const out = this.out.subarray(0, cells * S);
    const cellFloats = S * FEATURES_PER_SLICE;
    for (let first = 0; first < cells; first += rowCells) {
      const n = Math.min(rowCells, cells - first);
      this.chunk.set(observations.subarray(first * cellFloats, (first + n) * cellFloats));
      // Padding cells are all zeros: feature `active` 0, so the policies leave them out.
      if (n < rowCells) this.chunk.fill(0, n * cellFloats);
      const raw = this.forward(this.chunkObs);
      for (let i = 0; i < n * S; i++) out[first * S + i] = raw[i]!;
    }
    return out;
  }
}

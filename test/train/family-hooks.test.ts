// The optional steps of the family training loop (FamilyTrainableAgent: prepare, checkpoint
// parts, attachEnv, an evaluation policy built for its env, writeArtifacts), with a test agent on
// the corridor family: prepare runs once for a new run and never on resume, whose checkpoint gives
// the parts back; a resumed run equals an uninterrupted one byte for byte, artifacts included.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRegistry, readCheckpoint, type AgentEntry, type AgentState, type FamilyTrainableAgent } from '../../src/agents/index.js';
import type { Env, NdArray } from '../../src/env/index.js';
import { registerFamily } from '../../src/families/index.js';
import { train } from '../../src/train/index.js';
import { Rng } from '../../src/util/index.js';
import { CorridorEnv, corridorFamily, type CorridorScenario } from '../families/fixtures/corridor.js';

type Obs = NdArray<Float32Array>;

const calls = { prepare: 0, restore: [] as number[][], attached: 0 };

/** A random walker whose "model" is a table prepare computes, kept in the checkpoint as the part `table`. */
class HookedWalker implements FamilyTrainableAgent<Obs, number> {
  readonly id = 'hooked';
  private rng: Rng;
  private table: Float64Array | null = null;
  private env: Env<Obs, number> | null = null;
  private episodes = 0;

  constructor(private readonly seed: number) {
    this.rng = new Rng(seed);
  }

  prepare(): Promise<void> {
    calls.prepare += 1;
    this.table = Float64Array.of(this.seed, this.seed / 2, 7);
    return Promise.resolve();
  }

  restoreParts(parts: Record<string, AgentState['arrays']>): void {
    this.table = parts.table!.values as Float64Array;
    calls.restore.push(Array.from(this.table));
  }

  checkpointParts(): Record<string, AgentState['arrays']> {
    return { table: { values: this.table! } };
  }

  attachEnv(env: Env<Obs, number>): void {
    calls.attached += 1;
    this.env = env;
  }

  actExplore(): number {
    if (!this.env || !this.table) throw new Error('acted before attachEnv or without its table');
    return this.rng.next() < 0.7 ? 2 : this.rng.int(3);
  }

  observe(): null {
    return null;
  }

  endEpisode(): Record<string, number> {
    this.episodes += 1;
    return { updates: this.episodes, tableSum: this.table!.reduce((a, b) => a + b, 0) };
  }

  evaluationPolicy(): (env: Env) => { id: string; act: () => number } {
    return (env) => {
      if (!(env instanceof CorridorEnv)) throw new Error('not the corridor env');
      return { id: 'hooked', act: () => 2 };
    };
  }

  settings(): Record<string, unknown> {
    return {};
  }

  getState(): AgentState {
    return { meta: { rng: this.rng.getState(), episodes: this.episodes }, arrays: {} };
  }

  setState(state: AgentState): void {
    this.rng.setState(state.meta.rng as number[]);
    this.episodes = state.meta.episodes as number;
  }

  writeArtifacts(runDir: string): Promise<void> {
    writeFileSync(join(runDir, 'walk.json'), JSON.stringify({ table: Array.from(this.table!), episodes: this.episodes }));
    return Promise.resolve();
  }

  dispose(): void {}
}

const hookedEntry: AgentEntry = {
  description: 'test walker with every optional step of the family loop',
  accepts: { observation: ['Box'], action: ['Discrete'] },
  create: () => {
    throw new Error('corridor only');
  },
  load: () => Promise.reject(new Error('corridor only')),
  createForFamily: (_scenario, options) => new HookedWalker(options.seed) as FamilyTrainableAgent,
};

const dir = mkdtempSync(join(tmpdir(), 'ns3ts-family-hooks-'));
let scenario: CorridorScenario;

beforeAll(() => {
  registerFamily(corridorFamily);
  (agentRegistry as Record<string, AgentEntry>).hooked = hookedEntry;
  scenario = corridorFamily.parseScenario({ name: 'corridor-6', family: 'corridor', env: { kind: 'synthetic' }, episodeSteps: 12, seed: 3, corridor: { length: 6 } });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the optional steps of the family loop', () => {
  const base = () => ({ scenario, agent: 'hooked', seed: 4, episodes: 4, evalEvery: 2, evalEpisodes: 1, outDir: dir, progress: false });
  const file = (run: string, name: string): Buffer => readFileSync(join(dir, run, name));

  it('prepares a new run once, keeps its parts in the checkpoint and writes its artifacts when finished', async () => {
    const summary = await train({ ...base(), runId: 'full' });
    expect(summary.finished).toBe(true);
    expect(summary.updates).toBe(4);
    expect(calls.prepare).toBe(1);
    expect(calls.restore).toEqual([]);
    expect(calls.attached).toBe(1);
    const checkpoint = readCheckpoint(join(dir, 'full'));
    expect(Array.from(checkpoint.arrays['table/values']!)).toEqual([4, 2, 7]);
    expect(JSON.parse(file('full', 'walk.json').toString())).toEqual({ table: [4, 2, 7], episodes: 4 });
    const evals = file('full', 'metrics.jsonl').toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'eval');
    // The evaluation policy was built for the evaluation's env (always right: 5 steps to the goal).
    expect(evals.map((l) => l.meanLength)).toEqual([5, 5]);
  });

  it('restores the parts on resume instead of preparing, and ends byte for byte as the uninterrupted run', async () => {
    calls.prepare = 0;
    const cut = await train({ ...base(), runId: 'cut', stopAfter: 1 });
    expect(cut.finished).toBe(false);
    expect(calls.prepare).toBe(1);
    expect(existsSync(join(dir, 'cut', 'walk.json'))).toBe(false);
    const resumed = await train({ resume: join(dir, 'cut'), progress: false });
    expect(resumed.finished).toBe(true);
    expect(resumed.resumedFrom).toBe(1);
    expect(calls.prepare).toBe(1);
    expect(calls.restore).toEqual([[4, 2, 7]]);
    for (const name of ['metrics.jsonl', 'checkpoint.bin', 'walk.json']) expect(file('cut', name).equals(file('full', name)), name).toBe(true);
  });
});

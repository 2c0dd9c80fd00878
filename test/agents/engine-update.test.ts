/**
 * A whole agent update on a fixed batch, on the training engine (native addon when built, and its
 * TypeScript fallback) against the TensorFlow.js path (cpu backend, autodiff, host Adam): the same
 * initial weights and replay data, then a few updates; weights, Adam moments and losses agree to
 * 1e-4. Also: the engine's checkpoint loads into the TF.js agent and back (one array layout).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CellAgent, MaddpgAgent, selectBackend, type AgentState, type TrainableAgent } from '../../src/agents/index.js';
import { Rng } from '../../src/util/index.js';
import { impls, relativeError } from '../native/trainer-helpers.js';
import { TINY_MADDPG, TINY_TD3, fillAgent, tinyLayout, tinyScenario } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

type Updatable = TrainableAgent & { update(fixed?: { indices: Int32Array; seed: number }): Record<string, number>; readonly replaySize: number };

function fixedBatch(size: number, n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(size));
}

/** Runs the same updates on both agents; returns the worst relative error per state array and of the losses. */
async function compare(make: (engine: 'tfjs' | 'native' | 'ts') => Updatable, engine: 'native' | 'ts', updates: number): Promise<{ arrays: number; losses: number; moved: number }> {
  const scenario = tinyScenario();
  const reference = make('tfjs');
  const candidate = make(engine);
  await fillAgent(reference, scenario, 30);
  await fillAgent(candidate, scenario, 30);
  const start = (reference.getState() as AgentState).arrays;
  let losses = 0;
  for (let k = 0; k < updates; k++) {
    const batch = { indices: fixedBatch(reference.replaySize, 48, 10 + k), seed: 20 + k };
    const a = reference.update(batch);
    const b = candidate.update(batch);
    for (const key of ['criticLoss', 'actorLoss']) losses = Math.max(losses, Math.abs(a[key]! - b[key]!) / (Math.abs(a[key]!) + 1e-3));
  }
  const ra = (reference.getState() as AgentState).arrays;
  const ca = (candidate.getState() as AgentState).arrays;
  let arrays = 0;
  let moved = 0;
  for (const [name, value] of Object.entries(ra)) {
    if (!(value instanceof Float32Array) || name.startsWith('replay')) continue;
    expect(ca[name], name).toBeInstanceOf(Float32Array);
    // Adam's second moments are squares of gradients: compare them on their own scale.
    const floor = /adam/.test(name) ? 1e-6 : 1e-3;
    arrays = Math.max(arrays, relativeError(ca[name]!, value, floor));
    if (/^(actor|critic)\d*\//.test(name)) moved = Math.max(moved, relativeError(value, start[name]!));
  }
  reference.dispose();
  candidate.dispose();
  return { arrays, losses, moved };
}

describe.each(impls)('an agent update on the training engine (%s) matches the TF.js path', (engine) => {
  it('td3: twin critics, delayed actor through the projection, soft targets', async () => {
    const scenario = tinyScenario({ agent: { id: 'td3' } });
    const make = (e: 'tfjs' | 'native' | 'ts'): Updatable => new CellAgent('td3', tinyLayout(scenario), scenario, { seed: 3, engine: e, settings: { ...TINY_TD3, warmupSteps: 1000, gamma: 0.9 } });
    const { arrays, losses, moved } = await compare(make, engine, 4);
    expect(arrays).toBeLessThan(1e-4);
    expect(losses).toBeLessThan(1e-4);
    expect(moved).toBeGreaterThan(1e-3);
  });

  it('maddpg-admm: critic, x-step actor, gradient clipping, target ADMM', async () => {
    const scenario = tinyScenario();
    const make = (e: 'tfjs' | 'native' | 'ts'): Updatable => new MaddpgAgent('admm', tinyLayout(scenario), scenario, { seed: 3, engine: e, settings: { ...TINY_MADDPG, warmupSteps: 1000 } });
    const { arrays, losses, moved } = await compare(make, engine, 3);
    expect(arrays).toBeLessThan(1e-4);
    expect(losses).toBeLessThan(1e-4);
    expect(moved).toBeGreaterThan(1e-3);
  });

  it('maddpg-lagrangian: the cost head and lambda enter the actor gradient', async () => {
    const scenario = tinyScenario({ agent: { id: 'maddpg-lagrangian' } });
    const make = (e: 'tfjs' | 'native' | 'ts'): Updatable => {
      const agent = new MaddpgAgent('lagrangian', tinyLayout(scenario), scenario, { seed: 3, engine: e, settings: { ...TINY_MADDPG, warmupSteps: 1000 } });
      agent.lambda.fill(0.7);
      return agent;
    };
    const { arrays, losses } = await compare(make, engine, 2);
    expect(arrays).toBeLessThan(1e-4);
    expect(losses).toBeLessThan(1e-4);
  });

  it('a checkpoint of one path loads into the other and continues the same way', async () => {
    const scenario = tinyScenario({ agent: { id: 'td3' } });
    const settings = { ...TINY_TD3, warmupSteps: 1000 };
    const tfAgent = new CellAgent('td3', tinyLayout(scenario), scenario, { seed: 4, engine: 'tfjs', settings });
    await fillAgent(tfAgent, scenario, 20);
    tfAgent.update({ indices: fixedBatch(tfAgent.replaySize, 32, 1), seed: 1 });
    const state = tfAgent.getState();
    const engineAgent = new CellAgent('td3', tinyLayout(scenario), scenario, { seed: 99, engine, settings });
    engineAgent.setState(state);
    const batch = { indices: fixedBatch(tfAgent.replaySize, 32, 2), seed: 2 };
    tfAgent.update(batch);
    engineAgent.update(batch);
    tfAgent.update(batch);
    engineAgent.update(batch);
    const a = tfAgent.getState().arrays;
    const b = engineAgent.getState().arrays;
    expect(relativeError(b['actor/0']!, a['actor/0']!)).toBeLessThan(1e-4);
    expect(relativeError(b['critic1/0']!, a['critic1/0']!)).toBeLessThan(1e-4);
    tfAgent.dispose();
    engineAgent.dispose();
  });

  it('a checkpoint of other network sizes fails with one line naming the array', () => {
    const scenario = tinyScenario({ agent: { id: 'td3' } });
    const small = new CellAgent('td3', tinyLayout(scenario), scenario, { seed: 1, engine: 'tfjs', settings: TINY_TD3 });
    const wide = new CellAgent('td3', tinyLayout(scenario), scenario, { seed: 1, engine, settings: { ...TINY_TD3, hidden: [32, 32] } });
    // 3 slices x (15 features + the time-of-day pair) inputs, x 16 or 32 hidden units.
    expect(() => wide.setState(small.getState())).toThrow(/^mlp weights\[0\]: got 816 values, expected 1632$/);
    small.dispose();
    wide.dispose();
  });
});

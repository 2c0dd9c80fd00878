/**
 * The update shapes of `npm run bench:train` on the training engine (src/native's MlpTrainer),
 * step for step the same as bench/torch_reference.py does in PyTorch:
 *
 * - td3 (hidden 128 or 256): actor F -> h -> h -> S (sigmoid), twin critics F+S -> h -> h -> 1,
 *   batch 256; each update: target actor and both target critics forward, both critics MSE step
 *   (the twin critics side by side, runTrainerJobs);
 *   every 2nd update the actor step through critic 1 (dQ/da from the critic's input gradient)
 *   and soft target updates (tau 0.005). F = 45, S = 3: the slicing-synthetic layout.
 * - maddpg-admm: per slice type (3), actor 17 -> 64 -> 64 -> 1 (sigmoid), critic 64 -> 64 -> 64
 *   -> 1, 256 rows; each update: 3 target-actor forwards (the target ADMM iterations) and the
 *   target critic forward, critic MSE step, actor step through the critic (x enters the critic
 *   twice: as its own action and in the joint action), gradient clipping at 0.5, soft targets
 *   (tau 0.01). That is the update with a bootstrap (gamma > 0), as the constrained variants run
 *   it; maddpg-admm's default gamma 0 skips the target work, which the agents' own update() rows
 *   of bench/train.ts show.
 *
 * Batches are fixed random data: the arithmetic, not the replay sampling, is what is compared.
 */
import { Rng } from '../src/util/index.js';
import { createMlpTrainer, runTrainerJobs, type MlpTrainer, type MlpImplChoice, type MlpSpec, type Activation } from '../src/native/index.js';

export type UpdateShape = 'td3' | 'td3-256' | 'maddpg-admm';

export const UPDATE_SHAPES: readonly UpdateShape[] = ['td3', 'td3-256', 'maddpg-admm'];

function mlp(rng: Rng, sizes: number[], last: Activation): MlpSpec {
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inSize = sizes[l]!;
    const outSize = sizes[l + 1]!;
    const scale = 1 / Math.sqrt(inSize);
    const weights = new Float32Array(inSize * outSize).map(() => (2 * rng.next() - 1) * scale);
    const bias = new Float32Array(outSize).map(() => (2 * rng.next() - 1) * scale);
    layers.push({ inSize, outSize, weights, bias, activation: l + 2 === sizes.length ? last : ('relu' as const) });
  }
  return { layers };
}

function randomRows(rng: Rng, length: number): Float32Array {
  return new Float32Array(length).map(() => rng.next());
}

interface Pair {
  online: MlpTrainer;
  target: MlpTrainer;
}

function pair(spec: MlpSpec, impl: MlpImplChoice, threads: number, batch: number, learningRate: number): Pair {
  const online = createMlpTrainer(spec, { impl, threads, maxBatch: batch, adam: { learningRate } });
  const target = createMlpTrainer(spec, { impl, threads, maxBatch: batch });
  return { online, target };
}

/** Builds the networks and batch of one shape; the returned function runs one update. */
export function makeUpdate(shape: UpdateShape, impl: MlpImplChoice, threads: number): () => void {
  const rng = new Rng(7);
  const B = 256;
  if (shape === 'td3' || shape === 'td3-256') {
    const h = shape === 'td3' ? 128 : 256;
    const F = 45;
    const S = 3;
    const gamma = 0.99;
    const tau = 0.005;
    const actor = pair(mlp(rng, [F, h, h, S], 'sigmoid'), impl, threads, B, 3e-4);
    const critics = [0, 1].map(() => pair(mlp(rng, [F + S, h, h, 1], 'linear'), impl, threads, B, 3e-4));
    const obs = randomRows(rng, B * F);
    const next = randomRows(rng, B * F);
    const act = randomRows(rng, B * S);
    const reward = randomRows(rng, B);
    const nextIn = new Float32Array(B * (F + S));
    const curIn = new Float32Array(B * (F + S));
    for (let b = 0; b < B; b++) {
      nextIn.set(next.subarray(b * F, (b + 1) * F), b * (F + S));
      curIn.set(obs.subarray(b * F, (b + 1) * F), b * (F + S));
      curIn.set(act.subarray(b * S, (b + 1) * S), b * (F + S) + F);
    }
    const y = new Float32Array(B);
    let step = 0;
    // Row copies as plain loops: the work of PyTorch's torch.cat, without a view per row.
    const setActions = (rows: Float32Array, actions: Float32Array): void => {
      for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) rows[b * (F + S) + F + s] = actions[b * S + s]!;
    };
    return () => {
      setActions(nextIn, actor.target.forward(next, B));
      // The twin critics side by side (runTrainerJobs), as the td3 agent runs them.
      runTrainerJobs(critics.map((c) => ({ trainer: c.target, input: nextIn, batch: B })));
      const q1 = critics[0]!.target.lastOutput();
      const q2 = critics[1]!.target.lastOutput();
      for (let b = 0; b < B; b++) y[b] = reward[b]! + gamma * Math.min(q1[b]!, q2[b]!);
      runTrainerJobs(critics.map((c) => ({ trainer: c.online, input: curIn, batch: B, target: y })));
      step += 1;
      if (step % 2 !== 0) return;
      // Actor: maximize Q1(s, pi(s)); dLoss/da = -(1/B) dQ1/da, the critic's input gradient columns F..F+S.
      setActions(curIn, actor.online.forward(obs, B));
      const critic = critics[0]!.online;
      critic.forward(curIn, B);
      critic.outputGradient.fill(-1 / B, 0, B);
      const dAction = critic.backward(critic.outputGradient.subarray(0, B), { weights: false, inputColumns: { from: F, count: S } })!;
      actor.online.backward(dAction);
      actor.online.adamStep();
      setActions(curIn, act);
      actor.target.softUpdateFrom(actor.online, tau);
      for (const c of critics) c.target.softUpdateFrom(c.online, tau);
    };
  }
  // maddpg-admm: 3 slice types of one slot each (slicing-synthetic).
  const types = 3;
  const S = 3;
  const NF = 15;
  const actorInputs = NF + 2;
  const criticInputs = NF + 1 + S * NF + S;
  const gamma = 0.5;
  const tau = 0.01;
  const clip = 0.5;
  const nets = Array.from({ length: types }, () => ({
    actor: pair(mlp(rng, [actorInputs, 64, 64, 1], 'sigmoid'), impl, threads, B, 1e-3),
    critic: pair(mlp(rng, [criticInputs, 64, 64, 1], 'linear'), impl, threads, B, 2e-3),
  }));
  const actorIn = randomRows(rng, B * actorInputs);
  const criticIn = randomRows(rng, B * criticInputs);
  const nextCriticIn = randomRows(rng, B * criticInputs);
  const actorCriticIn = new Float32Array(B * criticInputs);
  const reward = randomRows(rng, B);
  const y = new Float32Array(B);
  const actorGrad = new Float32Array(B);
  return () => {
    for (let t = 0; t < types; t++) {
      const { actor, critic } = nets[t]!;
      // The target ADMM iterations: target actors on the next states.
      for (let k = 0; k < 3; k++) actor.target.forward(actorIn, B);
      const q = critic.target.forward(nextCriticIn, B);
      for (let b = 0; b < B; b++) y[b] = reward[b]! + gamma * q[b]!;
      critic.online.forward(criticIn, B);
      critic.online.loss('mse', y);
      critic.online.backward();
      critic.online.clipGradientNorm(clip);
      critic.online.adamStep();
      const x = actor.online.forward(actorIn, B);
      actorCriticIn.set(criticIn);
      for (let b = 0; b < B; b++) {
        actorCriticIn[b * criticInputs + NF] = x[b]!;
        actorCriticIn[b * criticInputs + criticInputs - S + t] = x[b]!;
      }
      critic.online.forward(actorCriticIn, B);
      critic.online.outputGradient.fill(-1 / B, 0, B);
      const dIn = critic.online.backward(critic.online.outputGradient.subarray(0, B), { weights: false, input: true })!;
      for (let b = 0; b < B; b++) actorGrad[b] = dIn[b * criticInputs + NF]! + dIn[b * criticInputs + criticInputs - S + t]!;
      actor.online.backward(actorGrad);
      actor.online.clipGradientNorm(clip);
      actor.online.adamStep();
    }
    for (const { actor, critic } of nets) {
      actor.target.softUpdateFrom(actor.online, tau);
      critic.target.softUpdateFrom(critic.online, tau);
    }
  };
}

/** Median ms per update over `updates` updates after `warmup` (an even count: TD3's actor runs every 2nd). */
export function msPerUpdate(update: () => void, updates: number, warmup = 10): number {
  for (let i = 0; i < warmup; i++) update();
  const started = performance.now();
  for (let i = 0; i < updates; i++) update();
  return (performance.now() - started) / updates;
}

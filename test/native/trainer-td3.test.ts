/**
 * A TD3-style update on a fixed batch, composed from trainers, against the same update written in
 * TF.js (cpu backend, tf.grads) with the reference Adam applied on the host: twin critics' MSE
 * steps toward y = r + gamma min(Q1', Q2')(s', pi'(s')), then the actor step through critic 1
 * (dQ1/da from the critic's input gradient, pushed through a caller-side function), clipping and
 * soft target updates.
 */
import * as tf from '../../src/agents/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { createMlpTrainer, type MlpSpec } from '../../src/native/index.js';
import { randomInput, randomMlp } from './helpers.js';
import { impls, relativeError, tfApply } from './trainer-helpers.js';

const F = 7;
const S = 3;
const B = 32;
const GAMMA = 0.9;
const TAU = 0.05;
const LR = 1e-2;
const CLIP = 0.5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function flat(spec: MlpSpec): Float32Array {
  const parts: number[] = [];
  for (const l of spec.layers) parts.push(...l.weights, ...l.bias);
  return Float32Array.from(parts);
}

function unflat(spec: MlpSpec, params: ArrayLike<number>): MlpSpec {
  let o = 0;
  return {
    layers: spec.layers.map((l) => {
      const weights = Float32Array.from({ length: l.inSize * l.outSize }, (_, i) => params[o + i]!);
      o += weights.length;
      const bias = Float32Array.from({ length: l.outSize }, (_, i) => params[o + i]!);
      o += bias.length;
      return { ...l, weights, bias };
    }),
  };
}

/** Gradient of f w.r.t. every layer's W and b (flattened like the trainer's params), by TF.js. */
function tfParamGrads(spec: MlpSpec, f: (ws: tf.Tensor2D[], bs: tf.Tensor1D[]) => tf.Scalar): Float32Array {
  return tf.tidy(() => {
    const n = spec.layers.length;
    const vars = [...spec.layers.map((l) => tf.tensor2d(l.weights, [l.inSize, l.outSize])), ...spec.layers.map((l) => tf.tensor1d(l.bias))];
    const grads = tf.grads((...args: tf.Tensor[]) => f(args.slice(0, n) as tf.Tensor2D[], args.slice(n) as tf.Tensor1D[]))(vars);
    const parts: number[] = [];
    for (let l = 0; l < n; l++) parts.push(...(grads[l]!.dataSync() as Float32Array), ...(grads[n + l]!.dataSync() as Float32Array));
    return Float32Array.from(parts);
  });
}

function clipped(grads: Float32Array): Float32Array {
  const norm = Math.hypot(...grads);
  return grads.map((g) => (norm > CLIP ? g * (CLIP / norm) : g));
}

/** One first Adam step (m̂ = g, v̂ = g²) in float64 on clipped gradients. */
function referenceStep(params: Float32Array, grads: Float32Array): Float32Array {
  const g = clipped(grads);
  return params.map((p, i) => p - (LR * g[i]!) / (Math.abs(g[i]!) + 1e-8));
}

describe.each(impls)('a TD3 update composed from trainers (%s) matches TF.js', (impl) => {
  it('critics, actor, clipping and soft targets agree to 1e-4', () => {
    const rng = new Rng(21);
    const actorSpec = randomMlp(rng, [F, 16, 16, S], ['relu', 'relu', 'sigmoid']);
    const criticSpecs = [0, 1].map(() => randomMlp(rng, [F + S, 16, 16, 1], ['relu', 'relu', 'linear']));
    const targetActorSpec = randomMlp(rng, [F, 16, 16, S], ['relu', 'relu', 'sigmoid']);
    const targetCriticSpecs = [0, 1].map(() => randomMlp(rng, [F + S, 16, 16, 1], ['relu', 'relu', 'linear']));
    const obs = randomInput(rng, B * F);
    const next = randomInput(rng, B * F);
    const act = Float32Array.from(randomInput(rng, B * S), (v) => 0.5 + 0.5 * v);
    const reward = randomInput(rng, B);
    const opts = { impl, maxBatch: B, adam: { learningRate: LR } };

    // --- with trainers ---
    const actor = createMlpTrainer(actorSpec, opts);
    const critics = criticSpecs.map((s) => createMlpTrainer(s, opts));
    const actorTarget = createMlpTrainer(targetActorSpec, opts);
    const criticTargets = targetCriticSpecs.map((s) => createMlpTrainer(s, opts));
    const join = (states: Float32Array, actions: ArrayLike<number>): Float32Array => {
      const out = new Float32Array(B * (F + S));
      for (let b = 0; b < B; b++) {
        out.set(states.subarray(b * F, (b + 1) * F), b * (F + S));
        for (let s = 0; s < S; s++) out[b * (F + S) + F + s] = actions[b * S + s]!;
      }
      return out;
    };
    // Caller-side action transform a -> a^2 (a stand-in for a projection): its VJP is 2a.
    const nextAct = Float32Array.from(actorTarget.forward(next, B), (a) => a * a);
    const q1 = criticTargets[0]!.forward(join(next, nextAct), B).slice();
    const q2 = criticTargets[1]!.forward(join(next, nextAct), B);
    const y = Float32Array.from(reward, (r, b) => r + GAMMA * Math.min(q1[b]!, q2[b]!));
    const criticGrads: Float32Array[] = [];
    const criticLosses = critics.map((critic) => {
      critic.forward(join(obs, act), B);
      const loss = critic.loss('mse', y);
      critic.backward();
      critic.clipGradientNorm(CLIP);
      criticGrads.push(critic.grads.slice());
      critic.adamStep();
      return loss;
    });
    const raw = actor.forward(obs, B).slice();
    const shaped = raw.map((a) => a * a);
    critics[0]!.forward(join(obs, shaped), B);
    const dIn = critics[0]!.backward(new Float32Array(B).fill(-1 / B), { weights: false, input: true })!;
    const dRaw = new Float32Array(B * S);
    for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) dRaw[b * S + s] = dIn[b * (F + S) + F + s]! * 2 * raw[b * S + s]!;
    actor.backward(dRaw);
    actor.clipGradientNorm(CLIP);
    const actorGrads = actor.grads.slice();
    actor.adamStep();
    actorTarget.softUpdateFrom(actor, TAU);
    criticTargets.forEach((t, k) => t.softUpdateFrom(critics[k]!, TAU));

    // --- the same in TF.js ---
    const tfExpected = tf.tidy(() => {
      const state = tf.tensor2d(obs, [B, F]);
      const nextState = tf.tensor2d(next, [B, F]);
      const w = (s: MlpSpec) => [s.layers.map((l) => tf.tensor2d(l.weights, [l.inSize, l.outSize])), s.layers.map((l) => tf.tensor1d(l.bias))] as const;
      const apply = (s: MlpSpec, x: tf.Tensor2D) => tfApply(s, ...w(s), x);
      const a2 = tf.square(apply(targetActorSpec, nextState));
      const nextIn = tf.concat([nextState, a2], 1);
      const yT = tf.add(tf.tensor2d(reward, [B, 1]), tf.mul(GAMMA, tf.minimum(apply(targetCriticSpecs[0]!, nextIn), apply(targetCriticSpecs[1]!, nextIn))));
      const curIn = tf.concat([state, tf.tensor2d(act, [B, S])], 1);
      const criticGradients: Float32Array[] = [];
      const newCritics = criticSpecs.map((spec) => {
        const g = tfParamGrads(spec, (ws, bs) => tf.losses.meanSquaredError(yT, tfApply(spec, ws, bs, curIn)) as tf.Scalar);
        criticGradients.push(clipped(g));
        return unflat(spec, referenceStep(flat(spec), g));
      });
      const critic = newCritics[0]!;
      const gActor = tfParamGrads(actorSpec, (ws, bs) => tf.neg(tf.mean(apply(critic, tf.concat([state, tf.square(tfApply(actorSpec, ws, bs, state))], 1)))) as tf.Scalar);
      const newActor = referenceStep(flat(actorSpec), gActor);
      const soft = (target: MlpSpec, online: Float32Array) => flat(target).map((p, i) => TAU * online[i]! + (1 - TAU) * p);
      return {
        y: yT.dataSync() as Float32Array,
        criticLoss: tf.losses.meanSquaredError(yT, apply(criticSpecs[0]!, curIn)).dataSync()[0]!,
        critics: newCritics.map(flat),
        criticGradients,
        actorGradients: clipped(gActor),
        actor: newActor,
        actorTarget: soft(targetActorSpec, newActor),
        criticTargets: newCritics.map((c, k) => soft(targetCriticSpecs[k]!, flat(c))),
      };
    });
    expect(relativeError(y, tfExpected.y)).toBeLessThan(1e-4);
    expect(Math.abs(criticLosses[0]! - tfExpected.criticLoss) / tfExpected.criticLoss).toBeLessThan(1e-4);
    criticGrads.forEach((g, k) => expect(relativeError(g, tfExpected.criticGradients[k]!)).toBeLessThan(1e-4));
    expect(relativeError(actorGrads, tfExpected.actorGradients)).toBeLessThan(1e-4);
    critics.forEach((c, k) => expect(relativeError(c.params, tfExpected.critics[k]!)).toBeLessThan(1e-4));
    expect(relativeError(actor.params, tfExpected.actor)).toBeLessThan(1e-4);
    expect(relativeError(actorTarget.params, tfExpected.actorTarget)).toBeLessThan(1e-4);
    criticTargets.forEach((c, k) => expect(relativeError(c.params, tfExpected.criticTargets[k]!)).toBeLessThan(1e-4));
    // The update moved the actor (the comparison is not vacuous).
    expect(relativeError(actor.params, flat(actorSpec))).toBeGreaterThan(1e-3);
  });
});

/**
 * Child process of trainer-signals.test.ts: TD3-shaped updates (actor 45 -> 128 -> 128 -> 3, critic
 * 48 -> 128 -> 128 -> 1) on the training engine with a batch size that changes every update, fresh
 * input arrays each call and, under --expose-gc, a full collection between calls, so that buffers
 * the JavaScript side owns move or die as often as possible while the addon works on them. Prints
 * one JSON line: the updates run and a SHA-256 of every trainer's parameters and Adam moments.
 *
 *   node --import tsx [--expose-gc] [--cpu-prof ...] test/native/trainer-stress-child.ts <updates> <threads>
 */
import { createHash } from 'node:crypto';
import { createMlpTrainer, type MlpSpec, type Activation } from '../../src/native/index.js';
import { Rng } from '../../src/util/index.js';

const updates = Number(process.argv[2] ?? 40);
const threads = Number(process.argv[3] ?? 1);
const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const rng = new Rng(11);
const MAX_BATCH = 256;
const BATCHES = [256, 1, 37, 128, 255, 3, 200, 64];
const F = 45;
const S = 3;
const H = 128;

function spec(sizes: number[], last: Activation): MlpSpec {
  return {
    layers: sizes.slice(1).map((outSize, l) => {
      const inSize = sizes[l]!;
      const scale = 1 / Math.sqrt(inSize);
      return {
        inSize,
        outSize,
        weights: new Float32Array(inSize * outSize).map(() => (2 * rng.next() - 1) * scale),
        bias: new Float32Array(outSize).map(() => (2 * rng.next() - 1) * scale),
        activation: l + 2 === sizes.length ? last : ('relu' as const),
      };
    }),
  };
}

const rows = (length: number): Float32Array => new Float32Array(length).map(() => rng.next());
const options = { impl: 'native' as const, threads, maxBatch: MAX_BATCH };
const actorSpec = spec([F, H, H, S], 'sigmoid');
const criticSpec = spec([F + S, H, H, 1], 'linear');
const actor = createMlpTrainer(actorSpec, { ...options, adam: { learningRate: 3e-4 } });
const critic = createMlpTrainer(criticSpec, { ...options, adam: { learningRate: 3e-4 } });
const actorTarget = createMlpTrainer(actorSpec, options);
const criticTarget = createMlpTrainer(criticSpec, options);

for (let u = 0; u < updates; u++) {
  const batch = BATCHES[u % BATCHES.length]!;
  const next = rows(batch * F);
  const nextAct = actorTarget.forward(next, batch);
  const nextIn = new Float32Array(batch * (F + S));
  for (let b = 0; b < batch; b++) {
    nextIn.set(next.subarray(b * F, (b + 1) * F), b * (F + S));
    nextIn.set(nextAct.subarray(b * S, (b + 1) * S), b * (F + S) + F);
  }
  collect();
  const q = criticTarget.forward(nextIn, batch);
  const y = new Float32Array(batch).map((_, b) => rng.next() + 0.99 * q[b]!);
  const stateAction = rows(batch * (F + S));
  collect();
  critic.forward(stateAction, batch);
  critic.loss('mse', y);
  collect();
  critic.backward();
  critic.adamStep();
  const obs = rows(batch * F);
  const action = actor.forward(obs, batch);
  for (let b = 0; b < batch; b++) stateAction.set(action.subarray(b * S, (b + 1) * S), b * (F + S) + F);
  critic.forward(stateAction, batch);
  collect();
  const dIn = critic.backward(new Float32Array(batch).fill(-1 / batch), { weights: false, input: true })!;
  const actorGrad = new Float32Array(batch * S);
  for (let b = 0; b < batch; b++) for (let s = 0; s < S; s++) actorGrad[b * S + s] = dIn[b * (F + S) + F + s]!;
  collect();
  actor.backward(actorGrad);
  actor.adamStep();
  actorTarget.softUpdateFrom(actor, 0.005);
  criticTarget.softUpdateFrom(critic, 0.005);
}

const hash = createHash('sha256');
for (const trainer of [actor, critic, actorTarget, criticTarget]) {
  for (const buffer of [trainer.params, trainer.adamM, trainer.adamV]) hash.update(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
}
process.stdout.write(`${JSON.stringify({ updates, threads, state: hash.digest('hex') })}\n`);

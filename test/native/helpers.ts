import { Rng } from '../../src/util/index.js';
import type { Activation, MlpSpec } from '../../src/native/index.js';

/** A random dense MLP with Glorot-scaled weights (sizes[0] inputs, sizes[last] outputs). */
export function randomMlp(rng: Rng, sizes: number[], activations: Activation[]): MlpSpec {
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inSize = sizes[l]!;
    const outSize = sizes[l + 1]!;
    const scale = Math.sqrt(6 / (inSize + outSize));
    const weights = new Float32Array(inSize * outSize);
    for (let i = 0; i < weights.length; i++) weights[i] = (2 * rng.next() - 1) * scale;
    const bias = new Float32Array(outSize);
    for (let i = 0; i < outSize; i++) bias[i] = (2 * rng.next() - 1) * 0.1;
    layers.push({ inSize, outSize, weights, bias, activation: activations[l % activations.length]! });
  }
  return { layers };
}

export function randomInput(rng: Rng, length: number, scale = 1): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = (2 * rng.next() - 1) * scale;
  return values;
}

/** Largest |a - b| / (|b| + floor) over the arrays. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return worst;
}

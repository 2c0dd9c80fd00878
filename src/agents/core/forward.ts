/**
 * The act path: every trained policy runs its actor networks through here (batched over all
 * cells and slices of a step). It runs the portable MlpSpec, not TensorFlow.js, so acting needs
 * no TF backend and a loaded policy needs no TF at all.
 */
import type { MlpSpec } from '../../native/index.js';

export interface ActorForward {
  readonly inputSize: number;
  readonly outputSize: number;
  /** [batch, inputSize] -> [batch, outputSize] (row-major). */
  forward(input: Float32Array, batch: number, out?: Float32Array): Float32Array;
  setWeights(spec: MlpSpec): void;
}

/** Plain TypeScript forward pass over an MlpSpec. */
class SpecForward implements ActorForward {
  private spec: MlpSpec;
  private scratch: Float32Array[] = [];

  constructor(spec: MlpSpec) {
    this.spec = spec;
  }

  get inputSize(): number {
    return this.spec.layers[0]!.inSize;
  }

  get outputSize(): number {
    return this.spec.layers[this.spec.layers.length - 1]!.outSize;
  }

  setWeights(spec: MlpSpec): void {
    this.spec = spec;
    this.scratch = [];
  }

  forward(input: Float32Array, batch: number, out?: Float32Array): Float32Array {
    let h = input;
    const layers = this.spec.layers;
    for (let l = 0; l < layers.length; l++) {
      const { inSize, outSize, weights, bias, activation } = layers[l]!;
      const last = l === layers.length - 1;
      let y: Float32Array;
      if (last) y = out ?? new Float32Array(batch * outSize);
      else {
        const need = batch * outSize;
        if (!this.scratch[l] || this.scratch[l]!.length < need) this.scratch[l] = new Float32Array(need);
        y = this.scratch[l]!;
      }
      for (let r = 0; r < batch; r++) {
        const yo = r * outSize;
        for (let j = 0; j < outSize; j++) y[yo + j] = bias[j]!;
        const ho = r * inSize;
        for (let i = 0; i < inSize; i++) {
          const hv = h[ho + i]!;
          if (hv === 0) continue;
          const wo = i * outSize;
          for (let j = 0; j < outSize; j++) y[yo + j] += hv * weights[wo + j]!;
        }
        for (let j = 0; j < outSize; j++) {
          const v = y[yo + j]!;
          y[yo + j] =
            activation === 'relu' ? (v > 0 ? v : 0) : activation === 'tanh' ? Math.tanh(v) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v;
        }
      }
      h = y;
    }
    return h;
  }
}

/** The forward pass used to act. */
export function createActorForward(spec: MlpSpec): ActorForward {
  return new SpecForward(spec);
}

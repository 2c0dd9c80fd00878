/**
 * The allocation used while IDLA collects samples (phase H0): per cell and step, either a
 * uniformly random point of the simplex {x >= 0, sum x = 1} over the active slices (a fraction
 * `randomFraction` of the cell-steps) or shares proportional to the slices' offered load of the
 * last step. Random shares spread x over [0, 1], so the estimator sees every share it may later
 * be asked about; proportional ones keep the network more serviceable while collecting. On
 * idla-12cell all-random collection (the agent's default) gave the best estimator for the search
 * at almost no cost during collection.
 */
import { type NdArray } from '../../env/index.js';
import { FEATURE, FEATURES_PER_SLICE } from '../../families/index.js';
import { InputError, Rng } from '../../util/index.js';
import type { SlicingPolicy } from '../policy.js';

export class CollectionPolicy implements SlicingPolicy {
  readonly id = 'idla-collect';
  /** The draws' RNG (a checkpoint keeps its state, so a resumed collection draws as an uninterrupted one). */
  readonly rng: Rng;

  /** `randomFraction` of the cell-steps get random shares, the rest proportional ones. */
  constructor(
    seed = 1,
    readonly randomFraction = 1,
  ) {
    if (!(randomFraction >= 0 && randomFraction <= 1)) throw new InputError('randomFraction', randomFraction, 'a number in [0, 1]');
    this.rng = new Rng(seed);
  }

  act(obs: NdArray<Float32Array>): Float32Array {
    const [cells, slices] = obs.shape as [number, number, number];
    const out = new Float32Array(cells * slices);
    const data = obs.data;
    for (let c = 0; c < cells; c++) {
      const random = this.rng.next() < this.randomFraction;
      let sum = 0;
      for (let s = 0; s < slices; s++) {
        const i = c * slices + s;
        const row = i * FEATURES_PER_SLICE;
        if (data[row + FEATURE.active]! < 0.5) continue;
        // Exponential draws normalized = uniform on the simplex; a small floor keeps a slice
        // with no load last step from starving if its traffic returns.
        const w = random ? -Math.log(1 - this.rng.next()) : Math.max(data[row + FEATURE.offeredLoad]!, 0) + 0.05;
        out[i] = w;
        sum += w;
      }
      if (sum > 0) for (let s = 0; s < slices; s++) out[c * slices + s] = out[c * slices + s]! / sum;
    }
    return out;
  }
}

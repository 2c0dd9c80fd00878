/**
 * IDLA's two augmentation rules (docs/algorithms.md#augmentation), applied to estimator inputs:
 *  (1) a sample with r < 1 gets a copy whose requirements are the achieved (phi, d) — what the
 *      slice did reach it reached fully — labelled 1;
 *  (2) a sample with r = 1 gets a copy with x replaced by x' ~ U[x, 1] — more resources never
 *      hurt a satisfied slice — labelled 1.
 * A requirement of 0 means "none" (qosLevel) and stays 0 in rule (1), so the copy asks for
 * nothing the original did not.
 *
 * Optional relabelled copies (`relabel` > 0, an extension of rule (1)): r is a known function of
 * the achieved (phi, d) and the requirements, r = min(phi / phi*, d* / d, 1), so a sample also
 * tells what r the same traffic and share would have scored under other requirements. Each copy
 * draws phi*' = phi* 2^u and d*' = d* 2^v (u, v ~ U[-1, 1]) and is labelled with that r — copies
 * with r < 1 included, which rule (1) never produces, so the estimator also learns where slices
 * with requirements it has not seen fall short (a slice that joins later, with new targets).
 */
import { InputError, type Rng } from '../../util/index.js';
import { qosLevel } from '../../families/index.js';
import { type FeatureSet, IDLA_INPUTS, IDLA_INPUTS_EXTENDED, INPUT_DELAY_TARGET, INPUT_PHI_TARGET, INPUT_X, featureSetOfWidth } from './features.js';
import { type SampleSet, type ShareInput, sampleColumns, samplesToInputs, SAMPLE_WIDTH } from './samples.js';

export interface LabelledInputs {
  /** [n, IDLA_INPUTS] row-major. */
  inputs: Float32Array;
  /** [n] QoS level in [0, 1]. */
  labels: Float32Array;
}

export interface AugmentationCounts {
  original: number;
  rule1: number;
  rule2: number;
  /** Relabelled copies (0 unless `relabel` > 0). */
  relabelled: number;
}

/**
 * Returns the originals followed by the copies of both rules, in row order; `achievedThroughput`
 * and `achievedDelay` are per row (Mbit/s per user, ms).
 */
export function augment(
  data: LabelledInputs,
  achievedThroughput: ArrayLike<number>,
  achievedDelay: ArrayLike<number>,
  rng: Rng,
  relabel = 0,
): LabelledInputs & { counts: AugmentationCounts } {
  if (!(Number.isInteger(relabel) && relabel >= 0)) throw new InputError('relabel', relabel, 'an integer >= 0');
  const n = data.labels.length;
  // The paper's 13 inputs or the extended 15: the rules touch only x and the targets.
  const width = n > 0 ? data.inputs.length / n : IDLA_INPUTS;
  if (featureSetOfWidth(width) === undefined) {
    throw new InputError('inputs length', data.inputs.length, `${n * IDLA_INPUTS} or ${n * IDLA_INPUTS_EXTENDED} (labels x ${IDLA_INPUTS} or ${IDLA_INPUTS_EXTENDED})`);
  }
  if (achievedThroughput.length !== n || achievedDelay.length !== n) {
    throw new InputError('achieved throughput/delay length', [achievedThroughput.length, achievedDelay.length], `${n} each`);
  }
  // Each row has at most one copy: r < 1 and r = 1 exclude each other.
  const inputs = new Float32Array((2 + relabel) * n * width);
  const labels = new Float32Array((2 + relabel) * n);
  inputs.set(data.inputs);
  labels.set(data.labels);
  let m = n;
  let rule1 = 0;
  let rule2 = 0;
  for (let i = 0; i < n; i++) {
    const r = data.labels[i]!;
    const src = i * width;
    const dst = m * width;
    if (r < 1) {
      inputs.copyWithin(dst, src, src + width);
      if (inputs[src + INPUT_PHI_TARGET]! > 0) inputs[dst + INPUT_PHI_TARGET] = achievedThroughput[i]!;
      if (inputs[src + INPUT_DELAY_TARGET]! > 0) inputs[dst + INPUT_DELAY_TARGET] = achievedDelay[i]!;
      labels[m] = 1;
      m += 1;
      rule1 += 1;
    } else if (r === 1) {
      inputs.copyWithin(dst, src, src + width);
      const x = inputs[src + INPUT_X]!;
      inputs[dst + INPUT_X] = rng.uniform(x, 1);
      labels[m] = 1;
      m += 1;
      rule2 += 1;
    }
  }
  let relabelled = 0;
  for (let i = 0; i < n && relabel > 0; i++) {
    const src = i * width;
    const phiTarget = data.inputs[src + INPUT_PHI_TARGET]!;
    const delayTarget = data.inputs[src + INPUT_DELAY_TARGET]!;
    const phi = achievedThroughput[i]!;
    const delay = achievedDelay[i]!;
    // r = 1 with no throughput: the slice had no users in that step, satisfied whatever it asks.
    const idle = data.labels[i]! >= 1 && !(phi > 0);
    for (let k = 0; k < relabel; k++) {
      const dst = m * width;
      inputs.copyWithin(dst, src, src + width);
      const phiNew = phiTarget > 0 ? phiTarget * 2 ** rng.uniform(-1, 1) : 0;
      const delayNew = delayTarget > 0 ? delayTarget * 2 ** rng.uniform(-1, 1) : 0;
      inputs[dst + INPUT_PHI_TARGET] = phiNew;
      inputs[dst + INPUT_DELAY_TARGET] = delayNew;
      labels[m] = idle ? 1 : qosLevel(phi, phiNew, delay, delayNew);
      m += 1;
      relabelled += 1;
    }
  }
  return {
    inputs: inputs.slice(0, m * width),
    labels: labels.slice(0, m),
    counts: { original: n, rule1, rule2, relabelled },
  };
}

/** Estimator inputs of stored samples plus both rules' copies. */
export function augmentSamples(
  samples: SampleSet,
  rng: Rng,
  shareInput: ShareInput = 'share',
  features: FeatureSet = 'paper',
  relabel = 0,
): LabelledInputs & { counts: AugmentationCounts } {
  const base = samplesToInputs(samples, shareInput, features);
  const n = samples.size;
  const data = samples.data;
  const throughput = new Float32Array(n);
  const delay = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    throughput[i] = data[i * SAMPLE_WIDTH + sampleColumns.throughput]!;
    delay[i] = data[i * SAMPLE_WIDTH + sampleColumns.delay]!;
  }
  return augment(base, throughput, delay, rng, relabel);
}

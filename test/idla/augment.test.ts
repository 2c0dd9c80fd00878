import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HISTORY,
  IDLA_INPUTS,
  INPUT_CQI,
  INPUT_DELAY_TARGET,
  INPUT_PHI_TARGET,
  INPUT_USERS,
  INPUT_X,
  SAMPLE_WIDTH,
  SampleCollector,
  augment,
  loadSamples,
  sampleColumns,
  saveSamples,
} from '../../src/agents/idla/index.js';
import { FEATURE, FEATURES_PER_SLICE } from '../../src/families/index.js';
import { Rng } from '../../src/util/index.js';

function row(x: number, phiTarget: number, delayTarget: number): number[] {
  const r = new Array(IDLA_INPUTS).fill(0);
  r[INPUT_X] = x;
  for (let h = 0; h < HISTORY; h++) {
    r[INPUT_USERS + h] = 3 + h;
    r[INPUT_CQI + h] = 9 - h;
  }
  r[INPUT_PHI_TARGET] = phiTarget;
  r[INPUT_DELAY_TARGET] = delayTarget;
  return r;
}

describe('IDLA augmentation', () => {
  const rows = [row(0.3, 2, 100), row(0.5, 1, 20), row(0.2, 1.5, 0), row(0.9, 0.5, 200)];
  const labels = [0.6, 1, 0.25, 1];
  const throughput = [1.2, 1.4, 0.375, 0.7];
  const delay = [80, 12, 40, 150];

  it('rule 1: r < 1 gets a copy with the achieved (phi, d) as requirements, labelled 1', () => {
    const out = augment({ inputs: Float32Array.from(rows.flat()), labels: Float32Array.from(labels) }, throughput, delay, new Rng(1));
    expect(out.counts).toEqual({ original: 4, rule1: 2, rule2: 2, relabelled: 0 });
    // Originals first, unchanged.
    expect(Array.from(out.inputs.subarray(0, 4 * IDLA_INPUTS))).toEqual(Array.from(Float32Array.from(rows.flat())));
    expect(Array.from(out.labels.subarray(0, 4))).toEqual(Array.from(Float32Array.from(labels)));
    // Copy of row 0 (r = 0.6): phi* := 1.2, d* := 80, everything else as in row 0.
    const copy0 = Array.from(out.inputs.subarray(4 * IDLA_INPUTS, 5 * IDLA_INPUTS));
    const expected0 = row(0.3, 1.2, 80);
    copy0.forEach((v, k) => expect(v).toBeCloseTo(expected0[k]!, 6));
    expect(out.labels[4]).toBe(1);
    // Copy of row 2 (r = 0.25, no delay requirement): phi* := 0.375, d* stays 0.
    const copy2 = Array.from(out.inputs.subarray(6 * IDLA_INPUTS, 7 * IDLA_INPUTS));
    const expected2 = row(0.2, 0.375, 0);
    copy2.forEach((v, k) => expect(v).toBeCloseTo(expected2[k]!, 6));
    expect(out.labels[6]).toBe(1);
  });

  it('rule 2: r = 1 gets a copy with x replaced by x\' ~ U[x, 1], labelled 1', () => {
    const rng = new Rng(42);
    const out = augment({ inputs: Float32Array.from(rows.flat()), labels: Float32Array.from(labels) }, throughput, delay, rng);
    // Row order of the copies follows the originals: copy of row 1 is the 6th row.
    const replay = new Rng(42);
    const x1 = replay.uniform(0.5, 1);
    const x3 = replay.uniform(0.9, 1);
    const copy1 = out.inputs.subarray(5 * IDLA_INPUTS, 6 * IDLA_INPUTS);
    const copy3 = out.inputs.subarray(7 * IDLA_INPUTS, 8 * IDLA_INPUTS);
    expect(copy1[INPUT_X]).toBeCloseTo(x1, 6);
    expect(copy3[INPUT_X]).toBeCloseTo(x3, 6);
    const expected1 = row(x1, 1, 20);
    Array.from(copy1).forEach((v, k) => expect(v).toBeCloseTo(expected1[k]!, 6));
    expect(out.labels[5]).toBe(1);
    expect(out.labels[7]).toBe(1);
    // Over many draws x' covers [x, 1] and never leaves it.
    const many = augment(
      { inputs: Float32Array.from(Array.from({ length: 2000 }, () => row(0.4, 1, 20)).flat()), labels: new Float32Array(2000).fill(1) },
      new Float32Array(2000),
      new Float32Array(2000),
      new Rng(3),
    );
    let lo = 1;
    let hi = 0;
    for (let i = 2000; i < 4000; i++) {
      const x = many.inputs[i * IDLA_INPUTS + INPUT_X]!;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect(lo).toBeGreaterThanOrEqual(0.4 - 1e-6);
    expect(lo).toBeLessThan(0.41);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.99);
  });
});

describe('IDLA relabelled copies (extension)', () => {
  it('label each copy with r under its new requirements, within a factor 2 of the old, and leave the paper rules untouched', () => {
    const base = [row(0.3, 2, 100), row(0.5, 1, 20), row(0.2, 1.5, 0), row(0.9, 0.5, 200), row(0.1, 2, 50)];
    const labels = [0.6, 1, 0.25, 1, 1];
    // The last row had no users: no throughput, satisfied whatever it asks.
    const throughput = [1.2, 1.4, 0.375, 0.7, 0];
    const delay = [80, 12, 40, 150, 2];
    const data = { inputs: Float32Array.from(base.flat()), labels: Float32Array.from(labels) };
    const paper = augment(data, throughput, delay, new Rng(7));
    const out = augment(data, throughput, delay, new Rng(7), 3);
    expect(out.counts).toEqual({ original: 5, rule1: 2, rule2: 3, relabelled: 15 });
    expect(paper.counts.relabelled).toBe(0);
    // The paper rules' rows come first and are the same as without relabelling.
    const paperRows = paper.labels.length;
    expect(Array.from(out.inputs.subarray(0, paperRows * IDLA_INPUTS))).toEqual(Array.from(paper.inputs));
    let belowOne = 0;
    for (let m = paperRows; m < out.labels.length; m++) {
      const i = Math.floor((m - paperRows) / 3);
      const copy = out.inputs.subarray(m * IDLA_INPUTS, (m + 1) * IDLA_INPUTS);
      const phiTarget = copy[INPUT_PHI_TARGET]!;
      const delayTarget = copy[INPUT_DELAY_TARGET]!;
      // Only the targets change.
      for (let k = 0; k < IDLA_INPUTS; k++) if (k !== INPUT_PHI_TARGET && k !== INPUT_DELAY_TARGET) expect(copy[k]).toBe(Math.fround(base[i]![k]!));
      for (const [now, was] of [
        [phiTarget, base[i]![INPUT_PHI_TARGET]!],
        [delayTarget, base[i]![INPUT_DELAY_TARGET]!],
      ] as const) {
        if (was === 0) expect(now).toBe(0);
        else {
          expect(now / was).toBeGreaterThanOrEqual(0.5 - 1e-6);
          expect(now / was).toBeLessThanOrEqual(2 + 1e-6);
        }
      }
      let expected = 1;
      if (i !== 4) {
        if (phiTarget > 0) expected = Math.min(expected, throughput[i]! / phiTarget);
        if (delayTarget > 0) expected = Math.min(expected, delayTarget / delay[i]!);
      }
      expect(out.labels[m]).toBeCloseTo(expected, 6);
      if (out.labels[m]! < 1) belowOne++;
    }
    // Unlike rule 1, relabelling also yields unsatisfied copies.
    expect(belowOne).toBeGreaterThan(0);
    expect(() => augment(data, throughput, delay, new Rng(7), -1)).toThrow(/relabel/);
  });
});

describe('IDLA samples', () => {
  /** An observation of 1 cell x 2 slices with the given users, CQI, share and throughput per slice. */
  function obs(users: number[], cqi: number[], share: number[], throughput: number[]): Float32Array {
    const o = new Float32Array(2 * FEATURES_PER_SLICE);
    for (let s = 0; s < 2; s++) {
      const b = s * FEATURES_PER_SLICE;
      o[b + FEATURE.active] = 1;
      o[b + FEATURE.activeUsers] = users[s]!;
      o[b + FEATURE.meanCqi] = cqi[s]!;
      o[b + FEATURE.share] = share[s]!;
      o[b + FEATURE.prbUtilization] = 1;
      o[b + FEATURE.throughput] = throughput[s]!;
      o[b + FEATURE.meanDelay] = 10;
      o[b + FEATURE.phiTarget] = 2;
      o[b + FEATURE.delayTarget] = 20;
    }
    return o;
  }

  it('pairs each outcome with the history known before the step, and round-trips through the run directory', () => {
    const collector = new SampleCollector(1, 2);
    collector.observe(obs([1, 10], [5, 7], [0.5, 0.5], [2, 2]), true);
    for (let t = 2; t <= 7; t++) collector.observe(obs([t, 10 * t], [5, 7], [0.1 * t, 0.05], [1, 3]));
    expect(collector.samples.size).toBe(12);
    const last = collector.samples.row(10); // slice 0 of the 6th step (users 7)
    expect(last[sampleColumns.share]).toBeCloseTo(0.7, 6);
    // History: users of steps 2..6 (the step's own count 7 is not known when deciding).
    expect(Array.from(last.subarray(sampleColumns.users, sampleColumns.users + HISTORY))).toEqual([2, 3, 4, 5, 6]);
    expect(last[sampleColumns.r]).toBeCloseTo(0.5, 6);
    const first = collector.samples.row(1); // slice 1 of the first step: history = the reset obs only
    expect(Array.from(first.subarray(sampleColumns.users, sampleColumns.users + HISTORY))).toEqual([10, 10, 10, 10, 10]);
    expect(first[sampleColumns.r]).toBe(1);

    const dir = mkdtempSync(join(tmpdir(), 'idla-samples-'));
    try {
      saveSamples(dir, collector.samples);
      const loaded = loadSamples(dir);
      expect(loaded.size).toBe(12);
      expect(Array.from(loaded.data)).toEqual(Array.from(collector.samples.data));
      // A file cut off mid-write is rejected with a message naming it.
      writeFileSync(join(dir, 'idla-samples.f32'), Buffer.alloc(SAMPLE_WIDTH * 4 * 3 + 2));
      expect(() => loadSamples(dir)).toThrow(/idla-samples\.f32 size/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

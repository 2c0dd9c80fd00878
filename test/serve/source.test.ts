// checkpoint:<run> serves what the agents' own loader returns: the source's chunks of 64/16/4/1
// cells agree with the loaded policy run on the training layout (3 cells), for any request size,
// at the request's time of day for actors that read it (and as before for a run without a clock).
import { beforeAll, describe, expect, it } from 'vitest';
import { AdmmPolicy, CellActorPolicy, loadPolicyFromRun } from '../../src/agents/index.js';
import { FEATURES_PER_SLICE } from '../../src/families/index.js';
import { loadPolicySource } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, SLICES, trainRun } from './fixtures.js';

let runs: Record<string, string>;
beforeAll(async () => {
  runs = {
    td3: await trainRun('td3'),
    'maddpg-admm': await trainRun('maddpg-admm'),
    'td3 without a clock': await trainRun('td3', undefined, undefined, { timeOfDay: false }),
  };
});

describe('serve: checkpoint source', () => {
  for (const agent of ['td3', 'maddpg-admm', 'td3 without a clock']) {
    it(`${agent}: the served raw outputs are the loaded policy's, for 1 to 70 cells`, async () => {
      const source = await loadPolicySource(`checkpoint:${runs[agent]}`);
      const policy = await loadPolicyFromRun(runs[agent]!);
      expect(source.metadata.timeOfDay).toBe(agent !== 'td3 without a clock');
      const L = 3;
      const reference = (obs: Float32Array, secondsOfDay: number): ArrayLike<number> => {
        const nd = { data: obs, shape: [L, SLICES, FEATURES_PER_SLICE] };
        if (policy instanceof CellActorPolicy) return policy.raw(nd, { step: 0, secondsOfDay });
        if (policy instanceof AdmmPolicy) {
          policy.reset();
          return policy.decide(nd, { step: 0, secondsOfDay }).z;
        }
        throw new Error(`unexpected policy ${policy.id}`);
      };
      const rng = new Rng(agent.length);
      for (const cells of [1, 2, 3, 5, 17, 64, 70]) {
        const obs = Float32Array.from(randomCells(rng, cells).flat(2));
        for (const secondsOfDay of [4 * 3600, 17.5 * 3600]) {
          const served = Array.from(await source.predict(obs, cells, secondsOfDay));
          const expected: number[] = [];
          for (let first = 0; first < cells; first += L) {
            const chunk = new Float32Array(L * SLICES * FEATURES_PER_SLICE);
            chunk.set(obs.subarray(first * SLICES * FEATURES_PER_SLICE, Math.min(cells, first + L) * SLICES * FEATURES_PER_SLICE));
            expected.push(...Array.from(reference(chunk, secondsOfDay)).slice(0, Math.min(L, cells - first) * SLICES));
          }
          expect(served).toHaveLength(cells * SLICES);
          served.forEach((v, i) => expect(Math.abs(v - expected[i]!), `${cells} cells at ${secondsOfDay} s, output ${i}`).toBeLessThan(1e-5));
        }
      }
    }, 60_000);
  }
});

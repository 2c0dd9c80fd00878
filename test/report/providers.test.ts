import { describe, expect, it } from 'vitest';
import { registerFamily, type FamilyEpisodeTrace } from '../../src/families/index.js';
import { figureProviders, providerFor, type PolicyEpisode } from '../../src/report/index.js';
import { loadScenario, type ScenarioBase } from '../../src/scenario/index.js';
import { corridorFamily, type CorridorScenario } from '../families/fixtures/corridor.js';

const corridorScenario = corridorFamily.parseScenario({ name: 'corridor-4', family: 'corridor', env: { kind: 'synthetic' }, corridor: { length: 4 } });

describe('figure providers from the family registry', () => {
  it('report/ draws a registered family with its own provider, and slicing with the slicing one', () => {
    const seen: FamilyEpisodeTrace[][] = [];
    registerFamily({
      ...corridorFamily,
      figures: {
        accepts: (scenario: CorridorScenario) => scenario.corridor.length > 2,
        episodeFigures: (scenario: CorridorScenario, episodes: readonly FamilyEpisodeTrace[]) => {
          seen.push([...episodes]);
          const values = episodes.flatMap((e) => e.steps.map((s) => ({ policy: e.policy, step: s.step, cell: s.obs[0] })));
          return [{ id: 'corridor-walk', title: 'Walk', caption: `Cell per step along ${scenario.corridor.length} cells.`, section: 'evaluation episode', spec: { data: { values }, mark: 'line', encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'cell', type: 'quantitative' } } } }];
        },
      },
    });
    expect(figureProviders().map((p) => p.family)).toEqual(['slicing', 'vnf-migration', 'corridor']);
    expect(providerFor(loadScenario('slicing-synthetic'))?.family).toBe('slicing');

    const provider = providerFor(corridorScenario);
    expect(provider?.family).toBe('corridor');
    const episode: PolicyEpisode = { policy: 'baseline:right', seed: 1, kpis: { goalRate: 1 }, steps: [1, 2, 3].map((cell, i) => ({ step: i, action: Float32Array.of(2), obs: Float32Array.of(cell), reward: -1 })) };
    const figures = provider!.episodeFigures(corridorScenario, [episode]);
    expect(figures.map((f) => f.id)).toEqual(['corridor-walk']);
    expect(seen).toEqual([[episode]]);

    // The family's accepts() still decides within the family; another family's scenario never reaches it.
    const short: ScenarioBase = { ...corridorScenario, corridor: { length: 2 } } as CorridorScenario;
    expect(providerFor(short)).toBeUndefined();
    expect(providerFor({ ...corridorScenario, family: 'other' })).toBeUndefined();
  });
});

import { DEFAULT_FAMILY_ID, listFamilies } from '../families/index.js';
import type { ScenarioBase } from '../scenario/index.js';
import type { FigureProvider } from './figure.js';

/** The figure providers of the registered env families (EnvFamily.figures), built-in ones first. */
export function figureProviders(): FigureProvider[] {
  const providers: FigureProvider[] = [];
  for (const family of listFamilies()) {
    const figures = family.figures;
    if (!figures) continue;
    providers.push({
      family: family.id,
      // A provider reads only its own family's scenarios: check the family before its accepts().
      accepts: (scenario) => (scenario.family ?? DEFAULT_FAMILY_ID) === family.id && (figures.accepts?.(scenario) ?? true),
      episodeFigures: (scenario, episodes) => figures.episodeFigures(scenario, episodes),
    });
  }
  return providers;
}

/** The provider that draws episodes of `scenario` (its family's), if any. */
export function providerFor(scenario: ScenarioBase): FigureProvider | undefined {
  return figureProviders().find((p) => p.accepts(scenario));
}

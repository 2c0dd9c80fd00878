import { slicingFigures } from '../families/index.js';
import type { Scenario } from '../scenario/index.js';
import type { FigureProvider } from './figure.js';

/**
 * The figure providers of the env families. For now the list is written here; the family
 * registry will hand each family's provider over instead.
 */
export const FIGURE_PROVIDERS: readonly FigureProvider[] = [slicingFigures];

/** The provider that draws episodes of `scenario`, if any. */
export function providerFor(scenario: Scenario): FigureProvider | undefined {
  return FIGURE_PROVIDERS.find((p) => p.accepts(scenario));
}

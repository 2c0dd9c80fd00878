// `--set path=value` on commands that take a scenario of any family (train, eval): the overrides
// are applied to the scenario document and the result is read again by the scenario's family
// (parseFamilyScenario), so an override is checked exactly as the same field in the file is.
import { parseFamilyScenario } from '../families/index.js';
import { applyOverrides, type ScenarioBase } from '../scenario/index.js';

/** The help of `--set` on train and eval. */
export const FAMILY_SET_OPTION_HELP =
  "override a field of the scenario (any family), validated by the family's reader like the file (repeatable), " +
  'e.g. --set episodeSteps=50, --set slices.urllc.delayTarget=5 (slicing), --set sfc.arrivals.meanPerStep=2 (sfc), --set vnf.migrationsPerStep=1 (vnf-migration)';

/** `scenario` with the `--set` overrides applied in order, each validated by the scenario's family. */
export function withFamilyOverrides(scenario: ScenarioBase, sets: readonly string[]): ScenarioBase {
  return sets.length === 0 ? scenario : applyOverrides(scenario, sets, '--set', parseFamilyScenario);
}

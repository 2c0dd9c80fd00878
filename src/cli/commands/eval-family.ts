// `ns3ts eval` on a scenario of a family other than slicing: the family's baselines, its env and
// its KPIs through the generic evaluation (eval/generic.ts). Slicing scenarios keep their own path
// in eval.ts (per-slice tables, fixed shares, checkpoints).
import { evaluateFamilyPolicy, meanEpisodeReturn, resolveFamilyBaselines, type FamilyEvalResult } from '../../eval/index.js';
import type { ScenarioBase } from '../../scenario/index.js';
import { InputError, fixedCell, recordTableLines, writeJsonAtomic, type TableColumn } from '../../util/index.js';

export interface FamilyEvalCliOptions {
  policy: string;
  episodes?: number;
  seed?: number;
  json: boolean;
  out?: string;
  progress: boolean;
}

/** The KPI table of a family evaluation: one row per policy, the mean return, then the family's KPIs by name. */
export function formatFamilyEvalTable(results: readonly FamilyEvalResult[]): string {
  const first = results[0];
  if (!first) return '';
  const columns: Array<TableColumn<FamilyEvalResult>> = [
    ['policy', (r) => r.policy],
    ['return', (r) => fixedCell(meanEpisodeReturn(r))],
    ['steps', (r) => String(r.steps)],
  ];
  for (const key of Object.keys(first.kpis)) columns.push([key, (r) => fixedCell(r.kpis[key] ?? null)]);
  const lines = recordTableLines(columns, results);
  const header = `scenario ${first.scenario} (family ${first.family}), ${first.episodes} episode(s) from seed ${first.seed}`;
  return [header, ...lines].join('\n') + '\n';
}

/**
 * Evaluates the `--policy` spec (`baseline:<name>` or `all-baselines` of the scenario's family, or
 * `checkpoint:<run-dir>` of an agent that plays the family: sfc's dqn, vnf-migration's ppo) and
 * returns what the command prints; `--out` gets the JSON (an array for all-baselines).
 */
export async function evalFamilyScenario(scenario: ScenarioBase, options: FamilyEvalCliOptions): Promise<string> {
  if (options.episodes === 0) throw new InputError('--episodes', 0, 'an integer >= 1');
  const policies = resolveFamilyBaselines(options.policy, scenario);
  const results: FamilyEvalResult[] = [];
  for (const policy of policies) {
    results.push(
      await evaluateFamilyPolicy(scenario, policy.create, {
        ...(options.episodes === undefined ? {} : { episodes: options.episodes }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        progress: options.progress,
      }),
    );
  }
  const json = options.policy === 'all-baselines' ? results : results[0]!;
  if (options.out) writeJsonAtomic(options.out, json);
  return options.json ? `${JSON.stringify(json, null, 2)}\n` : formatFamilyEvalTable(results);
}

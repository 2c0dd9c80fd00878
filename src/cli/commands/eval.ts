import type { Command } from 'commander';
import { evaluatePolicy, resolvePolicies, POLICY_SPEC_HELP, type EvalResult } from '../../eval/index.js';
import { isSlicingScenario, loadFamilyScenario } from '../../families/index.js';
import { InputError, fixedCell, recordTableLines, writeJsonAtomic, type TableColumn } from '../../util/index.js';
import { integerOption, repeatableOption } from '../options.js';
import { FAMILY_SET_OPTION_HELP, withFamilyOverrides } from '../scenario-overrides.js';
import { evalFamilyScenario } from './eval-family.js';

interface EvalOptions {
  scenario: string;
  policy: string;
  episodes?: number;
  seed?: number;
  json: boolean;
  out?: string;
  progress: boolean;
  set: string[];
}

/** The JSON form of one result: {"scenario","policy","episodes","seed","kpis","perSlice",...}. */
function toJson(result: EvalResult): Record<string, unknown> {
  return { ...result };
}

/** The KPI table: one row per policy, then QoS satisfaction per slice. */
export function formatEvalTable(results: readonly EvalResult[]): string {
  const first = results[0];
  if (!first) return '';
  const columns: Array<TableColumn<EvalResult>> = [
    ['policy', (r) => r.policy],
    ['utility/step', (r) => fixedCell(r.kpis.meanUtility)],
    ['QoS sat', (r) => fixedCell(r.kpis.qosSatisfaction)],
    ['mean r', (r) => fixedCell(r.kpis.meanR)],
    ['SLA viol', (r) => fixedCell(r.kpis.slaViolationRate)],
    ['SLA viol conv', (r) => fixedCell(r.kpis.slaViolationRateConverged)],
    ['alloc share', (r) => fixedCell(r.kpis.allocatedShare)],
    ['util', (r) => fixedCell(r.kpis.utilization)],
    ['cap viol', (r) => String(r.kpis.capacityViolation)],
    ['Jain', (r) => fixedCell(r.kpis.jainFairness)],
  ];
  if (results.some((r) => r.kpis.recoverySteps !== null || r.kpis.unrecoveredEvents > 0)) {
    columns.push(['recovery', (r) => fixedCell(r.kpis.recoverySteps, 1)]);
    columns.push(['unrecovered', (r) => String(r.kpis.unrecoveredEvents)]);
  }
  const slices = Object.keys(first.perSlice);
  for (const s of slices) columns.push([`QoS ${s}`, (r) => fixedCell(r.perSlice[s]?.qosSatisfaction ?? Number.NaN)]);
  const lines = recordTableLines(columns, results);
  const header = `scenario ${first.scenario}, ${first.episodes} episode(s) from seed ${first.seed}, ${first.kpis.steps} steps per policy`;
  const constraintLines = results.flatMap((r) =>
    r.constraints.map((c) => `constraint ${c.slice} ${c.kind} <= ${c.limit}: ${r.policy} ${fixedCell(c.value, 4)} ${c.satisfied ? 'ok' : 'VIOLATED'}`),
  );
  return [header, ...lines, ...constraintLines].join('\n') + '\n';
}

/** `ns3ts eval --scenario <s> --policy <spec>`: KPIs of a policy (or all baselines). */
export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a policy (baselines, fixed shares, a trained checkpoint) on a scenario and print its KPIs')
    .option('-s, --scenario <name|path>', 'scenario name (see `ns3ts scenarios`) or path', 'slicing-synthetic')
    .option('-p, --policy <spec>', POLICY_SPEC_HELP, 'all-baselines')
    .option('-e, --episodes <n>', "episodes per policy (default: the scenario's training.evalEpisodes)", integerOption('--episodes'))
    .option('--seed <n>', "episode e is reset with seed + e (default: the scenario's seed)", integerOption('--seed'))
    .option('--json', 'print JSON: one object per policy; an array of them for all-baselines', false)
    .option('-o, --out <file>', 'also write the JSON to this file (written atomically)')
    .option('--set <path=value>', FAMILY_SET_OPTION_HELP, repeatableOption, [])
    .option('--no-progress', 'hide the progress bar (stderr)')
    .action(async (options: EvalOptions) => {
      const scenario = withFamilyOverrides(loadFamilyScenario(options.scenario), options.set);
      if (!isSlicingScenario(scenario)) {
        process.stdout.write(await evalFamilyScenario(scenario, options));
        return;
      }
      if (options.episodes === 0) throw new InputError('--episodes', 0, 'an integer >= 1');
      const policies = resolvePolicies(options.policy, scenario);
      for (const policy of policies) await policy.check?.();
      const results: EvalResult[] = [];
      for (const policy of policies) {
        results.push(
          await evaluatePolicy(scenario, policy.create, {
            ...(options.episodes === undefined ? {} : { episodes: options.episodes }),
            ...(options.seed === undefined ? {} : { seed: options.seed }),
            progress: options.progress,
          }),
        );
      }
      const multiple = options.policy === 'all-baselines';
      const json = multiple ? results.map(toJson) : toJson(results[0]!);
      if (options.out) writeJsonAtomic(options.out, json);
      process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : formatEvalTable(results));
    });
}

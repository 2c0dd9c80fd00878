import type { Command } from 'commander';
import { listFamilies, loadFamilyScenario, parseFamilyScenario, type EnvFamily } from '../../families/index.js';
import { listScenarios, scenarioToYaml } from '../../scenario/index.js';

/** One family as `ns3ts scenarios families --json` prints it. */
function familySummary(family: EnvFamily): Record<string, unknown> {
  return { id: family.id, description: family.description, envKinds: [...family.envKinds], baselines: Object.keys(family.baselines) };
}

/**
 * `ns3ts scenarios` (list), `ns3ts scenarios show <name|path>` (the resolved scenario) and
 * `ns3ts scenarios families` (the registered env families). Scenarios of every family are read
 * through the family registry (docs/families.md).
 */
export function register(program: Command): void {
  const scenarios = program
    .command('scenarios')
    .description('list the shipped scenarios, or show one fully resolved (defaults applied)')
    .option('--json', 'print JSON instead of a table', false)
    .action((options: { json: boolean }) => {
      const list = listScenarios(parseFamilyScenario);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const width = Math.max(4, ...list.map((s) => s.name.length));
      process.stdout.write(`${'name'.padEnd(width)}  env        description\n`);
      for (const s of list) process.stdout.write(`${s.name.padEnd(width)}  ${s.envKind.padEnd(9)}  ${s.description}\n`);
    });
  scenarios
    .command('show')
    .description('print a scenario (by name, or a path to a .yaml file) with every default applied; validates it')
    .argument('<scenario>', 'scenario name or path')
    .option('--json', 'print JSON instead of YAML', false)
    .action((name: string, options: { json: boolean }, command: Command) => {
      const scenario = loadFamilyScenario(name);
      // `scenarios --json show x` and `scenarios show x --json` both mean JSON.
      const json = options.json || Boolean((command.parent?.opts() as { json?: boolean } | undefined)?.json);
      process.stdout.write(json ? `${JSON.stringify(scenario, null, 2)}\n` : scenarioToYaml(scenario));
    });
  scenarios
    .command('families')
    .description("list the registered env families: the scenario's family: field (slicing when absent), env kinds, baselines")
    .option('--json', 'print JSON instead of a table', false)
    .action((options: { json: boolean }, command: Command) => {
      const families = listFamilies();
      const json = options.json || Boolean((command.parent?.opts() as { json?: boolean } | undefined)?.json);
      if (json) {
        process.stdout.write(`${JSON.stringify(families.map(familySummary), null, 2)}\n`);
        return;
      }
      for (const family of families) {
        process.stdout.write(`${family.id}  (env.kind ${family.envKinds.join(' | ')})  ${family.description}\n`);
        process.stdout.write(`  baselines: ${Object.keys(family.baselines).join(', ') || '(none)'}\n`);
      }
    });
}

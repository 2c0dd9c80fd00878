import type { Command } from 'commander';
import { listScenarios, loadScenario, scenarioToYaml } from '../../scenario/index.js';

/** `ns3ts scenarios` (list) and `ns3ts scenarios show <name|path>` (the resolved scenario). */
export function register(program: Command): void {
  const scenarios = program
    .command('scenarios')
    .description('list the shipped scenarios, or show one fully resolved (defaults applied)')
    .option('--json', 'print JSON instead of a table', false)
    .action((options: { json: boolean }) => {
      const list = listScenarios();
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
      const scenario = loadScenario(name);
      // `scenarios --json show x` and `scenarios show x --json` both mean JSON.
      const json = options.json || Boolean((command.parent?.opts() as { json?: boolean } | undefined)?.json);
      process.stdout.write(json ? `${JSON.stringify(scenario, null, 2)}\n` : scenarioToYaml(scenario));
    });
}

import { Command, Option } from 'commander';
import { runAgent, type AgentOptions } from '../../server/index.js';
import { integerOption, numberOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('agent')
    .description('serve external simulators as an ns3-gym agent (two-terminal mode): print their spaces, answer every state')
    .option('--endpoint <endpoint>', 'where to listen: tcp://host:port (port 0 = any free port), ipc://path, or a port', 'tcp://127.0.0.1:5555')
    .option('--policy <policy>', "'random' (samples the action space) or 'constant:<json>' (e.g. constant:2, constant:[0.5,0.5])", 'random')
    .addOption(new Option('--mode <mode>', 'REP: one simulator at a time, exactly like ns3-gym; ROUTER: many simulators on one endpoint').choices(['rep', 'router']).default('rep'))
    .option('--timeout <seconds>', 'how long to wait for a simulator to connect and for each state', numberOption('--timeout', { above: 0 }), 60)
    .option('--max-episodes <n>', 'exit after n episodes (default: when the simulator stops; ROUTER: when no simulator is left)', integerOption('--max-episodes', { min: 1 }))
    .option('--seed <n>', 'seed of the random policy', integerOption('--seed'), 0)
    .addHelpText(
      'after',
      '\nExamples:\n  ns3ts agent --endpoint tcp://127.0.0.1:5555          # then start the ns-3 scenario with --openGymPort=5555\n' +
        '  ns3ts agent --endpoint ipc:///tmp/gym.sock --mode router --max-episodes 8 --policy constant:[0.3,0.3,0.3]\n' +
        '\nExit code 0 when the simulators stopped (or after --max-episodes), 1 with a one-line reason on a timeout or a protocol error.',
    )
    .action(async (opts: AgentOptions) => {
      await runAgent(opts);
    });
}

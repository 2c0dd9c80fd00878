import { Command, Option } from 'commander';
import { runAgent, type AgentOptions } from '../../server/index.js';
import { DEFAULT_WIRE_LIMITS } from '../../wire/index.js';
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
    .option('--strict', 'ROUTER: exit 1 at the end when any session ended with an error or a frame was refused')
    .option('--max-frame-bytes <n>', `largest frame accepted (default ${DEFAULT_WIRE_LIMITS.maxFrameBytes})`, integerOption('--max-frame-bytes', { min: 1 }))
    .option('--max-elements <n>', `most elements one declared space may hold (default ${DEFAULT_WIRE_LIMITS.maxElements})`, integerOption('--max-elements', { min: 1 }))
    .option('--max-depth <n>', `deepest nesting of Tuple/Dict spaces (default ${DEFAULT_WIRE_LIMITS.maxDepth})`, integerOption('--max-depth', { min: 1 }))
    .option('--max-keys <n>', `most Tuple/Dict entries in one space (default ${DEFAULT_WIRE_LIMITS.maxKeys})`, integerOption('--max-keys', { min: 1 }))
    .addHelpText(
      'after',
      '\nExamples:\n  ns3ts agent --endpoint tcp://127.0.0.1:5555          # then start the ns-3 scenario with --openGymPort=5555\n' +
        '  ns3ts agent --endpoint ipc:///tmp/gym.sock --mode router --max-episodes 8 --policy constant:[0.3,0.3,0.3]\n' +
        '\nExit code 0 when the simulators stopped (or after --max-episodes), 1 with a one-line reason on a timeout or a protocol error.\n' +
          'In ROUTER mode a failing simulator ends its own session (one stderr line naming it and its connection) and the\n' +
          'others keep being served; --strict then exits 1 at the end. Frames beyond the --max-* limits are refused with a stop reply.',
    )
    .action(async (opts: AgentOptions) => {
      await runAgent(opts);
    });
}

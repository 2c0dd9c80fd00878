import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { Box, ndarray, type GymSpace, type NdArray } from '../../env/index.js';
import { resolveScenario, scenarioLayout } from '../../scenario/index.js';
import { NATIVE_SPIN_US, runAgent, type AgentOptions, type ExternalPolicy, type SessionPolicy } from '../../server/index.js';
import { InputError } from '../../util/index.js';
import { DEFAULT_WIRE_LIMITS } from '../../wire/index.js';
import { integerOption, numberOption } from '../options.js';

const CHECKPOINT_PREFIX = 'checkpoint:';

export function register(program: Command): void {
  program
    .command('agent')
    .description('serve external simulators as an ns3-gym agent (two-terminal mode): print their spaces, answer every state')
    .option('--endpoint <endpoint>', 'where to listen: tcp://host:port (port 0 = any free port), ipc://path, or a port', 'tcp://127.0.0.1:5555')
    .option('--policy <policy>', "'random' (samples the action space), 'constant:<json>' (e.g. constant:2, constant:[0.5,0.5]) or 'checkpoint:<run-dir>' (the trained policy of an ns3ts train run, for slicing simulators)", 'random')
    .addOption(new Option('--mode <mode>', 'REP: one simulator at a time, exactly like ns3-gym; ROUTER: many simulators on one endpoint').choices(['rep', 'router']).default('rep'))
    .option('--timeout <seconds>', 'how long to wait for a simulator to connect and for each state', numberOption('--timeout', { above: 0 }), 60)
    .option('--max-episodes <n>', 'exit after n episodes (default: when the simulator stops; ROUTER: when no simulator is left)', integerOption('--max-episodes', { min: 1 }))
    .option('--seed <n>', 'seed of the random policy', integerOption('--seed'), 0)
    .addOption(
      new Option('--socket <socket>', "'auto': the addon's libzmq socket when the addon was built with libzmq, else zeromq.js; 'native': the addon's socket (each state answered in the pass that received it: no promise, no event-loop turn per step; an error when the addon lacks it); 'zeromq': zeromq.js")
        .choices(['zeromq', 'native', 'auto'])
        .default('auto'),
    )
    .option('--spin-us <n>', 'native socket: after answering a state, poll up to n microseconds for the next one before the thread sleeps (0: sleep at once); pauses by itself while the simulator is slower than that', integerOption('--spin-us', { min: 0, max: 1_000_000 }), NATIVE_SPIN_US)
    .option('--strict', 'ROUTER: exit 1 at the end when any session ended with an error or a frame was refused')
    .option('--max-frame-bytes <n>', `largest frame accepted (default ${DEFAULT_WIRE_LIMITS.maxFrameBytes})`, integerOption('--max-frame-bytes', { min: 1 }))
    .option('--max-elements <n>', `most elements one declared space may hold (default ${DEFAULT_WIRE_LIMITS.maxElements})`, integerOption('--max-elements', { min: 1 }))
    .option('--max-depth <n>', `deepest nesting of Tuple/Dict spaces (default ${DEFAULT_WIRE_LIMITS.maxDepth})`, integerOption('--max-depth', { min: 1 }))
    .option('--max-keys <n>', `most Tuple/Dict entries in one space (default ${DEFAULT_WIRE_LIMITS.maxKeys})`, integerOption('--max-keys', { min: 1 }))
    .addHelpText(
      'after',
      '\nExamples:\n  ns3ts agent --endpoint tcp://127.0.0.1:5555          # then start the ns-3 scenario with --openGymPort=5555\n' +
        '  ns3ts agent --endpoint ipc:///tmp/gym.sock --mode router --max-episodes 8 --policy constant:[0.3,0.3,0.3]\n' +
        '\nThe agent runs in a Node started again with V8\'s --single-threaded (no background compiler or GC threads competing\n' +
          'with the simulator for the cores); signals reach it and its exit status is the command\'s. NS3TS_NO_RELAUNCH=1 keeps it\n' +
          'in the first process.\n' +
        '\nExit code 0 when the simulators stopped (or after --max-episodes), 1 with a one-line reason on a timeout or a protocol error.\n' +
          'In ROUTER mode a failing simulator ends its own session (one stderr line naming it and its connection) and the\n' +
          'others keep being served; --strict then exits 1 at the end. Frames beyond the --max-* limits are refused with a stop reply.',
    )
    .action(async (opts: AgentOptions) => {
      const external = opts.policy.startsWith(CHECKPOINT_PREFIX) ? checkpointPolicy(opts.policy.slice(CHECKPOINT_PREFIX.length)) : undefined;
      await runAgent(external ? { ...opts, external } : opts);
    });
}

/**
 * The trained policy of a run directory, served to slicing simulators: the run's scenario gives
 * the slicing layout (slice types and targets) the policy was trained on; a simulator whose spaces
 * do not fit that layout is refused when it connects.
 */
function checkpointPolicy(runDir: string): ExternalPolicy {
  const configPath = join(resolve(runDir), 'config.json');
  if (runDir === '' || !existsSync(configPath)) throw new InputError('--policy', `${CHECKPOINT_PREFIX}${runDir}`, 'checkpoint:<run-dir> naming an ns3ts train run directory (with config.json)');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { scenario?: unknown };
  if (typeof config.scenario !== 'object' || config.scenario === null) throw new InputError(`${configPath}: scenario`, config.scenario, 'the resolved scenario of the run');
  const layout = scenarioLayout(resolveScenario(config.scenario as Record<string, unknown>));
  const slices = layout.slices.length;
  return {
    name: `${CHECKPOINT_PREFIX}${runDir}`,
    create: async (observationSpace: GymSpace, actionSpace: GymSpace): Promise<SessionPolicy> => {
      const fits = (space: GymSpace, shape: number[]): space is Box => space instanceof Box && space.shape.length === shape.length && space.shape.every((d, i) => d === shape[i]);
      // Cells and slices are checked against the run's layout; the features per slice are the slicing contract's.
      const obsShape = observationSpace instanceof Box ? [layout.cells, slices, observationSpace.shape[2] ?? 0] : [];
      if (!fits(observationSpace, obsShape) || observationSpace.dtype !== 'float32') {
        throw new InputError('observation space', observationSpace.toJSON(), `a float32 Box of shape [${layout.cells}, ${slices}, features] (the run's ${layout.cells} cell(s) x ${slices} slice(s))`);
      }
      if (!fits(actionSpace, [layout.cells, slices])) throw new InputError('action space', actionSpace.toJSON(), `a Box of shape [${layout.cells}, ${slices}] (one share per cell and slice)`);
      // Loaded on demand: the agents (and TensorFlow.js) are only needed for this policy.
      const { loadPolicyFromRun } = await import('../../agents/index.js');
      const policy = await loadPolicyFromRun(runDir);
      const shape = actionSpace.shape;
      const dtype = actionSpace.dtype;
      const toAction = (shares: Float32Array): NdArray => (dtype === 'float32' ? { data: shares, shape } : ndarray(dtype, shape, shares));
      return {
        reset: () => policy.reset?.(),
        act: (obs, step) => {
          const shares = policy.act(obs as NdArray<Float32Array>, { layout, step });
          return shares instanceof Promise ? shares.then(toAction) : toAction(shares);
        },
      };
    },
  };
}

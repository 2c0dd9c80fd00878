import type { Command } from 'commander';
import { agentRegistry, BACKEND_CHOICES, parseBackendChoice, type BackendChoice } from '../../agents/index.js';
import { loadFamilyScenario } from '../../families/index.js';
import { serveLiveReport, type LiveServer } from '../../report/index.js';
import { train, type TrainSummary } from '../../train/index.js';
import { InputError, log } from '../../util/index.js';
import { abortOnSignals } from '../signals.js';
import { integerOption, numberOption, repeatableOption } from '../options.js';
import { FAMILY_SET_OPTION_HELP, withFamilyOverrides } from '../scenario-overrides.js';

interface TrainCliOptions {
  scenario?: string;
  agent?: string;
  seed?: number;
  episodes?: number;
  out: string;
  runId?: string;
  backend?: BackendChoice;
  resume?: string;
  evalEvery?: number;
  evalEpisodes?: number;
  checkpointEvery: number;
  checkpointSeconds?: number;
  json: boolean;
  progress: boolean;
  live: boolean;
  port: number;
  set: string[];
  simExecutor?: string;
  simulators?: number;
  curve?: boolean;
}

function agentHelp(): string {
  const ids = Object.keys(agentRegistry);
  const width = Math.max(...ids.map((id) => id.length));
  return `\nAgents (--agent):\n${ids.map((id) => `  ${id.padEnd(width)}  ${agentRegistry[id]!.description}`).join('\n')}\n`;
}

/** `scenarioArg`: what the user passed to --scenario (a path stays a path in the eval hint). */
function formatSummary(s: TrainSummary, scenarioArg: string | undefined): string {
  const lines = [
    `run        ${s.runDir}`,
    `agent      ${s.agent} on ${s.scenario} (seed ${s.seed}, backend ${s.backend})`,
    `episodes   ${s.completedEpisodes}/${s.episodes}${s.finished ? '' : ' (unfinished: continue with --resume)'}, ${s.totalSteps} steps, ${s.updates} updates`,
    `time       ${s.trainSeconds.toFixed(1)} s (${s.stepsPerSecond.toFixed(1)} steps/s)`,
  ];
  const e = s.lastEval as Record<string, number> | null;
  if (e && typeof e.meanUtility !== 'number') {
    // A family other than slicing: its KPIs by name.
    const kpis = Object.entries(e).filter(([k, v]) => k !== 'episode' && typeof v === 'number');
    lines.push(`last eval  ${kpis.map(([k, v]) => `${k} ${Number(v.toFixed(3))}`).join(', ')}`);
  } else if (e) {
    lines.push(
      `last eval  mean utility ${e.meanUtility!.toFixed(4)}, QoS satisfaction ${e.qosSatisfaction!.toFixed(3)}, capacity violation ${e.capacityViolation}`,
    );
  }
  lines.push(`evaluate   ns3ts eval --scenario ${scenarioArg ?? s.scenario} --policy checkpoint:${s.runDir}`);
  return `${lines.join('\n')}\n`;
}

function resumeHint(runDir: string): string {
  return `resume with: ns3ts train --resume ${runDir}`;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train an agent on a scenario (synthetic or ns-3); writes runs/<run-id>/ (config, metrics.jsonl, checkpoint, summary)')
    .option('-s, --scenario <name|path>', 'scenario name (see `ns3ts scenarios`) or path (default: slicing-synthetic)')
    .option('-a, --agent <id>', "agent id (default: the scenario's agent.id; see the list below)")
    .option('--seed <n>', "seed of the run (default: the scenario's seed)", integerOption('--seed'))
    .option('-e, --episodes <n>', "training episodes (default: the scenario's training.episodes)", integerOption('--episodes', { min: 1 }))
    .option('-o, --out <dir>', 'folder for run directories', 'runs')
    .option('--run-id <id>', 'name of the run directory (default: <scenario>-<agent>-s<seed>-<time>)')
    .option('-b, --backend <name>', `training backend: ${BACKEND_CHOICES.join(', ')} (default: auto = the native engine, or its TS fallback without the addon; tfjs = TensorFlow.js; with --resume: the run's)`, (v) =>
      parseBackendChoice(v),
    )
    .option('--resume <run-dir>', 'continue a killed or finished run from its last checkpoint (with --episodes: up to that many)')
    .option('--eval-every <n>', "evaluate every n episodes (default: the scenario's training.evalEvery; 0 = never)", integerOption('--eval-every'))
    .option('--eval-episodes <n>', "episodes per evaluation (default: the scenario's training.evalEpisodes)", integerOption('--eval-episodes', { min: 1 }))
    .option('--checkpoint-every <n>', 'checkpoint every n episodes (the last one always)', integerOption('--checkpoint-every', { min: 1 }), 1)
    .option(
      '--checkpoint-seconds <s>',
      'at most one checkpoint due by --checkpoint-every per s seconds: what a crash can lose (default 10; 0 = every due one; Ctrl-C and the last episode always checkpoint)',
      numberOption('--checkpoint-seconds', { min: 0 }),
    )
    .option('--set <path=value>', FAMILY_SET_OPTION_HELP, repeatableOption, [])
    .option('--sim-executor <local|slurm>', 'where ns-3 simulators run: local processes or one Slurm job array (= --set ns3.simExecutor=...; see docs/cluster.md)')
    .option('--simulators <n>', 'ns-3 simulators stepped together as one vector env (= --set ns3.simulators=n)', integerOption('--simulators', { min: 1 }))
    .option('--curve', 'ZeroMQ CURVE on a loopback endpoint too (endpoints other hosts reach always use it)')
    .option('--json', 'print the run summary as JSON on stdout', false)
    .option('--no-progress', 'hide the progress bar (stderr)')
    .option('--live', 'serve a live view of the run on 127.0.0.1 while it trains (see ns3ts report --serve)', false)
    .option('--port <n>', 'port of --live (0: any free port)', integerOption('--port', { max: 65535 }), 8765)
    .addHelpText('after', agentHelp)
    .action(async (options: TrainCliOptions) => {
      if (options.resume && (options.scenario || options.agent || options.seed !== undefined)) {
        throw new InputError('--resume', options.resume, 'no --scenario/--agent/--seed with it (the run directory has them)');
      }
      // The simulator flags are scenario overrides of the ns3 section.
      const sets = [
        ...options.set,
        ...(options.simExecutor === undefined ? [] : [`ns3.simExecutor=${options.simExecutor}`]),
        ...(options.simulators === undefined ? [] : [`ns3.simulators=${options.simulators}`]),
        ...(options.curve ? ['ns3.curve=true'] : []),
      ];
      if (options.resume && options.set.length > 0) {
        throw new InputError('--set', options.set[0], 'no --set with --resume (the run directory has its scenario)');
      }
      if (options.resume && sets.length > 0) {
        throw new InputError('--sim-executor/--simulators/--curve', sets[0], 'none of them with --resume (the run directory has its scenario)');
      }
      // With overrides the scenario is resolved here; train() takes the resulting object.
      const scenario = sets.length > 0 ? withFamilyOverrides(loadFamilyScenario(options.scenario ?? 'slicing-synthetic'), sets) : options.scenario;
      let stoppedRunDir: string | null = null;
      const stop = abortOnSignals(
        (sig) => `${sig}: stopping after the current episode and its checkpoint (again to exit at once)`,
        (sig) => {
          log.warn(`${sig}: exiting at once; the last checkpoint written is kept`);
          if (stoppedRunDir) log.info(resumeHint(stoppedRunDir));
        },
      );
      let live: LiveServer | null = null;
      let summary: TrainSummary;
      try {
        summary = await train({
          ...(scenario === undefined ? {} : { scenario }),
          ...(options.agent === undefined ? {} : { agent: options.agent }),
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          ...(options.episodes === undefined ? {} : { episodes: options.episodes }),
          ...(options.runId === undefined ? {} : { runId: options.runId }),
          ...(options.resume === undefined ? {} : { resume: options.resume }),
          ...(options.evalEvery === undefined ? {} : { evalEvery: options.evalEvery }),
          ...(options.evalEpisodes === undefined ? {} : { evalEpisodes: options.evalEpisodes }),
          outDir: options.out,
          ...(options.backend === undefined ? {} : { backend: options.backend }),
          checkpointEvery: options.checkpointEvery,
          ...(options.checkpointSeconds === undefined ? {} : { checkpointSeconds: options.checkpointSeconds }),
          progress: options.progress,
          announce: log.info,
          signal: stop.signal,
          onRunDir: (runDir) => (stoppedRunDir = runDir),
          ...(options.live
            ? {
                onRunOpen: async (runDir: string) => {
                  live = await serveLiveReport(runDir, { port: options.port });
                  log.info(`live view at ${live.url}`);
                },
              }
            : {}),
        });
      } finally {
        stop.dispose();
        await (live as LiveServer | null)?.close();
      }
      if (stop.signal.aborted && !summary.finished) {
        log.warn(`stopped after episode ${summary.completedEpisodes}/${summary.episodes}; its checkpoint is written`);
        log.info(resumeHint(summary.runDir));
        process.exitCode = 130;
      }
      process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, options.scenario));
    });
}

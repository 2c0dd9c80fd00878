import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, log, logs, packageRoot, parseLogLevel, setLogLevel, type LogLevel } from '../util/index.js';
import { commandRegistrations } from './commands/index.js';

const version: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** Options every command sees (declared on the root program). */
export interface GlobalOptions {
  verbose?: boolean;
  quiet?: boolean;
  logLevel?: LogLevel;
}

/** The log level the global options ask for: --log-level, else --quiet (error), else --verbose (debug), else info. */
export function resolveLogLevel(options: GlobalOptions): LogLevel {
  if (options.quiet && options.verbose) throw new InputError('--quiet', true, 'not both --quiet and --verbose (use --log-level)');
  if (options.logLevel !== undefined) return options.logLevel;
  if (options.quiet) return 'error';
  return options.verbose ? 'debug' : 'info';
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ns3ts')
    .description(
      'Co-simulation bridge and gym server for reinforcement learning over NS-3 (ns3-gym compatible): ' +
        'network slicing, IDLA, SFC provisioning and VNF migration, each with built-in synthetic envs.',
    )
    .version(version, '-V, --version', 'print the ns3ts version')
    .option('-v, --verbose', 'log at debug level (backend fallbacks, env construction, simulator commands) and print stack traces with errors')
    .option('-q, --quiet', 'log errors only (progress bars stay; hide them with --no-progress)')
    .option('--log-level <level>', 'error, warn, info or debug (default: info; overrides --quiet and --verbose)', (v) => parseLogLevel(v))
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride()
    .hook('preAction', () => setLogLevel(resolveLogLevel(program.opts<GlobalOptions>())));
  for (const register of commandRegistrations) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. Errors are one line unless --verbose. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const verboseFlag = argv.includes('--verbose') || argv.includes('-v');
  setLogLevel('info');
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit through here with code 0; usage errors were already printed.
      return err.exitCode;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    // Errors print at every level; the stack at debug level (set by the options, or --verbose when
    // the options themselves failed to parse).
    log.error(error.message.split('\n')[0]!);
    if ((verboseFlag || logs('debug')) && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('(run with --verbose for details)\n');
    return 1;
  }
}

import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';
import { commandRegistrations } from './commands/index.js';

const version: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** Options every command sees (declared on the root program). */
export interface GlobalOptions {
  verbose?: boolean;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ns3ts')
    .description(
      'Co-simulation bridge and gym server for training 5G network-slicing agents against NS-3 ' +
        '(ns3-gym compatible), with a built-in synthetic environment.',
    )
    .version(version, '-V, --version', 'print the ns3ts version')
    .option('-v, --verbose', 'log more, and print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. Errors are one line unless --verbose. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit through here with code 0; usage errors were already printed.
      return err.exitCode;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`ns3ts: ${error.message.split('\n')[0]}\n`);
    if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('(run with --verbose for details)\n');
    return 1;
  }
}

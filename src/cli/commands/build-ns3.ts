import type { Command } from 'commander';
import { defaultNs3BuildDir, ensureNs3Build } from '../../remote/index.js';
import { log } from '../../util/index.js';
import { integerOption } from '../options.js';

interface BuildNs3Options {
  buildDir: string;
  force: boolean;
  jobs: number;
  json: boolean;
}

export function register(program: Command): void {
  program
    .command('build-ns3')
    .description(
      'build the ns-3 module ns3-patch/ and its programs (slicing-lte, slicing-null, ...) against the installed ns-3; ' +
        'skipped when the sources (ns3-patch/, bridge/, proto/) did not change since the last build',
    )
    .option('--build-dir <dir>', 'build directory (env NS3TS_BUILD_DIR overrides the default)', defaultNs3BuildDir())
    .option('--force', 'build even if the sources did not change', false)
    .option('-j, --jobs <n>', 'parallel build jobs', integerOption('--jobs', { min: 1 }), 2)
    .option('--json', 'print the result as JSON on stdout', false)
    .action(async (options: BuildNs3Options) => {
      const started = Date.now();
      const result = await ensureNs3Build({
        buildDir: options.buildDir,
        force: options.force,
        jobs: options.jobs,
        log: (line) => log.info(`build-ns3: ${line}`),
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...result, seconds: (Date.now() - started) / 1000 })}\n`);
        return;
      }
      process.stdout.write(
        `${result.rebuilt ? 'built' : 'up to date'} in ${((Date.now() - started) / 1000).toFixed(1)}s: ${result.buildDir}\n` +
          `programs in ${result.binDir}:\n${result.programs.map((p) => `  ${p}`).join('\n')}\n`,
      );
    });
}

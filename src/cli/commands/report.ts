import type { Command } from 'commander';
import { serveLiveReport, writeReport, type LiveServer } from '../../report/index.js';
import { InputError } from '../../util/index.js';
import { integerOption } from '../options.js';

interface ReportCliOptions {
  out?: string;
  episodes: boolean;
  baselines: string;
  seed?: number;
  serve: boolean;
  port: number;
}

/** Keeps a live view open until the process is interrupted (Ctrl-C or SIGTERM). */
export async function serveUntilInterrupted(server: LiveServer): Promise<void> {
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}

/** `ns3ts report <run-dir | sweep-dir>`: figures and a self-contained report.html; `--serve` a live view. */
export function register(program: Command): void {
  program
    .command('report')
    .description('figures of a run or a sweep: a self-contained report.html and one SVG per figure (or, with --serve, a live view of a run)')
    .argument('<dir>', 'a run directory (the --out/<run-id> of ns3ts train) or a sweep folder (the --out of ns3ts sweep)')
    .option('-o, --out <dir>', 'write report.html and figures/ here (default: into <dir>)')
    .option('--no-episodes', 'run reports: leave out the evaluation episode of the trained policy and the baselines')
    .option('--baselines <spec>', 'run reports: the policies beside the trained one (a --policy spec of ns3ts eval)', 'all-baselines')
    .option('--seed <n>', "run reports: seed of the evaluation episode (default: the scenario's seed)", integerOption('--seed'))
    .option('--serve', 'serve a live view of the run on 127.0.0.1 that follows metrics.jsonl (until Ctrl-C)', false)
    .option('--port <n>', 'port of --serve (0: any free port)', integerOption('--port', { max: 65535 }), 8765)
    .action(async (dir: string, options: ReportCliOptions) => {
      if (options.serve) {
        if (options.out) throw new InputError('--out', options.out, 'no --out with --serve (the live view writes nothing)');
        const server = await serveLiveReport(dir, { port: options.port });
        process.stderr.write(`live view of ${dir} at ${server.url} (Ctrl-C to stop)\n`);
        await serveUntilInterrupted(server);
        return;
      }
      const report = await writeReport(dir, options.out, {
        episodes: options.episodes ? undefined : false,
        baselines: options.baselines,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      process.stdout.write(`${report.html}\n`);
      process.stderr.write(`${Object.keys(report.svgs).length} figures (SVG) in ${report.html.replace(/report\.html$/, 'figures/')}\n`);
    });
}

import { Command, Option } from 'commander';
import { exportResults, RESULTS_FORMATS, type ResultsFormat } from '../../sweep/index.js';
import { log } from '../../util/index.js';

function list(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

export function register(program: Command): void {
  program
    .command('results')
    .description('results of a sweep: mean and 95% confidence interval (t) over seeds per grid point, from a DuckDB index rebuilt from the run folders')
    .argument('<sweep-dir>', 'sweep folder (the --out of ns3ts sweep)')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...RESULTS_FORMATS]).default('table'))
    .addOption(
      new Option('-g, --group-by <param>', 'group by these grid paths (comma-separated or repeated; also policy, seed)').argParser(list).default([], 'every grid path'),
    )
    .addOption(
      new Option('-m, --metric <name>', 'only these metrics (exact, or a prefix ending in *; comma-separated or repeated)').argParser(list).default([], 'all'),
    )
    .option('--runs', 'one row per run and metric instead of the summary (csv, json, parquet)', false)
    .option('--wide', 'one row per run, a column per grid parameter and metric under plain names (csv, json, parquet)', false)
    .option('-o, --out <file>', 'write to this file (required for parquet) (default: stdout)')
    .action(async (dir: string, opts: { format: ResultsFormat; groupBy: string[]; metric: string[]; runs?: boolean; wide?: boolean; out?: string }) => {
      const text = await exportResults(dir, {
        format: opts.format,
        ...(opts.groupBy.length > 0 ? { groupBy: opts.groupBy } : {}),
        ...(opts.metric.length > 0 ? { metrics: opts.metric } : {}),
        perRun: Boolean(opts.runs),
        wide: Boolean(opts.wide),
        ...(opts.out ? { out: opts.out } : {}),
      });
      if (opts.out) log.info(`wrote ${opts.out}`);
      else process.stdout.write(text);
    });
}

import type { Command } from 'commander';
import { Option } from 'commander';
import {
  allocationLines,
  checkShares,
  cleanStale,
  checkTarget,
  describeTarget,
  Enforcer,
  loadMapping,
  parseRate,
  runDemo,
  setupLines,
  teardownLine,
  teardownSync,
  DEMO_DEFAULTS,
  type LeafQdisc,
  type TcTarget,
} from '../../enforce/index.js';
import { InputError, log } from '../../util/index.js';
import { numberOption } from '../options.js';
import { abortOnSignals } from '../signals.js';
import { ALLOCATION_SOURCE_HELP, resolveAllocationSource } from './enforce-sources.js';

interface EnforceOptions {
  mapping?: string;
  interface?: string;
  netns?: string;
  link?: string;
  alloc: string;
  period: number;
  duration?: number;
  borrow: boolean;
  leaf: LeafQdisc | 'auto';
  dryRun: boolean;
  json: boolean;
  clean: boolean;
}

interface DemoCliOptions {
  json: boolean;
  linkMbit: number;
  shares: string;
  nextShares: string;
  measureSeconds: number;
  leaf: LeafQdisc | 'auto';
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

function sharesOption(name: string, text: string, slices: number): number[] {
  const shares = text.split(',').map(Number);
  if (shares.some((s) => !Number.isFinite(s))) throw new InputError(name, text, `${slices} comma-separated shares`);
  return checkShares(name, shares, slices);
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

async function enforce(options: EnforceOptions): Promise<void> {
  if (!options.mapping) throw new InputError('--mapping', undefined, 'a slice mapping YAML file (see docs/enforce.md)');
  const mapping = loadMapping(options.mapping);
  const dev = options.interface ?? mapping.interface;
  if (!dev) throw new InputError('--interface', undefined, 'an interface name (or interface: in the mapping)');
  const target: TcTarget = options.netns === undefined ? { dev } : { dev, netns: options.netns };
  const linkBps = options.link === undefined ? parseRate('linkMbit', `${mapping.linkMbit}mbit`) : parseRate('--link', options.link);
  if (options.clean) {
    await checkTarget(target);
    const done = await cleanStale(target);
    process.stdout.write(`${describeTarget(target)}: ${done === 'cleaned' ? 'stale setup removed' : 'nothing to clean'}\n`);
    return;
  }
  const source = await resolveAllocationSource(options.alloc, mapping, options.period);
  const S = mapping.slices.length;
  const initialShares = source.initialShares ?? new Array<number>(S).fill(1 / S);
  if (options.dryRun) {
    const prefix = `tc${target.netns ? ` -n ${target.netns}` : ''} `;
    const plan = { dev, linkBps, borrow: options.borrow };
    const lines = [
      '# setup',
      ...setupLines(mapping, initialShares, { ...plan, leaf: options.leaf === 'auto' ? 'fq_codel' : options.leaf }).map((l) => prefix + l),
      `# every ${options.period} s, in one batch (tc -batch -): the allocation of ${source.id}`,
      ...allocationLines(mapping, initialShares, plan).map((l) => prefix + l),
      '# on exit',
      prefix + teardownLine(dev),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  // Handlers first: a signal during the setup stops the loop before its first period, and the tree still goes.
  const stop = abortOnSignals(
    (sig) => `${sig}: restoring the qdisc of ${describeTarget(target)} (again to exit at once)`,
    () => teardownSync(target),
  );
  let enforcer: Enforcer;
  try {
    enforcer = await Enforcer.start({ ...target, mapping, linkBps, borrow: options.borrow, leaf: options.leaf, initialShares });
  } catch (err) {
    stop.dispose();
    throw err;
  }
  log.info(`enforcing ${source.id} on ${describeTarget(target)}: ${S} slice classes under a ${linkBps / 1e6} Mbit/s link, every ${options.period} s`);
  const started = performance.now();
  try {
    await enforcer.mark();
    for (let step = 0; !stop.signal.aborted; step++) {
      await sleep(options.period * 1000, stop.signal);
      if (stop.signal.aborted) break;
      const observed = await enforcer.observe();
      let shares = observed.shares;
      try {
        shares = await source.next(observed.observation, step);
        await enforcer.apply(shares);
      } catch (err) {
        // The allocation in force stays; the source gets another chance next period.
        log.warn(`period ${step}: ${(err as Error).message.split('\n')[0]} (keeping ${observed.shares.map((s) => round(s)).join(',')})`);
        shares = observed.shares;
      }
      if (options.json) {
        const line = {
          step,
          seconds: round((performance.now() - started) / 1000),
          measured: observed.slices.map((m, i) => ({ slice: mapping.slices[i]!.name, share: round(observed.shares[i]!), throughputMbit: round(m.throughputMbit), backlogKbit: round(m.backlogKbit), dropRate: round(m.dropRate, 4), delayMs: round(m.delayMs) })),
          shares: shares.map((s) => round(s, 4)),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      if (options.duration !== undefined && performance.now() - started >= options.duration * 1000) break;
    }
  } finally {
    stop.dispose();
    await enforcer.stop();
  }
}

async function demo(options: DemoCliOptions): Promise<void> {
  const shares = sharesOption('--shares', options.shares, 3);
  const nextShares = sharesOption('--next-shares', options.nextShares, 3);
  const stop = abortOnSignals((sig) => `${sig}: stopping the demo and removing its namespaces`);
  try {
    const result = await runDemo({ ...DEMO_DEFAULTS, tag: `demo-${process.pid}`, linkMbit: options.linkMbit, shares, nextShares, measureSeconds: options.measureSeconds, leaf: options.leaf, signal: stop.signal });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const pct = (xs: number[]): string => xs.map((x) => (100 * x).toFixed(1)).join(' / ');
    process.stdout.write(
      `link ${result.linkMbit} Mbit/s, HTB + ${result.leaf} leaves, 3 UDP flows each offering the link\n` +
        `shares ${pct(result.shares)} %: measured ${pct(result.measuredShares)} % (${result.measuredMbit.join(' / ')} Mbit/s), max abs error ${result.maxAbsError}\n` +
        `changed to ${pct(result.nextShares)} %: measured ${pct(result.nextMeasuredShares)} %, converged in ${result.convergeSeconds === null ? 'never (within the observation)' : `${result.convergeSeconds} s`}\n`,
    );
  } finally {
    stop.dispose();
  }
}

const leafOption = new Option('--leaf <qdisc>', 'leaf qdisc of each class: auto (fq_codel, pfifo when the kernel lacks it), fq_codel or pfifo').choices(['auto', 'fq_codel', 'pfifo']).default('auto');

/** `ns3ts enforce`: apply allocations to an interface with Linux traffic control; `ns3ts enforce demo`: the two-namespace experiment. */
export function register(program: Command): void {
  const command = program
    .command('enforce')
    .description('apply slice allocations to real traffic: HTB classes per slice on an interface, rates changed every period (needs CAP_NET_ADMIN)')
    .option('-m, --mapping <file>', 'slice mapping YAML: linkMbit, slices with their match rules (dscp, protocol, ports, addresses)')
    .option('-i, --interface <dev>', 'interface whose egress is shaped (default: interface: in the mapping)')
    .option('--netns <name>', 'the network namespace the interface is in (ip netns)')
    .option('--link <rate>', 'link rate the shares divide, e.g. 100mbit (default: linkMbit of the mapping)')
    .option('-a, --alloc <source>', ALLOCATION_SOURCE_HELP, 'baseline:static')
    .option('--period <seconds>', 'seconds between two allocations', numberOption('--period', { min: 0.05, max: 3600 }), 1)
    .option('--duration <seconds>', 'stop after this many seconds (default: until SIGINT/SIGTERM)', numberOption('--duration', { above: 0 }))
    .option('--borrow', 'let a slice borrow up to the link rate (HTB ceil) when the others leave capacity unused', false)
    .addOption(leafOption)
    .option('--dry-run', 'print the tc commands and exit (needs no privileges)', false)
    .option('--json', 'print one JSON line per period: measured throughput, backlog, drops and delay per slice, and the shares applied', false)
    .option('--clean', 'only remove a stale setup left by an enforcer that died, then exit', false)
    .addHelpText(
      'after',
      '\nExamples:\n  ns3ts enforce --mapping examples/enforce-mapping.yaml -i eth0 --alloc fixed:0.6,0.3,0.1 --dry-run\n' +
        '  ns3ts enforce --mapping examples/enforce-mapping.yaml -i eth0 --alloc checkpoint:runs/abc123 --period 1 --json\n' +
        '  ns3ts enforce demo --json\n' +
        '\nThe interface gets its default qdisc back on exit, on SIGINT/SIGTERM and, after a crash, at the next start.',
    )
    .action(async (options: EnforceOptions) => enforce(options));
  command
    .command('demo')
    .description('two network namespaces, a 100 Mbit/s veth link, three UDP flows: measure the shares HTB enforces and how fast a change takes')
    .option('--json', 'print {"shares","measuredShares","maxAbsError","convergeSeconds",...}', false)
    .option('--link-mbit <n>', 'link rate, Mbit/s', numberOption('--link-mbit', { min: 1, max: 10_000 }), DEMO_DEFAULTS.linkMbit)
    .option('--shares <a,b,c>', 'first allocation (embb, urllc, mmtc)', DEMO_DEFAULTS.shares.join(','))
    .option('--next-shares <a,b,c>', 'allocation after the change', DEMO_DEFAULTS.nextShares.join(','))
    .option('--measure-seconds <s>', 'seconds the first allocation is measured', numberOption('--measure-seconds', { min: 0.5, max: 600 }), DEMO_DEFAULTS.measureSeconds)
    // --json and --leaf are enforce's options too, and commander gives them to the parent wherever they stand.
    .action(async (options: Omit<DemoCliOptions, 'leaf'>, cmd: Command) => {
      const parent = cmd.parent!.opts<EnforceOptions>();
      await demo({ ...options, json: options.json || parent.json, leaf: parent.leaf });
    });
}

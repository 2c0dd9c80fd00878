// Serving benchmark: requests/s and P50/P95/P99 latency of POST /v1/allocate with 1 and 64 cells
// per request (API key, rate limit, schema, metrics and the constraint layer all on), against a
// bare Fastify route that answers the same 1-cell POST with a fixed body, in the same run. Each
// server runs in its own process (one core); autocannon drives it from this one over loopback.
// Latencies are every response's own time (autocannon's `response` event), not histogram buckets.
// Writes bench-results/serve.json {"server":"source"|"compiled","rows":[{"route","cellsPerRequest","rps","p50Ms","p95Ms","p99Ms"}]}.
//
//   npm run bench:serve                 (BENCH_SECONDS=8 per route, BENCH_CONNECTIONS=8)
//   npm run bench:serve -- --policy checkpoint:runs/<id>    (a trained run instead of a fresh one)
//   npm run bench:serve -- --policy checkpoint:runs/<id> --admm-iterations 10   (a maddpg model's cap, as `ns3ts serve --admm-iterations`)
//   npm run build && npm run bench:serve -- --compiled      (the server from dist/, as `ns3ts serve` runs it)
//
// Without --compiled the server runs under tsx, like this script: its transform wraps every inner
// function in a naming helper that runs at each closure creation, a per-request cost (about a tenth
// of the server's CPU time in a profile) that the installed CLI, compiled by tsc, does not pay.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { FEATURE, FEATURES_PER_SLICE } from '../src/families/index.js';
import { loadScenario } from '../src/scenario/index.js';
import { generateApiKey, hashApiKey, ServeApp } from '../src/serve/index.js';
import { train } from '../src/train/index.js';
import { packageRoot, Rng, writeJsonAtomic } from '../src/util/index.js';

interface Row {
  route: string;
  cellsPerRequest: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

interface AutocannonOptions {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => AutocannonInstance;

const SECONDS = Number(process.env.BENCH_SECONDS) || 8;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS) || 8;
// One key for the whole run: the children are handed it (they store only its hash).
const KEY = { key: process.env.NS3TS_BENCH_KEY ?? generateApiKey('bench').key };

function cellsBody(cells: number): string {
  const rng = new Rng(cells);
  const cellRows = Array.from({ length: cells }, () =>
    Array.from({ length: 3 }, () => {
      const row = Array.from({ length: FEATURES_PER_SLICE }, () => Math.round(rng.uniform() * 1000) / 100);
      row[FEATURE.active] = 1;
      return row;
    }),
  );
  return JSON.stringify({ cells: cellRows });
}

/**
 * The server options of both kinds of server child, beyond the policy and the key: no rate limit
 * in the way, no file watching, and the --admm-iterations cap. The parent writes them to
 * NS3TS_BENCH_SERVE_OPTIONS as JSON once; each child spreads them into ServeApp.create.
 */
interface BenchServerOptions {
  rateLimit: { max: number; windowMs: number };
  watch: false;
  admmIterations?: number;
}

function benchServerOptions(admmIterations: number | null): BenchServerOptions {
  return { rateLimit: { max: 1e9, windowMs: 60_000 }, watch: false, ...(admmIterations === null ? {} : { admmIterations }) };
}

/** The child roles: `serve <policy>` (the real server) and `bare` (the reference). Print the URL. */
async function child(role: string, policy?: string): Promise<void> {
  let url: string;
  let close: () => Promise<void>;
  if (role === 'bare') {
    const app = Fastify();
    const fixed = { model: 'bare', allocations: [{ shares: [0.3, 0.3, 0.3], admmIterations: 1, converged: true, guardCorrection: 0 }] };
    app.post('/bare', async () => fixed);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
  } else {
    const server = await ServeApp.create({
      policy: policy!,
      apiKeys: new Map([[hashApiKey(KEY.key), 'bench']]),
      ...(JSON.parse(process.env.NS3TS_BENCH_SERVE_OPTIONS ?? '{}') as BenchServerOptions),
    });
    url = await server.listen(0, '127.0.0.1');
    close = () => server.close();
  }
  process.stdout.write(`url ${url}\n`);
  process.on('SIGTERM', () => void close().then(() => process.exit(0)));
}

/**
 * The compiled server's child: plain node on dist/ (no tsx), with the options child() gives the
 * source one. The policy and key come through the environment.
 */
const COMPILED_CHILD = `
const { ServeApp, hashApiKey } = await import(process.env.NS3TS_BENCH_DIST);
const server = await ServeApp.create({
  policy: process.env.NS3TS_BENCH_POLICY,
  apiKeys: new Map([[hashApiKey(process.env.NS3TS_BENCH_KEY), 'bench']]),
  ...JSON.parse(process.env.NS3TS_BENCH_SERVE_OPTIONS),
});
process.stdout.write('url ' + (await server.listen(0, '127.0.0.1')) + '\\n');
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
`;

function startChild(args: string[], compiled = false): Promise<{ proc: ChildProcess; url: string }> {
  const env = { ...process.env, NS3TS_BENCH_KEY: KEY.key };
  const proc = compiled
    ? spawn(process.execPath, ['--input-type=module', '-e', COMPILED_CHILD], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...env, NS3TS_BENCH_POLICY: args[1]!, NS3TS_BENCH_DIST: pathToFileURL(join(packageRoot, 'dist', 'serve', 'index.js')).href },
      })
    : // The same node and loader (tsx) as this process, on this file.
      spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bench child ${args.join(' ')} did not start`)), 60_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /url (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    });
    proc.on('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited with ${code}`)));
  });
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(route: string, cellsPerRequest: number, url: string, body: string): Promise<Row> {
  const options: AutocannonOptions = {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY.key}` },
    body,
    connections: CONNECTIONS,
    duration: 1,
  };
  await autocannon(options); // warm-up: JIT, connections
  const times: number[] = [];
  const statuses = new Set<number>();
  const run = autocannon({ ...options, duration: SECONDS });
  run.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) times.push(ms);
    else statuses.add(status);
  });
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${route} ${cellsPerRequest}: ${result.non2xx} non-2xx (${[...statuses].join(', ')}), ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  const sorted = Float64Array.from(times).sort();
  const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    route,
    cellsPerRequest,
    rps: Math.round(result.requests.total / result.duration),
    p50Ms: round(percentile(sorted, 0.5)),
    p95Ms: round(percentile(sorted, 0.95)),
    p99Ms: round(percentile(sorted, 0.99)),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, args[2]);
  const policyAt = args.indexOf('--policy');
  let policy = policyAt >= 0 ? args[policyAt + 1]! : undefined;
  // The folder of the run trained here when no --policy is given, removed at the end.
  let outDir: string | null = null;
  if (!policy) {
    outDir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-serve-'));
    await train({ scenario: loadScenario('slicing-synthetic'), agent: 'td3', episodes: 1, evalEvery: 0, outDir, runId: 'td3', progress: false, backend: 'cpu' });
    policy = `checkpoint:${join(outDir, 'td3')}`;
  }
  const compiled = args.includes('--compiled');
  // The children read their server options from the environment; ServeApp checks them.
  const capAt = args.indexOf('--admm-iterations');
  const cap = capAt >= 0 ? Number(args[capAt + 1]) : null;
  if (cap !== null && !(Number.isInteger(cap) && cap >= 1)) {
    process.stderr.write(`bench:serve: --admm-iterations: got ${JSON.stringify(args[capAt + 1])}, expected an integer >= 1\n`);
    process.exit(2);
  }
  process.env.NS3TS_BENCH_SERVE_OPTIONS = JSON.stringify(benchServerOptions(cap));
  if (compiled && !existsSync(join(packageRoot, 'dist', 'serve', 'index.js'))) {
    throw new Error(`--compiled: ${join(packageRoot, 'dist', 'serve', 'index.js')} does not exist, expected a build (npm run build)`);
  }
  process.stdout.write(
    `bench:serve: ${policy}${capAt >= 0 ? ` (--admm-iterations ${args[capAt + 1]})` : ''}, server ${compiled ? 'compiled (dist/)' : 'from source (tsx)'}, ${CONNECTIONS} connections, ${SECONDS} s per route, load average ${loadavg()[0]!.toFixed(2)}\n`,
  );
  const bare = await startChild(['bare']);
  const serve = await startChild(['serve', policy], compiled);
  const rows: Row[] = [];
  try {
    rows.push(await measure('bare', 1, `${bare.url}/bare`, cellsBody(1)));
    bare.proc.kill('SIGTERM');
    rows.push(await measure('/v1/allocate', 1, `${serve.url}/v1/allocate`, cellsBody(1)));
    rows.push(await measure('/v1/allocate', 64, `${serve.url}/v1/allocate`, cellsBody(64)));
  } finally {
    if (bare.proc.exitCode === null) bare.proc.kill('SIGTERM');
    serve.proc.kill('SIGTERM');
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  }
  for (const r of rows) {
    process.stdout.write(`${r.route.padEnd(13)} ${String(r.cellsPerRequest).padStart(3)} cells  ${String(r.rps).padStart(6)} req/s  P50 ${r.p50Ms.toFixed(3)} ms  P95 ${r.p95Ms.toFixed(3)} ms  P99 ${r.p99Ms.toFixed(3)} ms\n`);
  }
  const ratio = rows[1]!.rps / rows[0]!.rps;
  process.stdout.write(`allocate (1 cell) / bare: ${ratio.toFixed(2)} of the bare route's requests/s (aim >= 0.6; >= 10000 req/s, P95 < 2 ms)\n`);
  const file = join(packageRoot, 'bench-results', 'serve.json');
  writeJsonAtomic(file, { server: compiled ? 'compiled' : 'source', rows });
  process.stdout.write(`wrote ${file}\n`);
}

await main();

import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { API_KEYS_ENV, generateApiKey, loadApiKeys, POLICY_SOURCE_HELP, SERVE_DEFAULTS, ServeApp } from '../../serve/index.js';
import { InputError, log, logs } from '../../util/index.js';
import { integerOption } from '../options.js';
import { abortOnSignals } from '../signals.js';

interface ServeCliOptions {
  policy?: string;
  port: number;
  host: string;
  apiKeys?: string;
  rateLimit: number;
  bodyLimit: number;
  maxCells: number;
  admmIterations?: number;
  tlsCert?: string;
  tlsKey?: string;
  watch: boolean;
  newKey?: string;
  drainMs: number;
}

/**
 * `ns3ts serve`: runs until SIGINT/SIGTERM (then drains the requests in flight; a second signal
 * exits at once); SIGHUP, or a change of the model file, reloads the model with an atomic swap.
 * Prints one line "serving <version> on <url>" once it listens (the port is known then, also with --port 0).
 */
export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a trained policy over HTTP: feasible allocations, raw outputs, metadata, health and Prometheus metrics (docs/deploy.md)')
    .option('--policy <source>', POLICY_SOURCE_HELP)
    .option('--port <n>', 'TCP port (0: any free port)', integerOption('--port', { max: 65535 }), SERVE_DEFAULTS.port)
    .option('--host <address>', 'address to listen on; beyond loopback only with API keys', SERVE_DEFAULTS.host)
    .option('--api-keys <file>', `hashed API keys, one "<key-id> <sha256 hex>" per line (also: ${API_KEYS_ENV}="id:hex,...")`)
    .option('--rate-limit <n>', 'requests per minute per API key (per client address without keys)', integerOption('--rate-limit', { min: 1 }), SERVE_DEFAULTS.rateLimit.max)
    .option('--body-limit <bytes>', 'largest request body', integerOption('--body-limit', { min: 1024 }), SERVE_DEFAULTS.bodyLimit)
    .option('--max-cells <n>', 'most cells in one request', integerOption('--max-cells', { min: 1 }), SERVE_DEFAULTS.maxCells)
    .option(
      '--admm-iterations <n>',
      "cap on a maddpg model's ADMM iterations per request (default: the run's admmIterations); a lower cap answers sooner at some utility",
      integerOption('--admm-iterations', { min: 1, max: 10_000 }),
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--drain-ms <ms>', 'on SIGTERM, keep answering (readiness 503, "Connection: close") this long before closing', integerOption('--drain-ms'), 1000)
    .option('--no-watch', 'do not reload when the model file changes (SIGHUP still reloads)')
    .option('--new-key <key-id>', 'print a new random API key and its hashed entry for --api-keys, then exit')
    .action(async (options: ServeCliOptions) => {
      if (options.newKey !== undefined) {
        const { key, entry } = generateApiKey(options.newKey);
        process.stdout.write(`key (give it to the client; it is not stored): ${key}\nentry (append to the --api-keys file): ${entry}\n`);
        return;
      }
      if (options.policy === undefined) throw new InputError('--policy', undefined, POLICY_SOURCE_HELP);
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
        throw new InputError(options.tlsCert === undefined ? '--tls-cert' : '--tls-key', undefined, 'both --tls-cert and --tls-key, or neither');
      }
      const apiKeys = loadApiKeys(options.apiKeys);
      const server = await ServeApp.create({
        policy: options.policy,
        apiKeys,
        rateLimit: { max: options.rateLimit, windowMs: 60_000 },
        bodyLimit: options.bodyLimit,
        maxCells: options.maxCells,
        ...(options.admmIterations === undefined ? {} : { admmIterations: options.admmIterations }),
        tls: options.tlsCert !== undefined && options.tlsKey !== undefined ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) } : undefined,
        watch: options.watch,
        requestLogs: logs('debug'),
      });
      const onHangup = (): void => void server.reload();
      process.on('SIGHUP', onHangup);
      const stop = abortOnSignals((sig) => `${sig}: draining the requests in flight, then stopping (again to stop at once)`);
      try {
        const url = await server.listen(options.port, options.host);
        if (apiKeys.size === 0) log.warn('no API keys configured: /v1/* is open to anyone who can reach this address');
        process.stdout.write(`serving ${server.metadata.version} on ${url}\n`);
        await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
      } finally {
        process.off('SIGHUP', onHangup);
        await server.close(options.drainMs);
        stop.dispose();
      }
    });
}

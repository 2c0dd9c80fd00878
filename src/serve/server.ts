/**
 * The `ns3ts serve` HTTP service (Fastify). Routes:
 *   POST /v1/allocate   observations of a batch of cells (and the time of day, for models that read
 *                       it) -> feasible shares (through allocate.ts)
 *   POST /v1/predict    observations -> raw actor outputs (no guard: for inspection only)
 *   GET  /v1/model      the served model's metadata
 *   GET  /healthz       the process is up;  GET /readyz  a model is loaded and the server is not closing
 *   GET  /metrics       Prometheus text format
 * /v1/* need an API key when keys are configured (401 without one, 403 with an unknown one) and are
 * rate-limited per key (429 with Retry-After). Every body is checked by its JSON schema (400 naming
 * the field), bounded in size (413), and refused with a non-finite number (400 naming the field).
 *
 * The model sits behind one reference: a reload loads and checks the new model completely, then
 * swaps the reference; a request reads the reference once at its start, so every request is
 * answered by exactly one model and none fails during a swap. close() stops accepting connections
 * and waits for the requests in flight.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { FEATURES_PER_SLICE } from '../families/index.js';
import { InputError, log } from '../util/index.js';
import { allocate, GUARD_TOLERANCE, type ServeBounds } from './allocate.js';
import { hashApiKey, presentedKey, type ApiKeySet } from './auth.js';
import { loadPolicySource } from './load.js';
import { createServeMetrics, type ServeMetrics } from './metrics.js';
import { allocateResponseSchema, describeSchemaIssue, fieldPath, observationBodySchema, predictResponseSchema, type SchemaIssue } from './schemas.js';
import type { ModelMetadata, PolicySource, PolicySourceOptions } from './source.js';
import { watchedFile, watchFile } from './watch.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the API key the request presented (set by the auth hook). */
    apiKeyId?: string;
  }
}

export interface ServeOptions {
  /** checkpoint:<run-dir> or onnx:<file> */
  policy: string;
  /** Hashed API keys; empty: no authentication (loopback only). */
  apiKeys?: ApiKeySet;
  /** Requests per key (per client address without keys) per window. */
  rateLimit?: { max: number; windowMs: number };
  /** Largest request body, bytes. */
  bodyLimit?: number;
  /** Most cells in one request. */
  maxCells?: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Reload when the model file changes. */
  watch?: boolean;
  /** Request logs (structured, keys redacted) at Fastify's info level. */
  requestLogs?: boolean;
  /** Node.js process metrics in /metrics. */
  processMetrics?: boolean;
  /** Caps the ADMM iterations of a maddpg model's decision per request (default: the run's setting). */
  admmIterations?: number;
  /** Loads a model (defaults to checkpoint:/onnx: loading); tests substitute their own. */
  loadSource?: (spec: string, options: PolicySourceOptions) => Promise<PolicySource>;
}

/** What the model loader takes from the server's options (the same on every reload). */
function sourceOptions(options: ServeOptions): PolicySourceOptions {
  const cap = options.admmIterations;
  if (cap === undefined) return {};
  if (!(Number.isInteger(cap) && cap >= 1)) throw new InputError('admmIterations', cap, 'an integer >= 1');
  return { admmIterations: cap };
}

export const SERVE_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  /** 1,000 requests/s per key on average: far above a RAN controller's decision rate (one per TTI batch). */
  rateLimit: { max: 60_000, windowMs: 60_000 },
  /** 1 MiB: 1024 cells of 3 slices with 12 numbers of ~20 characters fit with room to spare. */
  bodyLimit: 1 << 20,
  maxCells: 1024,
} as const;

/** A model ready to serve: the source and what the handlers need of it, precomputed. */
interface ServedModel {
  source: PolicySource;
  metadata: ModelMetadata;
  slices: number;
  bounds: ServeBounds;
}

function prepare(source: PolicySource): ServedModel {
  const m = source.metadata;
  return { source, metadata: m, slices: m.slices.length, bounds: { lower: Float64Array.from(m.bounds.lower), upper: Float64Array.from(m.bounds.upper) } };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Fastify and its rate-limit plugin, loaded by ServeApp.create. */
interface HttpModules {
  fastify: typeof import('fastify').default;
  rateLimit: typeof import('@fastify/rate-limit').default;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The body of /v1/allocate and /v1/predict, as its schema (schemas.ts) admits it. */
interface AllocateBody {
  cells: number[][][];
  /** Seconds since midnight at the start of the step; without it, a model with a clock reads the server's (source.ts). */
  secondsOfDay?: number;
}

/** Observations [cells, slices, features] as float32; throws 400 naming the first bad field. */
function readObservations(cells: number[][][], slices: number, names: () => string): Float32Array {
  const out = new Float32Array(cells.length * slices * FEATURES_PER_SLICE);
  let k = 0;
  for (let c = 0; c < cells.length; c++) {
    const cell = cells[c]!;
    if (cell.length !== slices) throw new HttpError(400, `cells[${c}]: got ${cell.length} slices, expected ${slices} (${names()})`);
    for (let s = 0; s < slices; s++) {
      const row = cell[s]!;
      for (let f = 0; f < FEATURES_PER_SLICE; f++) {
        const v = row[f]!;
        out[k] = v;
        // float32 overflow counts too: 1e39 is finite JSON but not a finite observation.
        if (!Number.isFinite(out[k]!)) throw new HttpError(400, `cells[${c}][${s}][${f}]: got ${v}, expected a finite number (float32)`);
        k++;
      }
    }
  }
  return out;
}

export class ServeApp {
  readonly app: FastifyInstance;
  readonly metrics: ServeMetrics;
  private model: ServedModel;
  private closing = false;
  private reloading: Promise<boolean> | null = null;
  private reloadQueued: Promise<boolean> | null = null;
  private watcher: { close(): void } | null = null;
  private readonly loadSource: (spec: string, options: PolicySourceOptions) => Promise<PolicySource>;

  private constructor(
    private readonly options: ServeOptions,
    source: PolicySource,
    metrics: ServeMetrics,
    http: HttpModules,
  ) {
    this.loadSource = options.loadSource ?? loadPolicySource;
    this.model = prepare(source);
    this.metrics = metrics;
    this.metrics.setModel(source.metadata);
    this.app = this.build(http);
  }

  /** Loads the model and builds the routes (not listening yet: see listen()). */
  static async create(options: ServeOptions): Promise<ServeApp> {
    const source = await (options.loadSource ?? loadPolicySource)(options.policy, sourceOptions(options));
    // The HTTP stack loads with the first server, not with the CLI (every other command would pay).
    const [fastify, rateLimit, metrics] = await Promise.all([import('fastify'), import('@fastify/rate-limit'), createServeMetrics(options.processMetrics ?? true)]);
    const server = new ServeApp(options, source, metrics, { fastify: fastify.default, rateLimit: rateLimit.default });
    await server.app.ready();
    if (options.watch) server.watchModel();
    return server;
  }

  get metadata(): ModelMetadata {
    return this.model.metadata;
  }

  async listen(port: number = SERVE_DEFAULTS.port, host: string = SERVE_DEFAULTS.host): Promise<string> {
    if (!isLoopback(host) && (this.options.apiKeys?.size ?? 0) === 0) {
      throw new InputError('--host', host, 'a loopback address (127.0.0.1, ::1), or API keys (--api-keys or NS3TS_SERVE_API_KEYS) to serve beyond this machine');
    }
    return this.app.listen({ port, host });
  }

  /**
   * Loads the model again from its spec and swaps it in when it loaded completely (a file with the
   * hash of the served one changes nothing). A model that fails to load leaves the current one
   * serving, says why and resolves false. A call during a load queues one more load after it (the
   * running one may have read the file before the change that prompted the call).
   */
  reload(): Promise<boolean> {
    if (this.reloading === null) {
      this.reloading = this.doReload().finally(() => {
        this.reloading = null;
      });
      return this.reloading;
    }
    this.reloadQueued ??= this.reloading.then(() => {
      this.reloadQueued = null;
      return this.reload();
    });
    return this.reloadQueued;
  }

  private async doReload(): Promise<boolean> {
    let next: PolicySource;
    try {
      next = await this.loadSource(this.options.policy, sourceOptions(this.options));
    } catch (err) {
      this.metrics.reloads.inc({ result: 'failed' });
      log.error(`reload of ${this.options.policy} failed, still serving ${this.model.metadata.version}: ${(err as Error).message.split('\n')[0]}`);
      return false;
    }
    const prev = this.model;
    if (next.metadata.hash === prev.metadata.hash) {
      this.metrics.reloads.inc({ result: 'unchanged' });
      log.debug(`reload: ${next.metadata.version} is the model already served`);
      await next.close?.();
      return true;
    }
    if (next.metadata.slices.length !== prev.slices) {
      log.warn(`reload: ${next.metadata.version} has ${next.metadata.slices.length} slices per cell (was ${prev.slices}); requests must follow`);
    }
    this.model = prepare(next);
    this.metrics.setModel(next.metadata);
    this.metrics.reloads.inc({ result: 'swapped' });
    log.info(`serving ${next.metadata.version} (was ${prev.metadata.version})`);
    // Requests that started on the old model still hold it; release it once they are surely done.
    if (prev.source.close) setTimeout(() => void prev.source.close?.(), 5_000).unref();
    return true;
  }

  private watchModel(): void {
    const file = watchedFile(this.options.policy);
    this.watcher = watchFile(file, () => void this.reload());
  }

  /**
   * Graceful stop: /readyz turns 503 and every response says `Connection: close` for `drainMs`
   * (load balancers and keep-alive clients move away, while the server still answers), then the
   * server stops listening and answers the requests in flight before it resolves.
   */
  async close(drainMs = 0): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // From now on every response says `Connection: close`: a listener ahead of Fastify's sets the
    // header on the raw response, which Fastify's own headers are merged with. Added only here, so
    // a serving server pays nothing for it (a Fastify onSend hook would run on every request).
    this.app.server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
    this.watcher?.close();
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    await this.app.close();
    await this.model.source.close?.();
  }

  private build({ fastify: Fastify, rateLimit }: HttpModules): FastifyInstance {
    const o = this.options;
    const keys = o.apiKeys ?? new Map<string, string>();
    const limit = o.rateLimit ?? SERVE_DEFAULTS.rateLimit;
    const maxCells = o.maxCells ?? SERVE_DEFAULTS.maxCells;
    const app = Fastify({
      ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
      bodyLimit: o.bodyLimit ?? SERVE_DEFAULTS.bodyLimit,
      logger: o.requestLogs
        ? { level: 'info', redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' } }
        : false,
      // No type coercion: "1" is not a number, and a string "Infinity" must not become one.
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
      schemaErrorFormatter: (errors) => new HttpError(400, describeSchemaIssue(errors[0] as unknown as SchemaIssue)),
      return503OnClosing: true,
    }) as unknown as FastifyInstance;

    app.setErrorHandler((err: FastifyError, _request, reply) => {
      const status = err instanceof HttpError ? err.statusCode : (err.statusCode ?? 500);
      let message = err.message;
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `body: larger than ${o.bodyLimit ?? SERVE_DEFAULTS.bodyLimit} bytes, expected at most that (send fewer cells per request)`;
      else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.name === 'SyntaxError') message = `body: not valid JSON (${err.message}); NaN and Infinity are not JSON numbers`;
      else if (status >= 500) {
        log.error(`${_request.method} ${_request.url}: ${err.message}`);
        message = 'internal error';
      }
      void reply.code(status).send({ statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message });
    });
    app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `${request.method} ${request.url.split('?')[0]}: no such route, expected /v1/allocate, /v1/predict, /v1/model, /healthz, /readyz or /metrics` });
    });

    // Metrics of every answered request; one child per label set, looked up once.
    const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const key = `${route} ${request.method} ${reply.statusCode}`;
      let child = children.get(key);
      if (!child) {
        const labels = { route, method: request.method, status: String(reply.statusCode) };
        child = { count: this.metrics.requests.labels(labels), time: this.metrics.latency.labels(labels) };
        children.set(key, child);
      }
      child.count.inc();
      child.time.observe(reply.elapsedTime / 1000);
      done();
    });

    const validKeys = new Map<string, string>();
    const authenticate = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
      if (keys.size === 0) return done();
      const key = presentedKey(request.headers);
      if (key === undefined || key === '') {
        void reply.header('www-authenticate', 'Bearer realm="ns3ts"');
        return done(new HttpError(401, 'Authorization: missing, expected "Authorization: Bearer <api key>" or an X-API-Key header'));
      }
      // Keys already seen valid skip the hash (bounded: only the configured keys can enter).
      let id = validKeys.get(key);
      if (id === undefined) {
        id = keys.get(hashApiKey(key));
        if (id === undefined) return done(new HttpError(403, 'API key: not one of the keys this server accepts'));
        if (validKeys.size < keys.size) validKeys.set(key, id);
      }
      request.apiKeyId = id;
      done();
    };

    const rateLimitConfig = { rateLimit: { max: limit.max, timeWindow: limit.windowMs } };
    void app.register(rateLimit, {
      global: false,
      hook: 'preValidation',
      keyGenerator: (request) => request.apiKeyId ?? request.ip,
      errorResponseBuilder: (request, context) =>
        new HttpError(
          429,
          `rate limit: ${request.apiKeyId !== undefined ? `key ${request.apiKeyId}` : `client ${request.ip}`} made more than ${context.max} requests in ${limit.windowMs / 1000} s, expected at most that; retry after ${context.after}`,
        ),
    });

    const body = observationBodySchema(maxCells);
    const sliceNames = (): string => this.model.metadata.slices.map((s) => s.name).join(', ');

    void app.register(async (v1) => {
      v1.addHook('onRequest', authenticate);
      v1.post<{ Body: AllocateBody }>(
        '/v1/allocate',
        { schema: { body, response: allocateResponseSchema }, config: rateLimitConfig },
        async (request) => {
          const model = this.model;
          const cells = request.body.cells;
          const n = cells.length;
          const S = model.slices;
          const obs = readObservations(cells, S, sliceNames);
          // Synchronous sources answer in their own scratch space: use it before anything else runs.
          const predicted = model.source.predict(obs, n, request.body.secondsOfDay);
          const raw = predicted instanceof Promise ? await predicted : predicted;
          const result = allocate(obs, raw, n, S, model.bounds, model.metadata.admm);
          const allocations = new Array<unknown>(n);
          let corrected = 0;
          for (let c = 0; c < n; c++) {
            const shares = new Array<number>(S);
            for (let s = 0; s < S; s++) shares[s] = result.shares[c * S + s]!;
            const correction = result.correction[c]!;
            if (correction > GUARD_TOLERANCE) corrected++;
            this.metrics.guardCorrection.observe(correction);
            this.metrics.admmIterations.observe(result.iterations[c]!);
            allocations[c] = { shares, admmIterations: result.iterations[c]!, converged: result.converged[c]! === 1, guardCorrection: correction };
          }
          this.metrics.allocations.inc(n);
          if (corrected > 0) this.metrics.guardCorrections.inc(corrected);
          return { model: model.metadata.version, allocations };
        },
      );
      v1.post<{ Body: AllocateBody }>(
        '/v1/predict',
        { schema: { body, response: predictResponseSchema }, config: rateLimitConfig },
        async (request) => {
          const model = this.model;
          const cells = request.body.cells;
          const S = model.slices;
          const obs = readObservations(cells, S, sliceNames);
          const predicted = model.source.predict(obs, cells.length, request.body.secondsOfDay);
          const raw = predicted instanceof Promise ? await predicted : predicted;
          const outputs = new Array<Array<number | null>>(cells.length);
          for (let c = 0; c < cells.length; c++) {
            const row = new Array<number | null>(S);
            for (let s = 0; s < S; s++) {
              const v = raw[c * S + s]!;
              row[s] = Number.isFinite(v) ? v : null;
            }
            outputs[c] = row;
          }
          return { model: model.metadata.version, outputs };
        },
      );
      v1.get('/v1/model', { config: rateLimitConfig }, async () => this.model.metadata);
    });

    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      if (this.closing) return reply.code(503).send({ status: 'closing' });
      return { status: 'ready', model: this.model.metadata.version };
    });
    app.get('/metrics', async (_request, reply) => {
      const text = await this.metrics.registry.metrics();
      return reply.type(this.metrics.registry.contentType).send(text);
    });
    return app;
  }
}

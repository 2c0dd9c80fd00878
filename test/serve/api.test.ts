// Every route of `ns3ts serve`, and each way a request is refused, through fastify.inject.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../src/agents/index.js';
import { API_KEYS_ENV, generateApiKey, hashApiKey, loadApiKeys, loadPolicySource, ServeApp } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, SLICES, trainRun } from './fixtures.js';

let runDir: string;
let server: ServeApp;
const key = generateApiKey('alice');
const other = generateApiKey('bob');

beforeAll(async () => {
  runDir = await trainRun('td3');
  server = await ServeApp.create({
    policy: `checkpoint:${runDir}`,
    apiKeys: new Map([
      [hashApiKey(key.key), 'alice'],
      [hashApiKey(other.key), 'bob'],
    ]),
    rateLimit: { max: 1000, windowMs: 60_000 },
    bodyLimit: 64 * 1024,
    processMetrics: false,
  });
});
afterAll(async () => server?.close());

const auth = { authorization: `Bearer ${key.key}` };
const rng = new Rng(7);

function post(url: string, payload: unknown, headers: Record<string, string> = auth) {
  return server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
}

describe('serve: routes', () => {
  it('POST /v1/allocate returns feasible shares, ADMM iterations and the guard correction per cell', async () => {
    const res = await post('/v1/allocate', { cells: randomCells(rng, 5) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { model: string; allocations: Array<{ shares: number[]; admmIterations: number; converged: boolean; guardCorrection: number }> };
    expect(body.model).toBe(server.metadata.version);
    expect(body.allocations).toHaveLength(5);
    for (const a of body.allocations) {
      expect(a.shares).toHaveLength(SLICES);
      expect(a.shares.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(1);
      for (const s of a.shares) expect(s).toBeGreaterThanOrEqual(0);
      expect(a.admmIterations).toBeGreaterThanOrEqual(1);
      expect(a.guardCorrection).toBeGreaterThanOrEqual(0);
    }
  });

  it('POST /v1/predict returns the raw actor outputs, and the guard correction is their distance to the shares', async () => {
    const cells = randomCells(rng, 2);
    // One time for both requests: the td3 actor reads the time of day (without it, the server's clock).
    const secondsOfDay = 30_000;
    const raw = (await post('/v1/predict', { cells, secondsOfDay })).json() as { outputs: number[][] };
    const alloc = (await post('/v1/allocate', { cells, secondsOfDay })).json() as { allocations: Array<{ shares: number[]; guardCorrection: number }> };
    expect(raw.outputs).toHaveLength(2);
    alloc.allocations.forEach((a, c) => {
      const moved = Math.max(...a.shares.map((s, i) => Math.abs(s - raw.outputs[c]![i]!)));
      expect(a.guardCorrection).toBeCloseTo(moved, 6);
    });
  });

  it('concurrent requests each get the answer they would get alone', async () => {
    const bodies = Array.from({ length: 24 }, (_, i) => ({ cells: randomCells(new Rng(100 + i), 1 + (i % 5)), secondsOfDay: 3600 * i }));
    const alone: string[] = [];
    for (const b of bodies) alone.push((await post('/v1/allocate', b)).body);
    const together = await Promise.all(bodies.map((b) => post('/v1/allocate', b)));
    expect(together.map((r) => r.body)).toEqual(alone);
  });

  it('GET /v1/model names the agent, layout, bounds and the checkpoint hash', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v1/model', headers: auth });
    expect(res.statusCode).toBe(200);
    const meta = res.json() as { agent: string; hash: string; version: string; slices: Array<{ name: string }>; features: string[]; timeOfDay: boolean };
    expect(meta.agent).toBe('td3');
    expect(meta.hash).toBe(createHash('sha256').update(readFileSync(join(runDir, CHECKPOINT_FILE))).digest('hex'));
    expect(meta.version).toBe(`td3@${meta.hash.slice(0, 12)}`);
    expect(meta.slices.map((s) => s.name)).toEqual(['embb', 'urllc', 'mmtc']);
    expect(meta.features).toHaveLength(12);
    expect(meta.timeOfDay).toBe(true);
  });

  it('GET /healthz, /readyz and /metrics answer without a key', async () => {
    expect((await server.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await server.app.inject('/readyz')).json()).toMatchObject({ status: 'ready', model: server.metadata.version });
    const metrics = await server.app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    for (const name of [
      'ns3ts_serve_requests_total{route="/v1/allocate",method="POST",status="200"}',
      'ns3ts_serve_request_duration_seconds_bucket',
      'ns3ts_serve_allocations_total',
      'ns3ts_serve_guard_corrections_total',
      'ns3ts_serve_admm_iterations_bucket',
      `ns3ts_serve_model_info{version="${server.metadata.version}"`,
    ]) {
      expect(metrics.body).toContain(name);
    }
  });

  it('an unknown route is a 404 naming the routes', async () => {
    const res = await server.app.inject('/v2/allocate');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('/v1/allocate');
  });
});

describe('serve: refusals', () => {
  const cells = randomCells(new Rng(1), 1);

  it('401 without a key, 403 with a wrong one; X-API-Key works too', async () => {
    const none = await post('/v1/allocate', { cells }, {});
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect((await post('/v1/allocate', { cells }, { authorization: 'Bearer not-a-key' })).statusCode).toBe(403);
    expect((await post('/v1/allocate', { cells }, { 'x-api-key': other.key })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/v1/model' })).statusCode).toBe(401);
  });

  it('400 for a bad schema, naming the field', async () => {
    const short = await post('/v1/allocate', { cells: [[cells[0]![0], cells[0]![1], [1, 2, 3]]] });
    expect(short.statusCode).toBe(400);
    expect(short.json().message).toMatch(/^cells\[0\]\[2\]: got 3 items, expected at least 12 features/);
    const slices = await post('/v1/allocate', { cells: [cells[0]!.slice(0, 2)] });
    expect(slices.json().message).toBe('cells[0]: got 2 slices, expected 3 (embb, urllc, mmtc)');
    const text = await post('/v1/allocate', { cells: [[cells[0]![0], cells[0]![1], [...cells[0]![2]!.slice(0, 11), 'x']]] });
    expect(text.json().message).toBe('cells[0][2][11]: got "x", expected number');
    expect((await post('/v1/allocate', { cell: cells })).json().message).toBe('cells: missing, expected it in the body');
    expect((await post('/v1/allocate', { cells, extra: 1 })).json().message).toBe('extra: unknown field, expected only cells and secondsOfDay');
    expect((await post('/v1/allocate', { cells: [] })).json().message).toMatch(/^cells: got 0 items, expected at least 1/);
    expect((await post('/v1/predict', { cells: 3 })).json().message).toBe('cells: got 3, expected array');
    const negative = [...cells[0]![1]!];
    negative[9] = -1;
    expect((await post('/v1/allocate', { cells: [[cells[0]![0], negative, cells[0]![2]]] })).json().message).toBe('cells[0][1][9]: got -1, expected >= 0 (phiTarget)');
  });

  it('400 for a secondsOfDay that is not a time of day, in one line', async () => {
    const expected = 'expected seconds since midnight, a number >= 0 and < 86400';
    for (const [value, got] of [
      [-1, '-1'],
      [86_400, '86400'],
      [1e9, '1000000000'],
      ['12:00', '"12:00"'],
      [null, 'null'],
      [[3600], '1 item'],
    ] as const) {
      for (const url of ['/v1/allocate', '/v1/predict']) {
        const res = await post(url, { cells, secondsOfDay: value });
        expect(res.statusCode, `${url} ${JSON.stringify(value)}`).toBe(400);
        expect(res.json().message).toBe(`secondsOfDay: got ${got}, ${expected}`);
      }
    }
    const inf = await post('/v1/allocate', `{"cells":${JSON.stringify(cells)},"secondsOfDay":1e999}`);
    expect(inf.json().message).toBe(`secondsOfDay: got Infinity, ${expected}`);
    expect((await post('/v1/allocate', { cells, secondsOfDay: 86_399.5 })).statusCode).toBe(200);
  });

  it('400 for NaN, Infinity and float32 overflow, naming the field', async () => {
    const row = JSON.stringify(cells[0]![0]);
    const nan = await post('/v1/allocate', `{"cells":[[${row},${row},[0,1,2,3,4,5,6,7,8,9,10,NaN]]]}`);
    expect(nan.statusCode).toBe(400);
    expect(nan.json().message).toMatch(/NaN and Infinity are not JSON numbers/);
    const inf = await post('/v1/allocate', `{"cells":[[${row},${row},[0,1,2,3,4,5,6,7,8,9,10,1e999]]]}`);
    expect(inf.statusCode).toBe(400);
    expect(inf.json().message).toBe('cells[0][2][11]: got Infinity, expected a finite number');
    const big = await post('/v1/predict', `{"cells":[[${row},[0,1e39,2,3,4,5,6,7,8,9,10,1],${row}]]}`);
    expect(big.statusCode).toBe(400);
    expect(big.json().message).toBe('cells[0][1][1]: got 1e+39, expected a finite number (float32)');
  });

  it('413 for a body over the limit', async () => {
    const res = await post('/v1/allocate', { cells: randomCells(rng, 200) });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/^body: larger than 65536 bytes/);
  });

  it('429 with Retry-After over the rate, per key', async () => {
    const limited = await ServeApp.create({
      policy: `checkpoint:${runDir}`,
      apiKeys: new Map([
        [hashApiKey(key.key), 'alice'],
        [hashApiKey(other.key), 'bob'],
      ]),
      rateLimit: { max: 3, windowMs: 60_000 },
      processMetrics: false,
    });
    try {
      const send = (k: string) => limited.app.inject({ method: 'POST', url: '/v1/allocate', headers: { authorization: `Bearer ${k}` }, payload: { cells } });
      for (let i = 0; i < 3; i++) expect((await send(key.key)).statusCode).toBe(200);
      const over = await send(key.key);
      expect(over.statusCode).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect(over.json().message).toMatch(/^rate limit: key alice made more than 3 requests in 60 s/);
      expect((await send(other.key)).statusCode).toBe(200); // another key has its own budget
      expect((await limited.app.inject('/healthz')).statusCode).toBe(200); // probes are not limited
    } finally {
      await limited.close();
    }
  });

  it('refuses a non-loopback address without keys, and an ONNX file that is not there', async () => {
    const open = await ServeApp.create({ policy: `checkpoint:${runDir}`, processMetrics: false });
    try {
      await expect(open.listen(0, '0.0.0.0')).rejects.toThrow(/^--host: got "0.0.0.0", expected a loopback address/);
    } finally {
      await open.close();
    }
    await expect(loadPolicySource('onnx:/tmp/model.onnx')).rejects.toThrow(/^onnx:\/tmp\/model\.onnx: cannot read \/tmp\/model\.onnx \(ENOENT\)/);
    await expect(loadPolicySource('model.onnx')).rejects.toThrow(/^--policy: got "model.onnx", expected checkpoint:<run-dir>/);
  });
});

describe('serve: API keys', () => {
  it('reads hashed keys from a file and the environment, and refuses a line that is not a hash without echoing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# clients\n${key.entry}\n\nbob:${hashApiKey(other.key)}\n`);
    const keys = loadApiKeys(file, { [API_KEYS_ENV]: `carol:${hashApiKey('c')}` });
    expect([...keys.values()].sort()).toEqual(['alice', 'bob', 'carol']);
    expect(keys.get(hashApiKey(key.key))).toBe('alice');
    writeFileSync(file, 'alice my-secret-plaintext-key\n');
    expect(() => loadApiKeys(file, {})).toThrow(/keys\:1: .*expected "<key-id> <sha256 hex of the key>"/);
    expect(() => loadApiKeys(file, {})).not.toThrow(/my-secret/);
  });
});

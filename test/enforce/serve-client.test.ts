// The serve:<url> allocation source: its wire form against a local HTTP endpoint, and a round trip
// through a real `ns3ts serve` (ServeApp) holding a trained policy.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateBody, ServeAllocator } from '../../src/enforce/index.js';
import { FEATURES_PER_SLICE } from '../../src/families/index.js';
import { generateApiKey, hashApiKey, ServeApp } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { randomCells, SLICES, trainRun } from '../serve/fixtures.js';

describe('serve:<url> allocation source', () => {
  let server: Server;
  let base = '';
  const seen: Array<{ url: string; auth: string | undefined; body: unknown }> = [];
  let reply: { status: number; body: string } = { status: 200, body: '{"model":"x","allocations":[{"shares":[0.5,0.3,0.2],"admmIterations":1}]}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        seen.push({ url: `${req.method} ${req.url}`, auth: req.headers.authorization, body: JSON.parse(text) as unknown });
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts the observation as cells of slice rows, with the bearer token, and returns the shares', async () => {
    const client = new ServeAllocator(`${base}/`, 2000, 'secret');
    const shares = await client.allocate({ observation: [1, 2, 3, 4, 5, 6], shape: [1, 3, 2] });
    expect(shares).toEqual([0.5, 0.3, 0.2]);
    expect(seen.at(-1)).toEqual({ url: 'POST /v1/allocate', auth: 'Bearer secret', body: { cells: [[[1, 2], [3, 4], [5, 6]]] } });
    expect(() => allocateBody({ observation: [1, 2], shape: [1, 3, 2] })).toThrow('serve: observation has 2 values, expected 1x3x2 for shape [1, 3, 2]');
  });

  it('a failing service or a malformed answer is one line naming the endpoint', async () => {
    const client = new ServeAllocator(base, 2000, undefined);
    const empty = { observation: new Array<number>(3 * FEATURES_PER_SLICE).fill(0), shape: [1, 3, FEATURES_PER_SLICE] };
    reply = { status: 503, body: 'overloaded\nretry later' };
    await expect(client.allocate(empty)).rejects.toThrow(`POST ${base}/v1/allocate: HTTP 503 overloaded`);
    reply = { status: 200, body: '{"allocations":[{"shares":[0.5,"x"]}]}' };
    await expect(client.allocate(empty)).rejects.toThrow(`POST ${base}/v1/allocate: response field allocations[0].shares: got [0.5,"x"], expected 3 finite numbers`);
    reply = { status: 200, body: '{"shares":[0.5,0.3,0.2]}' };
    await expect(client.allocate(empty)).rejects.toThrow(`POST ${base}/v1/allocate: response field allocations: got undefined, expected 1 cell allocations`);
    expect(() => new ServeAllocator('ftp://x', 1000)).toThrow('serve:ftp://x: expected an http:// or https:// URL');
    expect(() => new ServeAllocator('not a url', 1000)).toThrow('serve:not a url: not a URL (expected serve:http://host:port)');
  });

  it('round trip through a real ns3ts serve: the shares are the service allocation of that observation', async () => {
    // Without a clock: the client sends no secondsOfDay, so a model that reads the time of day could
    // answer the two requests below for two different seconds of the server's clock.
    const runDir = await trainRun('td3', undefined, undefined, { timeOfDay: false });
    const key = generateApiKey('enforcer');
    const app = await ServeApp.create({ policy: `checkpoint:${runDir}`, apiKeys: new Map([[hashApiKey(key.key), 'enforcer']]), processMetrics: false });
    try {
      const url = await app.listen(0, '127.0.0.1');
      const cells = randomCells(new Rng(3), 2);
      const client = new ServeAllocator(url, 5000, key.key);
      const shares = await client.allocate({ observation: cells.flat(2), shape: [2, SLICES, FEATURES_PER_SLICE] });
      const direct = (await app.app.inject({ method: 'POST', url: '/v1/allocate', headers: { authorization: `Bearer ${key.key}` }, payload: { cells } })).json() as {
        allocations: Array<{ shares: number[] }>;
      };
      expect(shares).toEqual(direct.allocations.flatMap((a) => a.shares));
      expect(shares).toHaveLength(2 * SLICES);
      await expect(new ServeAllocator(url, 5000, 'wrong').allocate({ observation: cells.flat(2), shape: [2, SLICES, FEATURES_PER_SLICE] })).rejects.toThrow(/HTTP 403/);
    } finally {
      await app.close();
    }
  }, 120_000);
});

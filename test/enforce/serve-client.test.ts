// The serve:<url> allocation source against a local HTTP endpoint speaking POST /v1/allocate.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeAllocator, type AllocateRequest } from '../../src/enforce/index.js';

describe('serve:<url> allocation source', () => {
  let server: Server;
  let base = '';
  const seen: Array<{ url: string; auth: string | undefined; body: AllocateRequest }> = [];
  let reply: { status: number; body: string } = { status: 200, body: '{"shares":[0.5,0.3,0.2],"model":"x"}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        seen.push({ url: `${req.method} ${req.url}`, auth: req.headers.authorization, body: JSON.parse(text) as AllocateRequest });
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts the observation with its shape and step, with the bearer token, and returns the shares', async () => {
    const client = new ServeAllocator(`${base}/`, 2000, 'secret');
    const shares = await client.allocate({ observation: [1, 2, 3], shape: [1, 3, 1], step: 4 }, 3);
    expect(shares).toEqual([0.5, 0.3, 0.2]);
    expect(seen.at(-1)).toEqual({ url: 'POST /v1/allocate', auth: 'Bearer secret', body: { observation: [1, 2, 3], shape: [1, 3, 1], step: 4 } });
  });

  it('a failing service or a malformed answer is one line naming the endpoint', async () => {
    const client = new ServeAllocator(base, 2000, undefined);
    reply = { status: 503, body: 'overloaded\nretry later' };
    await expect(client.allocate({ observation: [], shape: [1, 3, 12], step: 0 }, 3)).rejects.toThrow(`POST ${base}/v1/allocate: HTTP 503 overloaded`);
    reply = { status: 200, body: '{"shares":[0.5,"x"]}' };
    await expect(client.allocate({ observation: [], shape: [1, 3, 12], step: 0 }, 3)).rejects.toThrow(
      `POST ${base}/v1/allocate: response field shares: got [0.5,"x"], expected 3 finite numbers`,
    );
    expect(() => new ServeAllocator('ftp://x', 1000)).toThrow('serve:ftp://x: expected an http:// or https:// URL');
    expect(() => new ServeAllocator('not a url', 1000)).toThrow('serve:not a url: not a URL (expected serve:http://host:port)');
  });
});

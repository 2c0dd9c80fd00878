/**
 * The allocation source `serve:<url>`: asks a running policy service (`ns3ts serve`) for shares
 * once per period.
 *
 *   POST <url>/v1/allocate   Content-Type: application/json
 *   request:  {"observation": number[], "shape": [cells, slices, features], "step": number}
 *             (the slicing observation, flat row-major; Authorization: Bearer $NS3TS_SERVE_TOKEN when set)
 *   response: {"shares": number[]}  (flat [cells, slices]; any other fields are ignored)
 *
 * A failing service is one error line naming the URL and the status or the field; the enforcer
 * keeps the previous allocation in force and tries again next period.
 */
import { Ns3tsError } from '../util/index.js';

export interface AllocateRequest {
  observation: number[];
  shape: number[];
  step: number;
}

export class ServeAllocator {
  readonly endpoint: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    private readonly token = process.env.NS3TS_SERVE_TOKEN,
  ) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new Ns3tsError(`serve:${baseUrl}: not a URL (expected serve:http://host:port)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Ns3tsError(`serve:${baseUrl}: expected an http:// or https:// URL`);
    this.endpoint = new URL('v1/allocate', url.href.endsWith('/') ? url.href : `${url.href}/`).href;
  }

  async allocate(request: AllocateRequest, slices: number): Promise<number[]> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(this.endpoint, { method: 'POST', headers, body: JSON.stringify(request), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new Ns3tsError(`POST ${this.endpoint}: ${(err as Error).message}`);
    }
    if (!response.ok) throw new Ns3tsError(`POST ${this.endpoint}: HTTP ${response.status} ${(await response.text()).slice(0, 200).split('\n')[0]}`);
    const body = (await response.json().catch(() => null)) as { shares?: unknown } | null;
    const shares = body?.shares;
    if (!Array.isArray(shares) || shares.length !== slices || !shares.every((s) => typeof s === 'number' && Number.isFinite(s))) {
      throw new Ns3tsError(`POST ${this.endpoint}: response field shares: got ${JSON.stringify(shares)?.slice(0, 100)}, expected ${slices} finite numbers`);
    }
    return shares as number[];
  }
}

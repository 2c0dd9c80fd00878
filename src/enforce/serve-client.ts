/**
 * The allocation source `serve:<url>`: asks a running policy service (`ns3ts serve`, docs/deploy.md)
 * for shares once per period, through its own API:
 *
 *   POST <url>/v1/allocate   Content-Type: application/json
 *   request:  {"cells": number[cells][slices][features]}   (the slicing observation, one row per slice;
 *             Authorization: Bearer $NS3TS_SERVE_TOKEN when set)
 *   response: {"allocations": [{"shares": number[slices], ...}, ...]}  (one per cell; other fields ignored)
 *
 * A failing service is one error line naming the URL and the status or the field; the enforcer
 * keeps the previous allocation in force and tries again next period.
 */
import { Ns3tsError } from '../util/index.js';

/** The observation to allocate for: flat row-major data of `shape` = [cells, slices, features]. */
export interface AllocateRequest {
  observation: ArrayLike<number>;
  shape: readonly number[];
}

/** The request body of serve's POST /v1/allocate: the flat observation as cells of slice rows. */
export function allocateBody(request: AllocateRequest): { cells: number[][][] } {
  const [cells = 0, slices = 0, features = 0] = request.shape;
  if (request.observation.length !== cells * slices * features) {
    throw new Ns3tsError(`serve: observation has ${request.observation.length} values, expected ${cells}x${slices}x${features} for shape [${request.shape.join(', ')}]`);
  }
  const rows: number[][][] = [];
  for (let c = 0; c < cells; c++) {
    const cell: number[][] = [];
    for (let s = 0; s < slices; s++) {
      const at = (c * slices + s) * features;
      cell.push(Array.from({ length: features }, (_, f) => request.observation[at + f]!));
    }
    rows.push(cell);
  }
  return { cells: rows };
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

  /** The shares per cell and slice, flat [cells, slices]. */
  async allocate(request: AllocateRequest): Promise<number[]> {
    const [cells = 0, slices = 0] = request.shape;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(this.endpoint, { method: 'POST', headers, body: JSON.stringify(allocateBody(request)), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new Ns3tsError(`POST ${this.endpoint}: ${(err as Error).message}`);
    }
    if (!response.ok) throw new Ns3tsError(`POST ${this.endpoint}: HTTP ${response.status} ${(await response.text()).slice(0, 200).split('\n')[0]}`);
    const body = (await response.json().catch(() => null)) as { allocations?: unknown } | null;
    const allocations = body?.allocations;
    if (!Array.isArray(allocations) || allocations.length !== cells) {
      throw new Ns3tsError(`POST ${this.endpoint}: response field allocations: got ${JSON.stringify(allocations)?.slice(0, 100)}, expected ${cells} cell allocations`);
    }
    const flat: number[] = [];
    allocations.forEach((allocation: { shares?: unknown } | null, c) => {
      const shares = allocation?.shares;
      if (!Array.isArray(shares) || shares.length !== slices || !shares.every((s) => typeof s === 'number' && Number.isFinite(s))) {
        throw new Ns3tsError(`POST ${this.endpoint}: response field allocations[${c}].shares: got ${JSON.stringify(shares)?.slice(0, 100)}, expected ${slices} finite numbers`);
      }
      flat.push(...(shares as number[]));
    });
    return flat;
  }
}

// A real Prometheus (Debian's `prometheus`) scrapes a running `ns3ts serve`, and the series are
// read back through Prometheus's HTTP API. Bounded: 45 s at most; only the PID started here is killed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeApp } from '../../src/serve/index.js';
import { Rng } from '../../src/util/index.js';
import { checkRequirement, type Requirement } from '../helpers/requirements.js';
import { waitForExit } from '../server/helpers.js';
import { randomCells, trainRun } from './fixtures.js';

const PROMETHEUS = process.env.NS3TS_PROMETHEUS ?? 'prometheus';

function prometheusRequirement(): Requirement {
  const available = spawnSync(PROMETHEUS, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return { name: 'Prometheus', available, install: 'apt-get install prometheus' };
}

/** A free loopback port (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const available = checkRequirement(prometheusRequirement());

describe.skipIf(!available)('serve: scraped by a real Prometheus', () => {
  let server: ServeApp;
  let prometheus: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-prom-'));

  beforeAll(async () => {
    server = await ServeApp.create({ policy: `checkpoint:${await trainRun('td3')}` });
  });
  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await Promise.race([waitForExit(prometheus), sleep(5000)]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the served requests, allocations and model version back from Prometheus', async () => {
    const url = await server.listen(0, '127.0.0.1');
    const target = new URL(url).host;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${url}/v1/allocate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cells: randomCells(new Rng(i), 2) }) });
      expect(res.status).toBe(200);
    }
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: ns3ts-serve', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
    );
    const port = await freePort();
    prometheus = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const api = `http://127.0.0.1:${port}/api/v1/query?query=`;
    const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      try {
        const res = await fetch(api + encodeURIComponent(q));
        if (!res.ok) return [];
        return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
      } catch {
        return [];
      }
    };
    const deadline = Date.now() + 40_000;
    let requests: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline && prometheus.exitCode === null) {
      requests = await query('ns3ts_serve_requests_total{route="/v1/allocate",status="200"}');
      if (requests.length > 0) break;
      await sleep(500);
    }
    expect(requests, `Prometheus did not scrape ${target} in time: ${log}`).toHaveLength(1);
    expect(Number(requests[0]!.value[1])).toBe(20);
    expect(requests[0]!.metric.job).toBe('ns3ts-serve');
    expect(Number((await query('ns3ts_serve_allocations_total'))[0]?.value[1])).toBe(40);
    expect((await query('ns3ts_serve_model_info'))[0]?.metric.version).toBe(server.metadata.version);
    expect(await query('ns3ts_serve_request_duration_seconds_bucket')).not.toHaveLength(0);
    expect(await query('ns3ts_serve_process_resident_memory_bytes')).toHaveLength(1);
    expect(Number((await query('up{job="ns3ts-serve"}'))[0]?.value[1])).toBe(1);
  }, 60_000);
});

import { existsSync, statSync, unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { METRICS_FILE } from '../train/index.js';
import { InputError } from '../util/index.js';
import { reportBody, reportHtml } from './html.js';
import { readMetricsLines, renderPage, runReportModel, type ReportOptions } from './report.js';

export interface LiveOptions {
  /** TCP port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Polling interval when fs.watch misses a change (network filesystems), ms (default 1000). */
  pollMs?: number;
  /** Episode figures in the live page (default false: they replay episodes, too slow to redo on every line). */
  episodes?: boolean;
}

export interface LiveServer {
  url: string;
  port: number;
  /** Sends an update now if metrics.jsonl grew (the watchers call it; tests may too). */
  check(): void;
  close(): Promise<void>;
}

/**
 * Serves the report of a run directory on loopback and keeps it current: `GET /` is the page,
 * `GET /body` its body rendered from the files as they are now, `GET /events` a server-sent
 * event stream with an `update` event (data: the number of metrics lines) whenever
 * metrics.jsonl grows. Growth is noticed by fs.watch on the run directory, and by polling
 * the file's size as a fallback where fs.watch stays silent.
 */
export async function serveLiveReport(runDir: string, options: LiveOptions = {}): Promise<LiveServer> {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new InputError('run-dir', runDir, 'an existing run directory');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError('--port', port, 'an integer in 0..65535');
  const pollMs = options.pollMs ?? 1000;
  const reportOptions: ReportOptions = { episodes: options.episodes ?? false };
  const metricsPath = join(dir, METRICS_FILE);
  const clients = new Set<ServerResponse>();
  let size = -1;

  const lineCount = (): number => (existsSync(metricsPath) ? readMetricsLines(dir).length : 0);
  const check = (): void => {
    const now = existsSync(metricsPath) ? statSync(metricsPath).size : 0;
    if (now === size) return;
    size = now;
    const message = `event: update\ndata: ${lineCount()}\n\n`;
    for (const client of clients) client.write(message);
  };

  const page = async (bodyOnly: boolean): Promise<string> => {
    const rendered = await renderPage(await runReportModel(dir, reportOptions));
    return bodyOnly ? reportBody(rendered) : reportHtml(rendered, true);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(`event: update\ndata: ${lineCount()}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (path === '/' || path === '/body') {
      const text = await page(path === '/body');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(text);
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: ${path}\n`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`report failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const bound = (server.address() as AddressInfo).port;

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, (_event, file) => {
      if (file === null || file === METRICS_FILE) check();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = null; // polling below still notices
  }
  watchFile(metricsPath, { interval: pollMs, persistent: false }, () => check());
  check();

  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    check,
    close: async () => {
      check(); // the last lines the run wrote reach the page before the stream ends
      watcher?.close();
      unwatchFile(metricsPath);
      for (const client of clients) client.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

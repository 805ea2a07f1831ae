// The worker's metrics endpoint: a bare HTTP listener on METRICS_PORT that answers GET /metrics with its
// process' registry (a worker has no API of its own). Anything else is 404; METRICS_TOKEN applies as on the API.
import { createServer, type Server } from 'node:http';
import type { EngineMetrics } from './engine-metrics.js';
import { SCRAPE_REFUSED, scrapeAllowed } from './scrape-access.js';

export interface MetricsListener {
  /** http://host:port of the listener (the port is the real one when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(
  metrics: EngineMetrics,
  opts: { port: number; host: string; token?: string },
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    if (!scrapeAllowed(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end(SCRAPE_REFUSED);
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as { port: number };
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

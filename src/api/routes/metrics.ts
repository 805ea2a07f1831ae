// GET /metrics: the API process' Prometheus metrics, with no bucket in the Host and no request signature
// (scrapers send neither); METRICS_TOKEN, when set, is required as a bearer token. Also counts and times
// every request by its route pattern (never the raw URL, which holds ids and keys) and status.
import type { FastifyInstance } from 'fastify';
import { UNMATCHED_ROUTE, type EngineMetrics } from '../../metrics/engine-metrics.js';
import { SCRAPE_REFUSED, scrapeAllowed } from '../../metrics/scrape-access.js';

export const METRICS_PATH = '/metrics';

export interface ApiMetrics {
  metrics: EngineMetrics;
  /** METRICS_TOKEN; undefined = anyone may scrape. */
  token?: string;
}

export function registerMetrics(app: FastifyInstance, { metrics, token }: ApiMetrics): void {
  app.addHook('onResponse', (req, reply, done) => {
    metrics.httpRequest(req.method, req.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get(METRICS_PATH, async (req, reply) => {
    if (!scrapeAllowed(req.headers.authorization, token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain').send(SCRAPE_REFUSED);
    }
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).send(body);
  });
}

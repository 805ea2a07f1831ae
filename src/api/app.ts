// The fastify app: CI's wire conventions in one place (request ids, XML bodies, the Host's bucket,
// CI error bodies), then one route module per resource.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../logger.js';
import { newRequestId } from '../domain/ids.js';
import { ValidationError } from '../domain/validation-error.js';
import type { JobStore } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import type { MediaQueues } from '../queue/media-queues.js';
import { CiError } from './errors.js';
import { parseCiHost, type CiHost } from './host.js';
import { buildXml } from './xml.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerHealthRoutes, type HealthCheck } from './routes/health.js';

export interface ApiDeps {
  logger: Logger;
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  health: HealthCheck;
  bodyLimitBytes: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    ci: CiHost;
  }
}

/** Paths served without a bucket in the Host. */
const HOSTLESS = new Set(['/healthz']);

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    genReqId: () => newRequestId(),
    requestIdLogLabel: 'requestId',
    disableRequestLogging: true,
    maxParamLength: 4096,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Every body is read as text: CI clients send XML with assorted (or no) content types.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.decorateRequest('ci', null as unknown as CiHost);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-ci-request-id', req.id);
    const path = req.url.split('?')[0] ?? '';
    if (HOSTLESS.has(path)) return;
    const host = parseCiHost(req.headers.host);
    if (!host) {
      throw new CiError(
        'InvalidHost',
        `the Host header ${JSON.stringify(req.headers.host ?? '')} names no bucket: use <BucketName-APPID>.ci.<Region>.<domain>, for example examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com`,
      );
    }
    req.ci = host;
  });

  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setNotFoundHandler(async (req, reply) => {
    return sendError(req, reply, new CiError('InvalidUrl', `no API at ${req.method} ${req.url.split('?')[0]}`));
  });

  app.setErrorHandler(async (err, req, reply) => sendError(req, reply, toCiError(err, req)));

  registerHealthRoutes(app, deps.health);
  registerJobRoutes(app, deps);
  return app;
}

export function sendXml(reply: FastifyReply, tree: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/xml').send(buildXml('Response', tree));
}

function sendError(req: FastifyRequest, reply: FastifyReply, err: CiError): FastifyReply {
  return reply
    .code(err.status)
    .header('x-ci-trace-id', req.id)
    .type('application/xml')
    .send(buildXml('Error', { Code: err.code, Message: err.message, RequestId: req.id }));
}

function toCiError(err: unknown, req: FastifyRequest): CiError {
  if (err instanceof CiError) return err;
  if (err instanceof ValidationError) return new CiError('InvalidArgument', err.message);
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new CiError('ContentTooLarge', `the request body is larger than the limit of ${req.routeOptions.bodyLimit ?? 0} bytes`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new CiError('InvalidArgument', e.message ?? 'invalid request');
  }
  req.log.error({ err }, 'unhandled error');
  return new CiError('InternalError', 'the server could not complete the request; it has been logged with this RequestId');
}

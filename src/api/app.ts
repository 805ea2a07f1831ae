// The fastify app: CI's wire conventions in one place (request ids, XML bodies, the Host's bucket,
// CI error bodies), then one route module per resource.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger.js';
import { newRequestId } from '../domain/ids.js';
import { ValidationError } from '../domain/validation-error.js';
import type { JobStore } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import type { MediaQueues } from '../queue/media-queues.js';
import { CiError } from './errors.js';
import { parseCiHost, type CiHost } from './host.js';
import { buildXml, parseRequestXml, type XmlTree } from '../wire/xml.js';
import { checkContentMd5, registerAuth, type AuthSettings } from './auth/authenticate.js';
import type { RequestLimits } from '../wire/limits.js';
import type { AddressPolicy } from '../callbacks/address-policy.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerTemplateRoutes } from './routes/templates.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { registerWorkflowRunRoutes, S3_EVENTS_PATH, type WorkflowRunDeps } from './routes/workflow-runs.js';
import type { WorkflowStore } from '../store/workflow-store.js';
import { registerQueueRoutes } from './routes/queues.js';
import { CallbackTargetChecker } from './callback-target.js';
import type { TemplateStore } from '../store/template-store.js';
import { registerHealthRoutes, type HealthCheck } from './routes/health.js';

export interface ApiDeps extends WorkflowRunDeps {
  logger: Logger;
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  templates: TemplateStore;
  workflows: WorkflowStore;
  health: HealthCheck;
  bodyLimitBytes: number;
  security: ApiSecurity;
}

/** Request signatures, body shape limits, and which callback receivers a job may name. */
export interface ApiSecurity {
  auth: AuthSettings;
  limits: RequestLimits;
  callbackPolicy: AddressPolicy;
}

declare module 'fastify' {
  interface FastifyRequest {
    ci: CiHost;
    /** The body's `<Request>` content, read within the configured body shape limits. */
    readXml(): XmlTree;
  }
}

/** Paths served without a bucket in the Host. */
const HOSTLESS = new Set(['/healthz', S3_EVENTS_PATH]);

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    genReqId: () => newRequestId(),
    // Requests are logged once, on response, by the hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    clientErrorHandler: sendClientError,
    // Paths the router cannot take (bad percent-encoding, an over-long id) get CI error bodies too.
    frameworkErrors: (err, req, reply) => {
      reply.header('x-ci-request-id', req.id);
      const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is longer than 4096 characters' : `the request path is not valid: ${err.message}`;
      return sendError(req, reply, new CiError('InvalidArgument', message));
    },
  });

  // Every body is read as text: CI clients send XML with assorted (or no) content types. Routes read
  // it as XML with req.readXml(), which applies the body shape limits before or while parsing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    try {
      const md5 = req.headers['content-md5'];
      if (typeof md5 === 'string') checkContentMd5(md5, body as string);
      done(null, body);
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.decorateRequest('ci', null as unknown as CiHost);
  const limits = deps.security.limits;
  app.decorateRequest('readXml', function readXml(this: FastifyRequest): XmlTree {
    return parseRequestXml(this.body as string | undefined, limits);
  });

  // Hooks on every request are callback-style: no promise per hook on the hot path.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-ci-request-id', req.id);
    const path = req.url.split('?')[0] ?? '';
    if (HOSTLESS.has(path)) return done();
    const host = parseCiHost(req.headers.host);
    if (!host) {
      return done(
        new CiError(
          'InvalidHost',
          `the Host header ${JSON.stringify(req.headers.host ?? '')} names no bucket: use <BucketName-APPID>.ci.<Region>.<domain>, for example examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com`,
        ),
      );
    }
    req.ci = host;
    done();
  });

  registerAuth(app, deps.security.auth, HOSTLESS);

  app.addHook('onResponse', (req, reply, done) => {
    req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });

  app.setNotFoundHandler(async (req, reply) => {
    return sendError(req, reply, new CiError('InvalidUrl', `no API at ${req.method} ${req.url.split('?')[0]}`));
  });

  app.setErrorHandler(async (err, req, reply) => sendError(req, reply, toCiError(err, req)));

  registerHealthRoutes(app, deps.health);
  registerJobRoutes(app, deps);
  registerTemplateRoutes(app, deps.templates);
  registerWorkflowRoutes(app, deps.workflows);
  registerWorkflowRunRoutes(app, deps);
  const targets = new CallbackTargetChecker(deps.security.callbackPolicy);
  registerQueueRoutes(app, { ...deps, checkCallbackUrl: (url, field) => targets.check(url, field) });
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

/**
 * Requests Node's HTTP parser refuses (bad framing, oversized headers, a timeout) never reach a route;
 * they still get a CI error body, then the connection is closed.
 */
function sendClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const why = err.code === 'HPE_HEADER_OVERFLOW' ? 'its headers are too large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'it did not arrive in time' : 'it is not valid HTTP/1.1';
    const id = newRequestId();
    const body = buildXml('Error', { Code: 'InvalidArgument', Message: `the request was refused: ${why} (${err.code ?? 'parse error'})`, RequestId: id });
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-ci-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
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

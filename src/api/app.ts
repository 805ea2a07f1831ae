// The fastify app: CI's wire conventions in one place (request ids, XML bodies, the Host's bucket,
// CI error bodies, how errors are answered), then one route module per resource, each handed only the
// stores and services it uses.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../logger.js';
import { CiFailure } from '../domain/errors.js';
import { newRequestId } from '../domain/ids.js';
import type { AddressPolicy } from '../net/address-policy.js';
import type { MediaQueues } from '../queue/media-queues.js';
import type { ExecutionStore } from '../store/execution-store.js';
import type { JobStore } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import { isRedisUnavailable } from '../store/redis.js';
import type { TemplateStore } from '../store/template-store.js';
import type { WorkflowStore } from '../store/workflow-store.js';
import type { WorkflowRunner } from '../workflows/runner.js';
import { checkContentMd5, registerAuth, type AuthSettings } from './auth/authenticate.js';
import { CallbackTargetChecker } from './callback-target.js';
import { CiError } from './errors.js';
import { parseCiHost, type CiHost } from './host.js';
import type { RequestLimits } from '../wire/limits.js';
import { sendClientError, sendError } from './reply.js';
import { registerHealthRoutes, type HealthCheck } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { METRICS_PATH, registerMetrics, type ApiMetrics } from './routes/metrics.js';
import { registerQueueRoutes } from './routes/queues.js';
import { registerTemplateRoutes } from './routes/templates.js';
import { registerWorkflowRunRoutes, S3_EVENTS_PATH } from './routes/workflow-runs.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { parseRequestXml, type XmlTree } from '../wire/xml.js';
import { dashboardPlugin, isDashboardPath, type DashboardDeps } from './dashboard/dashboard.js';

/** What the API is built from; buildApp hands each route module its share. */
interface ApiDeps {
  logger: Logger;
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  templates: TemplateStore;
  workflows: WorkflowStore;
  executions: ExecutionStore;
  workflowRunner: WorkflowRunner;
  s3: S3Client;
  /** When set, POST /s3-events needs `Authorization: Bearer <token>`. */
  s3EventsToken?: string;
  /** The bull-board dashboard at /dashboard; undefined = off (its paths answer InvalidUrl). */
  dashboard?: DashboardDeps;
  health: HealthCheck;
  bodyLimitBytes: number;
  security: ApiSecurity;
  /** GET /metrics and the request metrics; absent = no /metrics. */
  metrics?: ApiMetrics;
}

/** Request signatures, body shape limits, and which callback receivers a job may name. */
interface ApiSecurity {
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
const HOSTLESS = new Set(['/healthz', S3_EVENTS_PATH, METRICS_PATH]);

/** The dashboard's paths are hostless too (on or off, so turning it on never changes what /dashboard needs). */
const isHostless = (path: string): boolean => HOSTLESS.has(path) || isDashboardPath(path);

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    // The cast pins fastify's logger type parameter to its base logger, so the app is a plain FastifyInstance.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
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
      const message =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'a path segment is longer than 4096 characters'
          : `the request path is not valid: ${err.message}`;
      void sendError(req, reply, new CiError('InvalidArgument', message));
    },
  });

  // Every body is read as text: CI clients send XML with assorted (or no) content types. Routes read
  // it as XML with req.readXml(), which applies the body shape limits before or while parsing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    try {
      const md5 = req.headers['content-md5'];
      if (typeof md5 === 'string') checkContentMd5(md5, body);
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
    if (isHostless(path)) {
      done();
      return;
    }
    const host = parseCiHost(req.headers.host);
    if (!host) {
      done(
        new CiError(
          'InvalidHost',
          `the Host header ${JSON.stringify(req.headers.host ?? '')} names no bucket: use <BucketName-APPID>.ci.<Region>.<domain>, for example examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com`,
        ),
      );
      return;
    }
    req.ci = host;
    done();
  });

  registerAuth(app, deps.security.auth, isHostless);

  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      { method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
    done();
  });

  if (deps.metrics) registerMetrics(app, deps.metrics);

  app.setNotFoundHandler(async (req, reply) => {
    return sendError(req, reply, new CiError('InvalidUrl', `no API at ${req.method} ${req.url.split('?')[0]}`));
  });

  app.setErrorHandler(async (err, req, reply) => sendError(req, reply, toCiFailure(err, req)));

  const { jobs, queues, mediaQueues, templates, workflows, executions, workflowRunner, s3, s3EventsToken } = deps;
  const callbackTargets = new CallbackTargetChecker(deps.security.callbackPolicy);
  registerHealthRoutes(app, deps.health);
  registerJobRoutes(app, {
    jobs,
    queues,
    mediaQueues,
    templates,
    workflowRunner,
    callbackTargets,
    onSubmitted: deps.metrics?.metrics.jobSubmitted,
  });
  registerTemplateRoutes(app, templates);
  registerWorkflowRoutes(app, workflows);
  registerWorkflowRunRoutes(app, { workflows, executions, workflowRunner, s3, s3EventsToken });
  registerQueueRoutes(app, { jobs, queues, mediaQueues, callbackTargets });
  if (deps.dashboard) void app.register(dashboardPlugin(deps.dashboard));
  return app;
}

/**
 * Every failure answers with its own status and Code; fastify's own 4xx errors are InvalidArgument (a
 * body over the limit is ContentTooLarge); Redis out of reach is 503 ServiceUnavailable (clients and
 * load balancers retry that, not a 500); anything else is an InternalError, logged with the request.
 */
function toCiFailure(err: unknown, req: FastifyRequest): CiFailure {
  if (err instanceof CiFailure) return err;
  if (isRedisUnavailable(err)) {
    req.log.warn({ err: (err as Error).message }, 'Redis unavailable: answered 503');
    return new CiError('ServiceUnavailable', 'Redis is unavailable: nothing was changed; retry later');
  }
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new CiError('ContentTooLarge', `the request body is larger than the limit of ${req.routeOptions.bodyLimit} bytes`);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new CiError('InvalidArgument', e.message ?? 'invalid request');
  }
  req.log.error({ err }, 'unhandled error');
  return new CiError('InternalError', 'the server could not complete the request; it has been logged with this RequestId');
}

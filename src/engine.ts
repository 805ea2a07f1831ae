// The one place the engine is assembled: the API and the worker, each from the config's sections as they
// are and the endpoints of Redis and S3. Each process builds its stores, its callback queue and its
// workflow runner once, here. The entry points (npm start, npm run api, npm run worker) and the tests use it.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { buildApp } from './api/app.js';
import { healthCheck } from './api/routes/health.js';
import { connected, createRedis, reportConnection, type Redis } from './store/redis.js';
import { JobStore } from './store/job-store.js';
import { QueueStore } from './store/queue-store.js';
import { TemplateStore } from './store/template-store.js';
import { WorkflowStore } from './store/workflow-store.js';
import { MediaQueues } from './queue/media-queues.js';
import { createS3, pingS3 } from './storage/s3.js';
import { MAX_STALLED_RUNS, MediaWorker } from './worker/media-worker.js';
import { createConcatRunner, type ConcatRunnerDeps } from './worker/concat-runner.js';
import { ChunkWorker } from './worker/chunk-worker.js';
import { SplitQueue } from './queue/split-queue.js';
import { removeStaleJobDirs } from './worker/job-dirs.js';
import { ffmpegMedia } from './media/ffmpeg.js';
import { jobObjectsOf } from './storage/job-objects.js';
import { CallbackQueue, startCallbackWorker } from './callbacks/delivery.js';
import { callbackTargetOf } from './callbacks/task-finish.js';
import type { JobRecord } from './domain/job.js';
import { ExecutionStore } from './store/execution-store.js';
import { DeliveryMarks } from './store/delivery-marks.js';
import { WorkflowRunner } from './workflows/runner.js';
import { onS3Notification } from './workflows/upload-trigger.js';
import type { ExecutionRecord } from './domain/workflow-execution.js';
import type { SentinelTarget } from './config/redis-target.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { startMetricsListener } from './metrics/metrics-listener.js';

export interface Endpoints {
  redisUrl: string;
  /** Redis Sentinel instead of the URL (REDIS_SENTINELS). */
  redisSentinel?: SentinelTarget;
  s3Endpoint: string;
}

export interface Running {
  close(): Promise<void>;
}

export interface RunningWorker extends Running {
  /** The worker's metrics listener (METRICS_PORT), e.g. http://127.0.0.1:9464; undefined when off. */
  metricsUrl?: string;
}

export interface RunningApi extends Running {
  app: FastifyInstance;
  /**
   * Feeds an S3 event notification (the AWS/MinIO JSON) to the workflow triggers; returns the RunIds
   * started. The embedded store's events come here (its keys are not URL-encoded).
   */
  onS3Event(body: unknown, opts?: { keysEncoded: boolean }): Promise<string[]>;
  /** The address the API listens on, e.g. http://127.0.0.1:8080. */
  url: string;
}

/** Every record store and the media queues of one process, built once on its command connection. */
interface Stores {
  jobs: JobStore;
  queues: QueueStore;
  templates: TemplateStore;
  workflows: WorkflowStore;
  executions: ExecutionStore;
  mediaQueues: MediaQueues;
}

function openStores(redis: Redis, keyPrefix: string, waitReplicas = 0): Stores {
  return {
    jobs: new JobStore(redis, keyPrefix, waitReplicas),
    queues: new QueueStore(redis, keyPrefix),
    templates: new TemplateStore(redis, keyPrefix),
    workflows: new WorkflowStore(redis, keyPrefix),
    executions: new ExecutionStore(redis, keyPrefix),
    mediaQueues: new MediaQueues(redis, keyPrefix),
  };
}

/** The workflow runner both halves need: the API starts executions, the worker moves them on. */
function workflowRunnerOf(stores: Stores, callbacks: CallbackQueue, logger: Logger, metrics: EngineMetrics): WorkflowRunner {
  const { executions } = stores;
  return new WorkflowRunner({
    ...stores,
    logger,
    onSubmitted: metrics.jobSubmitted,
    onExecutionFinished: async (e: ExecutionRecord) => {
      if (!e.notify?.events.includes('WorkflowFinish')) return;
      const { url } = e.notify;
      await callbacks.enqueue({ kind: 'WorkflowFinish', runId: e.runId, url, format: e.notify.format }, () =>
        executions.setCallback(e.runId, { delivery: 'Pending', url, attempts: 0 }),
      );
    },
  });
}

/**
 * `metrics` is the process' registry: `npm start` runs the API and the worker in one process and hands
 * both the same one; otherwise each builds its own.
 */
export async function startApi(
  config: Config,
  ep: Endpoints,
  logger: Logger,
  metrics: EngineMetrics = new EngineMetrics(),
): Promise<RunningApi> {
  const { api: apiConfig, redis: redisConfig } = config;
  const { credentials, clockSkewSeconds } = apiConfig.security;
  const redis = createRedis(ep.redisSentinel ?? ep.redisUrl, 'ci-api', 'api');
  reportConnection(redis, logger, 'ci-api');
  await connected(redis);
  const stores = openStores(redis, redisConfig.keyPrefix, redisConfig.waitReplicas);
  const { workflows, mediaQueues } = stores;
  const s3 = createS3({ ...config.s3, endpoint: ep.s3Endpoint });
  const marks = new DeliveryMarks(redis, redisConfig.keyPrefix);
  const callbacks = new CallbackQueue(redis, redisConfig.keyPrefix, config.callbacks, marks);
  const runner = workflowRunnerOf(stores, callbacks, logger, metrics);
  await stores.queues.ensureDefault();
  // Callbacks are posted from the API process unless CALLBACK_DELIVERY=worker: a worker killed under its
  // ffmpeg (the process most likely to die) then never cuts a POST short, which would leave no record of
  // whether the receiver took it and so send it a second time. A SIGTERM lets the posts in flight end.
  const delivering = config.callbacks.delivery === 'api' ? startDelivery(config, ep, stores, marks, logger, metrics, 'ci-api') : undefined;
  metrics.readQueueDepthFrom(async () => stores.jobs.countsByQueue((await stores.queues.all()).map((q) => q.queueId)));
  if (credentials.length === 0) {
    logger.warn(
      'NO API CREDENTIALS: neither CI_SECRET_ID/CI_SECRET_KEY nor CI_CREDENTIALS_FILE is set, so the API accepts every request without checking signatures. Use this mode for local work only.',
    );
  } else {
    logger.info({ keys: credentials.map((c) => c.secretId), clockSkewSeconds }, 'request signatures required');
  }
  const app = buildApp({
    logger,
    ...stores,
    workflowRunner: runner,
    s3,
    s3EventsToken: apiConfig.security.s3EventsToken,
    dashboard: config.dashboard.login
      ? { settings: { login: config.dashboard.login, readOnly: config.dashboard.readOnly }, ...stores, callbackQueue: callbacks.bullQueue }
      : undefined,
    bodyLimitBytes: apiConfig.bodyLimitBytes,
    security: {
      auth: { credentials, clockSkewSec: clockSkewSeconds },
      limits: apiConfig.security.requestLimits,
      callbackPolicy: config.callbacks,
    },
    health: healthCheck({ redis: () => redis.ping(), s3: () => pingS3(s3) }),
    metrics: { metrics, token: apiConfig.metricsToken },
  });
  const address = await app.listen({ port: apiConfig.port, host: apiConfig.host });
  const port = (app.server.address() as { port: number }).port;
  logger.info({ address }, 'API listening');
  const onS3Event = (body: unknown, opts?: { keysEncoded: boolean }): Promise<string[]> =>
    onS3Notification({ workflows, runner, s3, logger }, body, opts);
  return {
    app,
    onS3Event,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await delivering?.close();
      await callbacks.close();
      await mediaQueues.close();
      s3.destroy();
      redis.disconnect();
    },
  };
}

/** The callback worker of a process (CALLBACK_DELIVERY says which), on a blocking connection of its own. */
function startDelivery(
  config: Config,
  ep: Endpoints,
  stores: ReturnType<typeof openStores>,
  marks: DeliveryMarks,
  logger: Logger,
  metrics: EngineMetrics,
  name: string,
): { close(): Promise<void> } {
  const connection = createRedis(ep.redisSentinel ?? ep.redisUrl, `${name}-callbacks`, 'worker');
  reportConnection(connection, logger, `${name}-callbacks`);
  const worker = startCallbackWorker({
    connection,
    keyPrefix: config.redis.keyPrefix,
    ...stores,
    marks,
    logger,
    settings: config.callbacks,
    lockMs: config.worker.lockSec * 1000,
    stalledIntervalMs: config.worker.stalledCheckSec * 1000,
    maxStalledCount: MAX_STALLED_RUNS,
    onTry: metrics.callbackTry,
  });
  return {
    async close() {
      // The posts in flight end (each within CALLBACK_TIMEOUT_MS) before the process lets go of them.
      await worker.close();
      connection.disconnect();
    },
  };
}

export async function startWorker(
  config: Config,
  ep: Endpoints,
  logger: Logger,
  metrics: EngineMetrics = new EngineMetrics(),
): Promise<RunningWorker> {
  const { keyPrefix } = config.redis;
  const connections: Redis[] = [];
  const connection = (): Redis => {
    const r = createRedis(ep.redisSentinel ?? ep.redisUrl, 'ci-worker', 'worker');
    reportConnection(r, logger, 'ci-worker');
    connections.push(r);
    return r;
  };
  const redis = connection();
  const s3 = createS3({ ...config.s3, endpoint: ep.s3Endpoint });
  const stores = openStores(redis, keyPrefix, config.redis.waitReplicas);
  const { jobs, queues, mediaQueues } = stores;
  const marks = new DeliveryMarks(redis, keyPrefix);
  const callbacks = new CallbackQueue(redis, keyPrefix, config.callbacks, marks);
  const runner = workflowRunnerOf(stores, callbacks, logger, metrics);
  const delivering =
    config.callbacks.delivery === 'worker' ? startDelivery(config, ep, stores, marks, logger, metrics, 'ci-worker') : undefined;
  const onFinished = async (job: JobRecord): Promise<void> => {
    await runner.onJobFinished(job).catch((err: unknown) => logger.error({ err, jobId: job.jobId }, 'workflow step failed'));
    const target = callbackTargetOf(job, await queues.get(job.queueId));
    if (!target) return;
    // A job that ended twice (its worker died after the end) asks again: nothing is added if its
    // delivery is queued or done, and a delivery state already recorded is kept.
    await callbacks.enqueue({ kind: 'TaskFinish', jobId: job.jobId, url: target.url, format: target.format }, async () => {
      if (job.callback.delivery === 'None')
        await jobs.update(job.jobId, { callback: { delivery: 'Pending', url: target.url, attempts: 0 } });
    });
  };
  const splitQueue = new SplitQueue(redis, keyPrefix);
  const runnerDeps: ConcatRunnerDeps = {
    media: ffmpegMedia,
    objects: jobObjectsOf(s3, { store: ep.s3Endpoint, totalMs: config.s3.retrySec * 1000 }),
    s3Endpoint: ep.s3Endpoint,
    dataDir: config.dataDir,
    fetchAllowedHosts: config.worker.fetchAllowedHosts,
    autoCopy: config.worker.autoCopy,
    limits: config.job.limits,
    split: { settings: config.worker.split, queue: splitQueue },
  };
  const chunkWorker = new ChunkWorker({
    connection,
    keyPrefix,
    jobs,
    splitQueue,
    runner: runnerDeps,
    logger,
    lockMs: config.worker.lockSec * 1000,
    stalledIntervalMs: config.worker.stalledCheckSec * 1000,
  });
  const worker = new MediaWorker({
    connection,
    keyPrefix,
    ...stores,
    logger,
    concurrency: config.worker.concurrency,
    drainMs: config.worker.drainSec * 1000,
    lockMs: config.worker.lockSec * 1000,
    stalledIntervalMs: config.worker.stalledCheckSec * 1000,
    runConcat: createConcatRunner(runnerDeps),
    onFinished,
    observeFinished: metrics.jobFinished,
  });
  const stale = await removeStaleJobDirs(config.dataDir);
  if (stale.length > 0) logger.warn({ dirs: stale }, 'removed job directories left by stopped workers');
  await chunkWorker.start();
  await worker.start();
  const { metricsPort } = config.worker;
  const listener =
    metricsPort === undefined
      ? undefined
      : await startMetricsListener(metrics, { port: metricsPort, host: config.api.host, token: config.api.metricsToken });
  if (listener) logger.info({ url: `${listener.url}/metrics` }, 'worker metrics listening');
  return {
    metricsUrl: listener?.url,
    async close() {
      await listener?.close();
      await worker.close();
      await chunkWorker.close();
      await splitQueue.close();
      await delivering?.close();
      await callbacks.close();
      await mediaQueues.close();
      s3.destroy();
      for (const c of connections) c.disconnect();
    },
  };
}

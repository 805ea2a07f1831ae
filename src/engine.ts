// Assembles the two halves of the engine, the API and the worker, from the config and the endpoints of
// Redis and S3. The process entry points (npm start, npm run api, npm run worker) and the tests use it.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { buildApp } from './api/app.js';
import { healthCheck } from './api/routes/health.js';
import { createRedis, type Redis } from './store/redis.js';
import { JobStore } from './store/job-store.js';
import { QueueStore } from './store/queue-store.js';
import { TemplateStore } from './store/template-store.js';
import { WorkflowStore } from './store/workflow-store.js';
import { MediaQueues } from './queue/media-queues.js';
import { createS3, pingS3 } from './storage/s3.js';
import { MediaWorker } from './worker/media-worker.js';
import { createConcatRunner } from './worker/concat-runner.js';
import { ffmpegMedia } from './media/ffmpeg.js';
import { jobObjectsOf } from './storage/job-objects.js';
import { CallbackQueue, startCallbackWorker } from './callbacks/delivery.js';
import { callbackTargetOf } from './callbacks/task-finish.js';
import type { JobRecord } from './domain/job.js';
import { ExecutionStore } from './store/execution-store.js';
import { WorkflowRunner } from './workflows/runner.js';
import { onS3Notification } from './workflows/upload-trigger.js';
import type { ExecutionRecord } from './domain/workflow-execution.js';

export interface Endpoints {
  redisUrl: string;
  s3Endpoint: string;
}

export interface Running {
  close(): Promise<void>;
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

function callbackSettingsOf(config: Config) {
  return {
    retryBaseMs: config.callbackRetryBaseMs,
    timeoutMs: config.callbackTimeoutMs,
    policy: { blockPrivate: config.callbackBlockPrivate },
    signingKey: config.callbackSigningKey,
  };
}

/** The workflow runner both halves need: the API starts executions, the worker moves them on. */
function workflowRunnerOf(redis: Redis, config: Config, logger: Logger, stores: { jobs: JobStore; queues: QueueStore; mediaQueues: MediaQueues }) {
  const executions = new ExecutionStore(redis, config.keyPrefix);
  const callbacks = new CallbackQueue(redis, config.keyPrefix, callbackSettingsOf(config));
  const runner = new WorkflowRunner({
    ...stores,
    templates: new TemplateStore(redis, config.keyPrefix),
    executions,
    logger,
    onExecutionFinished: async (e: ExecutionRecord) => {
      if (!e.notify || !e.notify.events.includes('WorkflowFinish')) return;
      await executions.setCallback(e.runId, { delivery: 'Pending', url: e.notify.url, attempts: 0 });
      await callbacks.enqueue({ kind: 'WorkflowFinish', runId: e.runId, url: e.notify.url, format: e.notify.format });
    },
  });
  return { runner, executions, callbacks };
}

function s3Settings(config: Config, ep: Endpoints) {
  return {
    endpoint: ep.s3Endpoint,
    region: config.s3Region,
    forcePathStyle: config.s3ForcePathStyle,
    accessKeyId: config.s3AccessKeyId,
    secretAccessKey: config.s3SecretAccessKey,
  };
}

export async function startApi(config: Config, ep: Endpoints, logger: Logger): Promise<RunningApi> {
  const redis = createRedis(ep.redisUrl, 'ci-api', 'api');
  const jobs = new JobStore(redis, config.keyPrefix);
  const queues = new QueueStore(redis, config.keyPrefix);
  const mediaQueues = new MediaQueues(redis, config.keyPrefix);
  const templates = new TemplateStore(redis, config.keyPrefix);
  const workflows = new WorkflowStore(redis, config.keyPrefix);
  const s3 = createS3(s3Settings(config, ep));
  const wf = workflowRunnerOf(redis, config, logger, { jobs, queues, mediaQueues });
  await queues.ensureDefault();
  if (config.credentials.length === 0) {
    logger.warn('NO API CREDENTIALS: neither CI_SECRET_ID/CI_SECRET_KEY nor CI_CREDENTIALS_FILE is set, so the API accepts every request without checking signatures. Use this mode for local work only.');
  } else {
    logger.info({ keys: config.credentials.map((c) => c.secretId), clockSkewSeconds: config.clockSkewSeconds }, 'request signatures required');
  }
  const app = buildApp({
    logger,
    jobs,
    queues,
    templates,
    workflows,
    executions: wf.executions,
    workflowRunner: wf.runner,
    s3,
    s3EventsToken: config.s3EventsToken,
    mediaQueues,
    bodyLimitBytes: config.bodyLimitBytes,
    security: {
      auth: { credentials: config.credentials, clockSkewSec: config.clockSkewSeconds },
      limits: config.requestLimits,
      callbackPolicy: { blockPrivate: config.callbackBlockPrivate },
    },
    health: healthCheck({ redis: () => redis.ping(), s3: () => pingS3(s3) }),
  });
  const address = await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as { port: number }).port;
  logger.info({ address }, 'API listening');
  const onS3Event = (body: unknown, opts?: { keysEncoded: boolean }): Promise<string[]> =>
    onS3Notification({ workflows, runner: wf.runner, s3, logger }, body, opts);
  return {
    app,
    onS3Event,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await wf.callbacks.close();
      await mediaQueues.close();
      s3.destroy();
      redis.disconnect();
    },
  };
}

export async function startWorker(config: Config, ep: Endpoints, logger: Logger): Promise<Running> {
  const connections: Redis[] = [];
  const connection = (): Redis => {
    const r = createRedis(ep.redisUrl, 'ci-worker', 'worker');
    connections.push(r);
    return r;
  };
  const redis = connection();
  const s3 = createS3(s3Settings(config, ep));
  const jobs = new JobStore(redis, config.keyPrefix);
  const queues = new QueueStore(redis, config.keyPrefix);
  const mediaQueues = new MediaQueues(redis, config.keyPrefix);
  const callbackSettings = callbackSettingsOf(config);
  const callbacks = new CallbackQueue(redis, config.keyPrefix, callbackSettings);
  const wf = workflowRunnerOf(redis, config, logger, { jobs, queues, mediaQueues });
  const callbackWorker = startCallbackWorker({ connection: connection(), keyPrefix: config.keyPrefix, jobs, executions: wf.executions, logger, settings: callbackSettings });
  const onFinished = async (job: JobRecord): Promise<void> => {
    await wf.runner.onJobFinished(job).catch((err) => logger.error({ err, jobId: job.jobId }, 'workflow step failed'));
    const target = callbackTargetOf(job, await queues.get(job.queueId));
    if (!target) return;
    await jobs.update(job.jobId, { callback: { delivery: 'Pending', url: target.url, attempts: 0 } });
    await callbacks.enqueue({ kind: 'TaskFinish', jobId: job.jobId, url: target.url, format: target.format });
  };
  const worker = new MediaWorker({
    connection,
    keyPrefix: config.keyPrefix,
    jobs,
    queues,
    mediaQueues,
    logger,
    concurrency: config.workerConcurrency,
    runConcat: createConcatRunner({
      media: ffmpegMedia,
      objects: jobObjectsOf(s3),
      s3Endpoint: ep.s3Endpoint,
      dataDir: config.dataDir,
      fetchAllowedHosts: config.fetchAllowedHosts,
      limits: {
        maxInputBytes: config.maxJobInputBytes,
        maxOutputDurationSec: config.maxOutputDurationSec,
        timeoutSec: config.jobTimeoutSec,
        minFreeDiskBytes: config.minFreeDiskBytes,
      },
    }),
    onFinished,
  });
  await worker.start();
  return {
    async close() {
      await worker.close();
      await callbackWorker.close(true);
      await callbacks.close();
      await wf.callbacks.close();
      await mediaQueues.close();
      s3.destroy();
      for (const c of connections) c.disconnect();
    },
  };
}

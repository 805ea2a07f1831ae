// `npm start`: the whole engine in one process: the embedded redis-server and S3 store (unless
// REDIS_URL / S3_ENDPOINT point elsewhere), the API and a worker.
import path from 'node:path';
import { EMBEDDED_S3_KEY, sentinelOf } from './config.js';
import { startApi, startWorker } from './engine.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { startRedisServer } from './embedded/redis-server.js';
import { startS3Server } from './embedded/s3-server.js';
import { componentLogger, createLogger } from './logger.js';
import { loadConfigOrExit, stopOnSignals } from './process-lifecycle.js';

const config = loadConfigOrExit();
const logger = createLogger(config.log.level, 'engine');
const stops: (() => Promise<void>)[] = [];
stopOnSignals(stops, (msg) => logger.info(msg));

/** The variables `npx ci-concat` needs to find this engine when it is not on the ports it defaults to. */
function cliPrefix(apiPort: number, s3Endpoint: string): string {
  const vars = [];
  if (apiPort !== 8080) vars.push(`CI_ENDPOINT=http://127.0.0.1:${apiPort}`);
  if (s3Endpoint !== 'http://127.0.0.1:4568' && config.s3.endpoint === undefined) vars.push(`S3_ENDPOINT=${s3Endpoint}`);
  return vars.map((v) => `${v} `).join('');
}

try {
  let redisUrl = config.redis.url;
  if (redisUrl === undefined && config.redis.sentinel === undefined) {
    const redis = await startRedisServer({ port: config.redis.port, dir: path.join(config.dataDir, 'redis') });
    stops.push(() => redis.stop());
    redisUrl = redis.url;
    logger.info({ redisUrl, dir: path.join(config.dataDir, 'redis') }, 'embedded redis-server started');
  }
  let s3Endpoint = config.s3.endpoint;
  let embeddedS3: Awaited<ReturnType<typeof startS3Server>> | undefined;
  if (s3Endpoint === undefined) {
    const s3 = await startS3Server({
      port: config.s3.port,
      dir: path.join(config.dataDir, 's3'),
      accessKeyId: config.s3.accessKeyId,
      secretAccessKey: config.s3.secretAccessKey,
      address: '0.0.0.0',
    });
    stops.push(() => s3.stop());
    embeddedS3 = s3;
    s3Endpoint = s3.endpoint;
    logger.info({ s3Endpoint, dir: path.join(config.dataDir, 's3') }, 'embedded S3 store started');
  }
  const endpoints = { redisUrl: redisUrl ?? '', ...sentinelOf(config.redis), s3Endpoint };
  // One registry for the process: the API's /metrics shows the worker's jobs too.
  const metrics = new EngineMetrics();
  const api = await startApi(config, endpoints, componentLogger(logger, 'api'), metrics);
  stops.push(() => api.close());
  // Uploads to the embedded store start workflows, as MinIO's webhook does in docker compose.
  embeddedS3?.onEvent((event) => {
    api.onS3Event(event, { keysEncoded: false }).catch((err: unknown) => logger.error({ err }, 'S3 event not handled'));
  });
  const worker = await startWorker(config, endpoints, componentLogger(logger, 'worker'), metrics);
  stops.push(() => worker.close());

  const apiPort = (api.app.server.address() as { port: number }).port;
  process.stdout.write(
    [
      '',
      'Engine ready.',
      `  API endpoint:  http://127.0.0.1:${apiPort}  (send Host: <BucketName-APPID>.ci.<Region>.myqcloud.com)`,
      `  S3 endpoint:   ${s3Endpoint}  (path-style)`,
      `  S3 key pair:   ${config.s3.accessKeyId} / ${config.s3.secretAccessKey === EMBEDDED_S3_KEY ? EMBEDDED_S3_KEY : '(your S3_SECRET_ACCESS_KEY)'}`,
      `  API keys:      ${config.api.security.credentials.length > 0 ? `${config.api.security.credentials.map((c) => c.secretId).join(', ')} (signatures required)` : 'NONE SET: signatures are not checked (local use only)'}`,
      `  Data:          ${config.dataDir}`,
      `  Command line:  ${cliPrefix(apiPort, s3Endpoint)}npx ci-concat --help  (in this checkout)`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
} catch (err) {
  logger.fatal({ err }, 'start failed');
  for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
  process.exit(1);
}

// `npm run api`: the HTTP API alone, against the external Redis (REDIS_URL) and S3 (S3_ENDPOINT).
import { redisUrlOf, s3EndpointOf, sentinelOf } from './config.js';
import { startApi } from './engine.js';
import { createLogger } from './logger.js';
import { loadConfigOrExit, stopOnSignals } from './process-lifecycle.js';

const config = loadConfigOrExit();
const logger = createLogger(config.log.level, 'api');
if (config.redis.url === undefined || config.s3.endpoint === undefined) {
  logger.warn('REDIS_URL or S3_ENDPOINT is not set: using the defaults on 127.0.0.1 (npm start runs them embedded)');
}
const api = await startApi(
  config,
  { redisUrl: redisUrlOf(config.redis), ...sentinelOf(config.redis), s3Endpoint: s3EndpointOf(config.s3) },
  logger,
);
stopOnSignals([() => api.close()], (msg) => logger.info(msg));

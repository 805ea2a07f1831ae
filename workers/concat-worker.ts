// `npm run worker`: the media worker alone, against the external Redis (REDIS_URL) and S3 (S3_ENDPOINT).
import { redisUrlOf, s3EndpointOf, sentinelOf } from '../src/config.js';
import { startWorker } from '../src/engine.js';
import { createLogger } from '../src/logger.js';
import { loadConfigOrExit, stopOnSignals } from '../src/process-lifecycle.js';

const config = loadConfigOrExit();
const logger = createLogger(config.log.level, 'worker');
const worker = await startWorker(
  config,
  { redisUrl: redisUrlOf(config.redis), ...sentinelOf(config.redis), s3Endpoint: s3EndpointOf(config.s3) },
  logger,
);
stopOnSignals([() => worker.close()], (msg) => logger.info(msg));

// Starts the engine's API and worker in-process against the test run's Redis and S3, with a key
// prefix of their own so test files can run side by side.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testEndpoints } from './endpoints.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startApi, startWorker, type Endpoints, type Running, type RunningApi } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { createRedis, type Redis } from '../../src/store/redis.js';

export interface TestEngine {
  config: Config;
  endpoints: Endpoints;
  api: RunningApi;
  worker?: Running;
  /** A Redis connection for assertions on records. */
  redis: Redis;
  close(): Promise<void>;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}`,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    WORKER_CONCURRENCY: '1',
    DATA_DIR: path.join(tmpdir(), 'ci-engine-test-data'),
    ...env,
  });
}

export async function startTestEngine(
  opts: { worker?: boolean; env?: Record<string, string>; endpoints?: Endpoints } = {},
): Promise<TestEngine> {
  const config = testConfig(opts.env);
  const endpoints = opts.endpoints ?? testEndpoints();
  const logger = createLogger(config.log.level, 'test');
  const api = await startApi(config, endpoints, logger);
  const worker = opts.worker ? await startWorker(config, endpoints, logger) : undefined;
  const redis = createRedis(endpoints.redisUrl, 'test', 'api');
  // Tests that stop Redis see its absence in their assertions; ioredis would print every reconnect attempt.
  redis.on('error', () => undefined);
  return {
    config,
    endpoints,
    api,
    worker,
    redis,
    async close() {
      await worker?.close();
      await api.close();
      redis.disconnect();
    },
  };
}

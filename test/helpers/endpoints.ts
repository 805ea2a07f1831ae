// Where the test run's Redis and S3 are (started by test/setup/services.ts).
import { inject } from 'vitest';
import type { Endpoints } from '../../src/engine.js';

export function testEndpoints(): Endpoints {
  return { redisUrl: inject('redisUrl'), s3Endpoint: inject('s3Endpoint') };
}

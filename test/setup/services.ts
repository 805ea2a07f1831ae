// Vitest global setup: the real services the integration and end-to-end tests talk to, on free ports,
// with their data in a temporary directory; stopped when the run ends. Test files share them and keep
// apart by a Redis key prefix and S3 bucket names of their own.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../src/embedded/redis-server.js';
import { startS3Server } from '../../src/embedded/s3-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    s3Endpoint: string;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-engine-test-'));
  const redis = await startRedisServer({ port: await freePort(), dir: path.join(dir, 'redis') });
  const s3 = await startS3Server({ port: await freePort(), dir: path.join(dir, 's3'), accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  project.provide('redisUrl', redis.url);
  project.provide('s3Endpoint', s3.endpoint);
  return async () => {
    await s3.stop().catch(() => undefined);
    await redis.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
}

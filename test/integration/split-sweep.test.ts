// The sweep of split jobs' temporary objects against the real Redis and S3 store: a prefix noted for a
// job that has ended (or whose record is gone) is emptied and forgotten when a chunk worker starts; the
// prefix of a job still running is left alone.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatJobRequest } from '../../src/domain/concat-types.js';
import { newId } from '../../src/domain/ids.js';
import type { JobDoc } from '../../src/domain/job.js';
import { createLogger } from '../../src/logger.js';
import { ffmpegMedia } from '../../src/media/ffmpeg.js';
import { SplitQueue } from '../../src/queue/split-queue.js';
import { jobObjectsOf } from '../../src/storage/job-objects.js';
import { createS3 } from '../../src/storage/s3.js';
import { JobStore } from '../../src/store/job-store.js';
import { createRedis, type Redis } from '../../src/store/redis.js';
import { ChunkWorker } from '../../src/worker/chunk-worker.js';
import { tempPrefixOf } from '../../src/worker/split-task.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { seedJob } from '../helpers/seed-jobs.js';

const BUCKET = 'sweep-test';
const keyPrefix = `t${randomBytes(5).toString('hex')}`;
let redis: Redis;
let s3: S3Client;
let jobs: JobStore;
let split: SplitQueue;

const request: ConcatJobRequest = {
  tag: 'Concat',
  operation: {
    concatTemplate: { fragments: [{ url: 'a.mp4' }], container: { format: 'mp4' }, audioMixArray: [], directConcat: false },
    watermarkTemplateIds: [],
    watermarks: [],
    output: { region: 'ap-chongqing', bucket: BUCKET, object: 'out.${ext}' },
    jobLevel: 0,
  },
};

async function jobIn(state: 'Running' | 'Success' | 'Failed' | 'Cancel'): Promise<string> {
  const doc: JobDoc = {
    jobId: newId('job'),
    tag: 'Concat',
    bucket: BUCKET,
    region: 'ap-chongqing',
    queueId: 'p' + '0'.repeat(32),
    creationMs: Date.now(),
    request,
  };
  await seedJob(redis, keyPrefix, doc);
  if (state === 'Cancel') await jobs.transition(doc.jobId, ['Submitted'], 'Cancel');
  else {
    await jobs.transition(doc.jobId, ['Submitted'], 'Running');
    if (state !== 'Running') await jobs.transition(doc.jobId, ['Running'], state);
  }
  return doc.jobId;
}

/** Two chunk files under the job's prefix, noted as a split job does before writing them. */
async function leaveChunks(jobId: string): Promise<void> {
  const prefix = tempPrefixOf(jobId);
  await split.noteTemp({ jobId, bucket: BUCKET, prefix });
  for (const name of ['g1/chunk-0000.mp4', 'g1/audio.m4a']) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: 'x' }));
  }
}

async function objectsOf(jobId: string): Promise<number> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: tempPrefixOf(jobId) }));
  return res.KeyCount ?? 0;
}

beforeAll(async () => {
  const ep = testEndpoints();
  redis = createRedis(ep.redisUrl, 'sweep-test', 'worker');
  s3 = createS3({ endpoint: ep.s3Endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  jobs = new JobStore(redis, keyPrefix);
  split = new SplitQueue(redis, keyPrefix);
});

afterAll(async () => {
  await split.close();
  s3.destroy();
  redis.disconnect();
});

describe('the sweep of temporary prefixes', () => {
  it('empties and forgets the prefixes of ended and vanished jobs when a chunk worker starts, and keeps a running one', async () => {
    const running = await jobIn('Running');
    const ended = await Promise.all([jobIn('Success'), jobIn('Failed'), jobIn('Cancel')]);
    const vanished = newId('job');
    for (const id of [running, ...ended, vanished]) await leaveChunks(id);
    expect(await Promise.all([running, ...ended, vanished].map(objectsOf))).toEqual([2, 2, 2, 2, 2]);

    const ep = testEndpoints();
    const worker = new ChunkWorker({
      connection: () => createRedis(ep.redisUrl, 'sweep-test', 'worker'),
      keyPrefix,
      jobs,
      splitQueue: split,
      runner: {
        media: ffmpegMedia,
        objects: jobObjectsOf(s3, { store: ep.s3Endpoint, totalMs: 0 }),
        s3Endpoint: ep.s3Endpoint,
        dataDir: path.join(tmpdir(), 'sweep-test'),
      },
      logger: createLogger('silent', 'test'),
      lockMs: 5000,
      stalledIntervalMs: 5000,
    });
    await worker.start();
    try {
      expect(await Promise.all([running, ...ended, vanished].map(objectsOf))).toEqual([2, 0, 0, 0, 0]);
      expect((await split.temps()).map((t) => t.jobId)).toEqual([running]);
      // Once the running job has ended, the next sweep takes its prefix too.
      await jobs.transition(running, ['Running'], 'Success');
      expect(await worker.sweep()).toBe(1);
      expect(await objectsOf(running)).toBe(0);
      expect(await split.temps()).toEqual([]);
    } finally {
      await worker.close();
    }
  });
});

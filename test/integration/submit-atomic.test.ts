// A submit is whole or absent. The record is written Pending, the job queued, then the record made
// Submitted; a Pending record shows nowhere, no state change accepts it, and it expires. Against the
// real Redis: a Pending record's invariants, and a submit whose queue write fails (its BullMQ queue on a
// redis-server of its own, stopped after it connected) leaving nothing that shows or runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../../src/embedded/redis-server.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatJobRequest } from '../../src/domain/concat-types.js';
import { newId } from '../../src/domain/ids.js';
import type { JobDoc } from '../../src/domain/job.js';
import { MediaQueues } from '../../src/queue/media-queues.js';
import { EnqueueFailed, submitJob } from '../../src/queue/submit-job.js';
import { JobStore } from '../../src/store/job-store.js';
import { QueueStore } from '../../src/store/queue-store.js';
import { createRedis, type Redis } from '../../src/store/redis.js';
import { freePort } from '../setup/services.js';
import { testEndpoints } from '../helpers/endpoints.js';

let redis: Redis;
let dead: Redis;
let deadDir: string;
let jobs: JobStore;
let queues: QueueStore;
let queueId: string;
const prefix = `t${randomBytes(5).toString('hex')}`;

function doc(): JobDoc {
  const request: ConcatJobRequest = {
    tag: 'Concat',
    input: undefined,
    operation: {
      concatTemplate: { fragments: [{ url: 'a.mp4' }], container: { format: 'mp4' }, audioMixArray: [], directConcat: false },
      watermarkTemplateIds: [],
      watermarks: [],
      output: { region: 'ap-chongqing', bucket: 'b-1', object: 'out.${ext}' },
      jobLevel: 0,
    },
  };
  return {
    jobId: newId('job', Date.now()),
    tag: 'Concat',
    bucket: 'b-1',
    region: 'ap-chongqing',
    queueId,
    creationMs: Date.now(),
    request,
  };
}

const listed = async (): Promise<string[]> =>
  (await jobs.list({ bucket: 'b-1', tag: 'Concat', queueId, order: 'Desc', size: 100 })).jobs.map((j) => j.jobId);

beforeAll(async () => {
  redis = createRedis(testEndpoints().redisUrl, 'submit-atomic', 'api');
  jobs = new JobStore(redis, prefix);
  queues = new QueueStore(redis, prefix);
  queueId = (await queues.ensureDefault()).queueId;
  deadDir = mkdtempSync(path.join(tmpdir(), 'submit-atomic-'));
  const server = await startRedisServer({ port: await freePort(), dir: deadDir });
  dead = createRedis(server.url, 'submit-atomic-dead', 'api');
  dead.on('error', () => undefined);
  await dead.ping();
  await server.stop();
});
afterAll(() => {
  redis.disconnect();
  dead.disconnect();
  rmSync(deadDir, { recursive: true, force: true });
});

describe('a Pending record', () => {
  it('shows nowhere, is refused by every state change, expires, and becomes a job only when committed', async () => {
    const d = doc();
    expect(await jobs.submit(d, queues.recordKey(queueId))).toEqual({ ok: true });
    expect(await jobs.get(d.jobId)).toBeUndefined();
    expect(await listed()).not.toContain(d.jobId);
    expect(await jobs.idsInQueue(queueId, 'Submitted')).not.toContain(d.jobId);
    // A worker handed its queue entry cannot start it; a cancel cannot reach it.
    expect(await jobs.transition(d.jobId, ['Submitted', 'Running'], 'Running')).toEqual({ ok: false, previous: 'Pending' });
    expect((await jobs.transition(d.jobId, ['Submitted', 'Pause'], 'Cancel')).ok).toBe(false);
    const ttl = await redis.ttl(`${prefix}:job:${d.jobId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);

    expect(await jobs.commit(d.jobId)).toBe(true);
    expect((await jobs.get(d.jobId))?.state).toBe('Submitted');
    expect(await listed()).toContain(d.jobId);
    expect(await jobs.idsInQueue(queueId, 'Submitted')).toContain(d.jobId);
    expect(await redis.ttl(`${prefix}:job:${d.jobId}`)).toBe(-1);
    // Committing twice does nothing more.
    expect(await jobs.commit(d.jobId)).toBe(false);
  });
});

describe('a submit whose queue write fails', () => {
  it('answers EnqueueFailed (503) and leaves no job: not readable, not listed, not recovered by a worker start', async () => {
    const d = doc();
    const err = await submitJob({ jobs, queues, mediaQueues: new MediaQueues(dead, prefix) }, d).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EnqueueFailed);
    expect((err as EnqueueFailed).status).toBe(503);
    expect(await jobs.get(d.jobId)).toBeUndefined();
    expect(await listed()).not.toContain(d.jobId);
    // What a worker's start re-enqueues: Submitted records without a queue entry.
    expect(await jobs.idsInQueue(queueId, 'Submitted')).not.toContain(d.jobId);
    expect(await redis.exists(`${prefix}:job:${d.jobId}`)).toBe(0);
  }, 30_000);
});

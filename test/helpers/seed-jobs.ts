// Writes job records the way the API does (JobStore.submit), for tests that need records without a
// request: its queue record is created first when the test's queue id names none.
import type { JobDoc } from '../../src/domain/job.js';
import { JobStore } from '../../src/store/job-store.js';
import { QueueStore } from '../../src/store/queue-store.js';
import type { Redis } from '../../src/store/redis.js';

/** A Submitted job record and its index entries; nothing is enqueued for a worker. */
export async function seedJob(redis: Redis, keyPrefix: string, doc: JobDoc): Promise<void> {
  const queues = new QueueStore(redis, keyPrefix);
  if (!(await queues.get(doc.queueId))) {
    await queues.put({
      queueId: doc.queueId,
      name: `seed-${doc.queueId}`,
      state: 'Active',
      category: 'Transcoding',
      maxSize: 1_000_000,
      maxConcurrent: 10,
      notifyConfig: { state: 'Off' },
      createMs: doc.creationMs,
      updateMs: doc.creationMs,
    });
  }
  const jobs = new JobStore(redis, keyPrefix);
  const outcome = await jobs.submit(doc, queues.recordKey(doc.queueId));
  if (!outcome.ok) throw new Error(`seeding job ${doc.jobId}: ${outcome.reason}`);
  await jobs.commit(doc.jobId);
}

// BullMQ producers for media jobs. Each CI queue is one BullMQ queue (`media-<queueId>`), so pausing
// a CI queue and capping its concurrency act on that queue alone. The BullMQ job id is the CI JobId:
// enqueueing the same job twice (as recovery after a restart does) is a no-op.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { priorityOf } from '../domain/job.js';

/** Queue payloads, one variant per kind of work a media worker runs. */
export interface MediaTask {
  kind: 'concat';
  jobId: string;
}

export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:bull`;
}

export function mediaQueueName(queueId: string): string {
  return `media-${queueId}`;
}

export class MediaQueues {
  private readonly queues = new Map<string, Queue<MediaTask>>();

  constructor(
    private readonly connection: Redis,
    private readonly keyPrefix: string,
  ) {}

  /**
   * The BullMQ queue of a CI queue. On a connection that keeps no offline queue (the API's: it answers
   * 503 rather than wait), a Redis out of reach is an error at once: BullMQ would otherwise hold every
   * call on a queue first used during the outage until Redis came back.
   */
  queue(queueId: string): Queue<MediaTask> {
    if (this.connection.status !== 'ready' && !this.connection.options.enableOfflineQueue) throw new Error('Connection is closed.');
    let q = this.queues.get(queueId);
    if (!q) {
      q = new Queue<MediaTask>(mediaQueueName(queueId), { connection: this.connection, prefix: bullPrefix(this.keyPrefix) });
      this.queues.set(queueId, q);
    }
    return q;
  }

  async enqueue(queueId: string, task: MediaTask, jobLevel: number): Promise<void> {
    await this.queue(queueId).add(task.kind, task, {
      jobId: task.jobId,
      priority: priorityOf(jobLevel),
      attempts: 1,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
  }

  /** Drops a waiting job from BullMQ; a job a worker already holds stays (the worker checks the record). */
  async remove(queueId: string, jobId: string): Promise<void> {
    try {
      await this.queue(queueId).remove(jobId);
    } catch {
      // Locked by a worker: it will see the Cancel state and skip the job.
    }
  }

  async has(queueId: string, jobId: string): Promise<boolean> {
    return (await this.queue(queueId).getJob(jobId)) !== undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

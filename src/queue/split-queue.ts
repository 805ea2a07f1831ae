// The queue of a split job's children: one BullMQ queue every worker process serves, whatever CI queue
// the job came from, so any worker may encode any chunk. The running job adds its children in one
// FlowProducer call, each child naming the job's own BullMQ entry as its parent; the job reads its
// children's states, progress and results from here, and removes what is left of them when it ends.
// The temporary prefixes of split jobs are noted here too, so that those a dead worker left behind are
// found and swept.
import { FlowProducer, Job, Queue, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import { priorityOf } from '../domain/job.js';
import { bullPrefix } from './media-queues.js';

/** Not `media-…`: no CI queue id can give this name. */
export const SPLIT_QUEUE = 'split-chunks';

/** The name each chunk worker process gives its BullMQ worker; getWorkersCount counts them. */
export const CHUNK_WORKER_NAME = 'chunks';

/** Tries of one child; a chunk worker that dies mid-chunk costs no try (its lock lapses and it runs again). */
const CHILD_ATTEMPTS = 3;
const CHILD_BACKOFF_MS = 1000;

/** The BullMQ entry of the job that splits: the parent of its children. */
export interface ParentRef {
  id: string;
  /** Its queue's qualified name (prefix and queue name). */
  queue: string;
}

export interface ChildSpec<T> {
  /** Deterministic: derived from the JobId, the run's generation and the child's index. */
  id: string;
  name: string;
  data: T;
}

export interface ChildState<R> {
  id: string;
  /** 'missing' when BullMQ no longer holds it. */
  state: JobState | 'unknown' | 'missing';
  /** 0..100 as the child reported it. */
  progress: number;
  result?: R;
  failedReason?: string;
  attemptsMade: number;
}

/** A split job's temporary objects: where they are, for the sweep. */
export interface TempPrefix {
  jobId: string;
  bucket: string;
  prefix: string;
}

export class SplitQueue {
  private bull?: Queue;
  private flow?: FlowProducer;

  constructor(
    private readonly connection: Redis,
    private readonly keyPrefix: string,
  ) {}

  queue(): Queue {
    this.bull ??= new Queue(SPLIT_QUEUE, { connection: this.connection, prefix: bullPrefix(this.keyPrefix) });
    return this.bull;
  }

  /** Chunk worker processes serving the queue now (each process runs one, see chunk-worker.ts). */
  async workers(): Promise<number> {
    const workers = await this.queue().getWorkers();
    return workers.filter((w) => w.rawname?.endsWith(`:w:${CHUNK_WORKER_NAME}`)).length;
  }

  /**
   * Adds every child in one FlowProducer call (one transaction: all of them or none), each a child of
   * `parent`, at the job's JobLevel priority, tried again with backoff. A child that fails for good is
   * taken off the parent's dependencies (`ignoreDependencyOnFailure`) rather than failing the parent
   * in BullMQ: the parent is active the whole time and ends the job itself, naming the chunk.
   */
  async dispatch<T>(parent: ParentRef, children: readonly ChildSpec<T>[], jobLevel: number): Promise<void> {
    this.flow ??= new FlowProducer({ connection: this.connection, prefix: bullPrefix(this.keyPrefix) });
    await this.flow.addBulk(
      children.map((c) => ({
        name: c.name,
        queueName: SPLIT_QUEUE,
        data: c.data,
        opts: {
          jobId: c.id,
          parent,
          priority: priorityOf(jobLevel),
          attempts: CHILD_ATTEMPTS,
          backoff: { type: 'exponential', delay: CHILD_BACKOFF_MS },
          ignoreDependencyOnFailure: true,
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 24 * 3600 },
        },
      })),
    );
  }

  async states<R>(ids: readonly string[]): Promise<ChildState<R>[]> {
    const queue = this.queue();
    return Promise.all(
      ids.map(async (id): Promise<ChildState<R>> => {
        const job = await Job.fromId<unknown, R>(queue, id);
        if (!job) return { id, state: 'missing', progress: 0, attemptsMade: 0 };
        const state = await job.getState();
        const progress = typeof job.progress === 'number' ? job.progress : 0;
        return {
          id,
          state,
          progress,
          attemptsMade: job.attemptsMade,
          ...(state === 'completed' ? { result: job.returnvalue } : {}),
          ...(job.failedReason ? { failedReason: job.failedReason } : {}),
        };
      }),
    );
  }

  /**
   * Removes the children a job no longer needs. One a worker holds cannot be removed: it is taken off
   * the parent's dependencies instead (so the parent's BullMQ entry can complete) and runs out alone;
   * its worker finds the job no longer waiting for it and throws the result away.
   */
  async discard(ids: readonly string[]): Promise<void> {
    const queue = this.queue();
    await Promise.all(
      ids.map(async (id) => {
        const job = await Job.fromId(queue, id);
        if (!job) return;
        try {
          await job.remove();
        } catch {
          await job.removeChildDependency().catch(() => false);
        }
      }),
    );
  }

  private tempKey(): string {
    return `${this.keyPrefix}:split:temp`;
  }

  /** Notes a job's temporary prefix before anything is written under it. */
  async noteTemp(t: TempPrefix): Promise<void> {
    await this.connection.hset(this.tempKey(), t.jobId, JSON.stringify({ bucket: t.bucket, prefix: t.prefix }));
  }

  async dropTemp(jobId: string): Promise<void> {
    await this.connection.hdel(this.tempKey(), jobId);
  }

  async temps(): Promise<TempPrefix[]> {
    const all = await this.connection.hgetall(this.tempKey());
    return Object.entries(all).map(([jobId, v]) => ({ jobId, ...(JSON.parse(v) as { bucket: string; prefix: string }) }));
  }

  async close(): Promise<void> {
    await Promise.all([this.bull?.close(), this.flow?.close()]);
    this.bull = undefined;
    this.flow = undefined;
  }
}

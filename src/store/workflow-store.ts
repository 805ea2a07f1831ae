// Workflow records in Redis: one JSON value per workflow, and per bucket a set of its ids (ordered by
// creation). Workflows per bucket are few, so queries filter in memory.
import type { Redis } from 'ioredis';
import type { WorkflowRecord } from '../domain/workflow.js';

export class WorkflowStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:wf:${id}`;
  }

  private indexKey(bucket: string): string {
    return `${this.prefix}:wfx:${bucket}`;
  }

  /** Buckets that have workflows (the upload trigger looks workflows up by bucket). */
  private get bucketsKey(): string {
    return `${this.prefix}:wfbuckets`;
  }

  async put(w: WorkflowRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(w.workflowId), JSON.stringify(w))
      .zadd(this.indexKey(w.bucket), 0, w.workflowId)
      .sadd(this.bucketsKey, w.bucket)
      .exec();
  }

  async get(bucket: string, id: string): Promise<WorkflowRecord | undefined> {
    const raw = await this.redis.get(this.key(id));
    if (!raw) return undefined;
    const w = JSON.parse(raw) as WorkflowRecord;
    return w.bucket === bucket ? w : undefined;
  }

  async getMany(bucket: string, ids: string[]): Promise<(WorkflowRecord | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.key(id)));
    return raws.map((raw) => {
      if (!raw) return undefined;
      const w = JSON.parse(raw) as WorkflowRecord;
      return w.bucket === bucket ? w : undefined;
    });
  }

  async all(bucket: string): Promise<WorkflowRecord[]> {
    const ids = await this.redis.zrange(this.indexKey(bucket), 0, -1);
    return (await this.getMany(bucket, ids)).filter((w): w is WorkflowRecord => w !== undefined);
  }

  async delete(w: WorkflowRecord): Promise<void> {
    await this.redis.multi().del(this.key(w.workflowId)).zrem(this.indexKey(w.bucket), w.workflowId).exec();
  }
}

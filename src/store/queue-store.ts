// Media queue records. The engine starts with one default queue (`queue-1`, Category Transcoding),
// created once, on the first start, and shared by every bucket the engine serves. Each queue is a
// BullMQ queue of its own, so pause and MaxConcurrent apply to it alone.
import type { Redis } from 'ioredis';
import { newId } from '../domain/ids.js';
import type { QueueRecord } from '../domain/queue.js';

export type { QueueRecord } from '../domain/queue.js';

export class QueueStore {
  private defaultId: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Where a queue's record lives (the job store's submit script reads it). */
  recordKey(queueId: string): string {
    return this.key(queueId);
  }

  private key(queueId: string): string {
    return `${this.prefix}:queue:${queueId}`;
  }

  private get indexKey(): string {
    return `${this.prefix}:queues`;
  }

  private get defaultKey(): string {
    return `${this.prefix}:queue-default`;
  }

  /** Creates the default queue unless it exists (safe when several processes start at once). */
  async ensureDefault(nowMs: number = Date.now()): Promise<QueueRecord> {
    const existing = await this.redis.get(this.defaultKey);
    if (existing) {
      const rec = await this.get(existing);
      if (rec) return rec;
    }
    const candidate: QueueRecord = {
      queueId: newId('queue', nowMs),
      name: 'queue-1',
      state: 'Active',
      category: 'Transcoding',
      maxSize: 10000,
      maxConcurrent: 10,
      notifyConfig: { state: 'Off' },
      createMs: nowMs,
      updateMs: nowMs,
    };
    const won = await this.redis.set(this.defaultKey, candidate.queueId, 'NX');
    if (won === 'OK') {
      await this.put(candidate);
      return candidate;
    }
    // Another process won the race: wait for its record.
    for (let i = 0; i < 50; i++) {
      const id = await this.redis.get(this.defaultKey);
      const rec = id ? await this.get(id) : undefined;
      if (rec) return rec;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the default queue record did not appear');
  }

  /** The default queue's id never changes once created, so it is read from Redis once per process. */
  async defaultQueueId(): Promise<string> {
    this.defaultId ??= (await this.ensureDefault()).queueId;
    return this.defaultId;
  }

  async put(rec: QueueRecord): Promise<void> {
    await this.redis.multi().set(this.key(rec.queueId), JSON.stringify(rec)).zadd(this.indexKey, 0, rec.queueId).exec();
  }

  async get(queueId: string): Promise<QueueRecord | undefined> {
    const raw = await this.redis.get(this.key(queueId));
    return raw ? (JSON.parse(raw) as QueueRecord) : undefined;
  }

  async all(): Promise<QueueRecord[]> {
    const ids = await this.redis.zrange(this.indexKey, 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.key(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as QueueRecord);
  }
}

// Records that belong to a bucket (templates, workflows): one JSON value per record, and per bucket a
// set of its ids ordered by creation (ids start with their creation time). A bucket holds tens or
// hundreds of them, so queries read the bucket's set and filter in memory.
import type { Redis } from 'ioredis';

export class BucketRecords<T extends { bucket: string }> {
  constructor(
    private readonly redis: Redis,
    /** Key prefix of this kind of record, e.g. `ci:tpl`. */
    private readonly kind: string,
    private readonly idOf: (record: T) => string,
  ) {}

  private key(id: string): string {
    return `${this.kind}:${id}`;
  }

  private indexKey(bucket: string): string {
    return `${this.kind}x:${bucket}`;
  }

  async put(record: T): Promise<void> {
    const id = this.idOf(record);
    await this.redis.multi().set(this.key(id), JSON.stringify(record)).zadd(this.indexKey(record.bucket), 0, id).exec();
  }

  /** The record if it exists in this bucket. */
  async get(bucket: string, id: string): Promise<T | undefined> {
    const [record] = await this.getMany(bucket, [id]);
    return record;
  }

  /** Records in the order asked; undefined for ids that do not exist in this bucket. */
  async getMany(bucket: string, ids: string[]): Promise<(T | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.key(id)));
    return raws.map((raw) => {
      if (!raw) return undefined;
      const record = JSON.parse(raw) as T;
      return record.bucket === bucket ? record : undefined;
    });
  }

  async all(bucket: string): Promise<T[]> {
    const ids = await this.redis.zrange(this.indexKey(bucket), 0, -1);
    return (await this.getMany(bucket, ids)).filter((r): r is T => r !== undefined);
  }

  async delete(record: T): Promise<void> {
    const id = this.idOf(record);
    await this.redis.multi().del(this.key(id)).zrem(this.indexKey(record.bucket), id).exec();
  }
}

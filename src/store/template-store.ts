// Template records in Redis: one JSON value per template, and per bucket a set of its ids (ordered by
// creation, as ids are). A bucket holds tens or hundreds of templates, so queries filter in memory.
import type { Redis } from 'ioredis';
import type { TemplateRecord } from '../domain/template.js';

export class TemplateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:tpl:${id}`;
  }

  private indexKey(bucket: string): string {
    return `${this.prefix}:tplx:${bucket}`;
  }

  async put(t: TemplateRecord): Promise<void> {
    await this.redis.multi().set(this.key(t.templateId), JSON.stringify(t)).zadd(this.indexKey(t.bucket), 0, t.templateId).exec();
  }

  /** The template if it exists in this bucket. */
  async get(bucket: string, id: string): Promise<TemplateRecord | undefined> {
    const raw = await this.redis.get(this.key(id));
    if (!raw) return undefined;
    const t = JSON.parse(raw) as TemplateRecord;
    return t.bucket === bucket ? t : undefined;
  }

  async getMany(bucket: string, ids: string[]): Promise<(TemplateRecord | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.key(id)));
    return raws.map((raw) => {
      if (!raw) return undefined;
      const t = JSON.parse(raw) as TemplateRecord;
      return t.bucket === bucket ? t : undefined;
    });
  }

  async all(bucket: string): Promise<TemplateRecord[]> {
    const ids = await this.redis.zrange(this.indexKey(bucket), 0, -1);
    return (await this.getMany(bucket, ids)).filter((t): t is TemplateRecord => t !== undefined);
  }

  async delete(t: TemplateRecord): Promise<void> {
    await this.redis.multi().del(this.key(t.templateId)).zrem(this.indexKey(t.bucket), t.templateId).exec();
  }
}

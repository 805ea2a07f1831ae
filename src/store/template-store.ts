// Template records in Redis, per bucket.
import type { Redis } from 'ioredis';
import type { TemplateRecord } from '../domain/template.js';
import { BucketRecords } from './bucket-records.js';

export class TemplateStore extends BucketRecords<TemplateRecord> {
  constructor(redis: Redis, prefix: string) {
    super(redis, `${prefix}:tpl`, (t) => t.templateId);
  }
}

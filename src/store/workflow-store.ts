// Workflow records in Redis, per bucket (an upload looks up the workflows of its bucket).
import type { Redis } from 'ioredis';
import type { WorkflowRecord } from '../domain/workflow.js';
import { BucketRecords } from './bucket-records.js';

export class WorkflowStore extends BucketRecords<WorkflowRecord> {
  constructor(redis: Redis, prefix: string) {
    super(redis, `${prefix}:wf`, (w) => w.workflowId);
  }
}

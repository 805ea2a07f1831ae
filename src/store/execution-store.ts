// Workflow executions in Redis. One hash per execution: the fixed doc, the state, one field per task
// (so concurrent node jobs never overwrite each other's task), and `pending`, the number of node jobs
// not yet finished: the one that brings it to zero finishes the execution, exactly once.
// Per workflow, a set of run ids ordered by creation (ids start with their creation time).
import type { Redis } from 'ioredis';
import { idLowerBound } from '../domain/ids.js';
import { hgetallMany } from './hashes.js';
import { pageByIdRange } from './paging.js';
import type { ExecutionDoc, ExecutionRecord, ExecutionState, ExecutionTask } from '../domain/workflow-execution.js';

interface ListExecutionsQuery {
  workflowId: string;
  states?: ExecutionState[];
  order: 'Asc' | 'Desc';
  size: number;
  nextToken?: string;
  startMs?: number;
  endMs?: number;
  /** Object name filter (exact). */
  object?: string;
}

export class ExecutionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(runId: string): string {
    return `${this.prefix}:wfe:${runId}`;
  }

  private indexKey(workflowId: string): string {
    return `${this.prefix}:wfex:${workflowId}`;
  }

  async create(doc: ExecutionDoc, pending: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(doc.runId), { doc: JSON.stringify(doc), state: 'Running', pending: String(pending) })
      .zadd(this.indexKey(doc.workflowId), 0, doc.runId)
      .exec();
  }

  async putTask(runId: string, task: ExecutionTask): Promise<void> {
    await this.redis.hset(this.key(runId), `task:${task.name}`, JSON.stringify(task));
  }

  /** Adds to the count of unfinished node jobs; returns the new count. */
  async addPending(runId: string, delta: number): Promise<number> {
    return this.redis.hincrby(this.key(runId), 'pending', delta);
  }

  async finish(runId: string, state: ExecutionState, endMs: number): Promise<void> {
    await this.redis.hset(this.key(runId), { state, endMs: String(endMs) });
  }

  async setCallback(runId: string, status: Record<string, unknown>): Promise<void> {
    await this.redis.hset(this.key(runId), 'callback', JSON.stringify(status));
  }

  async get(runId: string): Promise<ExecutionRecord | undefined> {
    const [rec] = await this.getMany([runId]);
    return rec;
  }

  getMany(runIds: string[]): Promise<(ExecutionRecord | undefined)[]> {
    return hgetallMany(
      this.redis,
      runIds.map((id) => this.key(id)),
      decode,
    );
  }

  async list(q: ListExecutionsQuery): Promise<{ executions: ExecutionRecord[]; nextToken?: string }> {
    const desc = q.order === 'Desc';
    let lo = q.startMs !== undefined ? `[${idLowerBound('instance', q.startMs)}` : '-';
    let hi = q.endMs !== undefined ? `(${idLowerBound('instance', q.endMs + 1)}` : '+';
    if (q.nextToken !== undefined) {
      if (desc) hi = `(${q.nextToken}`;
      else lo = `(${q.nextToken}`;
    }
    const index = this.indexKey(q.workflowId);
    const { items, ...next } = await pageByIdRange<ExecutionRecord>({
      range: { lo, hi },
      desc,
      size: q.size,
      readIds: (r, count) =>
        desc
          ? this.redis.zrevrangebylex(index, r.hi, r.lo, 'LIMIT', 0, count)
          : this.redis.zrangebylex(index, r.lo, r.hi, 'LIMIT', 0, count),
      readRecords: (ids) => this.getMany(ids),
      keep: (e) => (!q.states || q.states.includes(e.state)) && (q.object === undefined || e.object === q.object),
      idOf: (e) => e.runId,
    });
    return { executions: items, ...next };
  }
}

function decode(hash: Record<string, string> | undefined): ExecutionRecord | undefined {
  if (hash?.doc === undefined) return undefined;
  const doc = JSON.parse(hash.doc) as ExecutionDoc;
  const tasks = Object.entries(hash)
    .filter(([k]) => k.startsWith('task:'))
    .map(([, v]) => JSON.parse(v) as ExecutionTask)
    .sort((a, b) => a.createMs - b.createMs || a.name.localeCompare(b.name));
  return {
    ...doc,
    state: hash.state as ExecutionState,
    endMs: hash.endMs !== undefined ? Number(hash.endMs) : undefined,
    tasks,
  };
}

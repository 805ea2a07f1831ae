// Workflow executions in Redis. One hash per execution: the fixed doc, the state, one field per task
// (so concurrent node jobs never overwrite each other's task), and `pending`, the number of node jobs
// not yet finished: the one that brings it to zero finishes the execution, exactly once.
// Per workflow, a set of run ids ordered by creation (ids start with their creation time).
import type { Redis } from 'ioredis';
import { idLowerBound } from '../domain/ids.js';
import type { ExecutionDoc, ExecutionRecord, ExecutionState, ExecutionTask } from '../domain/workflow-execution.js';

export interface ListExecutionsQuery {
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

  async getMany(runIds: string[]): Promise<(ExecutionRecord | undefined)[]> {
    if (runIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of runIds) pipe.hgetall(this.key(id));
    const replies = (await pipe.exec()) ?? [];
    return replies.map(([err, hash]) => {
      if (err) throw err;
      return decode(hash as Record<string, string>);
    });
  }

  async list(q: ListExecutionsQuery): Promise<{ executions: ExecutionRecord[]; nextToken?: string }> {
    const desc = q.order === 'Desc';
    let lo = q.startMs !== undefined ? `[${idLowerBound('instance', q.startMs)}` : '-';
    let hi = q.endMs !== undefined ? `(${idLowerBound('instance', q.endMs + 1)}` : '+';
    if (q.nextToken !== undefined) {
      if (desc) hi = `(${q.nextToken}`;
      else lo = `(${q.nextToken}`;
    }
    const out: ExecutionRecord[] = [];
    const batch = Math.max(q.size + 1, 50);
    for (let round = 0; round < 200 && out.length <= q.size; round++) {
      const ids = desc
        ? await this.redis.zrevrangebylex(this.indexKey(q.workflowId), hi, lo, 'LIMIT', 0, batch)
        : await this.redis.zrangebylex(this.indexKey(q.workflowId), lo, hi, 'LIMIT', 0, batch);
      if (ids.length === 0) break;
      for (const e of await this.getMany(ids)) {
        if (e && (!q.states || q.states.includes(e.state)) && (q.object === undefined || e.object === q.object)) out.push(e);
      }
      const last = ids[ids.length - 1] as string;
      if (desc) hi = `(${last}`;
      else lo = `(${last}`;
      if (ids.length < batch) break;
    }
    if (out.length > q.size) {
      const page = out.slice(0, q.size);
      return { executions: page, nextToken: page[page.length - 1]?.runId };
    }
    return { executions: out };
  }
}

function decode(hash: Record<string, string>): ExecutionRecord | undefined {
  if (!hash || hash.doc === undefined) return undefined;
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

// Job records in Redis and the indexes behind list queries.
//
// A job is one hash: scalar fields that change (state, progress, code, message, times) beside JSON
// fields (doc: fixed at submit; result; callback). Indexes are sorted sets whose members all score 0
// and sort by id; ids begin with their creation time, so a lexicographic range is a time range and
// the last id of a page is the cursor of the next one. Each job is in one index per (dimension,
// state) and per (dimension, any state) so a list query reads one or a few sets, never scans.
// State changes go through one Lua script (scripts/job-transition.lua) that checks the expected state
// and moves the job between the state indexes atomically: a cancel and a worker start can never both win.
// A submit writes a Pending record (in no index, invisible to reads, expiring), then the caller queues
// the job, then commit() makes it Submitted: a failure between the steps leaves no job that shows or runs.
import type { Redis } from 'ioredis';
import { idLowerBound } from '../domain/ids.js';
import { hgetallMany } from './hashes.js';
import { replicated } from './redis.js';
import { pageByIdRange } from './paging.js';
import { readScript } from './lua-scripts.js';
import { JOB_STATES, type CallbackStatus, type JobDoc, type JobRecord, type JobResult, type JobState } from '../domain/job.js';

const ANY = '*';
const FINAL_STATES: ReadonlySet<JobState> = new Set(['Success', 'Failed', 'Cancel']);

/** The scripts behind state changes and submit (src/store/scripts/, defined on the connection at start). */
const SCRIPTS = {
  ciJobTransition: { numberOfKeys: 1, lua: readScript('job-transition') },
  ciJobSetIfState: { numberOfKeys: 1, lua: readScript('job-set-if-state') },
  ciJobSubmit: { numberOfKeys: 4, lua: readScript('job-submit') },
  ciJobCommit: { numberOfKeys: 1, lua: readScript('job-commit') },
};

/** How long a Pending record (a submit not yet committed) lives: far longer than a submit takes. */
const PENDING_TTL_SEC = 3600;

export type SubmitOutcome =
  { ok: true } | { ok: false; reason: 'NOQUEUE' } | { ok: false; reason: 'PAUSED' } | { ok: false; reason: 'SATURATED'; maxSize: number };

interface ListJobsQuery {
  bucket: string;
  tag: string;
  queueId?: string;
  states?: JobState[];
  order: 'Asc' | 'Desc';
  size: number;
  nextToken?: string;
  startMs?: number;
  endMs?: number;
  inputObject?: string;
  workflowId?: string;
}

interface TransitionResult {
  ok: boolean;
  /** The state before the call ('' when the job does not exist). */
  previous: JobState | '';
}

type JobFieldUpdate = Partial<{
  progress: number;
  code: string;
  message: string;
  startMs: number;
  endMs: number;
  result: JobResult;
  callback: CallbackStatus;
}>;

/** An index line: the key is `${pre}${state}${suf}`, or with '*' for "any state". */
interface IndexLine {
  pre: string;
  suf: string;
}

export class JobStore {
  /** `waitReplicas` (REDIS_WAIT_REPLICAS): replicas a submit and a job's end reach before they return. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly waitReplicas = 0,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) redis.defineCommand(name, script);
  }

  private jobKey(jobId: string): string {
    return `${this.prefix}:job:${jobId}`;
  }

  private listLine(bucket: string, tag: string, dim: string): IndexLine {
    return { pre: `${this.prefix}:jx:${bucket}:${tag}:`, suf: `|${dim}` };
  }

  /** Jobs of one queue across buckets, by state: what the scheduler, pause and recovery read. */
  private queueLine(queueId: string): IndexLine {
    return { pre: `${this.prefix}:qx:${queueId}:`, suf: '' };
  }

  private indexLines(doc: JobDoc): IndexLine[] {
    const lines = [
      this.listLine(doc.bucket, doc.tag, 'all'),
      this.listLine(doc.bucket, doc.tag, `q:${doc.queueId}`),
      this.queueLine(doc.queueId),
    ];
    const input = doc.request.input?.object;
    if (input !== undefined) lines.push(this.listLine(doc.bucket, doc.tag, `in:${input}`));
    if (doc.workflow) lines.push(this.listLine(doc.bucket, doc.tag, `wf:${doc.workflow.workflowId}`));
    return lines;
  }

  /**
   * Creates a Pending job if its queue (whose record is at `queueRecordKey`) accepts it. It becomes a
   * job (Submitted, listed, runnable) only with commit(), once its queue entry exists.
   */
  async submit(doc: JobDoc, queueRecordKey: string): Promise<SubmitOutcome> {
    const lines = this.indexLines(doc);
    const q = this.queueLine(doc.queueId);
    const callback: CallbackStatus = { delivery: 'None', attempts: 0 };
    const [reason, maxSize] = (await (this.redis as unknown as RedisWithScripts).ciJobSubmit(
      this.jobKey(doc.jobId),
      queueRecordKey,
      `${q.pre}Submitted${q.suf}`,
      `${q.pre}Pause${q.suf}`,
      doc.jobId,
      JSON.stringify(doc),
      JSON.stringify(callback),
      lines.map((l) => `${l.pre}\t${l.suf}`).join('\n'),
      String(PENDING_TTL_SEC),
    )) as [string, number];
    if (reason === 'OK') return { ok: true };
    if (reason === 'SATURATED') return { ok: false, reason, maxSize };
    return reason === 'PAUSED' ? { ok: false, reason: 'PAUSED' } : { ok: false, reason: 'NOQUEUE' };
  }

  /** Makes a Pending job Submitted; false when there is no Pending record (it expired). */
  async commit(jobId: string): Promise<boolean> {
    const ok = (await (this.redis as unknown as RedisWithScripts).ciJobCommit(this.jobKey(jobId), ANY)) === 1;
    // The client is told its job exists only once a replica has it too (with Sentinel): a failover
    // right after the answer does not lose it.
    if (ok) await replicated(this.redis, this.waitReplicas);
    return ok;
  }

  /** Removes a job that never became visible (its enqueue failed). */
  async discard(doc: JobDoc): Promise<void> {
    const multi = this.redis.multi();
    multi.del(this.jobKey(doc.jobId));
    for (const l of this.indexLines(doc)) {
      for (const s of [ANY, ...JOB_STATES]) multi.zrem(`${l.pre}${s}${l.suf}`, doc.jobId);
    }
    await multi.exec();
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const [rec] = await this.getMany([jobId]);
    return rec;
  }

  /** Records in the order asked; undefined for ids that do not exist. */
  getMany(jobIds: string[]): Promise<(JobRecord | undefined)[]> {
    return hgetallMany(
      this.redis,
      jobIds.map((id) => this.jobKey(id)),
      decodeRecord,
    );
  }

  /**
   * Moves a job to `to` if it is in one of `from`, setting the given fields in the same step.
   */
  async transition(jobId: string, from: readonly JobState[], to: JobState, fields: JobFieldUpdate = {}): Promise<TransitionResult> {
    const [ok, previous] = (await (this.redis as unknown as RedisWithScripts).ciJobTransition(
      this.jobKey(jobId),
      to,
      from.join(','),
      ...encodeFields(fields),
    )) as [number, string];
    // A job's end must survive a failover: else it would read Running again, and run a second time.
    if (ok === 1 && FINAL_STATES.has(to)) await replicated(this.redis, this.waitReplicas);
    return { ok: ok === 1, previous: previous as JobState | '' };
  }

  /** Sets fields while the job is in one of `states`; false if it is not (or does not exist). */
  async updateIf(jobId: string, states: readonly JobState[], fields: JobFieldUpdate): Promise<boolean> {
    const r = await (this.redis as unknown as RedisWithScripts).ciJobSetIfState(
      this.jobKey(jobId),
      states.join(','),
      ...encodeFields(fields),
    );
    return r === 1;
  }

  /** Sets fields whatever the state (callback bookkeeping after the end). */
  async update(jobId: string, fields: JobFieldUpdate): Promise<void> {
    const args = encodeFields(fields);
    if (args.length > 0) await this.redis.hset(this.jobKey(jobId), ...args);
  }

  /** Ids of a queue's jobs in a state, oldest first. */
  async idsInQueue(queueId: string, state: JobState, limit = 1000, after?: string): Promise<string[]> {
    const l = this.queueLine(queueId);
    return this.redis.zrangebylex(`${l.pre}${state}${l.suf}`, after ? `(${after}` : '-', '+', 'LIMIT', 0, limit);
  }

  async countInQueue(queueId: string, states: readonly JobState[]): Promise<number> {
    const l = this.queueLine(queueId);
    const pipe = this.redis.pipeline();
    for (const s of states) pipe.zcard(`${l.pre}${s}${l.suf}`);
    const replies = (await pipe.exec()) ?? [];
    return replies.reduce((sum, [, n]) => sum + Number(n), 0);
  }

  /** Jobs of each queue by state: one ZCARD per (queue, state), all in one round trip (the metrics read it at each scrape). */
  async countsByQueue(queueIds: readonly string[]): Promise<{ queueId: string; counts: Record<JobState, number> }[]> {
    const pipe = this.redis.pipeline();
    for (const queueId of queueIds) {
      const l = this.queueLine(queueId);
      for (const s of JOB_STATES) pipe.zcard(`${l.pre}${s}${l.suf}`);
    }
    const replies = (await pipe.exec()) ?? [];
    return queueIds.map((queueId, q) => {
      const counts = {} as Record<JobState, number>;
      JOB_STATES.forEach((s, k) => {
        const [err, n] = replies[q * JOB_STATES.length + k] ?? [];
        if (err) throw err;
        counts[s] = Number(n);
      });
      return { queueId, counts };
    });
  }

  /** One page of a list query, and the cursor of the next page when there is one. */
  async list(q: ListJobsQuery): Promise<{ jobs: JobRecord[]; nextToken?: string }> {
    // The most selective dimension drives the read; any other filter is checked on the records.
    const dim =
      q.inputObject !== undefined
        ? `in:${q.inputObject}`
        : q.workflowId !== undefined
          ? `wf:${q.workflowId}`
          : q.queueId !== undefined
            ? `q:${q.queueId}`
            : 'all';
    const line = this.listLine(q.bucket, q.tag, dim);
    const keys = (q.states && q.states.length > 0 ? q.states : [ANY]).map((s) => `${line.pre}${s}${line.suf}`);
    const desc = q.order === 'Desc';

    // Lexicographic bounds: ids start with 'j' + 12 hex of creation ms.
    let lo = q.startMs !== undefined ? `[${idLowerBound('job', q.startMs)}` : '-';
    let hi = q.endMs !== undefined ? `(${idLowerBound('job', q.endMs + 1)}` : '+';
    if (q.nextToken !== undefined) {
      if (desc) hi = minBound(hi, `(${q.nextToken}`);
      else lo = maxBound(lo, `(${q.nextToken}`);
    }

    const filter = (r: JobRecord): boolean =>
      (q.queueId === undefined || r.queueId === q.queueId) &&
      (q.inputObject === undefined || r.request.input?.object === q.inputObject) &&
      (q.workflowId === undefined || r.workflow?.workflowId === q.workflowId);

    const { items, ...next } = await pageByIdRange<JobRecord>({
      range: { lo, hi },
      desc,
      size: q.size,
      readIds: (r, count) => this.mergedRange(keys, r.lo, r.hi, desc, count),
      readRecords: (ids) => this.getMany(ids),
      keep: filter,
      idOf: (r) => r.jobId,
    });
    return { jobs: items, ...next };
  }

  /** The first `count` ids across several sets, merged in order (k-way merge of per-set pages). */
  private async mergedRange(keys: string[], lo: string, hi: string, desc: boolean, count: number): Promise<string[]> {
    const pipe = this.redis.pipeline();
    for (const k of keys) {
      if (desc) pipe.zrevrangebylex(k, hi, lo, 'LIMIT', 0, count);
      else pipe.zrangebylex(k, lo, hi, 'LIMIT', 0, count);
    }
    const replies = (await pipe.exec()) ?? [];
    const all = new Set<string>();
    for (const [err, ids] of replies) {
      if (err) throw err;
      for (const id of ids as string[]) all.add(id);
    }
    const sorted = [...all].sort();
    if (desc) sorted.reverse();
    return sorted.slice(0, count);
  }
}

interface RedisWithScripts {
  ciJobTransition(key: string, ...args: (string | number)[]): Promise<unknown>;
  ciJobSetIfState(key: string, ...args: (string | number)[]): Promise<number>;
  ciJobSubmit(jobKey: string, queueKey: string, submittedKey: string, pauseKey: string, ...args: string[]): Promise<unknown>;
  ciJobCommit(jobKey: string, any: string): Promise<number>;
}

function encodeFields(fields: JobFieldUpdate): string[] {
  const out: string[] = [];
  // A Partial's entries may hold undefined (a field given as `undefined`): those are not written.
  for (const [k, v] of Object.entries(fields) as [string, JobFieldUpdate[keyof JobFieldUpdate]][]) {
    if (v === undefined) continue;
    out.push(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return out;
}

function decodeRecord(hash: Record<string, string> | undefined): JobRecord | undefined {
  // A Pending record is a submit in progress (or one that failed): not a job yet.
  if (hash?.doc === undefined || hash.state === 'Pending') return undefined;
  const doc = JSON.parse(hash.doc) as JobDoc;
  return {
    ...doc,
    state: hash.state as JobState,
    progress: Number(hash.progress ?? 0),
    code: hash.code ?? 'Success',
    message: hash.message ?? '',
    startMs: hash.startMs !== undefined ? Number(hash.startMs) : undefined,
    endMs: hash.endMs !== undefined ? Number(hash.endMs) : undefined,
    result: hash.result !== undefined ? (JSON.parse(hash.result) as JobResult) : undefined,
    callback: hash.callback !== undefined ? (JSON.parse(hash.callback) as CallbackStatus) : { delivery: 'None', attempts: 0 },
  };
}

// Lexicographic range bounds: '-' / '+' are the open ends; '[' inclusive, '(' exclusive.
function minBound(a: string, b: string): string {
  if (a === '+') return b;
  return a.slice(1) <= b.slice(1) ? a : b;
}

function maxBound(a: string, b: string): string {
  if (a === '-') return b;
  return a.slice(1) >= b.slice(1) ? a : b;
}

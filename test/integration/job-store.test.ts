// JobStore against the real Redis: records, atomic state transitions and the list indexes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatJobRequest } from '../../src/domain/concat-types.js';
import { newId } from '../../src/domain/ids.js';
import type { JobDoc } from '../../src/domain/job.js';
import { JobStore } from '../../src/store/job-store.js';
import { createRedis, type Redis } from '../../src/store/redis.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { seedJob } from '../helpers/seed-jobs.js';

let redis: Redis;
let store: JobStore;
const prefix = `t${randomBytes(5).toString('hex')}`;

function request(input?: string): ConcatJobRequest {
  return {
    tag: 'Concat',
    input: input === undefined ? undefined : { object: input },
    operation: {
      concatTemplate: {
        fragments: [{ url: 'a.mp4' }],
        container: { format: 'mp4' },
        audioMixArray: [],
        directConcat: false,
      },
      watermarkTemplateIds: [],
      watermarks: [],
      output: { region: 'ap-chongqing', bucket: 'b-1', object: 'out.${ext}' },
      jobLevel: 0,
    },
  };
}

function doc(ms: number, opts: { bucket?: string; queueId?: string; input?: string; workflowId?: string } = {}): JobDoc {
  return {
    jobId: newId('job', ms),
    tag: 'Concat',
    bucket: opts.bucket ?? 'b-1',
    region: 'ap-chongqing',
    queueId: opts.queueId ?? 'p' + '0'.repeat(32),
    creationMs: ms,
    request: request(opts.input),
    workflow: opts.workflowId
      ? { name: 'Concat_1', runId: 'i' + '1'.repeat(32), workflowId: opts.workflowId, workflowName: 'wf' }
      : undefined,
  };
}

beforeAll(() => {
  redis = createRedis(testEndpoints().redisUrl, 'job-store-test', 'api');
  store = new JobStore(redis, prefix);
});
afterAll(() => redis.disconnect());

describe('JobStore records and transitions', () => {
  it('creates a Submitted record and reads it back whole', async () => {
    const d = doc(Date.now(), { input: 'in/a.mp4' });
    await seedJob(redis, prefix, d);
    const rec = await store.get(d.jobId);
    expect(rec).toMatchObject({ ...JSON.parse(JSON.stringify(d)), state: 'Submitted', progress: 0, code: 'Success', message: '' });
    expect(await store.get(newId('job'))).toBeUndefined();
  });

  it('lets exactly one of two racing transitions from Submitted win', async () => {
    const d = doc(Date.now());
    await seedJob(redis, prefix, d);
    const [cancel, start] = await Promise.all([
      store.transition(d.jobId, ['Submitted', 'Pause'], 'Cancel'),
      store.transition(d.jobId, ['Submitted'], 'Running', { startMs: 1 }),
    ]);
    expect([cancel.ok, start.ok].filter(Boolean)).toHaveLength(1);
    const rec = await store.get(d.jobId);
    expect(rec?.state).toBe(cancel.ok ? 'Cancel' : 'Running');
  });

  it('refuses a transition from a state not listed and reports the current one', async () => {
    const d = doc(Date.now());
    await seedJob(redis, prefix, d);
    await store.transition(d.jobId, ['Submitted'], 'Running');
    expect(await store.transition(d.jobId, ['Submitted', 'Pause'], 'Cancel')).toEqual({ ok: false, previous: 'Running' });
    expect(await store.updateIf(d.jobId, ['Running'], { progress: 40 })).toBe(true);
    await store.transition(d.jobId, ['Running'], 'Success', { progress: 100, endMs: 5 });
    expect(await store.updateIf(d.jobId, ['Running'], { progress: 50 })).toBe(false);
    expect((await store.get(d.jobId))?.progress).toBe(100);
  });
});

describe('JobStore list queries', () => {
  const bucket = `list-${randomBytes(3).toString('hex')}`;
  const base = Date.UTC(2024, 0, 1, 0, 0, 0);
  const ids: string[] = [];

  beforeAll(async () => {
    // 25 jobs one second apart; every 5th has an input object; jobs 0..9 end Success.
    for (let i = 0; i < 25; i++) {
      const d = doc(base + i * 1000, {
        bucket,
        input: i % 5 === 0 ? 'in/x.mp4' : undefined,
        queueId: i < 20 ? 'p' + 'a'.repeat(32) : 'p' + 'b'.repeat(32),
      });
      ids.push(d.jobId);
      await seedJob(redis, prefix, d);
      if (i < 10) await store.transition(d.jobId, ['Submitted'], 'Success');
    }
  });

  it('pages newest first with NextToken until the end', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ bucket, tag: 'Concat', order: 'Desc', size: 10, nextToken: token });
      seen.push(...page.jobs.map((j) => j.jobId));
      token = page.nextToken;
      pages++;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('pages oldest first with Asc', async () => {
    const page = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 3 });
    expect(page.jobs.map((j) => j.jobId)).toEqual(ids.slice(0, 3));
    expect(page.nextToken).toBe(ids[2]);
    const next = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 3, nextToken: page.nextToken });
    expect(next.jobs.map((j) => j.jobId)).toEqual(ids.slice(3, 6));
  });

  it('gives no NextToken when the page is the last one exactly', async () => {
    const page = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 25 });
    expect(page.jobs).toHaveLength(25);
    expect(page.nextToken).toBeUndefined();
  });

  it('filters by state, several states, queue, input object and creation time', async () => {
    const success = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 100, states: ['Success'] });
    expect(success.jobs.map((j) => j.jobId)).toEqual(ids.slice(0, 10));
    const both = await store.list({ bucket, tag: 'Concat', order: 'Desc', size: 100, states: ['Success', 'Submitted'] });
    expect(both.jobs.map((j) => j.jobId)).toEqual([...ids].reverse());
    const queueB = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 100, queueId: 'p' + 'b'.repeat(32) });
    expect(queueB.jobs.map((j) => j.jobId)).toEqual(ids.slice(20));
    const input = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 100, inputObject: 'in/x.mp4', states: ['Submitted'] });
    expect(input.jobs.map((j) => j.jobId)).toEqual([ids[10], ids[15], ids[20]]);
    const window = await store.list({ bucket, tag: 'Concat', order: 'Asc', size: 100, startMs: base + 3000, endMs: base + 5000 });
    expect(window.jobs.map((j) => j.jobId)).toEqual(ids.slice(3, 6));
  });

  it('keeps buckets apart', async () => {
    const other = await store.list({ bucket: `${bucket}-other`, tag: 'Concat', order: 'Asc', size: 100 });
    expect(other.jobs).toEqual([]);
  });
});

// A submit queues the job a moment before it completes the job's record (queue/submit-job.ts). An idle
// worker can take the job in between: it must wait for the record, not skip the job (a skipped job would
// stay Submitted for ever). The race is made certain here: the record is completed only after the worker
// has taken the job. A record whose submit never completes is never run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatJobRequest } from '../../src/domain/concat-types.js';
import { newId } from '../../src/domain/ids.js';
import type { JobDoc } from '../../src/domain/job.js';
import { MediaQueues } from '../../src/queue/media-queues.js';
import { JobStore } from '../../src/store/job-store.js';
import { QueueStore } from '../../src/store/queue-store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let jobs: JobStore;
let queues: QueueStore;
let media: MediaQueues;

function doc(queueId: string): JobDoc {
  const request: ConcatJobRequest = {
    tag: 'Concat',
    input: undefined,
    operation: {
      concatTemplate: { fragments: [{ url: 'race/missing.mp4' }], container: { format: 'mp4' }, audioMixArray: [], directConcat: false },
      watermarkTemplateIds: [],
      watermarks: [],
      output: { region: 'ap-chongqing', bucket: 'race-1250000000', object: 'out.${ext}' },
      jobLevel: 0,
    },
  };
  return {
    jobId: newId('job', Date.now()),
    tag: 'Concat',
    bucket: 'race-1250000000',
    region: 'ap-chongqing',
    queueId,
    creationMs: Date.now(),
    request,
  };
}

const stateOf = (jobId: string): Promise<string | null> => engine.redis.hget(`${engine.config.redis.keyPrefix}:job:${jobId}`, 'state');

beforeAll(async () => {
  engine = await startTestEngine({ worker: true });
  const prefix = engine.config.redis.keyPrefix;
  jobs = new JobStore(engine.redis, prefix);
  queues = new QueueStore(engine.redis, prefix);
  media = new MediaQueues(engine.redis, prefix);
});
afterAll(async () => {
  await media.close();
  await engine.close();
});

describe('a worker that takes a job before its submit completes the record', () => {
  it('waits for the record and runs the job', async () => {
    const queueId = (await queues.ensureDefault()).queueId;
    const d = doc(queueId);
    expect(await jobs.submit(d, queues.recordKey(queueId))).toEqual({ ok: true });
    await media.enqueue(queueId, { kind: 'concat', jobId: d.jobId }, 0);
    // The idle worker has taken it by now and finds the record Pending.
    await new Promise((r) => setTimeout(r, 300));
    expect(await stateOf(d.jobId)).toBe('Pending');
    expect(await jobs.commit(d.jobId)).toBe(true);
    let state: string | null = null;
    for (let i = 0; i < 300 && state !== 'Failed' && state !== 'Success'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await stateOf(d.jobId);
    }
    // It ran: its input does not exist, so it failed with the Code that says so.
    expect(state).toBe('Failed');
    expect((await jobs.get(d.jobId))?.code).toBe('ResourceNotFound');
  }, 30_000);

  it('never runs a job whose submit does not complete', async () => {
    const queueId = (await queues.ensureDefault()).queueId;
    const d = doc(queueId);
    await jobs.submit(d, queues.recordKey(queueId));
    await media.enqueue(queueId, { kind: 'concat', jobId: d.jobId }, 0);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await stateOf(d.jobId)).toBe('Pending');
    expect(await jobs.get(d.jobId)).toBeUndefined();
  }, 30_000);
});

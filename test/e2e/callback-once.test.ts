// A TaskFinish callback reaches its receiver once, when a job ends twice (its queue entry ran again after
// its end was recorded, as when its worker died in between) and when a delivery runs again after the worker
// that tried it died (BullMQ's stalled check): against the engine's own worker, Redis and BullMQ, and a
// real receiver that counts every POST.
import { createServer, type Server } from 'node:http';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type Running } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { bullPrefix, MediaQueues } from '../../src/queue/media-queues.js';
import { DeliveryMarks } from '../../src/store/delivery-marks.js';
import { JobStore } from '../../src/store/job-store.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
let receiver: Server;
let receiverUrl: string;
/** Job ids of the TaskFinish bodies received, one per POST. */
const posts: string[] = [];
let callbackQueue: Queue;
let mediaQueues: MediaQueues;
let marks: DeliveryMarks;
let jobs: JobStore;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(/<JobId>([^<]+)<\/JobId>/.exec(body)?.[1] ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/cb`;
  engine = await startTestEngine({ worker: true, env: { CALLBACK_RETRY_BASE_MS: '50' } });
  cos = cosClient(engine.api.url);
  const prefix = engine.config.redis.keyPrefix;
  callbackQueue = new Queue('callbacks', { connection: engine.redis, prefix: bullPrefix(prefix) });
  mediaQueues = new MediaQueues(engine.redis, prefix);
  marks = new DeliveryMarks(engine.redis, prefix);
  jobs = new JobStore(engine.redis, prefix);
});

afterAll(async () => {
  await callbackQueue.close();
  await mediaQueues.close();
  await engine.close();
  receiver.close();
});

/** A job that fails at once (its fragment does not exist): an end like any other, with a callback or not. */
function jobBody(callback: string): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>missing/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>once.\${ext}</Object></Output></Operation><CallBack>${callback}</CallBack></Request>`;
}

async function submit(callback: string): Promise<{ jobId: string; queueId: string }> {
  const d = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: jobBody(callback) })).body.Response.JobsDetail;
  return { jobId: d.JobId as string, queueId: d.QueueId as string };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const postsFor = (jobId: string) => posts.filter((p) => p === jobId).length;

/** Runs the job's media queue entry again, as BullMQ does when the worker holding it died. */
async function runAgain(queueId: string, jobId: string): Promise<void> {
  await mediaQueues.remove(queueId, jobId);
  await mediaQueues.enqueue(queueId, { kind: 'concat', jobId }, 0);
  const q = new Queue(`media-${queueId}`, { connection: engine.redis, prefix: bullPrefix(engine.config.redis.keyPrefix) });
  try {
    await until(
      'the entry run again',
      () => q.getJobState(jobId),
      (s) => s === 'completed',
    );
  } finally {
    await q.close();
  }
}

describe('one TaskFinish per job', () => {
  it('a job that ends twice posts its callback once, whether BullMQ still holds the delivery or not', async () => {
    const { jobId, queueId } = await submit(receiverUrl);
    await until(
      'delivery',
      () => jobs.get(jobId),
      (r) => r?.callback.delivery === 'Delivered',
    );
    // The delivery's entry is still among the completed: the second ask adds nothing.
    await runAgain(queueId, jobId);
    // The entry is gone (as after removeOnComplete's count): the delivery mark refuses the third ask.
    await callbackQueue.remove(`TaskFinish-${jobId}`);
    await runAgain(queueId, jobId);
    await new Promise((r) => setTimeout(r, 500));
    expect(await callbackQueue.getJob(`TaskFinish-${jobId}`)).toBeUndefined();
    expect(postsFor(jobId)).toBe(1);
    expect((await jobs.get(jobId))?.callback).toMatchObject({ delivery: 'Delivered', attempts: 1 });
  });

  it('a job whose worker died between recording its end and asking for its callback gets it when its entry runs again', async () => {
    // An engine of its own whose worker starts late: the job's end is recorded first, as by a worker that died then.
    const late = await startTestEngine({ worker: false, env: { CALLBACK_RETRY_BASE_MS: '50' } });
    let worker: Running | undefined;
    try {
      const lateJobs = new JobStore(late.redis, late.config.redis.keyPrefix);
      const d = (await ciRequest(cosClient(late.api.url), { Method: 'POST', Key: 'jobs', Body: jobBody(receiverUrl) })).body.Response
        .JobsDetail;
      const jobId = d.JobId as string;
      expect(await lateJobs.transition(jobId, ['Submitted'], 'Running', { startMs: Date.now() })).toMatchObject({ ok: true });
      expect(
        await lateJobs.transition(jobId, ['Running'], 'Failed', { endMs: Date.now(), code: 'InternalError', message: 'x' }),
      ).toMatchObject({
        ok: true,
      });
      worker = await startWorker(late.config, late.endpoints, createLogger('silent', 'test'));
      await until(
        'delivery',
        () => lateJobs.get(jobId),
        (r) => r?.callback.delivery === 'Delivered',
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(postsFor(jobId)).toBe(1);
      expect((await lateJobs.get(jobId))?.state).toBe('Failed');
    } finally {
      await worker?.close();
      await late.close();
    }
  });

  it('a delivery run again after its worker died: not posted again when a try was answered 2xx, posted when the outcome is unknown', async () => {
    const sent = await submit('no');
    const unknown = await submit('no');
    for (const j of [sent, unknown])
      await until(
        'end',
        () => jobs.get(j.jobId),
        (r) => r?.state === 'Failed',
      );
    // What a worker killed after the receiver's 200 and its mark leaves, and what one killed during the POST leaves.
    await marks.claim({ kind: 'TaskFinish', id: sent.jobId }, 1);
    await marks.settle({ kind: 'TaskFinish', id: sent.jobId }, true);
    await marks.claim({ kind: 'TaskFinish', id: unknown.jobId }, 1);
    // BullMQ hands the delivery to a worker again (its entry, as the stalled check moves it back to waiting).
    for (const j of [sent, unknown]) {
      await callbackQueue.add(
        'TaskFinish',
        { kind: 'TaskFinish', jobId: j.jobId, url: receiverUrl, format: 'XML' },
        { jobId: `TaskFinish-${j.jobId}` },
      );
    }
    for (const j of [sent, unknown])
      await until(
        'delivery',
        () => callbackQueue.getJobState(`TaskFinish-${j.jobId}`),
        (s) => s === 'completed',
      );
    expect(postsFor(sent.jobId)).toBe(0);
    expect((await jobs.get(sent.jobId))?.callback.delivery).toBe('Delivered');
    expect(postsFor(unknown.jobId)).toBe(1);
    expect(await marks.isSent({ kind: 'TaskFinish', id: unknown.jobId })).toBe(true);
  });
});

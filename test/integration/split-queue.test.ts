// The chunk queue against the real Redis and BullMQ: the parent is a job a worker holds (as a running
// media job is), its children are added in one call, read back with their progress and results, and
// whatever is left of them is removed so the parent's own entry can complete.
import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix } from '../../src/queue/media-queues.js';
import { CHUNK_WORKER_NAME, SPLIT_QUEUE, SplitQueue, type ParentRef } from '../../src/queue/split-queue.js';
import { createRedis, type Redis } from '../../src/store/redis.js';
import { testEndpoints } from '../helpers/endpoints.js';

let redis: Redis;
const keyPrefix = `t${randomBytes(5).toString('hex')}`;
const prefix = bullPrefix(keyPrefix);
let split: SplitQueue;
let parentQueue: Queue;
let holder: Worker;
const workers: Worker[] = [];

const connection = (): Redis => createRedis(testEndpoints().redisUrl, 'test', 'worker');

beforeAll(() => {
  redis = connection();
  split = new SplitQueue(redis, keyPrefix);
  parentQueue = new Queue('media-p1', { connection: redis, prefix });
  // Takes parents by hand and holds them, as the media worker holds a running job.
  holder = new Worker('media-p1', null, { connection: connection(), prefix, lockDuration: 30_000 });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close(true)));
});

afterAll(async () => {
  await holder.close(true);
  await split.close();
  await parentQueue.close();
  redis.disconnect();
});

/** A parent job, taken by the holder: active and locked. */
async function takeParent(id: string): Promise<{ job: Job; ref: ParentRef; token: string }> {
  await parentQueue.add('concat', { jobId: id }, { jobId: id });
  const token = `tok-${id}`;
  const job = (await holder.getNextJob(token))!;
  expect(job.id).toBe(id);
  return { job, ref: { id, queue: job.queueQualifiedName }, token };
}

function chunkWorker(processor: (job: Job) => Promise<unknown>, name = CHUNK_WORKER_NAME): Worker {
  const w = new Worker(SPLIT_QUEUE, processor, { connection: connection(), prefix, name, concurrency: 1 });
  workers.push(w);
  return w;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SplitQueue', () => {
  it('counts the chunk workers serving the queue, not other workers of it', async () => {
    chunkWorker(() => Promise.resolve());
    chunkWorker(() => Promise.resolve());
    chunkWorker(() => Promise.resolve(), 'something-else');
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    expect(
      await until(
        () => split.workers(),
        (n) => n === 2,
      ),
    ).toBe(2);
    await Promise.all(workers.splice(0).map((w) => w.close(true)));
    expect(
      await until(
        () => split.workers(),
        (n) => n === 0,
      ),
    ).toBe(0);
  });

  it("adds the children under the running parent, reports each one's progress and result, and the parent then completes", async () => {
    const { job, ref, token } = await takeParent('parent-ok');
    await split.dispatch(
      ref,
      [0, 1, 2].map((i) => ({ id: `parent-ok-g1-chunk-000${i}`, name: 'chunk', data: { i } })),
      0,
    );
    const ids = [0, 1, 2].map((i) => `parent-ok-g1-chunk-000${i}`);
    expect((await split.states(ids)).map((s) => s.state)).toEqual(['prioritized', 'prioritized', 'prioritized']);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    chunkWorker(async (child) => {
      await child.updateProgress(40);
      if ((child.data as { i: number }).i === 1) await released;
      return { key: `chunk-${(child.data as { i: number }).i}` };
    });
    const midway = await until(
      () => split.states<{ key: string }>(ids),
      (s) => s[1]!.state === 'active' && s[1]!.progress === 40 && s[0]!.state === 'completed',
    );
    expect(midway[0]!.result).toEqual({ key: 'chunk-0' });
    release();
    const done = await until(
      () => split.states<{ key: string }>(ids),
      (s) => s.every((c) => c.state === 'completed'),
    );
    expect(done.map((s) => s.result?.key)).toEqual(['chunk-0', 'chunk-1', 'chunk-2']);
    await split.discard(ids);
    await job.moveToCompleted('ok', token, false);
    expect(await job.getState()).toBe('completed');
    expect((await split.states(ids)).map((s) => s.state)).toEqual(['missing', 'missing', 'missing']);
  });

  it('a child that fails for good is reported failed with its reason and tries, and does not block the parent', async () => {
    const { job, token } = await takeParent('parent-fail');
    const ref = { id: 'parent-fail', queue: job.queueQualifiedName };
    await split.dispatch(ref, [{ id: 'parent-fail-g1-audio', name: 'audio', data: {} }], 1);
    chunkWorker(() => Promise.reject(new Error('ResourceNotFound: object in/a.mp4 does not exist')));
    const [failed] = await until(
      () => split.states(['parent-fail-g1-audio']),
      (s) => s[0]!.state === 'failed',
    );
    expect(failed).toMatchObject({ attemptsMade: 3, failedReason: 'ResourceNotFound: object in/a.mp4 does not exist' });
    await job.moveToCompleted('ok', token, false);
    expect(await job.getState()).toBe('completed');
  });

  it('an unrecoverable failure is not tried again', async () => {
    const { job, ref, token } = await takeParent('parent-unrec');
    await split.dispatch(ref, [{ id: 'parent-unrec-g1-chunk-0000', name: 'chunk', data: {} }], 0);
    chunkWorker(() => Promise.reject(new UnrecoverableError('InternalError: another plan')));
    const [failed] = await until(
      () => split.states(['parent-unrec-g1-chunk-0000']),
      (s) => s[0]!.state === 'failed',
    );
    expect(failed!.attemptsMade).toBe(1);
    await job.moveToCompleted('ok', token, false);
  });

  it('discards waiting and running children so the parent can complete; a running one is left to run out alone', async () => {
    const { job, ref, token } = await takeParent('parent-gone');
    const ids = ['parent-gone-g2-chunk-0000', 'parent-gone-g2-chunk-0001'];
    await split.dispatch(
      ref,
      ids.map((id) => ({ id, name: 'chunk', data: {} })),
      0,
    );
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    chunkWorker(() => released);
    await until(
      () => split.states(ids),
      (s) => s[0]!.state === 'active',
    );
    // Without the discard BullMQ refuses to complete a parent with pending children.
    await expect(job.moveToCompleted('ok', token, false)).rejects.toThrow(/pending/i);
    await split.discard(ids);
    expect((await split.states(ids)).map((s) => s.state)).toEqual(['active', 'missing']);
    await job.moveToCompleted('ok', token, false);
    expect(await job.getState()).toBe('completed');
    release();
    await until(
      () => split.states(ids),
      (s) => s[0]!.state === 'completed',
    );
  });

  it('gives every child the priority of its JobLevel: a higher level goes first', async () => {
    const { ref: low } = await takeParent('parent-low');
    const { ref: high } = await takeParent('parent-high');
    await split.dispatch(low, [{ id: 'parent-low-g1-chunk-0000', name: 'chunk', data: { who: 'low' } }], 0);
    await split.dispatch(high, [{ id: 'parent-high-g1-chunk-0000', name: 'chunk', data: { who: 'high' } }], 2);
    const order: string[] = [];
    chunkWorker((child) => {
      order.push((child.data as { who: string }).who);
      return Promise.resolve();
    });
    await until(
      () => Promise.resolve(order.length),
      (n) => n === 2,
    );
    expect(order).toEqual(['high', 'low']);
  });

  it('notes, lists and drops temporary prefixes', async () => {
    await split.noteTemp({ jobId: 'j1', bucket: 'b-1', prefix: '.ci-split/j1/' });
    await split.noteTemp({ jobId: 'j2', bucket: 'b-2', prefix: '.ci-split/j2/' });
    await split.dropTemp('j1');
    expect(await split.temps()).toEqual([{ jobId: 'j2', bucket: 'b-2', prefix: '.ci-split/j2/' }]);
  });
});

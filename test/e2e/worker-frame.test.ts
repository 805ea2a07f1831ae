// The worker's frame around jobs: priority order, cancel honoured, real states and times, and nothing
// lost when the API or the worker restarts.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { newId } from '../../src/domain/ids.js';
import type { JobRecord, JobState } from '../../src/domain/job.js';
import { startApi, startWorker, type Running } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { JobStore } from '../../src/store/job-store.js';
import { QueueStore } from '../../src/store/queue-store.js';
import { createRedis } from '../../src/store/redis.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { testConfig } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { seedJob } from '../helpers/seed-jobs.js';

/** The states a job does not leave. */
const TERMINAL_STATES: readonly JobState[] = ['Success', 'Failed', 'Cancel'];

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

function job(level: number, tag: string): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>${tag}.mp4</Url></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>nobucket-1250000000</Bucket><Object>out.\${ext}</Object></Output><JobLevel>${level}</JobLevel></Operation></Request>`;
}

async function waitForTerminal(store: JobStore, ids: string[], timeoutMs = 20_000): Promise<JobRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const recs = await store.getMany(ids);
    if (recs.every((r) => r && TERMINAL_STATES.includes(r.state))) return recs as JobRecord[];
    if (Date.now() > deadline) throw new Error(`jobs not finished: ${recs.map((r) => `${r?.jobId}=${r?.state}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('worker frame', () => {
  it('runs JobLevel 2 before 1 before 0, first in first out within a level, and never runs a cancelled job', async () => {
    const config = testConfig();
    const ep = testEndpoints();
    const logger = createLogger(config.log.level, 'test');
    const api = await startApi(config, ep, logger);
    running.push(api);
    const cos = cosClient(api.url);
    const submitted: Record<string, string> = {};
    for (const [level, name] of [
      [0, 'a0'],
      [2, 'b2'],
      [1, 'c1'],
      [2, 'd2'],
      [0, 'e0'],
      [1, 'cancelled'],
    ] as const) {
      const res = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job(level, name) });
      expect(res.statusCode).toBe(200);
      submitted[name] = res.body.Response.JobsDetail.JobId;
    }
    const cancel = await ciRequest(cos, { Method: 'PUT', Key: `jobs/${submitted.cancelled}`, Query: { cancel: '' } });
    expect(cancel.statusCode).toBe(200);

    // Only now a worker, one job at a time: the order it starts them in is the queue's order.
    running.push(await startWorker(config, ep, logger));
    const redis = createRedis(ep.redisUrl, 'test', 'api');
    const store = new JobStore(redis, config.redis.keyPrefix);
    const recs = await waitForTerminal(store, Object.values(submitted));
    const byName = Object.fromEntries(Object.keys(submitted).map((n, i) => [n, recs[i]!]));
    const started = ['a0', 'b2', 'c1', 'd2', 'e0'].sort((x, y) => (byName[x]?.startMs ?? 0) - (byName[y]?.startMs ?? 0));
    expect(started).toEqual(['b2', 'd2', 'c1', 'a0', 'e0']);
    expect(byName.cancelled).toMatchObject({ state: 'Cancel', startMs: undefined });

    // The output bucket does not exist in this test: each job ends Failed with a Code that says so, with real times.
    for (const name of ['a0', 'b2']) {
      const r = byName[name]!;
      expect(r.state).toBe('Failed');
      expect(r.code).toBe('ResourceNotFound');
      expect(r.message).toMatch(/Output.Bucket: bucket nobucket-1250000000 does not exist/);
      expect(r.startMs).toBeGreaterThanOrEqual(r.creationMs);
      expect(r.endMs).toBeGreaterThanOrEqual(r.startMs!);
    }
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${submitted.a0}` })).body.Response.JobsDetail;
    expect(d.StartTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(d.EndTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    redis.disconnect();
  });

  it('loses nothing across restarts: jobs submitted while no worker runs, and a record whose enqueue never happened', async () => {
    const config = testConfig();
    const ep = testEndpoints();
    const logger = createLogger(config.log.level, 'test');
    const api = await startApi(config, ep, logger);
    const cos = cosClient(api.url);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job(0, `r${i}`) })).body.Response.JobsDetail.JobId);
    await api.close();

    // A record written by an API that stopped before it could enqueue the job.
    const redis = createRedis(ep.redisUrl, 'test', 'api');
    const store = new JobStore(redis, config.redis.keyPrefix);
    const queueId = await new QueueStore(redis, config.redis.keyPrefix).defaultQueueId();
    const orphan = newId('job');
    const request = (await store.get(ids[0]!))!.request;
    await seedJob(redis, config.redis.keyPrefix, {
      jobId: orphan,
      tag: 'Concat',
      bucket: BUCKET,
      region: REGION,
      queueId,
      creationMs: Date.now(),
      request,
    });

    // A new API process and a worker come up later (the same config, as after a restart).
    const again = loadConfig({
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    running.push(await startApi(again, ep, logger));
    running.push(await startWorker(again, ep, logger));
    const recs = await waitForTerminal(store, [...ids, orphan]);
    expect(recs.map((r) => r.state)).toEqual(['Failed', 'Failed', 'Failed', 'Failed']);
    redis.disconnect();
  });
});

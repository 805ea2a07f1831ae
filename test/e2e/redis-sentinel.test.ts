// Redis high availability: the engine (API and worker) finds Redis through three sentinels. With a
// backlog of jobs running, the primary is killed (SIGKILL); the sentinels promote the replica. Clients
// keep submitting as clients do (a 503 is tried again): no answer is a 500, the API answers 503 only
// for the failover window, every accepted job ends Success with exactly one output object, and no
// record is lost (a submit is acknowledged once a replica has it: REDIS_WAIT_REPLICAS).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, startWorker, type Running, type RunningApi } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { createS3 } from '../../src/storage/s3.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { testConfig } from '../helpers/engine.js';
import { makeClip } from '../helpers/media.js';
import { SENTINEL_NAME, startRedisHa, type RedisHa } from '../helpers/redis-ha.js';

const BUCKET = 'ha-1250000000';
let work: string;
let ha: RedisHa;
let s3: S3Client;
let api: RunningApi;
let worker: Running;
let cos: ReturnType<typeof cosClient>;

const jobBody = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>ha/a.mp4</Url></ConcatFragment><ConcatFragment><Url>ha/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output></Operation></Request>`;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'redis-sentinel-'));
  ha = await startRedisHa(path.join(work, 'redis'));
  s3 = createS3({
    endpoint: inject('s3Endpoint'),
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const clip = await makeClip(path.join(work, 'a.mp4'), { durationSec: 1, audio: true });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ha/a.mp4', Body: readFileSync(clip) }));
  const config = testConfig({ REDIS_WAIT_REPLICAS: '1', WORKER_CONCURRENCY: '2' });
  const ep = {
    redisUrl: '',
    redisSentinel: { sentinels: ha.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), name: SENTINEL_NAME },
    s3Endpoint: inject('s3Endpoint'),
  };
  const logger = createLogger('silent', 'test');
  api = await startApi(config, ep, logger);
  worker = await startWorker(config, ep, logger);
  cos = cosClient(api.url);
}, 60_000);

afterAll(async () => {
  await worker.close();
  await api.close();
  await ha.stop();
  s3.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('a Sentinel failover under a backlog of jobs', () => {
  it('loses no job and no record; the API answers 503 only while it fails over, never 500; the worker carries on', async () => {
    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    let first503: number | undefined;
    let last503: number | undefined;
    /** Submits as a client does: a 503 is tried again after 100 ms, for up to 60 s. */
    const submit = async (): Promise<void> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await ciRequest(cos, { bucket: BUCKET, Method: 'POST', Key: 'jobs', Body: jobBody });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 200) {
          accepted.push(res.body.Response.JobsDetail.JobId as string);
          return;
        }
        expect(res.statusCode, JSON.stringify(res.body)).toBe(503);
        first503 ??= Date.now();
        last503 = Date.now();
        if (Date.now() > deadline) throw new Error('the API answered 503 for more than 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    for (let i = 0; i < 8; i++) await submit();
    const before = await ha.primaryPort();
    expect(before).toBe(ha.primary.port);
    const killedAt = Date.now();
    ha.killPrimary();
    for (let i = 0; i < 8; i++) {
      await submit();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await ha.primaryPort()).toBe(ha.replica.port);

    const states = new Map<string, string>();
    const deadline = Date.now() + 180_000;
    while (states.size < accepted.length || [...states.values()].some((s) => s !== 'Success' && s !== 'Failed')) {
      if (Date.now() > deadline) throw new Error(`jobs not finished: ${JSON.stringify([...states])}`);
      for (const id of accepted) {
        const res = await ciRequest(cos, { bucket: BUCKET, Method: 'GET', Key: `jobs/${id}` });
        if (res.statusCode === 200) states.set(id, res.body.Response.JobsDetail.State as string);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const outputs = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'out/' }))).Contents ?? []).map((o) => o.Key!);
    const window = first503 !== undefined ? (last503! - first503) / 1000 : 0;
    console.info(
      `sentinel failover: ${accepted.length} jobs accepted, answers ${JSON.stringify(Object.fromEntries(statuses))}, 503 window ${window.toFixed(1)} s (from the kill: ${first503 ? ((first503 - killedAt) / 1000).toFixed(1) : '-'} s)`,
    );
    expect(accepted).toHaveLength(16);
    expect(statuses.has(500)).toBe(false);
    expect([...states.values()].every((s) => s === 'Success')).toBe(true);
    expect(outputs.sort()).toEqual(accepted.map((id) => `out/${id}.mp4`).sort());
    expect(window).toBeLessThan(30);
  }, 300_000);
});

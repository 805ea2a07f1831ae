// The S3 store out of reach while a job runs: its calls are tried again for STORAGE_RETRY_SECONDS, so a
// store that comes back costs a delay and the job ends Success; a store that stays away fails the job
// with ServiceUnavailable naming the store, and no output object appears. The store is the test run's
// real one behind a proxy that can be switched down (connections reset).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, startWorker, type Running, type RunningApi } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { createS3 } from '../../src/storage/s3.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { testConfig } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { makeClip } from '../helpers/media.js';
import { startPolicyProxy, type PolicyProxy } from '../helpers/s3-policy-proxy.js';

const BUCKET = 'faults-1250000000';
let work: string;
let s3: S3Client;
let proxy: PolicyProxy;
let api: RunningApi;
let worker: Running;
let cos: ReturnType<typeof cosClient>;
const lines: string[] = [];

const jobBody = (out: string) =>
  `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>sf/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${out}/\${jobid}.\${ext}</Object></Output></Operation></Request>`;

async function submit(out: string): Promise<string> {
  const res = await ciRequest(cos, { bucket: BUCKET, Method: 'POST', Key: 'jobs', Body: jobBody(out) });
  return res.body.Response.JobsDetail.JobId as string;
}

async function finished(jobId: string): Promise<{ State: string; Code: string; Message: string }> {
  for (let i = 0; i < 1200; i++) {
    const d = (await ciRequest(cos, { bucket: BUCKET, Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (d.State === 'Success' || d.State === 'Failed') return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function objects(prefix: string): Promise<string[]> {
  const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (list.Contents ?? []).map((o) => o.Key!);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'storage-faults-'));
  s3 = createS3({
    endpoint: inject('s3Endpoint'),
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const clip = await makeClip(path.join(work, 'a.mp4'), { durationSec: 1, audio: true });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sf/a.mp4', Body: readFileSync(clip) }));
  proxy = await startPolicyProxy(inject('s3Endpoint'), () => undefined);
  const config = testConfig({ STORAGE_RETRY_SECONDS: '8' });
  const logger = createLogger('info', 'test', { write: (l: string) => void lines.push(l) });
  const ep = { redisUrl: testEndpoints().redisUrl, s3Endpoint: proxy.endpoint };
  api = await startApi(config, ep, logger);
  worker = await startWorker(config, ep, logger);
  cos = cosClient(api.url);
}, 60_000);
afterAll(async () => {
  await worker.close();
  await api.close();
  await proxy.close();
  s3.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('the S3 store out of reach during a job', () => {
  it('back within the retry time: the job waits for it and ends Success, its log saying why it waited', async () => {
    proxy.setDown(true);
    const jobId = await submit('back');
    await new Promise((r) => setTimeout(r, 2500));
    proxy.setDown(false);
    const d = await finished(jobId);
    expect(d.State, d.Message).toBe('Success');
    expect(await objects('back')).toEqual([`back/${jobId}.mp4`]);
    const retries = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.jobId === jobId && l.msg === 'the storage did not answer; trying again');
    expect(retries.length).toBeGreaterThan(0);
    expect(String(retries[0]!.what)).toMatch(/sf\/a\.mp4|bucket faults-1250000000/);
  }, 60_000);

  it('away longer: the job ends Failed with ServiceUnavailable naming the store, and no output object appears', async () => {
    proxy.setDown(true);
    const started = Date.now();
    const jobId = await submit('gone');
    const d = await finished(jobId);
    const tookMs = Date.now() - started;
    proxy.setDown(false);
    expect(d.State).toBe('Failed');
    expect(d.Code).toBe('ServiceUnavailable');
    expect(d.Message).toContain(proxy.endpoint);
    expect(d.Message).toMatch(/STORAGE_RETRY_SECONDS/);
    // It kept trying for the retry time (8 s), not half a second.
    expect(tookMs).toBeGreaterThanOrEqual(7_000);
    expect(await objects('gone')).toEqual([]);
  }, 60_000);
});

describe('an upload to a store that fails for a while', () => {
  it('is tried again and the object arrives whole, with each retry told', async () => {
    let refused = 0;
    const flaky = await startPolicyProxy(inject('s3Endpoint'), (req) =>
      req.method === 'PUT' && refused++ < 3 ? { status: 503, code: 'ServiceUnavailable' } : undefined,
    );
    const { uploadFile } = await import('../../src/storage/objects.js');
    const client = createS3({
      endpoint: flaky.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    const notices: string[] = [];
    try {
      const file = path.join(work, 'a.mp4');
      const md5 = await uploadFile(
        client,
        BUCKET,
        'flaky/a.mp4',
        file,
        'video/mp4',
        {},
        { store: flaky.endpoint, totalMs: 20_000, firstDelayMs: 50 },
        (what) => notices.push(what),
      );
      expect(notices.length).toBeGreaterThan(0);
      expect(notices[0]).toBe(`uploading flaky/a.mp4 to bucket ${BUCKET}`);
      const { createHash } = await import('node:crypto');
      expect(md5).toBe(createHash('md5').update(readFileSync(file)).digest('hex'));
      const got = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'flaky/' }));
      expect(got.Contents?.map((o) => [o.Key, o.Size])).toEqual([['flaky/a.mp4', readFileSync(file).length]]);
    } finally {
      client.destroy();
      await flaky.close();
    }
  });
});

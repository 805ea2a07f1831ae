// Job resource limits and fetching from allowed hosts, end to end: each limit ends the job Failed with
// its Code and a Message naming the variable; a source on a FETCH_ALLOWED_HOSTS host is fetched over
// HTTP, one on any other host is refused without a request.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3 } from '../../src/storage/s3.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { makeClip } from '../helpers/media.js';

let work: string;
let clip: Buffer;
let media: Server;
let mediaPort = 0;
const mediaHits: string[] = [];
let engines: Record<'disk' | 'bytes' | 'duration' | 'fetch', TestEngine>;

function job(urls: string[]): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
${urls.map((u) => `<ConcatFragment><Url>${u}</Url></ConcatFragment>`).join('')}
<Video><Codec>H.264</Codec><Width>256</Width><Height>144</Height></Video><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>limits/\${jobid}.\${ext}</Object></Output></Operation><CallBack>no</CallBack></Request>`;
}

async function run(engine: TestEngine, urls: string[]): Promise<{ State: string; Code: string; Message: string }> {
  const cos = cosClient(engine.api.url);
  const res = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job(urls) });
  expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
  const jobId = res.body.Response.JobsDetail.JobId as string;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (d.State === 'Success' || d.State === 'Failed') return d;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${d.State}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'limits-e2e-'));
  clip = readFileSync(await makeClip(path.join(work, 'one.mp4'), { durationSec: 1, audio: true }));
  media = createServer((req, res) => {
    mediaHits.push(req.url ?? '');
    if (req.url === '/stall.mp4') return; // never answers
    if (req.url === '/clip.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clip.length }).end(clip);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
  mediaPort = (media.address() as { port: number }).port;

  const [disk, bytes, duration, fetch] = await Promise.all([
    startTestEngine({ worker: true, env: { MIN_FREE_DISK_BYTES: String(2 ** 52) } }),
    startTestEngine({ worker: true, env: { MAX_JOB_INPUT_BYTES: String(clip.length + 100) } }),
    startTestEngine({ worker: true, env: { MAX_OUTPUT_DURATION_SECONDS: '1' } }),
    startTestEngine({ worker: true, env: { FETCH_ALLOWED_HOSTS: `127.0.0.1:${mediaPort},media.example.com`, JOB_TIMEOUT_SECONDS: '2' } }),
  ]);
  engines = { disk: disk, bytes: bytes, duration: duration, fetch: fetch };
  const s3 = createS3({
    endpoint: disk.endpoints.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'limits/one.mp4', Body: clip }));
  s3.destroy();
});

afterAll(async () => {
  await Promise.all(Object.values((engines as typeof engines | undefined) ?? {}).map((e) => e.close()));
  media.closeAllConnections();
  media.close();
  rmSync(work, { recursive: true, force: true });
});

describe('job resource limits', () => {
  it('MIN_FREE_DISK_BYTES: InsufficientStorage before fetching', async () => {
    const d = await run(engines.disk, ['limits/one.mp4']);
    expect(d).toMatchObject({ State: 'Failed', Code: 'InsufficientStorage', Message: expect.stringContaining('MIN_FREE_DISK_BYTES') });
  });

  it('MAX_JOB_INPUT_BYTES: ResourceLimitExceeded once the inputs add up past it', async () => {
    expect(await run(engines.bytes, ['limits/one.mp4'])).toMatchObject({ State: 'Success' });
    const d = await run(engines.bytes, ['limits/one.mp4', 'limits/one.mp4']);
    expect(d).toMatchObject({ State: 'Failed', Code: 'ResourceLimitExceeded', Message: expect.stringContaining('MAX_JOB_INPUT_BYTES') });
  });

  it('MAX_OUTPUT_DURATION_SECONDS: ResourceLimitExceeded from the plan, before ffmpeg runs', async () => {
    expect(await run(engines.duration, ['limits/one.mp4'])).toMatchObject({ State: 'Success' });
    const d = await run(engines.duration, ['limits/one.mp4', 'limits/one.mp4']);
    expect(d).toMatchObject({
      State: 'Failed',
      Code: 'ResourceLimitExceeded',
      Message: expect.stringContaining('MAX_OUTPUT_DURATION_SECONDS'),
    });
  });
});

describe('fetching from FETCH_ALLOWED_HOSTS', () => {
  it('fetches a source from an allowed host over HTTP', async () => {
    const d = await run(engines.fetch, [`http://127.0.0.1:${mediaPort}/clip.mp4`, 'limits/one.mp4']);
    expect(d).toMatchObject({ State: 'Success' });
    expect(mediaHits).toContain('/clip.mp4');
  });

  it('refuses any other host without a request', async () => {
    const before = mediaHits.length;
    const other = createServer((_req, res) => res.writeHead(200).end('x'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    let otherHits = 0;
    other.on('request', () => otherHits++);
    try {
      const d = await run(engines.fetch, [`http://127.0.0.1:${(other.address() as { port: number }).port}/clip.mp4`]);
      expect(d).toMatchObject({ State: 'Failed', Code: 'InvalidArgument', Message: expect.stringContaining('not in FETCH_ALLOWED_HOSTS') });
      expect(otherHits).toBe(0);
      expect(mediaHits.length).toBe(before);
    } finally {
      other.close();
    }
  });

  it('JOB_TIMEOUT_SECONDS: JobTimeout when a step hangs', async () => {
    const started = Date.now();
    const d = await run(engines.fetch, [`http://127.0.0.1:${mediaPort}/stall.mp4`]);
    expect(d).toMatchObject({ State: 'Failed', Code: 'JobTimeout', Message: expect.stringContaining('JOB_TIMEOUT_SECONDS') });
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

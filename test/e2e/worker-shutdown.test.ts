// A worker stopped while it runs a job (SIGTERM calls close()): with no drain time the job is stopped,
// its ffmpeg is gone when close() resolves, and the job is handed back to the queue at once: another
// worker takes it up and it ends Success with one output and one callback. With a drain time, a job
// that ends within it finishes on the stopping worker. The logs say which.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { startApi, startWorker, type RunningApi } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { createS3 } from '../../src/storage/s3.js';
import { jobsRoot } from '../../src/worker/job-dirs.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { testConfig } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { makeClip } from '../helpers/media.js';

const BUCKET = 'shutdown-1250000000';
let work: string;
let s3: S3Client;
let receiver: Server;
let receiverUrl: string;
const callbacks: string[] = [];

/** A job that must encode (Crf set), from a clip long enough to be stopped mid-encode. */
const jobBody = (out: string) =>
  `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>sd/long.mp4</Url></ConcatFragment><ConcatFragment><Url>sd/long.mp4</Url></ConcatFragment><Video><Codec>H.264</Codec><Crf>30</Crf></Video><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${out}/\${jobid}.\${ext}</Object></Output></Operation><CallBack>${receiverUrl}/cb</CallBack></Request>`;

function ffmpegArgsWith(fragment: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => (l.startsWith('/') || l.startsWith('ffmpeg') ? l.includes('ffmpeg') && l.includes(fragment) : false));
}

interface Engine {
  config: Config;
  api: RunningApi;
  lines: string[];
  cos: ReturnType<typeof cosClient>;
}

async function engineWith(env: Record<string, string>): Promise<Engine> {
  // Locks that outlast the test: a job taken up again was handed back, not found by the stalled-job check.
  const config = testConfig({ CALLBACK_RETRY_BASE_MS: '50', WORKER_LOCK_SECONDS: '600', WORKER_STALLED_CHECK_SECONDS: '600', ...env });
  const lines: string[] = [];
  const logger = createLogger('info', 'test', { write: (l: string) => void lines.push(l) });
  const api = await startApi(config, testEndpoints(), logger);
  return { config, api, lines, cos: cosClient(api.url) };
}

async function stateOf(e: Engine, jobId: string): Promise<{ State: string; Progress: string; Code: string }> {
  return (await ciRequest(e.cos, { bucket: BUCKET, Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
}

async function waitState(e: Engine, jobId: string, done: (d: { State: string; Progress: string }) => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await stateOf(e, jobId);
    if (done(d)) return d;
    if (Date.now() > deadline) throw new Error(`job ${jobId}: still ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outputs(prefix: string): Promise<string[]> {
  const list = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (list.Contents ?? []).map((o) => o.Key!);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'worker-shutdown-'));
  const ep = testEndpoints();
  s3 = createS3({ endpoint: ep.s3Endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const clip = await makeClip(path.join(work, 'long.mp4'), { width: 480, height: 270, fps: 30, durationSec: 20, audio: true });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sd/long.mp4', Body: readFileSync(clip) }));
  receiver = createServer((r, res) => {
    let body = '';
    r.on('data', (c: Buffer) => (body += c.toString()));
    r.on('end', () => {
      callbacks.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
}, 60_000);
afterAll(() => {
  receiver.close();
  s3.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('worker shutdown', () => {
  it('without a drain time: the running job is stopped, its ffmpeg gone, and another worker takes it up at once', async () => {
    const e = await engineWith({ WORKER_DRAIN_SECONDS: '0' });
    const first = await startWorker(
      e.config,
      testEndpoints(),
      createLogger('info', 'test', { write: (l: string) => void e.lines.push(l) }),
    );
    const jobId = (await ciRequest(e.cos, { bucket: BUCKET, Method: 'POST', Key: 'jobs', Body: jobBody('handback') })).body.Response
      .JobsDetail.JobId as string;
    await waitState(e, jobId, (d) => d.State === 'Running' && Number(d.Progress) >= 6);
    const dirs = readdirSync(jobsRoot(e.config.dataDir)).filter((d) => d.startsWith(`${jobId}.`));
    expect(dirs).toHaveLength(1);
    expect(ffmpegArgsWith(dirs[0]!).length).toBeGreaterThan(0);

    const stopping = Date.now();
    await first.close();
    const closeMs = Date.now() - stopping;
    expect(ffmpegArgsWith(dirs[0]!)).toEqual([]);
    expect(readdirSync(jobsRoot(e.config.dataDir)).filter((d) => d.startsWith(`${jobId}.`))).toEqual([]);
    expect((await stateOf(e, jobId)).State).toBe('Running');
    const lines = e.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.jobId === jobId && String(l.msg).includes('handed back to the queue'))).toBeDefined();
    expect(lines.find((l) => l.msg === 'worker stopped')).toMatchObject({ finished: 0, handedBack: 1 });

    // A second worker takes it up at once, long before its lock (600 s) would have run out.
    const second = await startWorker(e.config, testEndpoints(), createLogger('silent', 'test'));
    try {
      const done = await waitState(e, jobId, (d) => d.State === 'Success' || d.State === 'Failed');
      expect(done.State).toBe('Success');
    } finally {
      await second.close();
    }
    expect(await outputs('handback')).toEqual([`handback/${jobId}.mp4`]);
    for (let i = 0; i < 100 && !callbacks.some((c) => c.includes(jobId)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(callbacks.filter((c) => c.includes(jobId))).toHaveLength(1);
    console.info(`close() with a running job took ${closeMs} ms`);
    await e.api.close();
  }, 240_000);

  it('with a drain time: a job that ends within it finishes on the stopping worker', async () => {
    const e = await engineWith({ WORKER_DRAIN_SECONDS: '120' });
    const worker = await startWorker(
      e.config,
      testEndpoints(),
      createLogger('info', 'test', { write: (l: string) => void e.lines.push(l) }),
    );
    const jobId = (await ciRequest(e.cos, { bucket: BUCKET, Method: 'POST', Key: 'jobs', Body: jobBody('drain') })).body.Response.JobsDetail
      .JobId as string;
    await waitState(e, jobId, (d) => d.State === 'Running' && Number(d.Progress) >= 6);
    await worker.close();
    expect((await stateOf(e, jobId)).State).toBe('Success');
    expect(await outputs('drain')).toEqual([`drain/${jobId}.mp4`]);
    const lines = e.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => String(l.msg).includes('may finish within the drain time'))).toMatchObject({ jobIds: [jobId] });
    expect(lines.find((l) => l.msg === 'worker stopped')).toMatchObject({ finished: 1, handedBack: 0 });
    await e.api.close();
  }, 240_000);
});

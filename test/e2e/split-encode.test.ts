// One long encode over two worker processes: the API in this process, two real `npm run worker`
// processes (the build, run with node) on the test's Redis and S3, and for reference an engine with
// SPLIT=off. Small thresholds make a 9 s job split into chunks of about 2 s. Checks what a user sees
// (one job, its progress, one TaskFinish callback, the output, MaxConcurrent holding the next job back)
// and what only the engine sees (the children in the chunk queue's event stream, the temporary prefix),
// including a chunk worker killed with SIGKILL mid-chunk and a chunk that fails for good.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix } from '../../src/queue/media-queues.js';
import { SPLIT_QUEUE } from '../../src/queue/split-queue.js';
import { createS3 } from '../../src/storage/s3.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { makeClip } from '../helpers/media.js';
import type { FfprobeJson } from '../../src/media/probe.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
/** The worker build, inside the checkout so that it finds node_modules (`.tmp/` is ignored by git). */
const BUILD = path.join(ROOT, '.tmp', `split-e2e-${randomBytes(4).toString('hex')}`);

const SPLIT_ENV = {
  SPLIT: 'on',
  SPLIT_MIN_SECONDS: '4',
  SPLIT_CHUNK_SECONDS: '2',
  SPLIT_THREADS: '1',
  // A killed worker's chunk runs again within lock + check.
  WORKER_LOCK_SECONDS: '2',
  WORKER_STALLED_CHECK_SECONDS: '1',
  WORKER_CONCURRENCY: '1',
  CALLBACK_RETRY_BASE_MS: '50',
};

let engine: TestEngine;
let reference: TestEngine;
let cos: ReturnType<typeof cosClient>;
let refCos: ReturnType<typeof cosClient>;
let s3: S3Client;
let work: string;
let chunkQueue: Queue;
let receiver: Server;
let receiverUrl: string;
const callbacks: { jobId: string; body: string }[] = [];

interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
}
const workers: WorkerProcess[] = [];

function startWorkerProcess(): WorkerProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...SPLIT_ENV,
    REDIS_URL: engine.endpoints.redisUrl,
    S3_ENDPOINT: engine.endpoints.s3Endpoint,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    REDIS_KEY_PREFIX: engine.config.redis.keyPrefix,
    DATA_DIR: path.join(work, 'data'),
    LOG_LEVEL: 'debug',
  };
  const child = spawn(process.execPath, [path.join(BUILD, 'workers', 'concat-worker.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const w: WorkerProcess = { child, lines: [] };
  let rest = '';
  child.stdout.on('data', (b: Buffer) => {
    const parts = (rest + b.toString()).split('\n');
    rest = parts.pop() ?? '';
    w.lines.push(...parts);
  });
  child.stderr.on('data', (b: Buffer) => w.lines.push(b.toString()));
  workers.push(w);
  return w;
}

function logged(w: WorkerProcess, jobId: string, msg: string): boolean {
  return w.lines.some((l) => l.includes(`"jobId":"${jobId}"`) && l.includes(`"msg":"${msg}"`));
}

/** The chunks a job's split log line announced; 0 before it is written. */
function splitChunks(jobId: string): number {
  for (const w of workers) {
    const line = w.lines.find((l) => l.includes(`"jobId":"${jobId}"`) && l.includes('"msg":"split: the chunks and the audio track'));
    if (line) return (JSON.parse(line) as { chunks: number }).chunks;
  }
  return 0;
}

async function until<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 60_000, stepMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

async function put(key: string, file: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(file) }));
}

async function getToFile(key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const file = path.join(work, `got-${randomBytes(4).toString('hex')}-${path.basename(key)}`);
  writeFileSync(file, Buffer.from(await res.Body!.transformToByteArray()));
  return file;
}

async function tempObjects(jobId: string): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `.ci-split/${jobId}/` }));
  return (res.Contents ?? []).map((o) => o.Key!);
}

function jobXml(fragments: string[], object: string, callback = 'no'): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
${fragments.map((f) => `<ConcatFragment><Url>${f}</Url></ConcatFragment>`).join('\n')}
<Video><Codec>H.264</Codec><Crf>30</Crf></Video><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${object}</Object></Output></Operation>
<CallBack>${callback}</CallBack></Request>`;
}

async function submit(client: ReturnType<typeof cosClient>, body: string): Promise<string> {
  const res = await ciRequest(client, { Method: 'POST', Key: 'jobs', Body: body });
  expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
  return res.body.Response.JobsDetail.JobId as string;
}

async function finished(client: ReturnType<typeof cosClient>, jobId: string): Promise<{ d: any; progress: number[] }> {
  const progress: number[] = [];
  const d = await until(
    `job ${jobId} to end`,
    async () => (await ciRequest(client, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail,
    (x: any) => {
      progress.push(Number(x.Progress));
      return x.State === 'Success' || x.State === 'Failed';
    },
    180_000,
    50,
  );
  return { d, progress };
}

/** The chunk queue's events of one job's children: [child id, event]. */
async function childEvents(jobId: string): Promise<[string, string][]> {
  const stream = `${bullPrefix(engine.config.redis.keyPrefix)}:${SPLIT_QUEUE}:events`;
  const entries = await engine.redis.xrange(stream, '-', '+');
  return entries.flatMap(([, fields]) => {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    const id = f.get('jobId') ?? '';
    return id.startsWith(`${jobId}-`) ? [[id, f.get('event') ?? ''] as [string, string]] : [];
  });
}

async function videoFrameHashes(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

/** ffprobe's streams and format, with the pictures counted by decoding them. */
async function probeCounted(file: string): Promise<FfprobeJson> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-print_format', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(stdout) as FfprobeJson;
}

async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return stderr;
}

const FRAGMENTS = ['split/a.mp4', 'split/b.mp4', 'split/c.mp4'];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'split-e2e-'));
  mkdirSync(path.join(work, 'data'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const m = /<JobId>([^<]+)<\/JobId>/.exec(body);
      callbacks.push({ jobId: m?.[1] ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/done`;
  // The worker build: what `npm run build` makes, into a directory of this run.
  const build = run(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD],
    {
      cwd: ROOT,
    },
  ).then(() => cpSync(path.join(ROOT, 'src/store/scripts'), path.join(BUILD, 'src/store/scripts'), { recursive: true }));
  engine = await startTestEngine({ env: SPLIT_ENV });
  reference = await startTestEngine({ worker: true, env: { ...SPLIT_ENV, SPLIT: 'off' } });
  cos = cosClient(engine.api.url);
  refCos = cosClient(reference.api.url);
  s3 = createS3({
    endpoint: engine.endpoints.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  chunkQueue = new Queue(SPLIT_QUEUE, { connection: engine.redis, prefix: bullPrefix(engine.config.redis.keyPrefix) });
  await Promise.all([
    build,
    ...FRAGMENTS.map((key, i) =>
      makeClip(path.join(work, path.basename(key)), {
        width: 640,
        height: 360,
        fps: 25,
        durationSec: 3,
        audio: true,
        frequency: 440 + 110 * i,
      }).then((f) => put(key, f)),
    ),
  ]);
  startWorkerProcess();
  startWorkerProcess();
  await until(
    'two chunk workers',
    () => chunkQueue.getWorkers(),
    (w) => w.filter((x) => x.rawname?.endsWith(':w:chunks')).length === 2,
  );
}, 300_000);

afterAll(async () => {
  const running = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  await Promise.all(
    running.map(
      (w) =>
        new Promise((r) => {
          w.child.once('exit', r);
          w.child.kill('SIGTERM');
        }),
    ),
  );
  // Any may be unset when beforeAll failed part way; the temporary directories still go.
  await (chunkQueue as Queue | undefined)?.close();
  await (engine as TestEngine | undefined)?.close();
  await (reference as TestEngine | undefined)?.close();
  (s3 as S3Client | undefined)?.destroy();
  (receiver as Server | undefined)?.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(BUILD, { recursive: true, force: true });
});

let splitOutput = '';

describe('a long encode split over two worker processes', () => {
  it('gives the output of the same job in one pass: frame count, streams, duration within a frame, no decode error; one job, one callback', async () => {
    const jobId = await submit(cos, jobXml(FRAGMENTS, 'split/out-${jobid}.${ext}', receiverUrl));
    const refId = await submit(refCos, jobXml(FRAGMENTS, 'split/ref-${jobid}.${ext}'));
    const [{ d, progress }, ref] = await Promise.all([finished(cos, jobId), finished(refCos, refId)]);
    expect(d.State, d.Message).toBe('Success');
    expect(ref.d.State, ref.d.Message).toBe('Success');

    // It was split: every chunk and the audio ran as a child and completed.
    const events = await childEvents(jobId);
    const completed = events.filter(([, e]) => e === 'completed').map(([id]) => id);
    const chunks = splitChunks(jobId);
    expect(chunks).toBeGreaterThanOrEqual(4);
    const ids = Array.from({ length: chunks }, (_, k) => `${jobId}-g1-chunk-${String(k).padStart(4, '0')}`);
    expect(completed.sort()).toEqual([...ids, `${jobId}-g1-audio`].sort());
    expect(workers.some((w) => logged(w, jobId, 'split: chunks stitched and verified'))).toBe(true);

    splitOutput = await getToFile(`split/out-${jobId}.mp4`);
    const refOutput = await getToFile(`split/ref-${refId}.mp4`);
    const [p, r] = await Promise.all([probeCounted(splitOutput), probeCounted(refOutput)]);
    const shape = (probe: typeof p): unknown[] =>
      (probe.streams ?? []).map((s) => [s.codec_type, s.codec_name, s.width, s.height, s.avg_frame_rate, s.sample_rate, s.channels]);
    expect(shape(p)).toEqual(shape(r));
    const frames = (probe: typeof p): number =>
      Number((probe.streams?.find((s) => s.codec_type === 'video') as { nb_read_frames?: string } | undefined)?.nb_read_frames);
    expect(frames(p)).toBe(225);
    expect(frames(p)).toBe(frames(r));
    expect(Math.abs(Number(p.format?.duration) - Number(r.format?.duration))).toBeLessThanOrEqual(1 / 25);
    expect(await decodeErrors(splitOutput)).toBe('');

    // The API shows one job, as a one-pass job: its result, a progress that never goes back and moves
    // between the fetch and the stitch, and the job alone in the list (its children are no jobs).
    expect(d.Operation.MediaResult.OutputFile.ObjectName).toBe(`split/out-${jobId}.mp4`);
    expect(Number(d.Operation.MediaInfo.Format.Duration)).toBeCloseTo(Number(p.format?.duration), 3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.some((x) => x > 5 && x < 85)).toBe(true);
    const list = (await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat', size: '50' } })).body.Response;
    const listed = ([] as any[]).concat(list.JobsDetail ?? []).map((j) => j.JobId);
    expect(listed).toEqual([jobId]);
    await until(
      'the callback',
      () => callbacks.filter((c) => c.jobId === jobId).length,
      (n) => n >= 1,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(callbacks.filter((c) => c.jobId === jobId)).toHaveLength(1);

    // Nothing of the job is left in the store's temporary prefix or the chunk queue.
    expect(await tempObjects(jobId)).toEqual([]);
    const left = await Promise.all(completed.map((id) => chunkQueue.getJob(id)));
    expect(left.filter((j) => j !== undefined)).toEqual([]);
  });

  it('a chunk that fails for good fails the job with a Message naming it, and leaves no temporary object', async () => {
    // The chunk workers take nothing until the job has planned and added its children; then a fragment
    // they must fetch is gone from the store.
    await chunkQueue.pause();
    await put('split/gone.mp4', path.join(work, 'b.mp4'));
    const jobId = await submit(cos, jobXml(['split/a.mp4', 'split/gone.mp4', 'split/c.mp4'], 'split/fail-${jobid}.${ext}'));
    // The job logs its split once its children are in the queue.
    await until(
      'the children',
      () => splitChunks(jobId),
      (n) => n > 0,
    );
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'split/gone.mp4' }));
    await chunkQueue.resume();
    const { d } = await finished(cos, jobId);
    expect(d.State).toBe('Failed');
    expect(d.Code).toBe('ResourceNotFound');
    expect(d.Message).toMatch(
      /^(video chunk \d+ of \d+ \(output \d+\.\d{3} s to \d+\.\d{3} s\)|the audio track) failed after 3 tries: .*split\/gone\.mp4 does not exist/,
    );
    // Chunks that needed only the other fragments were written to the temporary prefix; they are gone.
    const events = await childEvents(jobId);
    expect(events.some(([id, e]) => id.includes('-chunk-0000') && e === 'completed')).toBe(true);
    expect(await tempObjects(jobId)).toEqual([]);
  });

  it("keeps the job's place in its queue: with MaxConcurrent 1 the next job waits Submitted while the split job's chunks run", async () => {
    const queueId = (await ciRequest(cos, { Method: 'GET', Key: 'queue' })).body.Response.QueueList.QueueId as string;
    const putQueue = (max: number) =>
      ciRequest(cos, {
        Method: 'PUT',
        Key: `queue/${queueId}`,
        Body: `<Request><Name>queue-1</Name><State>Active</State><MaxConcurrent>${max}</MaxConcurrent></Request>`,
      });
    expect((await putQueue(1)).statusCode).toBe(200);
    try {
      const first = await submit(cos, jobXml(FRAGMENTS, 'split/first-${jobid}.${ext}'));
      const next = await submit(cos, jobXml(['split/a.mp4'], 'split/next-${jobid}.${ext}'));
      await until(
        'the split',
        () => splitChunks(first),
        (n) => n > 0,
      );
      const seen = new Set<string>();
      for (;;) {
        const a = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${first}` })).body.Response.JobsDetail;
        const b = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${next}` })).body.Response.JobsDetail;
        if (a.State !== 'Running') break;
        seen.add(b.State as string);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect([...seen]).toEqual(['Submitted']);
      const [a, b] = await Promise.all([finished(cos, first), finished(cos, next)]);
      expect([a.d.State, b.d.State]).toEqual(['Success', 'Success']);
      expect(new Date(b.d.StartTime as string).getTime()).toBeGreaterThanOrEqual(new Date(a.d.EndTime as string).getTime());
    } finally {
      await putQueue(10);
    }
  });

  it('a chunk worker killed with SIGKILL mid-chunk: the chunk runs again on the other worker and the output is the same', async () => {
    const jobId = await submit(cos, jobXml(FRAGMENTS, 'split/kill-${jobid}.${ext}'));
    // The process that holds the job stays; the other one is killed while its ffmpeg encodes a chunk.
    const holder = await until(
      'the job to start',
      () => workers.find((w) => logged(w, jobId, 'job started')),
      (w) => w !== undefined,
    );
    const victim = workers.find((w) => w !== holder)!;
    const pid = victim.child.pid!;
    await until(
      'a chunk encode in the other worker',
      async () => (await run('ps', ['-o', 'comm=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }))).stdout,
      (out) => out.includes('ffmpeg') && !logged(victim, jobId, 'job started'),
      60_000,
      20,
    );
    victim.child.kill('SIGKILL');
    const { d } = await finished(cos, jobId);
    expect(d.State, d.Message).toBe('Success');
    // The killed worker's chunk stalled and was taken again.
    const events = await childEvents(jobId);
    expect(events.filter(([, e]) => e === 'stalled').length).toBeGreaterThanOrEqual(1);
    expect(events.filter(([, e]) => e === 'failed')).toEqual([]);
    const output = await getToFile(`split/kill-${jobId}.mp4`);
    expect(await decodeErrors(output)).toBe('');
    expect(await videoFrameHashes(output)).toEqual(await videoFrameHashes(splitOutput));
    expect(await tempObjects(jobId)).toEqual([]);
  });
});

// `npm run bench media`: the media pipeline, as ratios measured in one run on the same inputs.
//  1. engine end to end (submit -> Success, output in storage) over bare ffmpeg running the same encode
//     (the same planned argument list on local files): target <= 1.15;
//  2. a DirectConcat job over the same job re-encoded: target <= 0.05;
//  3. the worker process's peak memory (VmHWM) while it processes an input of at least 1 GB: <= 300 MB;
//  4. the copy paths (copy-bench.ts): auto path and smart-cut over full encode, A/V sync at every join.
// The API and the worker run as their own processes (`npm run api`, `npm run worker`), as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startRedisServer } from '../src/embedded/redis-server.js';
import { startS3Server } from '../src/embedded/s3-server.js';
import { createS3 } from '../src/storage/s3.js';
import { probeFile } from '../src/media/ffmpeg.js';
import { normalizeProbe } from '../src/media/probe.js';
import { planConcat } from '../src/media/plan.js';
import { buildConcatArgs } from '../src/media/args.js';
import type { ConcatTemplate } from '../src/domain/concat-types.js';
import { benchJoinSync, benchTrimmed, benchUntrimmed, formatRow, type BenchRow } from './copy-bench.js';

const run = promisify(execFile);
const BUCKET = 'bench-1250000000';
/** Length of each input clip (BENCH_CLIP_SEC): long enough that fixed per-job costs do not dominate. */
const CLIP_SEC = Number(process.env.BENCH_CLIP_SEC ?? 20);
const HOST = `${BUCKET}.ci.ap-guangzhou.myqcloud.com`;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function request(port: number, method: string, urlPath: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, headers: { host: HOST, 'content-type': 'application/xml' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/healthz' }, (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          })
          .on('error', reject);
      });
      if (res === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('API did not become healthy');
}

/** Submits a job and polls until it ends; returns the seconds from submit to Success. */
async function timeJob(port: number, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(port, 'POST', '/jobs', body);
  const jobId = /<JobId>([^<]+)<\/JobId>/.exec(res.text)?.[1];
  if (res.status !== 200 || !jobId) throw new Error(`submit failed: ${res.status} ${res.text}`);
  for (;;) {
    const d = await request(port, 'GET', `/jobs/${jobId}`);
    const state = /<State>([^<]+)<\/State>/.exec(d.text)?.[1];
    if (state === 'Success') return (performance.now() - t0) / 1000;
    if (state === 'Failed') throw new Error(`job failed: ${d.text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function jobXml(fragments: string[], opts: { direct?: boolean; video?: string } = {}): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>${fragments.map((f) => `<ConcatFragment><Url>${f}</Url></ConcatFragment>`).join('')}
${opts.video ?? ''}<Container><Format>mp4</Format></Container>${opts.direct ? '<DirectConcat>true</DirectConcat>' : ''}</ConcatTemplate>
<Output><Region>ap-guangzhou</Region><Bucket>${BUCKET}</Bucket><Object>bench/\${jobid}.\${ext}</Object></Output></Operation><CallBack>no</CallBack></Request>`;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function uploadLarge(s3: S3Client, key: string, file: string): Promise<void> {
  await new Upload({
    client: s3,
    params: { Bucket: BUCKET, Key: key, Body: createReadStream(file) },
    partSize: 16 * 1024 * 1024,
    queueSize: 2,
  }).done();
}

export async function runMediaBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-media-bench-'));
  const redis = await startRedisServer({ port: 17379 + Math.floor(Math.random() * 1000), dir: path.join(dir, 'redis') });
  const store = await startS3Server({
    port: 18000 + Math.floor(Math.random() * 1000),
    dir: path.join(dir, 's3'),
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  const s3 = createS3({
    endpoint: store.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  const port = 19000 + Math.floor(Math.random() * 1000);
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    S3_ENDPOINT: store.endpoint,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: '1',
    // Rows 1 and 2 time the encode path: these clips match, so a worker allowed to copy would copy them.
    // (The copy paths are timed in process, copy-bench.ts.)
    AUTO_COPY: 'false',
  };
  const children: ChildProcess[] = [];
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // Inputs: three 1280x720 30 fps clips with audio, as a camera or editor would hand them over.
    const clips = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.mp4`));
    for (const [i, clip] of clips.entries()) {
      await run('ffmpeg', [
        '-hide_banner',
        '-nostdin',
        '-y',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=1280x720:rate=30:duration=${CLIP_SEC}`,
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=${300 + i * 100}:sample_rate=48000:duration=${CLIP_SEC}`,
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-ac',
        '2',
        clip,
      ]);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `in/${path.basename(clip)}`, Body: readFileSync(clip) }));
    }

    children.push(spawn('node', [path.join(root, 'dist/src/api-main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    const worker = spawn('node', [path.join(root, 'dist/workers/concat-worker.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(worker);
    await waitHealthy(port);

    const keys = clips.map((c) => `in/${path.basename(c)}`);
    const video = '<Video><Codec>H.264</Codec><Width>1280</Width><Height>720</Height></Video>';
    // Warm-up (first ffmpeg start, connections).
    await timeJob(port, jobXml([keys[0]!], { direct: true }));

    // The same encode, bare: the engine's own plan for these files, run by ffmpeg directly.
    const template: ConcatTemplate = {
      fragments: keys.map((k) => ({ url: k })),
      video: { codec: 'H.264', width: 1280, height: 720, remove: false },
      container: { format: 'mp4' },
      audioMixArray: [],
      directConcat: false,
    };
    const sources = await Promise.all(clips.map(async (c) => ({ path: c, label: c, probe: normalizeProbe(await probeFile(c)) })));
    const plan = planConcat({ sources, template, bgm: [], outputPath: path.join(dir, 'bare-out.mp4'), workDir: dir });
    const bareArgs = buildConcatArgs(plan);

    const timeBare = async (): Promise<number> => {
      const t0 = performance.now();
      await run('ffmpeg', bareArgs, { maxBuffer: 64 * 1024 * 1024 });
      return (performance.now() - t0) / 1000;
    };
    // Alternate to spread machine noise over both.
    const engineTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let i = 0; i < 2; i++) {
      bareTimes.push(await timeBare());
      engineTimes.push(await timeJob(port, jobXml(keys, { video })));
    }
    const directTimes: number[] = [];
    for (let i = 0; i < 3; i++) directTimes.push(await timeJob(port, jobXml(keys, { direct: true })));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const engineSec = sum(engineTimes) / engineTimes.length;
    const bareSec = sum(bareTimes) / bareTimes.length;
    const directSec = sum(directTimes) / directTimes.length;

    // The copy paths, in process; (a)'s full encode is the bare run above (same fragments, same encode).
    const copyRows: BenchRow[] = [await benchUntrimmed(clips, dir, bareSec), ...(await benchTrimmed(dir)), ...(await benchJoinSync(dir))];

    // Peak memory: a DirectConcat job over an input of more than 1 GB (incompressible noise, lossless).
    const chunk = path.join(dir, 'chunk.mp4');
    await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30,noise=alls=60:allf=t',
      '-frames:v',
      '150',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-qp',
      '0',
      chunk,
    ]);
    const loops = Math.max(1, Math.ceil((1.05 * 1024 ** 3) / statSync(chunk).size) - 1);
    const big = path.join(dir, 'big.mp4');
    await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-stream_loop',
      String(loops),
      '-i',
      chunk,
      '-c',
      'copy',
      big,
    ]);
    const bigBytes = statSync(big).size;
    await uploadLarge(s3, 'in/big.mp4', big);
    rmSync(big);
    rmSync(chunk);
    const beforeMb = peakRssMb(worker.pid!);
    const bigSec = await timeJob(port, jobXml(['in/big.mp4'], { direct: true }));
    const peakMb = peakRssMb(worker.pid!);

    console.log(`\nMedia: measured in one run on the same inputs (3 x ${CLIP_SEC} s 1280x720 30 fps clips)`);
    console.log(`  bare ffmpeg, same encode:           ${bareTimes.map((t) => t.toFixed(2)).join(' s, ')} s`);
    console.log(`  engine, submit -> Success:          ${engineTimes.map((t) => t.toFixed(2)).join(' s, ')} s`);
    console.log(`  engine DirectConcat, same inputs:   ${directTimes.map((t) => t.toFixed(2)).join(' s, ')} s`);
    const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
    console.log(
      `  ratio engine / bare ffmpeg:         ${(engineSec / bareSec).toFixed(3)} (target <= 1.15) ${verdict(engineSec / bareSec <= 1.15)}`,
    );
    console.log(
      `  ratio DirectConcat / re-encode:     ${(directSec / engineSec).toFixed(3)} (target <= 0.05) ${verdict(directSec / engineSec <= 0.05)}`,
    );
    console.log(
      `  worker peak RSS, ${(bigBytes / 1024 ** 3).toFixed(2)} GB input (DirectConcat, ${bigSec.toFixed(1)} s): ${peakMb.toFixed(0)} MB (before the job: ${beforeMb.toFixed(0)} MB; target <= 300 MB) ${verdict(peakMb <= 300)}`,
    );
    console.log('Copy paths (planner + runner in process, same machine, same run):');
    for (const row of copyRows) console.log(formatRow(row));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    s3.destroy();
    await store.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

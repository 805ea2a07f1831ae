// `npm run bench split`: one long encode on one worker process against the same job split over two,
// measured in one run. The API runs as its own process; each worker process (`npm run worker`) is
// pinned to a core of its own with `taskset -c` and encodes with one x264 thread (SPLIT_THREADS=1), so
// the figure is what a second machine adds, not what a second core of one machine adds. With one worker
// the job runs in one pass (a split needs two chunk workers); with two it is split into chunks of
// SPLIT_CHUNK_SECONDS. Rows: the speed-up of a job of at least 60 s of output (target >= 1.8, with the
// same frame count), and the same over shorter outputs, which shows where splitting starts to pay
// (the break-even behind SPLIT_MIN_SECONDS' default), and the CPU time each worker process spent.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { startRedisServer } from '../src/embedded/redis-server.js';
import { startS3Server } from '../src/embedded/s3-server.js';
import { bullPrefix } from '../src/queue/media-queues.js';
import { CHUNK_WORKER_NAME, SPLIT_QUEUE } from '../src/queue/split-queue.js';
import { createRedis } from '../src/store/redis.js';
import { createS3 } from '../src/storage/s3.js';
import { formatRow, type BenchRow } from './copy-bench.js';

const run = promisify(execFile);
const BUCKET = 'bench-1250000000';
const HOST = `${BUCKET}.ci.ap-guangzhou.myqcloud.com`;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The long job's fragment length (BENCH_SPLIT_CLIP_SEC): three of them make the output. */
const CLIP_SEC = Number(process.env.BENCH_SPLIT_CLIP_SEC ?? 20);
/** SPLIT_CHUNK_SECONDS of the workers (BENCH_SPLIT_CHUNK_SEC): the deployment default unless given. */
const CHUNK_SEC = Number(process.env.BENCH_SPLIT_CHUNK_SEC ?? 30);
const KEY_PREFIX = 'bench';
/** sysconf(_SC_CLK_TCK): 100 on Linux. */
const CLOCK_TICKS = 100;
const ROUNDS = Number(process.env.BENCH_SPLIT_ROUNDS ?? 2);

/** CPU seconds a process and its waited-for children (its ffmpeg runs) have used: /proc/<pid>/stat utime..cstime. */
function cpuSec(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based, man proc).
  const ticks = [11, 12, 13, 14].reduce((sum, k) => sum + Number(fields[k]), 0);
  return ticks / CLOCK_TICKS;
}

const secsOf = (runs: { sec: number }[]): string => `${runs.map((r) => r.sec.toFixed(2)).join(' s, ')} s`;

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
  for (let i = 0; i < 300; i++) {
    const status = await request(port, 'GET', '/healthz').then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('API did not become healthy');
}

function jobXml(fragments: string[]): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>${fragments.map((f) => `<ConcatFragment><Url>${f}</Url></ConcatFragment>`).join('')}
<Video><Codec>H.264</Codec><Crf>26</Crf></Video><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>ap-guangzhou</Region><Bucket>${BUCKET}</Bucket><Object>bench/split-\${jobid}.\${ext}</Object></Output></Operation><CallBack>no</CallBack></Request>`;
}

/** Submits a job and polls until it ends; returns the seconds from submit to Success and the output key. */
async function timeJob(port: number, body: string): Promise<{ sec: number; key: string }> {
  const t0 = performance.now();
  const res = await request(port, 'POST', '/jobs', body);
  const jobId = /<JobId>([^<]+)<\/JobId>/.exec(res.text)?.[1];
  if (res.status !== 200 || !jobId) throw new Error(`submit failed: ${res.status} ${res.text}`);
  for (;;) {
    const d = await request(port, 'GET', `/jobs/${jobId}`);
    const state = /<State>([^<]+)<\/State>/.exec(d.text)?.[1];
    if (state === 'Success') return { sec: (performance.now() - t0) / 1000, key: `bench/split-${jobId}.mp4` };
    if (state === 'Failed') throw new Error(`job failed: ${d.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runSplitBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-split-bench-'));
  const redis = await startRedisServer({ port: 20379 + Math.floor(Math.random() * 1000), dir: path.join(dir, 'redis') });
  const store = await startS3Server({
    port: 21000 + Math.floor(Math.random() * 1000),
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
  const connection = createRedis(redis.url, 'bench', 'worker');
  const chunkQueue = new Queue(SPLIT_QUEUE, { connection, prefix: bullPrefix(KEY_PREFIX) });
  const port = 22000 + Math.floor(Math.random() * 1000);
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: KEY_PREFIX,
    S3_ENDPOINT: store.endpoint,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    WORKER_CONCURRENCY: '1',
    SPLIT: 'on',
    SPLIT_MIN_SECONDS: '1',
    SPLIT_CHUNK_SECONDS: String(CHUNK_SEC),
    SPLIT_THREADS: '1',
  };
  const children: ChildProcess[] = [];
  const chunkWorkers = async (expected: number): Promise<void> => {
    for (let i = 0; ; i++) {
      const n = (await chunkQueue.getWorkers()).filter((x) => x.rawname?.endsWith(`:w:${CHUNK_WORKER_NAME}`)).length;
      if (n === expected) return;
      if (i > 600) throw new Error(`the chunk workers did not become ${expected}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const startWorker = async (core: number, expected: number): Promise<ChildProcess> => {
    const w = spawn('taskset', ['-c', String(core), 'node', path.join(root, 'dist/workers/concat-worker.js')], {
      env,
      stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
    });
    children.push(w);
    await chunkWorkers(expected);
    return w;
  };
  const frames = async (key: string): Promise<number> => {
    const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const file = path.join(dir, path.basename(key));
    writeFileSync(file, Buffer.from(await res.Body!.transformToByteArray()));
    const n = await packetsOf(file);
    rmSync(file);
    return n;
  };
  const packetsOf = async (file: string): Promise<number> => {
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-count_packets',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_packets',
      '-of',
      'csv=p=0',
      file,
    ]);
    return Number(stdout.trim());
  };
  try {
    const loadBefore = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // One 1280x720 25 fps fragment with sound (as a camera or editor hands it over), used three times: the
    // output is 3 x CLIP_SEC.
    const clip = path.join(dir, 'part.mp4');
    await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1280x720:rate=25:duration=${CLIP_SEC}`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:sample_rate=48000:duration=${CLIP_SEC}`,
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
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/part.mp4', Body: readFileSync(clip) }));
    const long = jobXml(['in/part.mp4', 'in/part.mp4', 'in/part.mp4']);
    // Shorter outputs for the break-even: a quarter of a fragment, half of one, one.
    const trimmed = (sec: number): string => jobXml(['in/part.mp4']).replace('</Url>', `</Url><EndTime>${sec}</EndTime>`);
    const shorter = [
      { label: `${CLIP_SEC / 4} s`, xml: trimmed(CLIP_SEC / 4) },
      { label: `${CLIP_SEC / 2} s`, xml: trimmed(CLIP_SEC / 2) },
      { label: `${CLIP_SEC} s`, xml: jobXml(['in/part.mp4']) },
    ];

    children.push(spawn('node', [path.join(root, 'dist/src/api-main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    await waitHealthy(port);
    const first = await startWorker(0, 1);
    // Warm-up (first ffmpeg start, connections).
    await timeJob(port, shorter[0]!.xml);
    // Rounds alternate one worker and two (the second started and stopped each time), so that a burst of
    // other work on the machine does not fall on one side only; each side keeps its fastest round.
    const oneRuns: { sec: number; key: string }[] = [];
    const twoRuns: { sec: number; key: string }[] = [];
    const oneShort = shorter.map(() => Infinity);
    const twoShort = shorter.map(() => Infinity);
    // CPU seconds each worker process (with the ffmpeg it ran) spent on the long job, fastest round's.
    let oneCpu = Infinity;
    let twoCpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const cpu0 = cpuSec(first.pid!);
      oneRuns.push(await timeJob(port, long));
      if (oneRuns.at(-1)!.sec === Math.min(...oneRuns.map((r) => r.sec))) oneCpu = cpuSec(first.pid!) - cpu0;
      for (const [i, sh] of shorter.entries()) oneShort[i] = Math.min(oneShort[i]!, (await timeJob(port, sh.xml)).sec);
      const second = await startWorker(1, 2);
      const before = [cpuSec(first.pid!), cpuSec(second.pid!)];
      twoRuns.push(await timeJob(port, long));
      if (twoRuns.at(-1)!.sec === Math.min(...twoRuns.map((r) => r.sec)))
        twoCpu = [cpuSec(first.pid!), cpuSec(second.pid!)].map((c, k) => c - before[k]!);
      for (const [i, sh] of shorter.entries()) twoShort[i] = Math.min(twoShort[i]!, (await timeJob(port, sh.xml)).sec);
      second.kill('SIGTERM');
      await chunkWorkers(1);
    }
    const fastest = (runs: { sec: number; key: string }[]): { sec: number; key: string } => runs.reduce((a, b) => (b.sec < a.sec ? b : a));
    const [one, two] = [fastest(oneRuns), fastest(twoRuns)];
    const [oneFrames, twoFrames] = [await frames(one.key), await frames(two.key)];
    // The fragments' own pictures: what both outputs should hold.
    const sourceFrames = 3 * (await packetsOf(clip));

    const speedup = one.sec / two.sec;
    const rows: BenchRow[] = [
      {
        label: `split: ${3 * CLIP_SEC} s of 1280x720 output, 1 worker over 2 (one core each, x264 threads 1)`,
        value: speedup.toFixed(2),
        target: '>= 1.8, same frames',
        pass: speedup >= 1.8 && oneFrames === twoFrames,
        detail: `1 worker ${secsOf(oneRuns)} (one pass), 2 workers ${secsOf(twoRuns)} (chunks of ${CHUNK_SEC} s; fastest of each kept); frames ${oneFrames} / ${twoFrames} (the fragments hold ${sourceFrames})`,
      },
    ];
    console.log('\nSplit encode: one worker process against two, each pinned to one core, in one run');
    // Both figures are wall times: other processes on these cores slow the two-worker run more (it needs both).
    console.log(
      `  load average before / after: ${loadBefore} / ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    for (const row of rows) console.log(formatRow(row));
    // What the wall times cannot show on a busy machine: the work itself. The busier worker's CPU time is the
    // split's critical path on idle cores; the sum against the one pass is what splitting costs in all.
    const busiest = Math.max(...twoCpu);
    const sumTwo = twoCpu.reduce((a, b) => a + b, 0);
    console.log(
      `  CPU: one pass ${oneCpu.toFixed(2)} s; split ${twoCpu.map((c) => c.toFixed(2)).join(' s + ')} s (${((sumTwo / oneCpu - 1) * 100).toFixed(0)}% more in all); one pass over the busier worker: ${(oneCpu / busiest).toFixed(2)}`,
    );
    console.log(
      `  break-even (no target: where splitting starts to pay, SPLIT_MIN_SECONDS; an output of less than two chunks of ${CHUNK_SEC} s runs in one pass):`,
    );
    shorter.forEach((s, i) => {
      const a = oneShort[i]!;
      const b = twoShort[i]!;
      console.log(
        `    ${s.label.padStart(5)} of output: 1 worker ${a.toFixed(2)} s, 2 workers ${b.toFixed(2)} s, speed-up ${(a / b).toFixed(2)}`,
      );
    });
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await chunkQueue.close();
    connection.disconnect();
    s3.destroy();
    await store.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

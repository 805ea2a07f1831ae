// `npm run bench metrics`: how long GET /metrics takes with 10,000 jobs in Redis (target: p99 < 100 ms).
// The jobs are submitted as the API submits them (record, queue index, BullMQ entry) into the default queue
// and spread over the states a busy engine holds; queue depth is read at each scrape, so the scrape time is
// what grows with them. The API runs in a child process (api-server.ts), scraped over HTTP with no other load.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/embedded/redis-server.js';
import { startS3Server } from '../src/embedded/s3-server.js';
import { newId } from '../src/domain/ids.js';
import type { JobState } from '../src/domain/job.js';
import { MediaQueues } from '../src/queue/media-queues.js';
import { submitJob } from '../src/queue/submit-job.js';
import { JobStore } from '../src/store/job-store.js';
import { QueueStore } from '../src/store/queue-store.js';
import { parseConcatJobRequest } from '../src/wire/concat-request.js';
import { parseRequestXml } from '../src/wire/xml.js';

const JOBS = Number(process.env.BENCH_METRICS_JOBS ?? 10_000);
const SCRAPES = 200;
const TARGET_MS = 100;
const PREFIX = 'benchengine';
const BUCKET = 'test-123456789';
const BODY = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>http://${BUCKET}.cos.ap-chongqing.myqcloud.com/start.mp4</Url></ConcatFragment>
<ConcatFragment><Url>http://${BUCKET}.cos.ap-chongqing.myqcloud.com/end.mp4</Url></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>ap-chongqing</Region><Bucket>${BUCKET}</Bucket><Object>output/out.\${ext}</Object></Output></Operation></Request>`;

/** Of every 10 jobs: 2 waiting, 1 running, 5 succeeded, 1 failed, 1 canceled. */
const STATE_OF: JobState[] = [
  'Submitted',
  'Submitted',
  'Running',
  'Success',
  'Success',
  'Success',
  'Success',
  'Success',
  'Failed',
  'Cancel',
];

function startEngineApi(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = fork(path.join(here, 'api-server.js'), ['engine'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`engine server exited with ${code}`)));
  });
}

function scrape(agent: http.Agent, port: number): Promise<{ ms: number; text: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ agent, host: '127.0.0.1', port, method: 'GET', path: '/metrics' }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET /metrics answered ${res.statusCode}`));
        else resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function seed(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: null });
  const jobs = new JobStore(redis, PREFIX);
  const queues = new QueueStore(redis, PREFIX);
  const mediaQueues = new MediaQueues(redis, PREFIX);
  const queue = await queues.ensureDefault();
  // Room for every job: the default MaxSize would refuse the waiting ones past it.
  await queues.put({ ...queue, maxSize: JOBS * 2 });
  const request = parseConcatJobRequest(parseRequestXml(BODY));
  const base = Date.now() - 86_400_000;
  for (let i = 0; i < JOBS; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, JOBS - i) }, async (_, k) => {
        const n = i + k;
        const ms = base + n * 100;
        const doc = {
          jobId: newId('job', ms),
          tag: 'Concat' as const,
          bucket: BUCKET,
          region: 'ap-chongqing',
          queueId: queue.queueId,
          creationMs: ms,
          request,
        };
        const outcome = await submitJob({ jobs, queues, mediaQueues }, doc);
        if (!outcome.ok) throw new Error(`seeding ${doc.jobId}: ${outcome.reason}`);
        const state = STATE_OF[n % STATE_OF.length]!;
        if (state === 'Submitted') return;
        if (state !== 'Running') await jobs.transition(doc.jobId, ['Submitted'], 'Running');
        await jobs.transition(doc.jobId, ['Submitted', 'Running'], state);
      }),
    );
  }
  await mediaQueues.close();
  redis.disconnect();
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}

export async function runMetricsBench(): Promise<{ p99Ms: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-bench-metrics-'));
  const redis = await startRedisServer({ port: 17379 + Math.floor(Math.random() * 1000), dir: path.join(dir, 'redis') });
  const s3 = await startS3Server({
    port: 16000 + Math.floor(Math.random() * 1000),
    dir: path.join(dir, 's3'),
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  let server: { child: ChildProcess; port: number } | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await seed(redis.url);
    const probe = new Redis(redis.url);
    const keys = await probe.dbsize();
    probe.disconnect();
    server = await startEngineApi({ BENCH_REDIS_URL: redis.url, BENCH_S3_ENDPOINT: s3.endpoint });
    const { port } = server;
    // Warm-up: the first scrapes compile the paths and open the connection.
    for (let i = 0; i < 20; i++) await scrape(agent, port);
    const times: number[] = [];
    let last = '';
    for (let i = 0; i < SCRAPES; i++) {
      const r = await scrape(agent, port);
      times.push(r.ms);
      last = r.text;
    }
    const depth = last
      .split('\n')
      .filter((l) => l.startsWith('ci_queue_jobs{'))
      .map((l) => l.replace(/^ci_queue_jobs\{queue="[^"]*",/, '{'))
      .join(' ');
    const p50 = percentile(times, 0.5);
    const p99 = percentile(times, 0.99);
    const max = Math.max(...times);
    console.log(`\nMetrics: GET /metrics with ${JOBS} jobs in Redis (${keys} keys), ${SCRAPES} scrapes one after another`);
    console.log(`  ci_queue_jobs read at the scrape: ${depth}`);
    console.log(
      `  p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms (target p99 < ${TARGET_MS} ms) ${p99 < TARGET_MS ? 'PASS' : 'FAIL'}`,
    );
    return { p99Ms: p99 };
  } finally {
    agent.destroy();
    server?.child.kill();
    await s3.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

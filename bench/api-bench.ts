// `npm run bench` (API section): POST /jobs throughput and p99 latency at 50 concurrent clients, for
// this engine and for the bare baseline, measured in one run, alternating rounds to spread noise.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../src/embedded/redis-server.js';
import { startS3Server } from '../src/embedded/s3-server.js';
import { JobStore } from '../src/store/job-store.js';
import { QueueStore } from '../src/store/queue-store.js';
import { newId } from '../src/domain/ids.js';
import type { JobDoc } from '../src/domain/job.js';
import { parseRequestXml } from '../src/wire/xml.js';
import { parseConcatJobRequest } from '../src/wire/concat-request.js';

const CLIENTS = 50;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const HOST = 'test-123456789.ci.ap-chongqing.myqcloud.com';
const BODY = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>http://test-123456789.cos.ap-chongqing.myqcloud.com/start.mp4</Url><FragmentIndex>0</FragmentIndex><StartTime>0</StartTime><EndTime>6</EndTime></ConcatFragment>
<ConcatFragment><Url>http://test-123456789.cos.ap-chongqing.myqcloud.com/middle.mp4</Url><FragmentIndex>1</FragmentIndex></ConcatFragment>
<ConcatFragment><Url>http://test-123456789.cos.ap-chongqing.myqcloud.com/end.mp4</Url><FragmentIndex>2</FragmentIndex><StartTime>5</StartTime><EndTime>10</EndTime></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>ap-chongqing</Region><Bucket>test-123456789</Bucket><Object>output/out.\${ext}</Object></Output>
<UserData>This is my data.</UserData><JobLevel>0</JobLevel></Operation>
<CallBack>http://callback.demo.com</CallBack><CallBackFormat>JSON</CallBackFormat></Request>`;

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
}

function startServer(mode: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Below warn the engine logs every request: its lines are written, to /dev/null, not into the report.
  const quiet = (process.env.BENCH_LOG_LEVEL ?? 'warn') !== 'warn';
  const child = fork(path.join(here, 'api-server.js'), [mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

async function load(port: number, ms: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + ms;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/jobs',
          headers: { host: HOST, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(BODY) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(BODY);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  agent.destroy();
  return { requests: latencies.length, errors, seconds: (Date.now() - started) / 1000, latencies };
}

function call(port: number, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers: { host: HOST, 'content-type': 'application/xml' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A round submits more jobs than the default MaxSize (10000) allows waiting; nothing runs them here. */
async function raiseMaxSize(port: number): Promise<void> {
  const queueId = /<QueueId>([^<]+)<\/QueueId>/.exec(await call(port, 'GET', '/queue'))?.[1];
  await call(port, 'PUT', `/queue/${queueId}`, '<Request><Name>queue-1</Name><State>Active</State><MaxSize>1000000</MaxSize></Request>');
}

/** GET /jobs latencies once the engine's bucket holds 100,000 jobs: list queries read indexes, never scan. */
async function listAt100k(redisUrl: string, port: number): Promise<void> {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true });
  const store = new JobStore(redis, 'benchengine');
  const queueId = /<QueueId>([^<]+)<\/QueueId>/.exec(await call(port, 'GET', '/queue'))?.[1];
  if (queueId === undefined) throw new Error('GET /queue named no queue');
  const queueRecordKey = new QueueStore(redis, 'benchengine').recordKey(queueId);
  // Records as the API writes them (its queue's MaxSize was raised), one in ten moved on to Success.
  const seed = async (doc: JobDoc, success: boolean): Promise<void> => {
    const outcome = await store.submit(doc, queueRecordKey);
    if (!outcome.ok) throw new Error(`seeding ${doc.jobId}: ${outcome.reason}`);
    if (success) await store.transition(doc.jobId, ['Submitted'], 'Success');
  };
  const bucket = HOST.split('.')[0]!;
  const existing = await redis.zcard(`benchengine:jx:${bucket}:Concat:*|all`);
  const request = parseConcatJobRequest(parseRequestXml(BODY));
  const base = Date.now() - 86_400_000;
  const missing = Math.max(0, 100_000 - existing);
  for (let i = 0; i < missing; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, missing - i) }, (_, k) => {
        const n = i + k;
        const ms = base + n * 100;
        const input = n % 1000 === 0 ? { object: 'rare/input.mp4' } : undefined;
        return seed(
          {
            jobId: newId('job', ms),
            tag: 'Concat',
            bucket,
            region: 'ap-chongqing',
            queueId,
            creationMs: ms,
            request: { ...request, input },
          },
          n % 10 === 0,
        );
      }),
    );
  }
  const total = await redis.zcard(`benchengine:jx:${bucket}:Concat:*|all`);
  redis.disconnect();
  const time = async (paths: string[]): Promise<number[]> => {
    const out: number[] = [];
    for (const p of paths) {
      const t0 = process.hrtime.bigint();
      await call(port, 'GET', p);
      out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return out;
  };
  const firstPages = await time(Array.from({ length: 100 }, () => '/jobs?tag=Concat&size=100'));
  const deep: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < 50; i++) {
    const t0 = process.hrtime.bigint();
    const text = await call(port, 'GET', `/jobs?tag=Concat&size=100&orderByTime=Asc${token ? `&nextToken=${token}` : ''}`);
    deep.push(String(Number(process.hrtime.bigint() - t0) / 1e6));
    token = /<NextToken>([^<]+)<\/NextToken>/.exec(text)?.[1];
  }
  const states = await time(Array.from({ length: 100 }, () => '/jobs?tag=Concat&size=100&states=Success'));
  const rare = await time(Array.from({ length: 100 }, () => '/jobs?tag=Concat&size=100&inputObject=rare%2Finput.mp4'));
  const fmt = (xs: number[]) => `p50 ${percentile(xs, 0.5).toFixed(1)} ms, p99 ${percentile(xs, 0.99).toFixed(1)} ms`;
  console.log(`\nAPI: GET /jobs with ${total} jobs in the bucket (size=100)`);
  console.log(`  first page:                     ${fmt(firstPages)}`);
  console.log(`  50 pages in a row by NextToken: ${fmt(deep.map(Number))}`);
  console.log(`  states=Success (1 in 10):       ${fmt(states)}`);
  console.log(`  inputObject (1 in 1000):        ${fmt(rare)}`);
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN;
}

export async function runApiBench(): Promise<{ ratio: number; engineP99: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-bench-'));
  const redis = await startRedisServer({ port: 16379 + Math.floor(Math.random() * 1000), dir: path.join(dir, 'redis') });
  const s3 = await startS3Server({
    port: 15000 + Math.floor(Math.random() * 1000),
    dir: path.join(dir, 's3'),
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  const env = { BENCH_REDIS_URL: redis.url, BENCH_S3_ENDPOINT: s3.endpoint };
  const servers = { engine: await startServer('engine', env), baseline: await startServer('baseline', env) };
  const totals: Record<'engine' | 'baseline', Result> = {
    engine: { requests: 0, errors: 0, seconds: 0, latencies: [] },
    baseline: { requests: 0, errors: 0, seconds: 0, latencies: [] },
  };
  const flush = new Redis(redis.url);
  try {
    // Alternate so both see the same machine conditions. Each round starts from an empty Redis; the
    // engine is restarted so its default queue exists again, then warmed up like the baseline.
    for (let round = 0; round < ROUNDS; round++) {
      await flush.flushdb();
      servers.engine.child.kill();
      servers.engine = await startServer('engine', env);
      await raiseMaxSize(servers.engine.port);
      await load(servers.engine.port, 1500);
      await load(servers.baseline.port, 1500);
      for (const mode of ['baseline', 'engine'] as const) {
        const r = await load(servers[mode].port, ROUND_MS);
        const t = totals[mode];
        t.requests += r.requests;
        t.errors += r.errors;
        t.seconds += r.seconds;
        t.latencies.push(...r.latencies);
      }
    }
    await listAt100k(redis.url, servers.engine.port);
  } finally {
    flush.disconnect();
    for (const s of Object.values(servers)) s.child.kill();
    await s3.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rps = (r: Result) => r.requests / r.seconds;
  const ratio = rps(totals.engine) / rps(totals.baseline);
  const engineP99 = p99(totals.engine.latencies);
  console.log('\nAPI: POST /jobs, 50 concurrent clients, same request, same run');
  console.log(
    `  baseline (fastify + fast-xml-parser + BullMQ add): ${rps(totals.baseline).toFixed(0)} req/s, p99 ${p99(totals.baseline.latencies).toFixed(1)} ms, errors ${totals.baseline.errors}`,
  );
  console.log(
    `  engine:                                           ${rps(totals.engine).toFixed(0)} req/s, p99 ${engineP99.toFixed(1)} ms, errors ${totals.engine.errors}`,
  );
  console.log(
    `  throughput ratio engine/baseline: ${ratio.toFixed(2)} (target >= 0.70); engine p99 ${engineP99.toFixed(1)} ms (target < 50 ms)`,
  );
  return { ratio, engineP99 };
}

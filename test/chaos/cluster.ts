// The chaos suite's cluster: the built engine as real processes (`node dist/src/api-main.js`, `node
// dist/workers/concat-worker.js`) against a redis-server of the suite's own (so it can be killed and
// started again on the same port and AOF directory) or a replicated Redis found through three sentinels
// (so its primary can be killed and fail over), the test run's S3 store behind a proxy that can be
// switched down, and a callback receiver that can be stopped and started on the same port. Every answer
// the API gives is counted, so a scenario can say how many were 5xx other than 503.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { startRedisServer, type EmbeddedRedis } from '../../src/embedded/redis-server.js';
import { createS3 } from '../../src/storage/s3.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { SENTINEL_NAME, startRedisHa, type RedisHa } from '../helpers/redis-ha.js';
import { makeClip } from '../helpers/media.js';
import { startPolicyProxy, type PolicyProxy } from '../helpers/s3-policy-proxy.js';
import { freePort } from '../setup/services.js';

export const BUCKET = 'chaos-1250000000';
const ROOT = path.resolve(import.meta.dirname, '../..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One pino line of a process, parsed. */
type LogLine = Record<string, unknown> & { msg: string; time: number };

/** An engine process: its log lines (parsed), its exit. */
export class EngineProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    // The raw output is kept beside the process's data, for a look after a failure.
    const raw = createWriteStream(path.join(dataDir, `${name}-${child.pid}.log`));
    let rest = '';
    const take = (buf: Buffer) => {
      raw.write(buf);
      rest += buf.toString();
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) {
        if (!p.startsWith('{')) continue;
        try {
          const line = JSON.parse(p) as Record<string, unknown>;
          // pino writes ISO times; comparisons want milliseconds.
          this.lines.push({ ...line, msg: String(line.msg), time: Date.parse(String(line.time)) });
        } catch {
          // not a log line
        }
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async waitFor(match: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(match);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.name} exited`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no such log line within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Sends the signal and waits for the exit; a process still there after `withinMs` is killed and that is an error. */
  async stop(signal: NodeJS.Signals, withinMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), withinMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (result === 'late') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`${this.name} did not exit within ${withinMs} ms of ${signal}`);
    }
    return result;
  }
}

/** Command lines of the ffmpeg processes whose arguments name the given directory. */
export function ffmpegUnder(dir: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\S*ffmpeg /.test(l) && l.includes(dir));
}

/** A callback receiver on a fixed port, stopped and started at will; it keeps each TaskFinish it got. */
export class Receiver {
  readonly got: { jobId: string; state: string; at: number }[] = [];
  private server?: Server;

  private constructor(readonly port: number) {}

  static async start(): Promise<Receiver> {
    const r = new Receiver(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/cb`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (body.includes('TaskFinish')) {
          const jobId = /<JobId>([^<]+)<\/JobId>/.exec(body)?.[1] ?? '';
          const state = /<State>([^<]+)<\/State>/.exec(body)?.[1] ?? '';
          this.got.push({ jobId, state, at: Date.now() });
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  countFor(jobId: string): number {
    return this.got.filter((g) => g.jobId === jobId).length;
  }
}

/** An answer of the API as a client sees it; `status` 0 = no answer (connection refused or reset). */
interface Answer {
  status: number;
  body: Record<string, any>;
}

/** The whole cluster of one scenario: its own key prefix, Redis, store proxy, API and workers. */
export class Cluster {
  readonly statuses = new Map<number, number>();
  readonly workers: EngineProcess[] = [];
  /** Every API process started, the current one last. */
  readonly apis: EngineProcess[] = [];
  private closed = false;
  s3!: S3Client;
  proxy!: PolicyProxy;
  receiver!: Receiver;
  private redis?: EmbeddedRedis;
  /** With `ha`: the primary, replica and sentinels the engine finds Redis through. */
  ha?: RedisHa;
  private redisPort = 0;
  private apiPort = 0;
  private dir = '';
  private workerSeq = 0;

  constructor(
    private readonly s3Endpoint: string,
    /** Environment of every engine process, over the suite's defaults. */
    private readonly env: Record<string, string> = {},
    /** Redis through Sentinel (a primary, a replica, three sentinels) instead of one redis-server. */
    private readonly withHa = false,
  ) {}

  async start(): Promise<void> {
    this.dir = mkdtempSync(path.join(tmpdir(), 'ci-chaos-'));
    this.redisPort = await freePort();
    this.apiPort = await freePort();
    if (this.withHa) this.ha = await startRedisHa(path.join(this.dir, 'redis-ha'));
    else await this.startRedis();
    this.proxy = await startPolicyProxy(this.s3Endpoint, () => undefined);
    this.s3 = createS3({
      endpoint: this.s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    await this.s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
    this.receiver = await Receiver.start();
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  async startRedis(): Promise<void> {
    this.redis = await startRedisServer({ port: this.redisPort, dir: path.join(this.dir, 'redis') });
  }

  /** SIGKILL of redis-server (its pid as it reports it): no flush, no goodbye. */
  async killRedis(): Promise<void> {
    const probe = new Redis(this.redisUrl, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1]);
    probe.disconnect();
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(25);
    }
    throw new Error('redis-server still alive after SIGKILL');
  }

  private envOf(extra: Record<string, string>): NodeJS.ProcessEnv {
    const redis: Record<string, string> = this.ha
      ? { REDIS_SENTINELS: this.ha.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: SENTINEL_NAME }
      : { REDIS_URL: this.redisUrl };
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(this.apiPort),
      ...redis,
      REDIS_KEY_PREFIX: 'chaos',
      S3_ENDPOINT: this.proxy.endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '1',
      WORKER_LOCK_SECONDS: '4',
      WORKER_STALLED_CHECK_SECONDS: '2',
      CALLBACK_RETRY_BASE_MS: '200',
      STORAGE_RETRY_SECONDS: '30',
      MIN_FREE_DISK_BYTES: '0',
      // The encode path: for the suite's tiny clips one small ffmpeg run, where the copy path adds a keyframe
      // scan of each fragment and a decode around each join (the faults are the subject here, not the path;
      // the S3 scenario keeps the copy path).
      AUTO_COPY: 'false',
      ...this.env,
      ...extra,
    };
  }

  async startApi(): Promise<EngineProcess> {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/api-main.js')], {
      env: this.envOf({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new EngineProcess('api', child, this.dir);
    this.apis.push(p);
    await p.waitFor((l) => l.msg === 'API listening');
    return p;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** A worker process with a data directory of its own (named `name`, kept across its restarts). */
  async startWorker(name = `w${++this.workerSeq}`, env: Record<string, string> = {}): Promise<EngineProcess> {
    const dataDir = path.join(this.dir, name);
    mkdirSync(dataDir, { recursive: true });
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/workers/concat-worker.js')], {
      env: this.envOf({ DATA_DIR: dataDir, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new EngineProcess(name, child, dataDir);
    this.workers.push(p);
    await p.waitFor((l) => l.msg === 'worker started');
    return p;
  }

  /** Every log line of every worker process started so far. */
  workerLines(): LogLine[] {
    return this.workers.flatMap((w) => w.lines);
  }

  /** Jobs whose callback a delivery sent again after an earlier try ended without a record of the receiver's
   * answer (README: the one duplicate left). Callbacks are posted by the API processes, so their logs say so. */
  resentUnconfirmed(): Set<string> {
    return new Set(
      [...this.apis.flatMap((a) => a.lines), ...this.workerLines()]
        .filter((l) => l.msg.startsWith("callback sent again: an earlier try's worker stopped during it"))
        .map((l) => String(l.jobId)),
    );
  }

  async request(opts: { Method: string; Key: string; Body?: string }): Promise<Answer> {
    try {
      const res = await ciRequest(cosClient(this.apiUrl), { bucket: BUCKET, ...opts });
      this.statuses.set(res.statusCode, (this.statuses.get(res.statusCode) ?? 0) + 1);
      return { status: res.statusCode, body: res.body };
    } catch {
      this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1);
      return { status: 0, body: {} };
    }
  }

  /** 5xx answers other than 503 so far. */
  get bad5xx(): number {
    let n = 0;
    for (const [s, c] of this.statuses) if (s >= 500 && s !== 503) n += c;
    return n;
  }

  async submit(body: string): Promise<{ status: number; jobId?: string }> {
    const res = await this.request({ Method: 'POST', Key: 'jobs', Body: body });
    return { status: res.status, jobId: res.status === 200 ? (res.body.Response.JobsDetail.JobId as string) : undefined };
  }

  async stateOf(jobId: string): Promise<string | undefined> {
    const res = await this.request({ Method: 'GET', Key: `jobs/${jobId}` });
    return res.status === 200 ? (res.body.Response.JobsDetail.State as string) : undefined;
  }

  async waitState(jobId: string, want: (s: string | undefined) => boolean, timeoutMs = 60_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stateOf(jobId);
      if (want(s)) return s;
      if (Date.now() > deadline) throw new Error(`job ${jobId}: still ${s}`);
      await sleep(50);
    }
  }

  async waitEnded(jobIds: string[], timeoutMs = 90_000): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    const deadline = Date.now() + timeoutMs;
    for (const id of jobIds) {
      const s = await this.waitState(id, (x) => x === 'Success' || x === 'Failed', Math.max(1000, deadline - Date.now()));
      states.set(id, s!);
    }
    return states;
  }

  /** Output objects per job id, under `prefix/`. */
  async outputsByJob(prefix: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const id = o.Key!.slice(prefix.length + 1).split('.')[0]!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return counts;
  }

  async put(key: string, file: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: readFileSync(file) }));
  }

  /** Stops everything (idempotent: a scenario that failed half-way is closed by the suite). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers, ...this.apis].map((p) => p.stop('SIGKILL').catch(() => undefined)));
    await this.receiver.down();
    await this.proxy.close();
    await this.redis?.stop().catch(() => undefined);
    await this.ha?.stop();
    this.s3.destroy();
  }
}

/** The suite's clips: `short` (64x36, half a second, picture only: a job of two is a pure copy, the cheapest job
 * that still fetches, probes, runs ffmpeg, verifies, uploads and calls back), `long` keeps an encode busy for seconds. */
export async function makeClips(dir: string): Promise<{ short: string; long: string }> {
  const short = await makeClip(path.join(dir, 'short.mp4'), { width: 64, height: 36, fps: 25, durationSec: 0.5, audio: false });
  const long = await makeClip(path.join(dir, 'long.mp4'), { width: 320, height: 180, fps: 25, durationSec: 12, audio: true });
  return { short, long };
}

/** A Concat job of two fragments; `encode` sets Video.Crf (so it must encode), otherwise it asks nothing and is copied. */
export function concatBody(o: { fragment: string; out: string; callback?: string; encode?: boolean; jobLevel?: number }): string {
  const video = o.encode ? '<Video><Codec>H.264</Codec><Crf>30</Crf></Video>' : '';
  const frag = `<ConcatFragment><Url>${o.fragment}</Url></ConcatFragment>`;
  return (
    `<Request><Tag>Concat</Tag><Operation>${o.jobLevel !== undefined ? `<JobLevel>${o.jobLevel}</JobLevel>` : ''}` +
    `<ConcatTemplate>${frag}${frag}${video}<Container><Format>mp4</Format></Container></ConcatTemplate>` +
    `<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${o.out}/\${jobid}.\${ext}</Object></Output></Operation>` +
    (o.callback ? `<CallBack>${o.callback}</CallBack>` : '') +
    `</Request>`
  );
}

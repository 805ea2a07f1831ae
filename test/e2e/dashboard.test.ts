// The /dashboard bull-board page, on an engine that ran a real job. One engine with the dashboard on
// (API and worker) runs a tiny Concat job whose callback URL is signed (userinfo and a query string);
// then: the login is required and checked, the page, its assets and its JSON API answer without a
// bucket Host, the job payloads come out redacted, actions are refused in read-only mode, a queue record
// written after the start appears, and headless chromium (Debian's) shows the finished job with no
// console error (a screenshot is kept under test-artifacts/dashboard/). Two API-only engines cover
// the dashboard switched off and the write mode for callback deliveries (with a failed delivery whose
// error quotes a signed URL).
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, mediaQueueName } from '../../src/queue/media-queues.js';
import { QueueStore } from '../../src/store/queue-store.js';
import { createRedis } from '../../src/store/redis.js';
import { launchChromium, type Browser } from '../helpers/browser.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { bucketWithClip } from '../helpers/test-bucket.js';

const BUCKET = 'dash-1250000000';
const USER = 'ops';
const PASSWORD = 'correct horse battery';
const LOGIN = { DASHBOARD_USER: USER, DASHBOARD_PASSWORD: PASSWORD };
const ARTIFACTS = path.resolve('test-artifacts', 'dashboard');
// What the callback URL carries that no dashboard may show.
const CALLBACK_SECRETS = ['hookpass', 'SIGNATURE0123456789', 'token-abcdef'];

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = { authorization: basic(USER, PASSWORD) };

let engine: TestEngine;
let receiver: Server;
let work: string;
let jobId: string;
let defaultQueueId: string;

/** GET/PUT on the dashboard with no Host bucket (fetch sends 127.0.0.1:<port>). */
function dash(e: TestEngine, p: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${e.api.url}${p}`, init);
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface BoardJob {
  id: string;
  data: Record<string, unknown>;
  finishedOn?: number;
}
interface BoardQueue {
  name: string;
  displayName?: string;
  readOnlyMode: boolean;
  counts: Record<string, number>;
  jobs: BoardJob[];
}

async function boardQueues(e: TestEngine, query = ''): Promise<BoardQueue[]> {
  const res = await dash(e, `/dashboard/api/queues${query}`, { headers: AUTH });
  expect(res.status).toBe(200);
  return ((await res.json()) as { queues: BoardQueue[] }).queues;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
  const endpoints = testEndpoints();
  await bucketWithClip(endpoints.s3Endpoint, BUCKET, 'in/a.mp4', work);
  receiver = createServer((r, res) => {
    r.resume();
    r.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  const callbackUrl = `http://hook:${CALLBACK_SECRETS[0]}@127.0.0.1:${port}/cb?q-signature=${CALLBACK_SECRETS[1]}&amp;token=${CALLBACK_SECRETS[2]}`;

  engine = await startTestEngine({ worker: true, endpoints, env: { ...LOGIN, CALLBACK_RETRY_BASE_MS: '50' } });
  const cos = cosClient(engine.api.url);
  const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>in/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output></Operation><CallBack>${callbackUrl}</CallBack></Request>`;
  const submitted = await ciRequest(cos, { bucket: BUCKET, Method: 'POST', Key: 'jobs', Body: body });
  expect(submitted.statusCode).toBe(200);
  jobId = submitted.body.Response.JobsDetail.JobId as string;
  defaultQueueId = submitted.body.Response.JobsDetail.QueueId as string;
  await waitFor(async () => {
    const detail = (await ciRequest(cos, { bucket: BUCKET, Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (detail.State === 'Failed') throw new Error(`the job failed: ${detail.Code} ${detail.Message}`);
    return detail.State === 'Success';
  }, 'the job');
  // The callback delivery is the callback queue's completed job.
  const callbacks = new Queue('callbacks', { connection: engine.redis, prefix: bullPrefix(engine.config.redis.keyPrefix) });
  await waitFor(async () => (await callbacks.getJobCounts('completed')).completed === 1, 'the callback delivery');
  await callbacks.close();
});

afterAll(async () => {
  await engine.close();
  receiver.close();
  rmSync(work, { recursive: true, force: true });
});

describe('dashboard login', () => {
  it('answers 401 with a basic-auth challenge without a login, or with a wrong user or password', async () => {
    const attempts: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: basic(USER, 'wrong password!!') },
      { authorization: basic('someone', PASSWORD) },
      { authorization: basic(USER, `${PASSWORD}x`) },
      { authorization: 'Bearer abc' },
    ];
    for (const p of ['/dashboard', '/dashboard/api/queues', '/dashboard/static/favicon-32x32.png']) {
      for (const headers of attempts) {
        const res = await dash(engine, p, headers ? { headers } : {});
        expect([p, headers, res.status]).toEqual([p, headers, 401]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="ci-concat-engine dashboard"/);
        expect(await res.text()).not.toContain('media-');
      }
    }
  });

  it('serves the page, its assets and its API with the login and no bucket Host', async () => {
    expect((await dash(engine, '/dashboard/', { headers: AUTH })).status).toBe(200);
    const page = await dash(engine, '/dashboard', { headers: AUTH });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/dashboard/"');
    // Nothing is loaded from outside the engine.
    expect(html).not.toMatch(/(?:src|href)="https?:/);
    const assets = [...html.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const a of assets) {
      const res = await dash(engine, `/dashboard/${a}`, { headers: AUTH });
      expect([a, res.status]).toEqual([a, 200]);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it('leaves the CI API as it was: a path outside the dashboard still needs a bucket Host', async () => {
    const res = await dash(engine, '/jobs', { headers: AUTH });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidHost</Code>');
  });
});

describe('dashboard queues', () => {
  it('lists the media queue and the callback queue, read-only, with the finished job', async () => {
    const media = mediaQueueName(defaultQueueId);
    const queues = await boardQueues(engine, `?activeQueue=${media}&status=completed&page=1&jobsPerPage=10`);
    expect(queues.map((q) => q.name).sort()).toEqual(['callbacks', media]);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
    const mq = queues.find((q) => q.name === media)!;
    expect(mq.displayName).toBe(`queue-1 (${defaultQueueId})`);
    expect(mq.counts.completed).toBe(1);
    expect(mq.jobs.map((j) => [j.id, j.data])).toEqual([[jobId, { kind: 'concat', jobId }]]);
    expect(mq.jobs[0]!.finishedOn).toBeGreaterThan(0);
  });

  it('shows the callback job without the URL secrets (userinfo, query values), keeping host and path', async () => {
    const queues = await boardQueues(engine, '?activeQueue=callbacks&status=completed&page=1&jobsPerPage=10');
    const job = queues.find((q) => q.name === 'callbacks')!.jobs[0]!;
    expect(job.data.kind).toBe('TaskFinish');
    expect(job.data.jobId).toBe(jobId);
    const url = new URL(job.data.url as string);
    expect(url.pathname).toBe('/cb');
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.username).toBe('%5Bredacted%5D');
    expect([...url.searchParams.entries()]).toEqual([
      ['q-signature', '[redacted]'],
      ['token', '[redacted]'],
    ]);
    // Nowhere in the answer, nor in the single job's answer.
    const single = await dash(engine, `/dashboard/api/queues/callbacks/TaskFinish-${jobId}`, { headers: AUTH });
    expect(single.status).toBe(200);
    const list = await dash(engine, '/dashboard/api/queues?activeQueue=callbacks&status=completed&page=1&jobsPerPage=10', {
      headers: AUTH,
    });
    for (const text of [await single.text(), await list.text()]) {
      for (const secret of CALLBACK_SECRETS) expect(text).not.toContain(secret);
    }
  });

  it('refuses retry, clean and pause in read-only mode and leaves the jobs where they were', async () => {
    const media = mediaQueueName(defaultQueueId);
    const actions = [
      `/dashboard/api/queues/${media}/retry/completed`,
      `/dashboard/api/queues/${media}/clean/completed`,
      `/dashboard/api/queues/${media}/${jobId}/retry`,
      `/dashboard/api/queues/${media}/pause`,
      '/dashboard/api/queues/callbacks/clean/completed',
      `/dashboard/api/queues/callbacks/TaskFinish-${jobId}/retry`,
    ];
    for (const a of actions) {
      const res = await dash(engine, a, { method: 'PUT', headers: AUTH });
      expect([a, res.status]).toEqual([a, 405]);
      expect(await res.json()).toMatchObject({ error: { key: 'ERRORS.QUEUE_READ_ONLY' } });
    }
    const queues = await boardQueues(engine);
    expect(Object.fromEntries(queues.map((q) => [q.name, q.counts.completed]))).toEqual({ [media]: 1, callbacks: 1 });
    expect(queues.find((q) => q.name === media)!.counts.paused ?? 0).toBe(0);
  });

  it('shows a queue whose record is written after the start, with its payloads redacted', async () => {
    const store = new QueueStore(engine.redis, engine.config.redis.keyPrefix);
    const now = Date.now();
    const queueId = `p${now}late`;
    await store.put({
      queueId,
      name: 'late-queue',
      state: 'Active',
      category: 'Transcoding',
      maxSize: 10,
      maxConcurrent: 1,
      notifyConfig: { state: 'Off' },
      createMs: now,
      updateMs: now,
    });
    // No worker serves a queue added after its start, so the job stays waiting where the board shows it.
    const bull = new Queue(mediaQueueName(queueId), { connection: engine.redis, prefix: bullPrefix(engine.config.redis.keyPrefix) });
    await bull.add(
      'concat',
      { kind: 'concat', jobId: 'late-job', source: 'https://u:pw@cos.example.com/a.mp4?sign=abc123', password: 'pw-secret' },
      { jobId: 'late-job' },
    );
    await bull.close();
    const queues = await boardQueues(engine, `?activeQueue=${mediaQueueName(queueId)}&status=waiting&page=1&jobsPerPage=10`);
    const late = queues.find((q) => q.name === mediaQueueName(queueId));
    expect(late?.displayName).toBe(`late-queue (${queueId})`);
    expect(late?.jobs.map((j) => j.data)).toEqual([
      { kind: 'concat', jobId: 'late-job', source: 'https://%5Bredacted%5D@cos.example.com/a.mp4?sign=[redacted]', password: '[redacted]' },
    ]);
  });
});

describe('dashboard in a browser', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium({ httpCredentials: { username: USER, password: PASSWORD } });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads after the login, lists the queues and shows the finished job, with no console error', async () => {
    const page = browser!.page;
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.setViewportSize({ width: 1280, height: 800 });

    const media = mediaQueueName(defaultQueueId);
    await page.goto(`${engine.api.url}/dashboard`);
    await page.getByText(`queue-1 (${defaultQueueId})`).first().waitFor({ timeout: 15_000 });
    await page.getByText('callbacks').first().waitFor();
    await page.goto(`${engine.api.url}/dashboard/queue/${media}?status=completed`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.getByText(jobId, { exact: true }).first().waitFor({ timeout: 15_000 });
    // The job's card: its name, and its Data tab with the payload.
    await page.getByText('"concat"').first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'completed-job.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe('dashboard switched off', () => {
  let off: TestEngine;
  beforeAll(async () => {
    off = await startTestEngine();
  });
  afterAll(async () => {
    await off.close();
  });

  it('answers InvalidUrl on its paths, with or without a login or a bucket Host, like any unknown path', async () => {
    for (const p of ['/dashboard', '/dashboard/', '/dashboard/api/queues', '/dashboard/static/favicon-32x32.png']) {
      for (const headers of [{}, AUTH]) {
        const res = await dash(off, p, { headers });
        expect([p, res.status]).toEqual([p, 404]);
        expect(res.headers.get('www-authenticate')).toBeNull();
        expect(await res.text()).toContain('<Code>InvalidUrl</Code>');
      }
    }
    const viaSdk = await ciRequest(cosClient(off.api.url), { bucket: BUCKET, Method: 'GET', Key: 'dashboard' });
    expect(viaSdk.statusCode).toBe(404);
    expect(viaSdk.body.Error.Code).toBe('InvalidUrl');
  });
});

describe('dashboard with DASHBOARD_READ_ONLY=false, on an API that requires signatures', () => {
  let rw: TestEngine;
  let callbacks: Queue;
  beforeAll(async () => {
    // Callbacks posted by workers, of which this engine has none: a delivery stays where the board can act on it.
    rw = await startTestEngine({
      env: {
        ...LOGIN,
        DASHBOARD_READ_ONLY: 'false',
        CI_SECRET_ID: 'AKIDdashboardtest0001',
        CI_SECRET_KEY: 'dashboard-test-secret',
        CALLBACK_DELIVERY: 'worker',
      },
    });
    callbacks = new Queue('callbacks', { connection: rw.redis, prefix: bullPrefix(rw.config.redis.keyPrefix) });
  });
  afterAll(async () => {
    await callbacks.close();
    await rw.close();
  });

  it('needs the login, not a request signature', async () => {
    expect((await dash(rw, '/dashboard/api/queues')).status).toBe(401);
    expect((await dash(rw, '/dashboard/api/queues', { headers: AUTH })).status).toBe(200);
    // The CI API still refuses what is not signed.
    const badlySigned = await ciRequest(cosClient(rw.api.url, { SecretId: 'AKIDdashboardtest0001', SecretKey: 'not the key' }), {
      bucket: BUCKET,
      Method: 'GET',
      Key: 'queue',
    });
    expect(badlySigned.statusCode).toBe(401);
    expect(badlySigned.body.Error.Code).toBe('AccessDenied');
  });

  it('acts on callback deliveries (promote, concurrency) and still refuses every media queue action', async () => {
    const queues = await boardQueues(rw);
    const media = queues.find((q) => q.name.startsWith('media-'))!;
    expect(Object.fromEntries(queues.map((q) => [q.name, q.readOnlyMode]))).toEqual({ [media.name]: true, callbacks: false });

    // No callback worker runs beside this API, so a delayed delivery stays where the board can act on it.
    await callbacks.add(
      'TaskFinish',
      { kind: 'TaskFinish', jobId: 'jnone', url: 'http://127.0.0.1:9/cb', format: 'XML' },
      { jobId: 'late-cb', delay: 3_600_000 },
    );
    expect(await (await callbacks.getJob('late-cb'))!.getState()).toBe('delayed');
    const promote = await dash(rw, '/dashboard/api/queues/callbacks/late-cb/promote', { method: 'PUT', headers: AUTH });
    expect(promote.status).toBe(204);
    expect(await (await callbacks.getJob('late-cb'))!.getState()).toBe('waiting');

    const concurrency = await dash(rw, '/dashboard/api/queues/callbacks/concurrency', {
      method: 'PUT',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ concurrency: 3 }),
    });
    expect(concurrency.status).toBe(200);
    expect(await callbacks.getGlobalConcurrency()).toBe(3);

    for (const a of [`${media.name}/pause`, `${media.name}/clean/completed`, `${media.name}/concurrency`]) {
      const res = await dash(rw, `/dashboard/api/queues/${a}`, {
        method: 'PUT',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ concurrency: 1 }),
      });
      expect([a, res.status]).toEqual([a, 405]);
    }
    expect((await boardQueues(rw)).find((q) => q.name === media.name)!.counts.paused ?? 0).toBe(0);
  });

  it('cuts URL secrets out of failure reasons and stack traces', async () => {
    // A stand-in for the callback worker whose error quotes the receiver's signed URL.
    const leak = 'https://hook:pw-0001@receiver.example/cb?sig=SIG-0002';
    const workerRedis = createRedis(rw.endpoints.redisUrl, 'test-worker', 'worker');
    const worker = new Worker(
      'callbacks',
      () => {
        throw new Error(`POST ${leak} failed; Authorization: Bearer TOKEN-0003`);
      },
      { connection: workerRedis, prefix: bullPrefix(rw.config.redis.keyPrefix) },
    );
    await callbacks.add(
      'TaskFinish',
      { kind: 'TaskFinish', jobId: 'jfail', url: leak, format: 'XML' },
      { jobId: 'failing-cb', attempts: 1 },
    );
    await waitFor(async () => (await callbacks.getJob('failing-cb'))?.failedReason !== undefined, 'the failed delivery');
    await worker.close();
    workerRedis.disconnect();
    const res = await dash(rw, '/dashboard/api/queues/callbacks/failing-cb', { headers: AUTH });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of ['pw-0001', 'SIG-0002', 'TOKEN-0003']) expect(text).not.toContain(secret);
    const { job } = JSON.parse(text) as { job: { failedReason: string; stacktrace: string[]; data: { url: string } } };
    expect(job.failedReason).toBe(
      'POST https://%5Bredacted%5D@receiver.example/cb?sig=[redacted] failed; Authorization: Bearer [redacted]',
    );
    expect(job.stacktrace.join('\n')).toContain('receiver.example/cb?sig=[redacted]');
    expect(job.data.url).toBe('https://%5Bredacted%5D@receiver.example/cb?sig=[redacted]');
  });
});

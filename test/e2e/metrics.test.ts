// The Prometheus metrics after real jobs: the engine is started as two processes would be (the API with
// its /metrics, the worker with its METRICS_PORT listener, each its own registry), a job that succeeds and
// one that fails run through it with callbacks, and both expositions are parsed: names, types, label sets
// and values, and no label value that is a job id, an object key or a bucket.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, startWorker, type RunningApi, type RunningWorker } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { startTestEngine, testConfig } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { bucketWithClip } from '../helpers/test-bucket.js';
import { parseExposition, sampleValue, type Family } from '../helpers/prom-text.js';

const BUCKET = 'metrics-1250000000';
const TOKEN = 'scrape-secret';
const lines: string[] = [];
let api: RunningApi;
let worker: RunningWorker;
let receiver: Server;
let receiverUrl: string;
let work: string;
let cos: ReturnType<typeof cosClient>;
const req = (o: Parameters<typeof ciRequest>[1]) => ciRequest(cos, { bucket: BUCKET, ...o });

const jobBody = (fragment: string) =>
  `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>${fragment}</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output></Operation><CallBack>${receiverUrl}/cb</CallBack></Request>`;

async function waitFor(jobId: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const state = (await req({ Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail.State as string;
    if (state === 'Success' || state === 'Failed') return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** GET /metrics with `Authorization: Bearer <token>`, or none for a null token. */
async function scrape(url: string, token: string | null = TOKEN): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${url}/metrics`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The media path the worker logged for a job: its last plan's (a fallback encode comes after a copy's). */
function loggedPath(jobId: string): string {
  const plans = lines
    .map((l) => JSON.parse(l) as { msg?: string; jobId?: string; plan?: { path?: string } })
    .filter((l) => l.jobId === jobId && (l.msg === 'plan' || l.msg === 'fallback plan'));
  const path = plans.at(-1)?.plan?.path;
  if (path === undefined) throw new Error(`no plan logged for ${jobId}`);
  return path;
}

function labelValues(families: Map<string, Family>): string[] {
  return [...families.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'metrics-'));
  const endpoints = testEndpoints();
  await bucketWithClip(endpoints.s3Endpoint, BUCKET, 'metrics/a.mp4', work);
  // The first callback is refused once, so one try is retried.
  let refused = false;
  receiver = createServer((r, res) => {
    r.resume();
    r.on('end', () => {
      res.writeHead(refused ? 200 : 503).end();
      refused = true;
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

  const config = testConfig({ LOG_LEVEL: 'info', CALLBACK_RETRY_BASE_MS: '50', METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
  const logger = createLogger('info', 'engine', { write: (line: string) => void lines.push(line) });
  // Separate registries, as in two processes (npm run api, npm run worker).
  api = await startApi(config, endpoints, logger);
  worker = await startWorker(config, endpoints, logger);
  cos = cosClient(api.url);
});
afterAll(async () => {
  await worker.close();
  await api.close();
  receiver.close();
  rmSync(work, { recursive: true, force: true });
});

describe('metrics', () => {
  it('count and time one Success and one Failed job, on the API and on the worker, with bounded labels', async () => {
    const ok = (await req({ Method: 'POST', Key: 'jobs', Body: jobBody('metrics/a.mp4') })).body.Response.JobsDetail.JobId as string;
    const bad = (await req({ Method: 'POST', Key: 'jobs', Body: jobBody('metrics/missing.mp4') })).body.Response.JobsDetail.JobId as string;
    await req({ Method: 'GET', Key: 'nothing-here/j0123456789abcdef0123456789abcdef' });
    expect(await waitFor(ok)).toBe('Success');
    expect(await waitFor(bad)).toBe('Failed');
    for (let i = 0; i < 100 && lines.filter((l) => l.includes('"callback delivered"')).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const okPath = loggedPath(ok);
    expect(['copy', 'hybrid', 'smartcut', 'encode']).toContain(okPath);

    const fromApi = await scrape(api.url);
    expect(fromApi.status).toBe(200);
    expect(fromApi.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const a = parseExposition(fromApi.text);
    expect(worker.metricsUrl).toBeDefined();
    const fromWorker = await scrape(worker.metricsUrl!);
    expect(fromWorker.status).toBe(200);
    expect(fromWorker.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const w = parseExposition(fromWorker.text);

    // Every family is the engine's; its own (not prom-client's process defaults, whose names Prometheus
    // users know as they are) have `_total` only on counters.
    for (const families of [a, w]) {
      for (const f of families.values()) {
        expect(f.name).toMatch(/^ci_/);
        expect(f.help, f.name).not.toBe('');
        if (!/^ci_(process|nodejs)_/.test(f.name)) expect(f.name.endsWith('_total'), f.name).toBe(f.type === 'counter');
      }
    }
    const types = (families: Map<string, Family>, names: string[]) => names.map((n) => families.get(n)?.type);
    expect(
      types(a, [
        'ci_jobs_submitted_total',
        'ci_queue_jobs',
        'ci_http_requests_total',
        'ci_http_request_duration_seconds',
        'ci_callbacks_total',
      ]),
    ).toEqual(['counter', 'gauge', 'counter', 'histogram', 'counter']);
    expect(types(w, ['ci_jobs_finished_total', 'ci_job_queue_wait_seconds', 'ci_job_phase_seconds', 'ci_job_duration_seconds'])).toEqual([
      'counter',
      'histogram',
      'histogram',
      'histogram',
    ]);
    // Process metrics, from prom-client's defaults.
    expect(a.get('ci_process_cpu_seconds_total')?.type).toBe('counter');
    expect(w.get('ci_nodejs_heap_size_used_bytes')?.type).toBe('gauge');

    // The API: submissions, queue depth read at the scrape, requests by route pattern.
    expect(a.get('ci_jobs_submitted_total')?.samples).toEqual([
      { name: 'ci_jobs_submitted_total', labels: { queue: expect.any(String) as string, job_level: '0' }, value: 2 },
    ]);
    const queue = a.get('ci_jobs_submitted_total')!.samples[0]!.labels.queue!;
    const depth = Object.fromEntries(
      a
        .get('ci_queue_jobs')!
        .samples.filter((s) => s.labels.queue === queue)
        .map((s) => [s.labels.state, s.value]),
    );
    expect(depth).toEqual({ Submitted: 0, Running: 0, Success: 1, Failed: 1, Pause: 0, Cancel: 0 });
    expect(sampleValue(a, 'ci_http_requests_total', { method: 'POST', route: '/jobs', status: '200' })).toBe(2);
    const detailReads = sampleValue(a, 'ci_http_requests_total', { method: 'GET', route: '/jobs/:ids', status: '200' });
    expect(detailReads).toBeGreaterThanOrEqual(2);
    expect(sampleValue(a, 'ci_http_request_duration_seconds_count', { method: 'GET', route: '/jobs/:ids' })).toBe(detailReads);
    // A path no route takes is counted as unmatched, not by its URL.
    expect(sampleValue(a, 'ci_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(new Set(a.get('ci_http_requests_total')!.samples.map((s) => Object.keys(s.labels).sort().join(',')))).toEqual(
      new Set(['method,route,status']),
    );

    // The worker: finished by state, Code and path; phase histograms.
    expect(a.get('ci_jobs_finished_total')?.samples).toEqual([]);
    const finished = w.get('ci_jobs_finished_total')!.samples.map((s) => ({ ...s.labels, value: s.value }));
    expect(finished).toEqual(
      expect.arrayContaining([
        { state: 'Success', code: 'Success', path: okPath, value: 1 },
        { state: 'Failed', code: 'ResourceNotFound', path: 'none', value: 1 },
      ]),
    );
    expect(finished).toHaveLength(2);
    expect(sampleValue(w, 'ci_job_queue_wait_seconds_count')).toBe(2);
    expect(sampleValue(w, 'ci_job_duration_seconds_count', { state: 'Success', path: okPath })).toBe(1);
    expect(sampleValue(w, 'ci_job_duration_seconds_count', { state: 'Failed', path: 'none' })).toBe(1);
    expect(sampleValue(w, 'ci_job_duration_seconds_bucket', { state: 'Success', path: okPath, le: '+Inf' })).toBe(1);
    // The failed job never got past its fetch; the phases counted are the successful job's.
    for (const phase of ['fetch_and_probe', 'plan', 'ffmpeg', 'upload']) {
      expect(sampleValue(w, 'ci_job_phase_seconds_count', { phase }), phase).toBe(1);
    }
    const ffmpegSec = sampleValue(w, 'ci_job_phase_seconds_sum', { phase: 'ffmpeg' });
    expect(ffmpegSec).toBeGreaterThan(0);
    expect(ffmpegSec).toBeLessThan(sampleValue(w, 'ci_job_duration_seconds_sum', { state: 'Success', path: okPath }));
    // Callbacks are posted by the API process.
    expect(sampleValue(a, 'ci_callbacks_total', { event: 'TaskFinish', outcome: 'delivered' })).toBe(2);
    expect(sampleValue(a, 'ci_callbacks_total', { event: 'TaskFinish', outcome: 'retried' })).toBe(1);
    expect(a.get('ci_callbacks_total')!.samples).toHaveLength(2);
    expect(w.get('ci_callbacks_total')?.samples ?? []).toEqual([]);

    // No label value names a job, an object or a bucket.
    for (const v of [...labelValues(a), ...labelValues(w)]) {
      expect(v).not.toMatch(/j[0-9a-f]{32}/);
      for (const unbounded of [ok, bad, BUCKET, 'metrics/a.mp4', 'metrics/missing.mp4', 'nothing-here']) expect(v).not.toContain(unbounded);
    }
  });

  it('METRICS_TOKEN: a scrape without the bearer token is refused, on the API and on the worker', async () => {
    for (const url of [api.url, worker.metricsUrl!]) {
      expect((await scrape(url, null)).status).toBe(401);
      expect((await scrape(url, 'wrong')).status).toBe(401);
      expect((await scrape(url, TOKEN)).status).toBe(200);
    }
    // The worker's listener serves nothing else.
    expect((await fetch(`${worker.metricsUrl!}/healthz`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('without METRICS_TOKEN the API serves /metrics to anyone, with no bucket in the Host; without METRICS_PORT the worker has no listener', async () => {
    const engine = await startTestEngine({ worker: true });
    try {
      const res = await fetch(`${engine.api.url}/metrics`);
      expect(res.status).toBe(200);
      expect(parseExposition(await res.text()).get('ci_jobs_submitted_total')?.type).toBe('counter');
      expect(engine.config.worker.metricsPort).toBeUndefined();
      expect((engine.worker as RunningWorker).metricsUrl).toBeUndefined();
    } finally {
      await engine.close();
    }
  });
});

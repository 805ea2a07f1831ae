// Every log line has each key once. The engine is started as `npm start` starts it (one process logger
// named `service`, a `component` logger for the API and one for the worker), at debug level, and used as
// a client would: a job that succeeds with a callback, one that fails, refused requests, a workflow's
// state changes. Every line it writes is then scanned for a key that repeats in one object.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, startWorker, type Running, type RunningApi } from '../../src/engine.js';
import { componentLogger, createLogger } from '../../src/logger.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { testConfig } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { duplicateKeys } from '../helpers/json-keys.js';
import { bucketWithClip } from '../helpers/test-bucket.js';

const BUCKET = 'logs-1250000000';
const lines: string[] = [];
let api: RunningApi;
let worker: Running;
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

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'log-lines-'));
  const endpoints = testEndpoints();
  await bucketWithClip(endpoints.s3Endpoint, BUCKET, 'logs/a.mp4', work);
  receiver = createServer((r, res) => {
    r.resume();
    r.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

  const config = testConfig({ LOG_LEVEL: 'debug', CALLBACK_RETRY_BASE_MS: '50' });
  const logger = createLogger('debug', 'engine', { write: (line: string) => void lines.push(line) });
  api = await startApi(config, endpoints, componentLogger(logger, 'api'));
  worker = await startWorker(config, endpoints, componentLogger(logger, 'worker'));
  cos = cosClient(api.url);
});
afterAll(async () => {
  await worker.close();
  await api.close();
  receiver.close();
  rmSync(work, { recursive: true, force: true });
});

describe('log lines', () => {
  it('have each key once, in every line the API and the worker write', async () => {
    const ok = (await req({ Method: 'POST', Key: 'jobs', Body: jobBody('logs/a.mp4') })).body.Response.JobsDetail.JobId as string;
    const bad = (await req({ Method: 'POST', Key: 'jobs', Body: jobBody('logs/missing.mp4') })).body.Response.JobsDetail.JobId as string;
    await req({ Method: 'POST', Key: 'jobs', Body: '<Request><Tag>Concat</Tag>' });
    await req({ Method: 'GET', Key: 'nothing-here' });
    expect(await waitFor(ok)).toBe('Success');
    expect(await waitFor(bad)).toBe('Failed');
    // The callbacks are delivered after the jobs end.
    for (let i = 0; i < 100 && lines.filter((l) => l.includes('"callback delivered"')).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }

    expect(lines.length).toBeGreaterThan(10);
    const repeated = lines.flatMap((l) => duplicateKeys(l).map((k) => `${k} in ${l.slice(0, 160)}`));
    expect(repeated).toEqual([]);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.every((l) => l.service === 'engine')).toBe(true);
    expect(new Set(parsed.map((l) => l.component))).toEqual(new Set(['api', 'worker']));
    const failed = parsed.find((l) => l.msg === 'job failed' && l.jobId === bad);
    expect(failed).toMatchObject({ component: 'worker', code: 'ResourceNotFound' });
    expect(String(failed?.message)).toMatch(/missing\.mp4/);
    expect(parsed.filter((l) => l.msg === 'callback delivered')).toHaveLength(2);
  });
});

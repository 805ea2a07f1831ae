// Redis down: every route answers CI's 503 ServiceUnavailable (never 500), quickly, a submit creates
// nothing, and everything works again by itself when Redis is back (no restart of the API or the worker). A redis-server of this
// file's own (AOF on) is stopped and started on the same port and data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRedisServer, type EmbeddedRedis } from '../../src/embedded/redis-server.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { freePort } from '../setup/services.js';

const BUCKET = 'outage-1250000000';
let dir: string;
let port: number;
let redis: EmbeddedRedis | undefined;
let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
const req = (o: Parameters<typeof ciRequest>[1]) => ciRequest(cos, { bucket: BUCKET, ...o });

const jobBody = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>o/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output></Operation></Request>`;
const workflowBody = `<Request><MediaWorkflow><Name>w</Name><State>Paused</State><Topology><Dependencies><Start>Concat_1</Start><Concat_1>End</Concat_1></Dependencies><Nodes><Start><Type>Start</Type><Input><QueueId>p1</QueueId><ObjectPrefix>in/</ObjectPrefix></Input></Start><Concat_1><Type>Concat</Type><Operation><TemplateId>t1</TemplateId><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>o.\${Ext}</Object></Output></Operation></Concat_1></Nodes></Topology></MediaWorkflow></Request>`;
const templateBody =
  '<Request><Tag>Concat</Tag><Name>t</Name><ConcatTemplate><ConcatFragment><Url>o/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate></Request>';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'redis-outage-'));
  port = await freePort();
  redis = await startRedisServer({ port, dir });
  engine = await startTestEngine({ worker: true, endpoints: { redisUrl: redis.url, s3Endpoint: inject('s3Endpoint') } });
  cos = cosClient(engine.api.url);
});
afterAll(async () => {
  await engine.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis unavailable', () => {
  let jobId: string;
  let queueId: string;
  let workflowId: string;

  it('before: a job is submitted and readable', async () => {
    const res = await req({ Method: 'POST', Key: 'jobs', Body: jobBody });
    expect(res.statusCode).toBe(200);
    jobId = res.body.Response.JobsDetail.JobId as string;
    queueId = res.body.Response.JobsDetail.QueueId as string;
    const wf = await req({ Method: 'POST', Key: 'workflow', Body: workflowBody });
    expect(wf.statusCode).toBe(200);
    workflowId = wf.body.Response.MediaWorkflow.WorkflowId as string;
  });

  it('while it is down: every route answers 503 ServiceUnavailable with CI’s body, quickly; /healthz names redis', async () => {
    await redis!.stop();
    redis = undefined;
    const requests: [string, Parameters<typeof req>[0]][] = [
      ['submit', { Method: 'POST', Key: 'jobs', Body: jobBody }],
      ['describe job', { Method: 'GET', Key: `jobs/${jobId}` }],
      ['list jobs', { Method: 'GET', Key: 'jobs', Query: { queueId, tag: 'Concat' } }],
      ['cancel job', { Method: 'PUT', Key: `jobs/${jobId}`, Query: { cancel: '' } }],
      ['describe queues', { Method: 'GET', Key: 'queue' }],
      ['update queue', { Method: 'PUT', Key: `queue/${queueId}`, Body: '<Request><Name>q</Name><State>Active</State></Request>' }],
      ['create template', { Method: 'POST', Key: 'template', Body: templateBody }],
      ['describe templates', { Method: 'GET', Key: 'template' }],
      ['describe workflows', { Method: 'GET', Key: 'workflow' }],
      ['pause workflow', { Method: 'PUT', Key: `workflow/${workflowId}`, Query: { paused: '' } }],
      ['delete workflow', { Method: 'DELETE', Key: `workflow/${workflowId}` }],
      ['trigger workflow', { Method: 'POST', Key: 'triggerworkflow', Query: { workflowId, object: 'o/a.mp4' } }],
      ['list executions', { Method: 'GET', Key: 'workflowexecution', Query: { workflowId } }],
    ];
    for (const [what, o] of requests) {
      const started = Date.now();
      const res = await req(o);
      expect(res.statusCode, `${what}: ${JSON.stringify(res.body)}`).toBe(503);
      expect(res.body.Error.Code, what).toBe('ServiceUnavailable');
      expect(res.body.Error.Message, what).toMatch(/Redis|unavailable/i);
      expect(Date.now() - started, what).toBeLessThan(10_000);
    }
    const health = await fetch(`${engine.api.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { checks: Record<string, string> }).checks.redis).not.toBe('ok');
  }, 120_000);

  it('after it is back: the same API answers again, the earlier job is there, and the refused submit created nothing', async () => {
    redis = await startRedisServer({ port, dir });
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await req({ Method: 'GET', Key: `jobs/${jobId}` })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const list = await req({ Method: 'GET', Key: 'jobs', Query: { queueId, tag: 'Concat', size: '100' } });
    const ids = [list.body.Response.JobsDetail ?? []].flat().map((j: { JobId: string }) => j.JobId);
    expect(ids).toEqual([jobId]);
    const again = await req({ Method: 'POST', Key: 'jobs', Body: jobBody });
    expect(again.statusCode).toBe(200);
    expect((await fetch(`${engine.api.url}/healthz`)).status).toBe(200);
    // The worker that ran through the outage takes the new job (its input does not exist: it fails).
    const newId = again.body.Response.JobsDetail.JobId as string;
    let state = '';
    for (let i = 0; i < 200 && !['Success', 'Failed'].includes(state); i++) {
      state = (await req({ Method: 'GET', Key: `jobs/${newId}` })).body.Response.JobsDetail.State as string;
      if (!['Success', 'Failed'].includes(state)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('Failed');
    expect((await req({ Method: 'GET', Key: `jobs/${newId}` })).body.Response.JobsDetail.Code).toBe('ResourceNotFound');
  }, 60_000);
});

// Answers every official SDK can read. Tencent's Python SDK parses every success body as XML (an empty
// one raises) and decodes an error only from a body with Code, Message, Resource, RequestId and TraceId
// (test/helpers/python-sdk.ts re-states its rules); the Node SDK is driven as a client would. Each answer
// is read both ways.
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3 } from '../../src/storage/s3.js';
import { ciRequest, cosClient, REGION } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { makeClip } from '../helpers/media.js';
import { pythonSdkError, pythonSdkResult, type PyDict } from '../helpers/python-sdk.js';

const BUCKET = 'sdk-1250000000';
const HOST = `${BUCKET}.ci.${REGION}.myqcloud.com`;

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
let s3: S3Client;
let work: string;
const req = (o: Parameters<typeof ciRequest>[1]) => ciRequest(cos, { bucket: BUCKET, ...o });

/** A request as any HTTP client sends it; the answer's raw body and headers. */
function raw(method: string, urlPath: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(engine.api.url);
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: url.hostname, port: url.port, method, path: urlPath, headers: { host: HOST, 'content-type': 'application/xml' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

const workflowBody = (name: string) =>
  `<Request><MediaWorkflow><Name>${name}</Name><State>Paused</State><Topology><Dependencies><Start>Concat_1</Start><Concat_1>End</Concat_1></Dependencies><Nodes><Start><Type>Start</Type><Input><QueueId>p1</QueueId><ObjectPrefix>in/</ObjectPrefix></Input></Start><Concat_1><Type>Concat</Type><Operation><TemplateId>t1</TemplateId><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>o.\${Ext}</Object></Output></Operation></Concat_1></Nodes></Topology></MediaWorkflow></Request>`;

const jobBody = (input: string) =>
  `<Request><Tag>Concat</Tag><Input><Object>${input}</Object></Input><Operation><ConcatTemplate><ConcatFragment><Url>sdk/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output></Operation></Request>`;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'sdk-answers-'));
  s3 = createS3({
    endpoint: inject('s3Endpoint'),
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const clip = await makeClip(path.join(work, 'a.mp4'), { durationSec: 1, audio: true });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk/a.mp4', Body: readFileSync(clip) }));
  engine = await startTestEngine();
  cos = cosClient(engine.api.url);
});
afterAll(async () => {
  await engine.close();
  s3.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('workflow activate and pause answer the workflow', () => {
  it('PUT ?active and ?paused: a body both SDKs parse, the workflow as GET /workflow shows it with the new State', async () => {
    const created = await req({ Method: 'POST', Key: 'workflow', Body: workflowBody('sdk-state') });
    const id = created.body.Response.MediaWorkflow.WorkflowId as string;
    for (const [param, state] of [
      ['active', 'Active'],
      ['paused', 'Paused'],
    ] as const) {
      const res = await req({ Method: 'PUT', Key: `workflow/${id}`, Query: { [param]: '' } });
      expect(res.statusCode).toBe(200);
      // Node SDK
      expect(res.body.Response.RequestId).toBe(res.headers['x-ci-request-id']);
      expect(res.body.Response.MediaWorkflow.State).toBe(state);
      // Python SDK
      const py = pythonSdkResult(res.raw);
      const shown = pythonSdkResult((await req({ Method: 'GET', Key: 'workflow', Query: { ids: id } })).raw);
      expect((py.MediaWorkflow as PyDict).State).toBe(state);
      expect(py.MediaWorkflow).toEqual(shown.MediaWorkflowList);
    }
  });
});

describe('every success answer is XML a client can parse', () => {
  it('templates, queues, jobs, workflows and executions; only the documented empty cancel answer has no body', async () => {
    const answers: [string, Awaited<ReturnType<typeof req>>][] = [];
    const ask = async (what: string, o: Parameters<typeof req>[0]) => {
      const res = await req(o);
      expect(res.statusCode, `${what}: ${JSON.stringify(res.body)}`).toBe(200);
      answers.push([what, res]);
      return res;
    };
    const tpl = await ask('create template', {
      Method: 'POST',
      Key: 'template',
      Body: '<Request><Tag>Concat</Tag><Name>sdk-t</Name><ConcatTemplate><ConcatFragment><Url>sdk/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate></Request>',
    });
    const templateId = tpl.body.Response.Template.TemplateId as string;
    await ask('update template', {
      Method: 'PUT',
      Key: `template/${templateId}`,
      Body: '<Request><Tag>Concat</Tag><Name>sdk-t2</Name><ConcatTemplate><ConcatFragment><Url>sdk/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate></Request>',
    });
    await ask('describe templates', { Method: 'GET', Key: 'template', Query: { ids: templateId } });
    const queues = await ask('describe queues', { Method: 'GET', Key: 'queue' });
    const queueId = queues.body.Response.QueueList.QueueId as string;
    await ask('update queue', { Method: 'PUT', Key: `queue/${queueId}`, Body: '<Request><Name>q</Name><State>Active</State></Request>' });
    const job = await ask('submit job', { Method: 'POST', Key: 'jobs', Body: jobBody('sdk/a.mp4') });
    const jobId = job.body.Response.JobsDetail.JobId as string;
    await ask('describe job', { Method: 'GET', Key: `jobs/${jobId}` });
    await ask('list jobs', { Method: 'GET', Key: 'jobs', Query: { queueId, tag: 'Concat' } });
    const wf = await ask('create workflow', { Method: 'POST', Key: 'workflow', Body: workflowBody('sdk-sweep') });
    const workflowId = wf.body.Response.MediaWorkflow.WorkflowId as string;
    await ask('update workflow', { Method: 'PUT', Key: `workflow/${workflowId}`, Body: workflowBody('sdk-sweep-2') });
    await ask('describe workflows', { Method: 'GET', Key: 'workflow', Query: { ids: workflowId } });
    await ask('list executions', { Method: 'GET', Key: 'workflowexecution', Query: { workflowId } });
    await ask('delete workflow', { Method: 'DELETE', Key: `workflow/${workflowId}` });
    await ask('delete template', { Method: 'DELETE', Key: `template/${templateId}` });

    for (const [what, res] of answers) {
      expect(res.raw, what).not.toBe('');
      const py = pythonSdkResult(res.raw);
      expect(Object.keys(py).length, what).toBeGreaterThan(0);
      // Answers that carry a RequestId (the documented job answers do not) carry the header's.
      if ('RequestId' in py) expect(py.RequestId, what).toBe(res.headers['x-ci-request-id']);
    }

    // CancelMediaJob is documented as an empty 200; the SDKs return without parsing it.
    const waiting = await req({ Method: 'POST', Key: 'jobs', Body: jobBody('sdk/a.mp4') });
    await req({ Method: 'PUT', Key: `queue/${queueId}`, Body: '<Request><Name>q</Name><State>Paused</State></Request>' });
    const cancelled = await req({ Method: 'PUT', Key: `jobs/${waiting.body.Response.JobsDetail.JobId as string}`, Query: { cancel: '' } });
    await req({ Method: 'PUT', Key: `queue/${queueId}`, Body: '<Request><Name>q</Name><State>Active</State></Request>' });
    if (cancelled.statusCode === 200) expect(cancelled.raw).toBe('');
    else expect(cancelled.body.Error.Code).toBe('InvalidArgument'); // the worker took it first
  });
});

describe('error bodies carry Code, Message, Resource, RequestId and TraceId', () => {
  const cases: [string, string, string, string | undefined, number, string][] = [
    ['a job without Operation', 'POST', '/jobs', '<Request><Tag>Concat</Tag></Request>', 400, 'InvalidArgument'],
    ['an unknown API', 'GET', '/nothing-here?x=1', undefined, 404, 'InvalidUrl'],
    ['malformed XML', 'POST', '/jobs', '<Request><Tag>Concat</Tag>', 400, 'InvalidContent'],
    ['an empty body', 'POST', '/template', '', 400, 'MissingContent'],
  ];
  for (const [what, method, urlPath, body, status, code] of cases) {
    it(`${what}: ${status} ${code}, decoded by the Python SDK's rules and the Node SDK`, async () => {
      const res = await raw(method, urlPath, body);
      expect(res.status).toBe(status);
      const py = pythonSdkError(res.body);
      expect(py).not.toBe('Unknown');
      if (py === 'Unknown') return;
      expect(py.code).toBe(code);
      expect(py.message.length).toBeGreaterThan(0);
      expect(py.resource).toBe(`${HOST}${urlPath.split('?')[0]!}`);
      expect(py.requestid).toBe(res.headers['x-ci-request-id']);
      expect(py.traceid).toBe(res.headers['x-ci-trace-id']);
      expect(res.body).toMatch(
        /^(<\?xml[^>]*>\n?)?<Error><Code>[^<]+<\/Code><Message>[^<]+<\/Message><Resource>[^<]+<\/Resource><RequestId>[^<]+<\/RequestId><TraceId>[^<]+<\/TraceId><\/Error>$/,
      );

      const viaNode = await req({ Method: method, Key: urlPath.slice(1).split('?')[0]!, ...(body !== undefined ? { Body: body } : {}) });
      expect(viaNode.statusCode).toBe(status);
      expect(viaNode.body.Error).toMatchObject({ Code: code, Resource: `${HOST}${urlPath.split('?')[0]!}` });
      expect(viaNode.body.Error.TraceId).toBe(viaNode.headers['x-ci-trace-id']);
    });
  }

  it('a paused queue refuses a submit with 403 QueuePaused that the Python SDK can branch on', async () => {
    const queueId = (await req({ Method: 'GET', Key: 'queue' })).body.Response.QueueList.QueueId as string;
    await req({ Method: 'PUT', Key: `queue/${queueId}`, Body: '<Request><Name>q</Name><State>Paused</State></Request>' });
    try {
      const res = await raw('POST', '/jobs', jobBody('sdk/a.mp4'));
      expect(res.status).toBe(403);
      expect(pythonSdkError(res.body)).toMatchObject({ code: 'QueuePaused', resource: `${HOST}/jobs` });
    } finally {
      await req({ Method: 'PUT', Key: `queue/${queueId}`, Body: '<Request><Name>q</Name><State>Active</State></Request>' });
    }
  });

  it('a request the HTTP parser refuses gets all five too', async () => {
    const url = new URL(engine.api.url);
    const { connect } = await import('node:net');
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1.1 400/);
    expect(head).toMatch(/x-ci-trace-id: \S+/);
    expect(pythonSdkError(body!)).toMatchObject({ code: 'InvalidArgument', resource: '/' });
  });
});

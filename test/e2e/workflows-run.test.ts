// Workflows that run: Start -> Concat -> End, triggered through the API and by uploads (an S3 event
// POSTed as MinIO's webhook does, and the embedded store's own events), with wildcards expanded, an
// execution with its task, the node's TaskFinish and the WorkflowFinish notification.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type EmbeddedS3 } from '../../src/embedded/s3-server.js';
import { createS3 } from '../../src/storage/s3.js';
import { ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { makeClip } from '../helpers/media.js';
import { freePort } from '../setup/services.js';
import { SEED_WORKFLOW_1_CREATE } from '../fixtures/seed-workflows.js';

const BUCKET = 'wf-1250000000';
const REGION = 'ap-guangzhou';

let work: string;
let receiver: Server;
let receiverUrl: string;
const received: { path: string; body: any }[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'wf-run-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  await Promise.all([
    makeClip(path.join(work, 'intro.mp4'), { width: 160, height: 90, durationSec: 1, audio: true }),
    makeClip(path.join(work, 'clip.mp4'), { width: 160, height: 90, durationSec: 1, audio: true }),
  ]);
});

afterAll(() => {
  receiver.close();
  rmSync(work, { recursive: true, force: true });
});

async function setupBucket(s3: S3Client): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  for (const [key, file] of [
    ['brand/intro.mp4', 'intro.mp4'],
    ['brand/outro.mp4', 'intro.mp4'],
  ]) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(path.join(work, file!)) }));
  }
}

async function upload(s3: S3Client, key: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(path.join(work, 'clip.mp4')), ContentType: 'video/mp4' }),
  );
}

/** Creates the template and the Start -> Concat -> End workflow; returns the workflow id. */
async function createWorkflow(cos: ReturnType<typeof cosClient>, notifyPath: string): Promise<string> {
  const req = (o: Parameters<typeof ciRequest>[1]) => ciRequest(cos, { bucket: BUCKET, region: REGION, ...o });
  const template = (
    await req({
      Method: 'POST',
      Key: 'template',
      Body: '<Request><Tag>Concat</Tag><Name>brand</Name><ConcatTemplate><ConcatFragment><Url>brand/intro.mp4</Url><Mode>Start</Mode></ConcatFragment><ConcatFragment><Url>brand/outro.mp4</Url><Mode>End</Mode></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate></Request>',
    })
  ).body.Response.Template.TemplateId;
  const queueId = (await req({ Method: 'GET', Key: 'queue' })).body.Response.QueueList.QueueId;
  const body = `<Request><MediaWorkflow><Name>brand-wrap</Name><State>Paused</State><Topology>
<Dependencies><Start>Concat_1581665960536</Start><Concat_1581665960536>End</Concat_1581665960536></Dependencies>
<Nodes><Start><Type>Start</Type><Input><QueueId>${queueId}</QueueId><ObjectPrefix>/in/</ObjectPrefix>
<NotifyConfig><State>On</State><Url>${receiverUrl}${notifyPath}</Url><Event>TaskFinish,WorkflowFinish</Event><Type>Url</Type><ResultFormat>JSON</ResultFormat></NotifyConfig>
<ExtFilter><State>On</State><Video>true</Video><Audio>false</Audio><Image>false</Image><Custom>false</Custom><AllFile>false</AllFile></ExtFilter></Input></Start>
<Concat_1581665960536><Type>Concat</Type><Operation><TemplateId>${template}</TemplateId>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>in/out/\${InputPath}/\${InputName}-\${RunId}-\${jobid}.\${Ext}</Object></Output></Operation></Concat_1581665960536>
</Nodes></Topology></MediaWorkflow></Request>`;
  const res = await req({ Method: 'POST', Key: 'workflow', Body: body });
  expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
  return res.body.Response.MediaWorkflow.WorkflowId;
}

async function waitExecution(cos: ReturnType<typeof cosClient>, runId: string): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const e = (await ciRequest(cos, { bucket: BUCKET, region: REGION, Method: 'GET', Key: `workflowexecution/${runId}` })).body.Response
      .WorkflowExecution;
    if (e.State !== 'Running') return e;
    if (Date.now() > deadline) throw new Error(`execution ${runId} still Running`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitReceived(pred: (r: { path: string; body: any }) => boolean): Promise<any> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const hit = received.find(pred);
    if (hit) return hit.body;
    if (Date.now() > deadline) throw new Error('notification not received');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a Start -> Concat -> End workflow on the shared store', () => {
  let engine: TestEngine;
  let cos: ReturnType<typeof cosClient>;
  let s3: S3Client;
  let workflowId: string;
  const req = (o: Parameters<typeof ciRequest>[1]) => ciRequest(cos, { bucket: BUCKET, region: REGION, ...o });

  beforeAll(async () => {
    engine = await startTestEngine({ worker: true });
    cos = cosClient(engine.api.url);
    s3 = createS3({
      endpoint: testEndpoints().s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    await setupBucket(s3);
    await upload(s3, 'in/clip.mp4');
    workflowId = await createWorkflow(cos, '/api');
  });
  afterAll(async () => {
    await engine.close();
    s3.destroy();
  });

  it('is refused while Paused, then runs when triggered through the API', async () => {
    const paused = await req({ Method: 'POST', Key: 'triggerworkflow', Query: { workflowId, object: 'in/clip.mp4' } });
    expect(paused.statusCode).toBe(400);
    expect(paused.body.Error.Message).toMatch(/is Paused/);
    expect((await req({ Method: 'PUT', Key: `workflow/${workflowId}`, Query: { active: '' } })).statusCode).toBe(200);

    const missing = await req({ Method: 'POST', Key: 'triggerworkflow', Query: { workflowId, object: 'in/none.mp4' } });
    expect(missing.body.Error.Message).toMatch(/in\/none\.mp4 does not exist/);

    const res = await req({ Method: 'POST', Key: 'triggerworkflow', Query: { workflowId, object: 'in/clip.mp4' } });
    expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
    const runId = res.body.Response.InstanceId;
    expect(runId).toMatch(/^i[0-9a-f]{32}$/);

    const e = await waitExecution(cos, runId);
    expect(e).toMatchObject({
      WorkflowId: workflowId,
      Name: 'brand-wrap',
      WorkflowName: 'brand-wrap',
      RunId: runId,
      Object: 'in/clip.mp4',
      State: 'Success',
    });
    expect(e.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(e.Topology.Dependencies).toEqual({ Start: 'Concat_1581665960536', Concat_1581665960536: 'End' });
    const task = e.Tasks;
    expect(task).toMatchObject({ Type: 'Concat', Name: 'Concat_1581665960536', State: 'Success', TemplateName: 'brand' });

    // The node's job: Workflow fields, the object as input, wildcards expanded.
    const job = (await req({ Method: 'GET', Key: `jobs/${task.JobId}` })).body.Response.JobsDetail;
    expect(job.Workflow).toEqual({ Name: 'Concat_1581665960536', RunId: runId, WorkflowId: workflowId, WorkflowName: 'brand-wrap' });
    expect(job.Input).toMatchObject({ BucketId: BUCKET, Object: 'in/clip.mp4', Region: REGION });
    expect([job.Input.CosHeaders].flat()).toEqual(expect.arrayContaining([{ Key: 'Content-Type', Value: 'video/mp4' }]));
    const key = `in/out/in/clip-${runId}-${task.JobId}.mp4`;
    expect(job.Operation.MediaResult.OutputFile.ObjectName).toBe(key);
    expect(Number(job.Operation.MediaInfo.Format.Duration)).toBeCloseTo(3, 0);
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

    // Listing jobs by workflow finds it.
    const byWorkflow = await req({ Method: 'GET', Key: 'jobs', Query: { tag: 'Concat', workflowId } });
    expect(byWorkflow.body.Response.JobsDetail.JobId).toBe(task.JobId);

    // Notifications: the node's TaskFinish and the WorkflowFinish, in the Start node's JSON format.
    const taskFinish = await waitReceived(
      (r) => r.path === '/api' && r.body.EventName === 'TaskFinish' && r.body.JobsDetail.JobId === task.JobId,
    );
    expect(taskFinish.JobsDetail.Workflow.RunId).toBe(runId);
    const finish = await waitReceived(
      (r) => r.path === '/api' && r.body.EventName === 'WorkflowFinish' && r.body.WorkflowExecution.RunId === runId,
    );
    expect(finish.WorkflowExecution).toMatchObject({
      WorkflowId: workflowId,
      WorkflowName: 'brand-wrap',
      State: 'Success',
      BucketId: BUCKET,
      Object: 'in/clip.mp4',
    });
    expect(finish.WorkflowExecution.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{4}$/);
    // In JSON, Tasks and CosHeaders are arrays whatever their length (docs/ci-api.md 7.3).
    expect(finish.WorkflowExecution.Tasks).toEqual([
      expect.objectContaining({ Type: 'Concat', JobId: task.JobId, State: 'Success', Name: 'Concat_1581665960536' }),
    ]);
  });

  it('runs for an upload announced by an S3 event (MinIO webhook format), honouring prefix, ExtFilter and its own outputs', async () => {
    await upload(s3, 'in/second clip.mp4');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/notes.txt', Body: 'not media' }));
    await upload(s3, 'elsewhere/clip.mp4');
    const record = (key: string) => ({
      eventName: 's3:ObjectCreated:Put',
      s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), size: 1 } },
    });
    const post = async (keys: string[]) => {
      const res = await fetch(`${engine.api.url}/s3-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ EventName: 's3:ObjectCreated:Put', Records: keys.map(record) }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { started: string[] }).started;
    };
    const started = await post(['in/second clip.mp4', 'in/notes.txt', 'elsewhere/clip.mp4']);
    expect(started).toHaveLength(1);
    const e = await waitExecution(cos, started[0]!);
    expect(e).toMatchObject({ State: 'Success', Object: 'in/second clip.mp4' });
    // Its output lies under the trigger prefix too, and starts nothing: it is the engine's own.
    const job = (await req({ Method: 'GET', Key: `jobs/${e.Tasks.JobId}` })).body.Response.JobsDetail;
    expect([job.Input.CosHeaders].flat()).toEqual(expect.arrayContaining([{ Key: 'EventName', Value: 'cos:ObjectCreated:Put' }]));
    expect(await post([job.Operation.MediaResult.OutputFile.ObjectName])).toEqual([]);
    // A large event (here 9 KB of records matching no workflow) is JSON: the XML body limits do not apply.
    expect(await post(Array.from({ length: 60 }, (_, i) => `elsewhere/batch-${i}.mp4`))).toEqual([]);

    // Both executions are listed, newest first, page by page.
    const page1 = await req({ Method: 'GET', Key: 'workflowexecution', Query: { workflowId, size: '1' } });
    expect(page1.body.Response.WorkflowExecutionList).toMatchObject({ RunId: started[0], State: 'Success', Object: 'in/second clip.mp4' });
    const page2 = await req({
      Method: 'GET',
      Key: 'workflowexecution',
      Query: { workflowId, size: '1', nextToken: page1.body.Response.NextToken },
    });
    expect(page2.body.Response.WorkflowExecutionList.Object).toBe('in/clip.mp4');
    expect(page2.body.Response.NextToken).toBeUndefined();
    const failed = await req({ Method: 'GET', Key: 'workflowexecution', Query: { workflowId, states: 'Failed' } });
    expect(failed.body.Response.WorkflowExecutionList).toBeUndefined();
  });

  it('refuses to trigger a workflow with node types it does not run, naming them', async () => {
    const seed = await req({ Method: 'POST', Key: 'workflow', Body: SEED_WORKFLOW_1_CREATE });
    const id = seed.body.Response.MediaWorkflow.WorkflowId;
    const res = await req({ Method: 'POST', Key: 'triggerworkflow', Query: { workflowId: id, object: 'in/clip.mp4' } });
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Message).toMatch(/not Snapshot, Transcode, Segment, SmartCover, PicProcess/);
  });
});

describe('uploads to the embedded store', () => {
  let store: EmbeddedS3;
  let engine: TestEngine;
  let s3: S3Client;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wf-store-'));
    store = await startS3Server({ port: await freePort(), dir, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    engine = await startTestEngine({ worker: true, endpoints: { redisUrl: testEndpoints().redisUrl, s3Endpoint: store.endpoint } });
    // As npm start wires it.
    store.onEvent((event) => void engine.api.onS3Event(event, { keysEncoded: false }));
    s3 = createS3({
      endpoint: store.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    await setupBucket(s3);
  });
  afterAll(async () => {
    await engine.close();
    s3.destroy();
    await store.stop();
  });

  it('start an Active workflow whose prefix they fall under', async () => {
    const cos = cosClient(engine.api.url);
    const workflowId = await createWorkflow(cos, '/embedded');
    await ciRequest(cos, { bucket: BUCKET, region: REGION, Method: 'PUT', Key: `workflow/${workflowId}`, Query: { active: '' } });
    await upload(s3, 'in/uploaded.mp4');
    const finish = await waitReceived((r) => r.path === '/embedded' && r.body.EventName === 'WorkflowFinish');
    expect(finish.WorkflowExecution).toMatchObject({ WorkflowId: workflowId, State: 'Success', Object: 'in/uploaded.mp4' });
    const headers = finish.WorkflowExecution.CosHeaders;
    expect(headers).toEqual(
      expect.arrayContaining([
        { Key: 'Content-Type', Value: 'video/mp4' },
        { Key: 'EventName', Value: 'cos:ObjectCreated:Put' },
      ]),
    );
    // Exactly one execution: the output, under the same prefix, started none.
    await new Promise((r) => setTimeout(r, 500));
    const list = await ciRequest(cos, { bucket: BUCKET, region: REGION, Method: 'GET', Key: 'workflowexecution', Query: { workflowId } });
    expect([list.body.Response.WorkflowExecutionList].flat()).toHaveLength(1);
  });
});

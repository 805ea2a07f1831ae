// TaskFinish callbacks to a real HTTP receiver: XML by default, JSON on request, retried with backoff
// until a 2xx, and the delivery state visible on the job.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

interface Received {
  path: string;
  contentType: string;
  body: string;
}

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Status codes the receiver answers in turn, per path; 200 once a path's list is used up. */
const script: Record<string, number[]> = {};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
  });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '';
      received.push({ path, contentType: String(req.headers['content-type']), body });
      const status = script[path]?.shift() ?? 200;
      res.writeHead(status).end();
    })();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  engine = await startTestEngine({ worker: true, env: { CALLBACK_RETRY_BASE_MS: '50', CALLBACK_TIMEOUT_MS: '2000' } });
  cos = cosClient(engine.api.url);
});

afterAll(async () => {
  await engine.close();
  receiver.close();
});

function job(callback: string, format?: string): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>missing/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out.\${ext}</Object></Output>
<UserData>cb-test</UserData></Operation><CallBack>${callback}</CallBack>${format ? `<CallBackFormat>${format}</CallBackFormat>` : ''}</Request>`;
}

async function describeUntil(jobId: string, done: (d: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (done(d)) return d;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('TaskFinish callbacks', () => {
  it('posts XML by default, retrying until the receiver answers 2xx', async () => {
    script['/xml'] = [500, 503];
    const { JobId } = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job(`${receiverUrl}/xml`) })).body.Response.JobsDetail;
    const d = await describeUntil(JobId, (x) => x.CallBackInfo?.State === 'Delivered');
    expect(d.CallBackInfo).toEqual({ State: 'Delivered', Attempts: '3', LastError: '' });
    const posts = received.filter((r) => r.path === '/xml');
    expect(posts).toHaveLength(3);
    const last = posts[2]!;
    expect(last.contentType).toBe('application/xml');
    const body = new XMLParser({ parseTagValue: false }).parse(last.body).Response;
    expect(body.EventName).toBe('TaskFinish');
    expect(body.JobsDetail).toMatchObject({ JobId, State: d.State, Code: d.Code, Message: d.Message, Tag: 'Concat', QueueId: d.QueueId });
    expect(['Success', 'Failed']).toContain(body.JobsDetail.State);
    expect(body.JobsDetail.Operation.UserData).toBe('cb-test');
    expect(body.JobsDetail.EndTime).toBe(d.EndTime);
  });

  it('posts JSON when CallBackFormat is JSON, with string leaves and no empty elements', async () => {
    const { JobId } = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job(`${receiverUrl}/json`, 'JSON') })).body.Response
      .JobsDetail;
    await describeUntil(JobId, (x) => x.CallBackInfo?.State === 'Delivered');
    const post = received.find((r) => r.path === '/json')!;
    expect(post.contentType).toBe('application/json');
    const body = JSON.parse(post.body);
    expect(body.EventName).toBe('TaskFinish');
    expect(body.JobsDetail.JobId).toBe(JobId);
    expect(body.JobsDetail.Operation.JobLevel).toBe('0');
    expect(body.JobsDetail.Input).toEqual({ BucketId: BUCKET, Region: REGION });
    expect(JSON.stringify(body)).not.toMatch(/:""/);
  });

  it('gives up after 6 tries and shows the callback Failed with the last error', async () => {
    script['/down'] = [500, 500, 500, 500, 500, 500, 500];
    const { JobId } = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job(`${receiverUrl}/down`) })).body.Response.JobsDetail;
    const d = await describeUntil(JobId, (x) => x.CallBackInfo?.State === 'Failed');
    expect(d.CallBackInfo).toEqual({ State: 'Failed', Attempts: '6', LastError: 'the receiver answered HTTP 500' });
    expect(received.filter((r) => r.path === '/down')).toHaveLength(6);
  });

  it('sends nothing for CallBack no, and shows no CallBackInfo', async () => {
    const { JobId } = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job('no') })).body.Response.JobsDetail;
    const d = await describeUntil(JobId, (x) => x.State === 'Failed' || x.State === 'Success');
    await new Promise((r) => setTimeout(r, 300));
    expect(d.CallBackInfo).toBeUndefined();
    expect(received.some((r) => r.body.includes(JobId))).toBe(false);
  });
});

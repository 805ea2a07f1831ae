// The jobs API end to end, driven over HTTP by Tencent's official cos-nodejs-sdk-v5, as a CI client would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { SEED_REQUEST_2, SEED_REQUEST_3, SEED_RESPONSE_2, SEED_RESPONSE_3 } from '../fixtures/seed-examples.js';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/;
const seedParser = new XMLParser({ parseTagValue: false, trimValues: true });

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;

const submit = (body: string, bucket = BUCKET) => ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: body, bucket });
const describeJobs = (ids: string, bucket = BUCKET) => ciRequest(cos, { Method: 'GET', Key: `jobs/${ids}`, bucket });

function simpleJob(opts: { level?: number; input?: string; output?: string } = {}): string {
  return `<Request><Tag>Concat</Tag>${opts.input ? `<Input><Object>${opts.input}</Object></Input>` : ''}<Operation><ConcatTemplate>
<ConcatFragment><Url>a.mp4</Url></ConcatFragment><ConcatFragment><Url>b.mp4</Url></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${opts.output ?? 'out/${jobid}.${ext}'}</Object></Output>
<JobLevel>${opts.level ?? 0}</JobLevel></Operation></Request>`;
}

beforeAll(async () => {
  engine = await startTestEngine({ worker: false });
  cos = cosClient(engine.api.url);
});
afterAll(async () => engine.close());

describe('POST /jobs with the seed examples', () => {
  it.each([
    ['example 2 (Input at Index between fragments, AudioMixArray)', SEED_REQUEST_2, SEED_RESPONSE_2],
    ['example 3 (fragments ordered by FragmentIndex, trims)', SEED_REQUEST_3, SEED_RESPONSE_3],
  ])('answers %s with the documented JobsDetail', async (_name, request, documented) => {
    const res = await submit(request);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ci-request-id']).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const d = res.body.Response.JobsDetail;
    const doc = seedParser.parse(documented).Response.JobsDetail;
    expect(d.Code).toBe('Success');
    expect(d.Message).toBe('');
    expect(d.JobId).toMatch(/^j[0-9a-f]{32}$/);
    expect(d.State).toBe('Submitted');
    expect(d.CreationTime).toMatch(TIME);
    expect(d.StartTime).toBe('-');
    expect(d.EndTime).toBe('-');
    expect(d.QueueId).toMatch(/^p[0-9a-f]{32}$/);
    expect(d.Tag).toBe('Concat');
    expect(Object.keys(d)).toEqual([
      'Code',
      'Message',
      'JobId',
      'State',
      'CreationTime',
      'StartTime',
      'EndTime',
      'QueueId',
      'Tag',
      'Input',
      'Operation',
    ]);
    // The documented example 2 echo shows <Index>1</Index> although its request sends no Index: no value is invented.
    const { Index: _index, ...docTemplate } = doc.Operation.ConcatTemplate;
    expect(d.Operation).toEqual({ ...doc.Operation, ConcatTemplate: docTemplate });
    expect(d.Operation.Output.Object).toBe('output/out.${ext}');
    if (request.includes('<Input>')) expect(d.Input).toEqual(doc.Input);
    else expect(d.Input).toEqual({ BucketId: BUCKET, Region: REGION });
  });

  it('puts every job in the default queue, which GET /jobs?queueId= finds', async () => {
    const res = await submit(simpleJob());
    const { JobId, QueueId } = res.body.Response.JobsDetail;
    const list = await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat', queueId: QueueId, size: '100' } });
    const ids = [list.body.Response.JobsDetail].flat().map((j: { JobId: string }) => j.JobId);
    expect(ids).toContain(JobId);
  });
});

describe('GET /jobs/<id>', () => {
  it('describes one job, with Progress', async () => {
    const { JobId } = (await submit(simpleJob({ input: 'in/a.mp4' }))).body.Response.JobsDetail;
    const res = await describeJobs(JobId);
    expect(res.statusCode).toBe(200);
    const d = res.body.Response.JobsDetail;
    expect(d).toMatchObject({ JobId, State: 'Submitted', Progress: '0', Input: { BucketId: BUCKET, Object: 'in/a.mp4', Region: REGION } });
    expect(res.body.Response.NonExistJobIds).toBeUndefined();
  });

  it('describes several, listing the unknown ones in NonExistJobIds', async () => {
    const a = (await submit(simpleJob())).body.Response.JobsDetail.JobId;
    const b = (await submit(simpleJob())).body.Response.JobsDetail.JobId;
    const missing = 'j' + '0'.repeat(32);
    const res = await describeJobs(`${a},${missing},${b},nonsense`);
    expect(res.statusCode).toBe(200);
    expect(res.body.Response.JobsDetail.map((j: { JobId: string }) => j.JobId)).toEqual([a, b]);
    expect(res.body.Response.NonExistJobIds).toEqual([missing, 'nonsense']);
  });

  it("does not show another bucket's job", async () => {
    const { JobId } = (await submit(simpleJob())).body.Response.JobsDetail;
    const res = await describeJobs(JobId, 'other-123456789');
    expect(res.body.Response.JobsDetail).toBeUndefined();
    expect(res.body.Response.NonExistJobIds).toBe(JobId);
  });
});

describe('GET /jobs (list)', () => {
  const bucket = 'list-1250000000';
  const ids: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++)
      ids.push((await submit(simpleJob({ input: i === 2 ? 'special.mp4' : undefined }), bucket)).body.Response.JobsDetail.JobId);
  });

  const list = (q: Record<string, string>) => ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat', ...q }, bucket });

  it('pages newest first with NextToken', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await list({ size: '2', ...(token ? { nextToken: token } : {}) });
      expect(res.statusCode).toBe(200);
      seen.push(...[res.body.Response.JobsDetail].flat().map((j: { JobId: string }) => j.JobId));
      token = res.body.Response.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('orders oldest first with orderByTime=Asc and filters by states, inputObject and creation time', async () => {
    const asc = await list({ orderByTime: 'Asc', size: '100' });
    expect(asc.body.Response.JobsDetail.map((j: { JobId: string }) => j.JobId)).toEqual(ids);
    const none = await list({ states: 'Success,Failed' });
    expect(none.body.Response.JobsDetail).toBeUndefined();
    const submitted = await list({ states: 'Submitted', size: '100' });
    expect(submitted.body.Response.JobsDetail).toHaveLength(5);
    const byInput = await list({ inputObject: 'special.mp4' });
    expect(byInput.body.Response.JobsDetail.JobId).toBe(ids[2]);
    const future = await list({ startCreationTime: '2999-01-01T00:00:00+0800' });
    expect(future.body.Response.JobsDetail).toBeUndefined();
    const past = await list({ endCreationTime: '2001-01-01T00:00:00+0800' });
    expect(past.body.Response.JobsDetail).toBeUndefined();
  });

  it.each([
    [{ size: '101' }, 'size'],
    [{ size: '0' }, 'size'],
    [{ states: 'Done' }, 'states'],
    [{ orderByTime: 'Newest' }, 'orderByTime'],
    [{ startCreationTime: 'yesterday' }, 'startCreationTime'],
    [{ nextToken: 'abc' }, 'nextToken'],
    [{ tag: '' }, 'tag'],
  ])('refuses %j with InvalidArgument naming %s', async (q, field) => {
    const res = await list(q);
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Code).toBe('InvalidArgument');
    expect(res.body.Error.Message).toContain(field);
  });
});

describe('PUT /jobs/<id>?cancel', () => {
  it.each([
    ['?cancel', { cancel: '' }],
    ['no query', undefined],
  ])('cancels a Submitted job (%s), which then cannot be cancelled again', async (_how, query) => {
    const { JobId } = (await submit(simpleJob())).body.Response.JobsDetail;
    const res = await ciRequest(cos, { Method: 'PUT', Key: `jobs/${JobId}`, Query: query });
    expect(res.statusCode).toBe(200);
    expect(res.raw).toBe('');
    const d = (await describeJobs(JobId)).body.Response.JobsDetail;
    expect(d.State).toBe('Cancel');
    expect(d.EndTime).toMatch(TIME);
    const again = await ciRequest(cos, { Method: 'PUT', Key: `jobs/${JobId}`, Query: { cancel: '' } });
    expect(again.statusCode).toBe(400);
    expect(again.body.Error.Code).toBe('InvalidArgument');
    expect(again.body.Error.Message).toMatch(/is Cancel; only Submitted or Pause jobs can be cancelled/);
  });

  it('refuses an unknown job', async () => {
    const res = await ciRequest(cos, { Method: 'PUT', Key: `jobs/j${'1'.repeat(32)}`, Query: { cancel: '' } });
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Message).toMatch(/does not exist/);
  });
});

describe('errors', () => {
  const base = simpleJob();
  it.each([
    ['malformed XML', '<Request><Tag>Concat</Tag>', 'InvalidContent', /not well-formed/],
    ['an empty body', ' ', 'MissingContent', /empty/],
    ['a wrong Tag', base.replace('<Tag>Concat</Tag>', '<Tag>Transcode</Tag>'), 'InvalidArgument', /Request\.Tag/],
    [
      'an out-of-range Video.Width',
      base.replace('<Container>', '<Video><Codec>H.264</Codec><Width>5000</Width></Video><Container>'),
      'InvalidArgument',
      /Request\.Operation\.ConcatTemplate\.Video\.Width/,
    ],
    [
      'a JobLevel of 3',
      base.replace('<JobLevel>0</JobLevel>', '<JobLevel>3</JobLevel>'),
      'InvalidArgument',
      /Request\.Operation\.JobLevel/,
    ],
    ['a missing Output.Object', base.replace(/<Object>out\/[^<]*<\/Object>/, ''), 'InvalidArgument', /Request\.Operation\.Output\.Object/],
    ['a missing Output.Bucket', base.replace(/<Bucket>[^<]*<\/Bucket>/, ''), 'InvalidArgument', /Request\.Operation\.Output\.Bucket/],
    [
      'a TDMQ callback',
      base.replace(
        '</Operation>',
        '</Operation><CallBackType>TDMQ</CallBackType><CallBackMqConfig><MqRegion>sh</MqRegion><MqName>q</MqName></CallBackMqConfig>',
      ),
      'InvalidArgument',
      /Request\.CallBackType: TDMQ delivery is not available/,
    ],
    [
      'an unknown WatermarkTemplateId',
      base.replace('<Output>', `<WatermarkTemplateId>t1${'0'.repeat(32)}</WatermarkTemplateId><Output>`),
      'InvalidArgument',
      /Request\.Operation\.WatermarkTemplateId\[0\]: template t10+ does not exist/,
    ],
    [
      'an unknown TemplateId',
      base.replace('<ConcatTemplate>', `<TemplateId>t1${'0'.repeat(32)}</TemplateId><ConcatTemplate>`),
      'InvalidArgument',
      /TemplateId.*does not exist/,
    ],
  ])('answers %s with a 4xx CI error naming the problem', async (_name, body, code, message) => {
    const res = await submit(body);
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Code).toBe(code);
    expect(res.body.Error.Message).toMatch(message);
    expect(res.body.Error.RequestId).toBe(res.headers['x-ci-request-id']);
  });

  it('answers an unknown path with 404 InvalidUrl', async () => {
    const res = await ciRequest(cos, { Method: 'GET', Key: 'nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.body.Error.Code).toBe('InvalidUrl');
  });

  it('answers a Host without a bucket with 400 InvalidHost, and serves /healthz without one', async () => {
    const res = await fetch(`${engine.api.url}/jobs`, { method: 'POST', body: base, headers: { 'content-type': 'application/xml' } });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('<Code>InvalidHost</Code>');
    expect(text).toMatch(/<RequestId>[^<]+<\/RequestId>/);
    const health = await fetch(`${engine.api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { redis: 'ok', s3: 'ok' } });
  });

  it('refuses a body over the size limit with 413 InvalidContent', async () => {
    const huge = base.replace('<JobLevel>', `<UserData>${'x'.repeat(engine.config.api.bodyLimitBytes)}</UserData><JobLevel>`);
    const res = await submit(huge);
    expect(res.statusCode).toBe(413);
    expect(res.body.Error.Code).toBe('InvalidContent');
    expect(res.body.Error.Message).toMatch(/larger than the limit/);
  });

  it('checks a Content-MD5 header against the body', async () => {
    const md5 = (await import('node:crypto')).createHash('md5').update(base).digest('base64');
    expect((await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: base, Headers: { 'content-md5': md5 } })).statusCode).toBe(200);
    const bad = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: base, Headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body.Error.Code).toBe('InvalidContent');
    expect(bad.body.Error.Message).toMatch(/Content-MD5/);
  });

  it('changes nothing on a refused submit', async () => {
    const bucket = 'refused-1250000000';
    await submit(simpleJob({ level: 7 }), bucket);
    const res = await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' }, bucket });
    expect(res.body.Response.JobsDetail).toBeUndefined();
  });
});

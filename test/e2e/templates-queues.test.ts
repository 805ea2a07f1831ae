// Templates, queues and queue notifications through the official SDK, with jobs that really run.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3 } from '../../src/storage/s3.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { makeClip } from '../helpers/media.js';
import { SEED_REQUEST_1 } from '../fixtures/seed-examples.js';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/;
let work: string;
let s3: S3Client;
let receiver: Server;
let receiverUrl: string;
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tq-e2e-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  const { s3Endpoint } = { s3Endpoint: (await import('vitest')).inject('s3Endpoint') };
  s3 = createS3({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const put = async (key: string, spec: Parameters<typeof makeClip>[1]) => {
    const file = await makeClip(path.join(work, key.replace(/\//g, '_')), spec);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(file) }));
  };
  await Promise.all([
    put('tq/intro.mp4', { width: 160, height: 90, durationSec: 1, audio: true }),
    put('tq/outro.mp4', { width: 160, height: 90, durationSec: 1, audio: true }),
    put('input/demo.mp4', { width: 160, height: 90, durationSec: 2, audio: true }),
    put('tq/long.mp4', { width: 640, height: 360, fps: 30, durationSec: 8, audio: true }),
  ]);
}, 60_000);

afterAll(() => {
  receiver.close();
  s3.destroy();
  rmSync(work, { recursive: true, force: true });
});

const concatTemplateBody = (name: string, fragments: string) =>
  `<Request><Tag>Concat</Tag><Name>${name}</Name><ConcatTemplate>${fragments}<Container><Format>mp4</Format></Container></ConcatTemplate></Request>`;
const startEnd = `<ConcatFragment><Url>tq/intro.mp4</Url><Mode>Start</Mode></ConcatFragment><ConcatFragment><Url>tq/outro.mp4</Url><Mode>End</Mode></ConcatFragment>`;

async function waitFor(
  cos: ReturnType<typeof cosClient>,
  jobId: string,
  states = ['Success', 'Failed', 'Cancel'],
  timeoutMs = 60_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (states.includes(d.State)) return d;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${d.State}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function job(opts: { fragments?: string; level?: number; callback?: string; direct?: boolean; out?: string } = {}): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>${opts.fragments ?? '<ConcatFragment><Url>tq/intro.mp4</Url></ConcatFragment>'}
<Container><Format>mp4</Format></Container>${opts.direct ? '<DirectConcat>true</DirectConcat>' : ''}</ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${opts.out ?? 'tq/out/${jobid}.${ext}'}</Object></Output><JobLevel>${opts.level ?? 0}</JobLevel></Operation>${opts.callback !== undefined ? `<CallBack>${opts.callback}</CallBack>` : ''}</Request>`;
}

describe('templates', () => {
  let engine: TestEngine;
  let cos: ReturnType<typeof cosClient>;
  beforeAll(async () => {
    engine = await startTestEngine({ worker: true });
    cos = cosClient(engine.api.url);
  });
  afterAll(() => engine.close());

  it('creates, reads (by ids, by name prefix, page by page), updates and deletes Concat and Watermark templates', async () => {
    const created = await ciRequest(cos, { Method: 'POST', Key: 'template', Body: concatTemplateBody('concat_demo', startEnd) });
    expect(created.statusCode).toBe(200);
    const t = created.body.Response.Template;
    expect(t).toMatchObject({ Tag: 'Concat', Name: 'concat_demo', BucketId: BUCKET, Category: 'Custom' });
    expect(t.TemplateId).toMatch(/^t1[0-9a-f]{32}$/);
    expect(t.CreateTime).toMatch(TIME);
    expect(t.ConcatTemplate.ConcatFragment).toEqual([
      { Url: 'tq/intro.mp4', Mode: 'Start' },
      { Url: 'tq/outro.mp4', Mode: 'End' },
    ]);
    expect(created.body.Response.RequestId).toBe(created.headers['x-ci-request-id']);

    const wm = await ciRequest(cos, {
      Method: 'POST',
      Key: 'template',
      Body: '<Request><Tag>Watermark</Tag><Name>logo</Name><Watermark><Type>Text</Type><Pos>TopRight</Pos><LocMode>Absolute</LocMode><Dx>10</Dx><Dy>10</Dy><Text><Text>Hello</Text><FontSize>20</FontSize><FontType>arial.ttf</FontType><FontColor>0xFFFFFF</FontColor><Transparency>80</Transparency></Text></Watermark></Request>',
    });
    expect(wm.body.Response.Template).toMatchObject({
      Tag: 'Watermark',
      Name: 'logo',
      Watermark: { Type: 'Text', Pos: 'TopRight', Text: { Text: 'Hello' } },
    });
    for (let i = 0; i < 3; i++) await ciRequest(cos, { Method: 'POST', Key: 'template', Body: concatTemplateBody(`batch_${i}`, startEnd) });

    const missing = `t1${'0'.repeat(32)}`;
    const byIds = await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { ids: `${t.TemplateId},${missing}` } });
    expect(byIds.body.Response.TemplateList.TemplateId).toBe(t.TemplateId);
    expect(byIds.body.Response.NonExistTIDs).toEqual({ TemplateId: missing });
    const byName = await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { name: 'batch_' } });
    expect(byName.body.Response.TotalCount).toBe('3');
    const page2 = await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { tag: 'Concat', pageNumber: '2', pageSize: '2' } });
    expect(page2.body.Response).toMatchObject({ TotalCount: '4', PageNumber: '2', PageSize: '2' });
    expect(page2.body.Response.TemplateList).toHaveLength(2);
    const watermarks = await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { tag: 'Watermark' } });
    expect(watermarks.body.Response.TemplateList.Name).toBe('logo');

    const updated = await ciRequest(cos, {
      Method: 'PUT',
      Key: `template/${t.TemplateId}`,
      Body: concatTemplateBody('concat_demo2', startEnd),
    });
    expect(updated.body.Response.Template).toMatchObject({ TemplateId: t.TemplateId, Name: 'concat_demo2', CreateTime: t.CreateTime });
    const wrongTag = await ciRequest(cos, {
      Method: 'PUT',
      Key: `template/${t.TemplateId}`,
      Body: wm.raw.replace('<Response>', '<Request>').replace('</Response>', '</Request>'),
    });
    expect(wrongTag.statusCode).toBe(400);

    const deleted = await ciRequest(cos, { Method: 'DELETE', Key: `template/${t.TemplateId}` });
    expect(deleted.body.Response.TemplateId).toBe(t.TemplateId);
    const gone = await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { ids: t.TemplateId } });
    expect(gone.body.Response.NonExistTIDs).toEqual({ TemplateId: t.TemplateId });
  });

  it.each([
    [concatTemplateBody('bad name!', startEnd), /Request\.Name/],
    [concatTemplateBody('x'.repeat(65), startEnd), /Request\.Name/],
    ['<Request><Tag>Transcode</Tag><Name>a</Name></Request>', /Request\.Tag/],
    ['<Request><Tag>Concat</Tag><Name>a</Name></Request>', /Request\.ConcatTemplate/],
    [concatTemplateBody('a', '<ConcatFragment><Url>x.mp4</Url><Mode>Middle</Mode></ConcatFragment>'), /ConcatFragment\[0\]\.Mode/],
  ])('refuses an invalid template (%#) with InvalidArgument naming the field', async (body, field) => {
    const res = await ciRequest(cos, { Method: 'POST', Key: 'template', Body: body });
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Code).toBe('InvalidArgument');
    expect(res.body.Error.Message).toMatch(field);
  });

  it("runs the seed's example 1 (Input plus a template with Start and End fragments) with the template as it was at submit", async () => {
    const t = (await ciRequest(cos, { Method: 'POST', Key: 'template', Body: concatTemplateBody('seed_one', startEnd) })).body.Response
      .Template;
    // This engine runs one job at a time: a long job keeps the seed job waiting while its template changes.
    const long = (
      await ciRequest(cos, {
        Method: 'POST',
        Key: 'jobs',
        Body: job({ fragments: '<ConcatFragment><Url>tq/long.mp4</Url></ConcatFragment>' }),
      })
    ).body.Response.JobsDetail.JobId;
    await waitFor(cos, long, ['Running']);
    const body = SEED_REQUEST_1.replace('t1460606b9752148c4ab182f55163ba7cd', t.TemplateId)
      .replace('http://callback.demo.com', 'no')
      .replace('output/out.${ext}', 'tq/seed1.${ext}');
    const submitted = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: body });
    expect(submitted.statusCode).toBe(200);
    const detail = submitted.body.Response.JobsDetail;
    expect(detail.Operation).toMatchObject({
      TemplateId: t.TemplateId,
      TemplateName: 'seed_one',
      UserData: 'This is my data.',
      JobLevel: '0',
    });
    expect(Object.keys(detail.Operation).slice(0, 2)).toEqual(['TemplateId', 'TemplateName']);
    expect(detail.Input).toEqual({ BucketId: BUCKET, Object: 'input/demo.mp4', Region: REGION });
    // Changing the template now does not change the job.
    await ciRequest(cos, {
      Method: 'PUT',
      Key: `template/${t.TemplateId}`,
      Body: concatTemplateBody('seed_one', '<ConcatFragment><Url>tq/intro.mp4</Url><Mode>Start</Mode></ConcatFragment>'),
    });
    expect((await ciRequest(cos, { Method: 'GET', Key: `jobs/${detail.JobId}` })).body.Response.JobsDetail.State).toBe('Submitted');
    const d = await waitFor(cos, detail.JobId);
    expect(d.State, d.Message).toBe('Success');
    expect(d.Operation.MediaResult.OutputFile.ObjectName).toBe('tq/seed1.mp4');
    // intro (1 s) + input/demo.mp4 (2 s) + outro (1 s): the End fragment of the template as submitted is there.
    expect(Number(d.Operation.MediaInfo.Format.Duration)).toBeCloseTo(4, 0);
  });

  it('draws the watermarks of WatermarkTemplateIds, as they were at submit', async () => {
    const wm = (await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { tag: 'Watermark' } })).body.Response.TemplateList;
    const body = job({ fragments: '<ConcatFragment><Url>input/demo.mp4</Url></ConcatFragment>', out: 'tq/wm.${ext}' }).replace(
      '<Output>',
      `<WatermarkTemplateId>${wm.TemplateId}</WatermarkTemplateId><Output>`,
    );
    const res = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: body });
    expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
    expect(res.body.Response.JobsDetail.Operation.WatermarkTemplateId).toBe(wm.TemplateId);
    const d = await waitFor(cos, res.body.Response.JobsDetail.JobId);
    expect(d.State, d.Message).toBe('Success');
    // The same job without the watermark gives another picture: the template's text was drawn.
    const plain = await waitFor(
      cos,
      (
        await ciRequest(cos, {
          Method: 'POST',
          Key: 'jobs',
          Body: job({ fragments: '<ConcatFragment><Url>input/demo.mp4</Url></ConcatFragment>', out: 'tq/plain.${ext}' }),
        })
      ).body.Response.JobsDetail.JobId,
    );
    expect(d.Operation.MediaResult.OutputFile.Md5Info.Md5).not.toBe(plain.Operation.MediaResult.OutputFile.Md5Info.Md5);
  });

  it('refuses a TemplateId of another kind and an unknown WatermarkTemplateId', async () => {
    const wm = (await ciRequest(cos, { Method: 'GET', Key: 'template', Query: { tag: 'Watermark' } })).body.Response.TemplateList;
    const res = await ciRequest(cos, {
      Method: 'POST',
      Key: 'jobs',
      Body: SEED_REQUEST_1.replace('t1460606b9752148c4ab182f55163ba7cd', wm.TemplateId),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body.Error.Message).toMatch(/is a Watermark template, not a Concat template/);
  });
});

describe('queues', () => {
  let engine: TestEngine;
  let cos: ReturnType<typeof cosClient>;
  let queueId: string;
  beforeAll(async () => {
    engine = await startTestEngine({ worker: true, env: { WORKER_CONCURRENCY: '2', CALLBACK_RETRY_BASE_MS: '50' } });
    cos = cosClient(engine.api.url);
    queueId = (await ciRequest(cos, { Method: 'GET', Key: 'queue' })).body.Response.QueueList.QueueId;
  });
  afterAll(() => engine.close());

  const putQueue = (body: string) =>
    ciRequest(cos, { Method: 'PUT', Key: `queue/${queueId}`, Body: `<Request><Name>queue-1</Name>${body}</Request>` });

  it('describes the default queue, by listing and by ids with NonExistPIDs', async () => {
    const list = await ciRequest(cos, { Method: 'GET', Key: 'queue' });
    expect(list.body.Response).toMatchObject({ TotalCount: '1', PageNumber: '1', PageSize: '10' });
    expect(list.body.Response.QueueList).toMatchObject({
      QueueId: queueId,
      Name: 'queue-1',
      State: 'Active',
      MaxSize: '10000',
      MaxConcurrent: '10',
      Category: 'Transcoding',
      NotifyConfig: { State: 'Off' },
    });
    const missing = `p${'0'.repeat(32)}`;
    const byIds = await ciRequest(cos, { Method: 'GET', Key: 'queue', Query: { queueIds: `${queueId},${missing}` } });
    expect(byIds.body.Response.TotalCount).toBeUndefined();
    expect(byIds.body.Response.QueueList.QueueId).toBe(queueId);
    expect(byIds.body.Response.NonExistPIDs).toBe(missing);
    const tooMany = await ciRequest(cos, {
      Method: 'GET',
      Key: 'queue',
      Query: { queueIds: Array.from({ length: 11 }, (_, i) => `p${String(i).padStart(32, '0')}`).join(',') },
    });
    expect(tooMany.statusCode).toBe(400);
  });

  it('runs JobLevel 2, 1, 0 in that order behind a long job when one job runs at a time', async () => {
    expect((await putQueue('<State>Active</State><MaxConcurrent>1</MaxConcurrent>')).body.Response.Queue.MaxConcurrent).toBe('1');
    const long = (
      await ciRequest(cos, {
        Method: 'POST',
        Key: 'jobs',
        Body: job({ fragments: '<ConcatFragment><Url>tq/long.mp4</Url></ConcatFragment>' }),
      })
    ).body.Response.JobsDetail.JobId;
    await waitFor(cos, long, ['Running']);
    const ids: Record<string, string> = {};
    for (const [name, level] of [
      ['zero', 0],
      ['two', 2],
      ['one', 1],
    ] as const) {
      ids[name] = (
        await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ level, direct: true }) })
      ).body.Response.JobsDetail.JobId;
    }
    const longDone = await waitFor(cos, long);
    const done = await Promise.all(Object.values(ids).map((id) => waitFor(cos, id)));
    const start = (id: string) => done.find((d) => d.JobId === id).StartTime;
    expect(done.every((d) => d.State === 'Success')).toBe(true);
    expect(start(ids.two!) >= longDone.EndTime).toBe(true);
    // StartTime has second precision: the order is read from the records' milliseconds.
    const recs = await Promise.all(
      Object.entries(ids).map(
        async ([n, id]) => [n, Number((await engine.redis.hget(`${engine.config.redis.keyPrefix}:job:${id}`, 'startMs')) ?? 0)] as const,
      ),
    );
    expect(recs.sort((a, b) => a[1] - b[1]).map(([n]) => n)).toEqual(['two', 'one', 'zero']);
    await putQueue('<State>Active</State><MaxConcurrent>10</MaxConcurrent>');
  });

  it('pauses (waiting jobs become Pause, submits are refused) and resumes (they run once each), losing nothing', async () => {
    await putQueue('<State>Paused</State>');
    const paused = (await ciRequest(cos, { Method: 'GET', Key: 'queue' })).body.Response.QueueList;
    expect(paused.State).toBe('Paused');
    const refused = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job() });
    expect(refused.statusCode).toBe(403);
    expect(refused.body.Error.Code).toBe('QueuePaused');

    // Jobs submitted while Active, then the queue paused before any worker can take them.
    await putQueue('<State>Active</State><MaxConcurrent>1</MaxConcurrent>');
    const long = (
      await ciRequest(cos, {
        Method: 'POST',
        Key: 'jobs',
        Body: job({ fragments: '<ConcatFragment><Url>tq/long.mp4</Url></ConcatFragment>' }),
      })
    ).body.Response.JobsDetail.JobId;
    await waitFor(cos, long, ['Running']);
    const waiting: string[] = [];
    for (let i = 0; i < 4; i++)
      waiting.push(
        (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ direct: true, callback: `${receiverUrl}/pause-test` }) })).body
          .Response.JobsDetail.JobId,
      );
    await putQueue('<State>Paused</State><MaxConcurrent>1</MaxConcurrent>');
    const states = await Promise.all(
      waiting.map(async (id) => (await ciRequest(cos, { Method: 'GET', Key: `jobs/${id}` })).body.Response.JobsDetail.State),
    );
    expect(states).toEqual(['Pause', 'Pause', 'Pause', 'Pause']);
    const listed = await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat', states: 'Pause', size: '100' } });
    expect(
      [listed.body.Response.JobsDetail]
        .flat()
        .map((j: any) => j.JobId)
        .sort(),
    ).toEqual([...waiting].sort());
    // The running job finishes; nothing else starts while paused.
    expect((await waitFor(cos, long)).State).toBe('Success');
    await new Promise((r) => setTimeout(r, 500));
    const still = await Promise.all(
      waiting.map(async (id) => (await ciRequest(cos, { Method: 'GET', Key: `jobs/${id}` })).body.Response.JobsDetail.State),
    );
    expect(still).toEqual(['Pause', 'Pause', 'Pause', 'Pause']);
    // A Pause job can be cancelled.
    expect((await ciRequest(cos, { Method: 'PUT', Key: `jobs/${waiting[3]}`, Query: { cancel: '' } })).statusCode).toBe(200);

    await putQueue('<State>Active</State><MaxConcurrent>10</MaxConcurrent>');
    const done = await Promise.all(waiting.map((id) => waitFor(cos, id)));
    expect(done.map((d) => d.State)).toEqual(['Success', 'Success', 'Success', 'Cancel']);
    // Each ran once: one TaskFinish callback per finished job, none for the cancelled one.
    await new Promise((r) => setTimeout(r, 500));
    for (const id of waiting.slice(0, 3)) expect(received.filter((r) => r.path === '/pause-test' && r.body.includes(id))).toHaveLength(1);
    expect(received.some((r) => r.body.includes(waiting[3]!))).toBe(false);
  });

  it('refuses a submit beyond MaxSize waiting jobs with 403 QueueSaturated', async () => {
    await putQueue('<State>Active</State><MaxSize>1</MaxSize><MaxConcurrent>1</MaxConcurrent>');
    const long = (
      await ciRequest(cos, {
        Method: 'POST',
        Key: 'jobs',
        Body: job({ fragments: '<ConcatFragment><Url>tq/long.mp4</Url></ConcatFragment>' }),
      })
    ).body.Response.JobsDetail.JobId;
    await waitFor(cos, long, ['Running']);
    const waiting = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ direct: true }) });
    expect(waiting.statusCode).toBe(200);
    const refused = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ direct: true }) });
    expect(refused.statusCode).toBe(403);
    expect(refused.body.Error).toMatchObject({ Code: 'QueueSaturated', Message: expect.stringMatching(/MaxSize of 1/) });
    await putQueue('<State>Active</State><MaxSize>10000</MaxSize><MaxConcurrent>10</MaxConcurrent>');
    // Both finish here: a job still running would meet the next test's queue notification.
    await Promise.all([long, waiting.body.Response.JobsDetail.JobId].map((id) => waitFor(cos, id)));
  });

  it("sends the queue's TaskFinish notification to jobs without a CallBack; CallBack no suppresses it; a job's own CallBack wins", async () => {
    const bad = await putQueue('<State>Active</State><NotifyConfig><State>On</State><Type>Url</Type></NotifyConfig>');
    expect(bad.statusCode).toBe(400);
    expect(bad.body.Error.Message).toMatch(/NotifyConfig\.Event/);
    const ok = await putQueue(
      `<State>Active</State><NotifyConfig><State>On</State><Event>TaskFinish</Event><Type>Url</Type><ResultFormat>JSON</ResultFormat><Url>${receiverUrl}/queue-notify</Url></NotifyConfig>`,
    );
    expect(ok.body.Response.Queue.NotifyConfig).toMatchObject({ State: 'On', Event: 'TaskFinish', ResultFormat: 'JSON' });
    const plain = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ direct: true }) })).body.Response.JobsDetail.JobId;
    const silent = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ direct: true, callback: 'no' }) })).body.Response
      .JobsDetail.JobId;
    const own = (await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ direct: true, callback: `${receiverUrl}/own` }) })).body
      .Response.JobsDetail.JobId;
    await Promise.all([plain, silent, own].map((id) => waitFor(cos, id)));
    await waitFor(cos, plain, ['Success']).then(async () => {
      const deadline = Date.now() + 10_000;
      while (
        !received.some((r) => r.path === '/own' && r.body.includes(own)) ||
        !received.some((r) => r.path === '/queue-notify' && r.body.includes(plain))
      ) {
        if (Date.now() > deadline) throw new Error('callbacks not received');
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    const queueCalls = received.filter((r) => r.path === '/queue-notify');
    expect(queueCalls.map((r) => JSON.parse(r.body).JobsDetail.JobId)).toEqual([plain]);
    expect(JSON.parse(queueCalls[0]!.body).EventName).toBe('TaskFinish');
    expect(received.some((r) => r.body.includes(silent))).toBe(false);
    await putQueue('<State>Active</State>');
  });
});

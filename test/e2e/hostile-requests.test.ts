// Hostile bodies and keys against the running API: each is refused at once with its documented code
// and a message naming the limit, and the server stays healthy.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;

const HOST = `${BUCKET}.ci.${REGION}.myqcloud.com`;

function job(opts: { fragments?: string[]; output?: string; userData?: string; bucket?: string } = {}): string {
  const fragments = (opts.fragments ?? ['a.mp4']).map((u) => `<ConcatFragment><Url>${u}</Url></ConcatFragment>`).join('');
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>${fragments}<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${opts.bucket ?? BUCKET}</Bucket><Object>${opts.output ?? 'out/${jobid}.${ext}'}</Object></Output>${opts.userData !== undefined ? `<UserData>${opts.userData}</UserData>` : ''}</Operation><CallBack>no</CallBack></Request>`;
}

/** Plain HTTP (the SDK would not send some of these), with the time it took. */
function post(body: string): Promise<{ status: number; body: string; ms: number }> {
  const url = new URL(engine.api.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/jobs',
        headers: { host: HOST, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  engine = await startTestEngine({
    worker: true,
    env: { MAX_BODY_BYTES: '65536', MAX_XML_DEPTH: '12', MAX_XML_ELEMENTS: '300', MAX_FRAGMENTS: '10', MAX_STRING_LENGTH: '2048' },
  });
  cos = cosClient(engine.api.url);
});

afterAll(async () => {
  await engine.close();
});

describe('hostile request bodies', () => {
  const laughs = [
    '<!ENTITY lol "lol">',
    ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
  ].join('');
  it.each<[string, () => string, number, string, RegExp]>([
    [
      'a billion-laughs body',
      () => `<?xml version="1.0"?><!DOCTYPE Request [${laughs}]>${job({ userData: '&lol9;' })}`,
      400,
      'InvalidContent',
      /DOCTYPE/,
    ],
    [
      'an external entity',
      () => `<!DOCTYPE Request [<!ENTITY x SYSTEM "file:///etc/passwd">]>${job({ userData: '&x;' })}`,
      400,
      'InvalidContent',
      /DOCTYPE/,
    ],
    ['a body over MAX_BODY_BYTES', () => job({ userData: 'x'.repeat(70_000) }), 413, 'InvalidContent', /65536 bytes/],
    ['deep nesting', () => job().replace('<Tag>', `${'<a>'.repeat(20)}${'</a>'.repeat(20)}<Tag>`), 400, 'InvalidContent', /MAX_XML_DEPTH/],
    ['too many elements', () => job().replace('<Tag>', `${'<a/>'.repeat(400)}<Tag>`), 400, 'InvalidContent', /MAX_XML_ELEMENTS/],
    [
      'too many fragments',
      () => job({ fragments: Array.from({ length: 11 }, (_, i) => `f${i}.mp4`) }),
      400,
      'InvalidArgument',
      /ConcatFragment: at most 10 .*MAX_FRAGMENTS/,
    ],
    ['a huge string', () => job({ fragments: [`${'a'.repeat(3000)}.mp4`] }), 400, 'InvalidArgument', /Url: .*MAX_STRING_LENGTH/],
    [
      'an Output.Object climbing out',
      () => job({ output: '../../etc/${jobid}' }),
      400,
      'InvalidArgument',
      /Output\.Object: must not contain &quot;\.&quot; or &quot;\.\.&quot;/,
    ],
    ['an absolute Output.Object', () => job({ output: '/abs/out.${ext}' }), 400, 'InvalidArgument', /Output\.Object: .*absolute/],
    [
      'an Output.Object with a control character',
      () => job({ output: 'out/&#x1;x' }).replace('&#x1;', '\u0001'),
      400,
      'InvalidArgument',
      /Output\.Object: .*control/,
    ],
    ['an odd Output.Bucket', () => job({ bucket: '../other' }), 400, 'InvalidArgument', /Output\.Bucket/],
  ])('refuses %s at once', async (_what, body, status, code, message) => {
    const r = await post(body());
    expect(r.status).toBe(status);
    expect(r.body).toContain(`<Code>${code}</Code>`);
    expect(r.body).toMatch(message);
    expect(r.ms).toBeLessThan(1000);
  });

  it('still accepts a request at the limits, and stays healthy', async () => {
    const r = await ciRequest(cos, {
      Method: 'POST',
      Key: 'jobs',
      Body: job({ fragments: Array.from({ length: 10 }, (_, i) => `f${i}.mp4`), userData: 'x'.repeat(1024) }),
    });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    const health = await fetch(`${engine.api.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('fails a job whose fragment key climbs out, without touching the storage', async () => {
    const r = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: job({ fragments: ['dir/%2E%2E/%2E%2E/secret.mp4'] }) });
    const jobId = r.body.Response.JobsDetail.JobId as string;
    const deadline = Date.now() + 20_000;
    let d: any;
    do {
      d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
      if (d.State === 'Failed' || d.State === 'Success') break;
      await new Promise((res) => setTimeout(res, 50));
    } while (Date.now() < deadline);
    expect(d).toMatchObject({
      State: 'Failed',
      Code: 'InvalidArgument',
      Message: expect.stringMatching(/ConcatFragment\[0\]\.Url: .*"\.\."/),
    });
  });
});

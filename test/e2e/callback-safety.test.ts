// Callback receivers an attacker might aim at: link-local and metadata addresses in all their spellings
// are refused at submit (400 InvalidArgument naming Request.CallBack); private ones are allowed by
// default and refused with CALLBACK_BLOCK_PRIVATE=true; a receiver that passed at submit but is refused
// at delivery gets no request and the job records why. Signed callbacks verify with the README snippet.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, startWorker, type Running } from '../../src/engine.js';
import { createLogger } from '../../src/logger.js';
import { safePost } from '../../src/callbacks/safe-post.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const SIGNING_KEY = 'callback-signing-key-for-tests';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let receiver: Server;
let receiverPort = 0;
const hits: Hit[] = [];
/** API and worker, default policy, signed callbacks. */
let open: TestEngine;
/** API only (nothing is delivered), default policy, and with CALLBACK_BLOCK_PRIVATE=true. */
let openApi: TestEngine;
let closed: TestEngine;
let strictWorker: Running | undefined;

function job(callback: string): string {
  return `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>missing/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out.\${ext}</Object></Output></Operation><CallBack>${callback}</CallBack></Request>`;
}

async function submit(engine: TestEngine, callback: string) {
  return ciRequest(cosClient(engine.api.url), { Method: 'POST', Key: 'jobs', Body: job(callback) });
}

async function describeUntil(engine: TestEngine, jobId: string, done: (d: any) => boolean): Promise<any> {
  const cos = cosClient(engine.api.url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (done(d)) return d;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The README's verification snippet, as a receiver would run it. */
function verifyCallback(key: string, headers: IncomingHttpHeaders, rawBody: string, maxAgeSec = 300): boolean {
  const ts = String(headers['x-ci-engine-timestamp'] ?? '');
  const sig = String(headers['x-ci-engine-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > maxAgeSec) return false;
  const expected = 'sha256=' + createHmac('sha256', key).update(`${ts}.${rawBody}`).digest('hex');
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverPort = (receiver.address() as { port: number }).port;
  const env = { CALLBACK_RETRY_BASE_MS: '10', CALLBACK_TIMEOUT_MS: '2000', CALLBACK_SIGNING_KEY: SIGNING_KEY };
  [open, openApi, closed] = await Promise.all([
    startTestEngine({ worker: true, env }),
    startTestEngine({ env }),
    startTestEngine({ env: { ...env, CALLBACK_BLOCK_PRIVATE: 'true' } }),
  ]);
});

afterAll(async () => {
  await strictWorker?.close();
  await Promise.all([open.close(), openApi.close(), closed.close()]);
  receiver.close();
});

describe('callback receivers at submit', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/cb',
    'http://0xA9FEA9FE/',
    'http://2852039166/',
    'http://0251.0376.0251.0376/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://100.100.100.200/latest/meta-data/',
    'http://0.0.0.0:8080/',
    'http://[::]/',
  ])('refuses %s with 400 InvalidArgument naming Request.CallBack', async (url) => {
    const r = await submit(openApi, url);
    expect(r.statusCode).toBe(400);
    expect(r.body.Error).toMatchObject({ Code: 'InvalidArgument', Message: expect.stringMatching(/^Request\.CallBack: /) });
  });

  it('allows private and loopback receivers by default', async () => {
    for (const url of [
      `http://127.0.0.1:${receiverPort}/ok`,
      'http://10.0.0.7/cb',
      'http://[::1]:9/cb',
      `http://localhost:${receiverPort}/ok`,
    ]) {
      expect((await submit(openApi, url)).statusCode, url).toBe(200);
    }
  });

  it('refuses them with CALLBACK_BLOCK_PRIVATE=true, also through DNS', async () => {
    for (const url of [
      `http://127.0.0.1:${receiverPort}/`,
      'http://10.0.0.7/cb',
      'http://192.168.1.1/',
      `http://localhost:${receiverPort}/`,
    ]) {
      const r = await submit(closed, url);
      expect(r.statusCode, url).toBe(400);
      expect(r.body.Error.Message).toMatch(/^Request\.CallBack: .*CALLBACK_BLOCK_PRIVATE/);
    }
  });
});

describe('callback delivery', () => {
  it('signs each POST so the receiver can verify it (README snippet)', async () => {
    const r = await submit(open, `http://127.0.0.1:${receiverPort}/signed`);
    const jobId = r.body.Response.JobsDetail.JobId as string;
    await describeUntil(open, jobId, (d) => d.CallBackInfo?.State === 'Delivered');
    const hit = hits.find((h) => h.path === '/signed' && h.body.includes(jobId));
    expect(hit).toBeDefined();
    expect(verifyCallback(SIGNING_KEY, hit!.headers, hit!.body)).toBe(true);
    expect(verifyCallback('another-key-entirely!', hit!.headers, hit!.body)).toBe(false);
    expect(verifyCallback(SIGNING_KEY, hit!.headers, hit!.body.replace('Failed', 'Success'))).toBe(false);
  });

  it('checks again at delivery: a receiver refused then gets no request, and the job says why', async () => {
    // Submitted through an API that allows private receivers; by the time the job ends, the engine's API
    // refuses them: the situation of a name that resolved to a public address at submit and to a private
    // one later. Callbacks are posted by the API process, so the strict API is the one that delivers.
    const lenient = await startTestEngine({ env: { CALLBACK_RETRY_BASE_MS: '10', CALLBACK_TIMEOUT_MS: '2000' } });
    const r = await submit(lenient, `http://127.0.0.1:${receiverPort}/later`);
    expect(r.statusCode).toBe(200);
    const jobId = r.body.Response.JobsDetail.JobId as string;
    await lenient.api.close();
    const logger = createLogger('silent', 'test');
    const strictConfig = { ...lenient.config, callbacks: { ...lenient.config.callbacks, blockPrivate: true } };
    const strictApi = await startApi(strictConfig, lenient.endpoints, logger);
    strictWorker = await startWorker(lenient.config, lenient.endpoints, logger);
    try {
      const d = await describeUntil({ ...lenient, api: strictApi }, jobId, (x) => x.CallBackInfo?.State === 'Failed');
      expect(d.CallBackInfo.Attempts).toBe('6');
      expect(d.CallBackInfo.LastError).toMatch(/^refused: host 127\.0\.0\.1 is a loopback address.*CALLBACK_BLOCK_PRIVATE/);
      expect(hits.some((h) => h.path === '/later')).toBe(false);
    } finally {
      await strictApi.close();
      lenient.redis.disconnect();
    }
  });

  it('refuses metadata and DNS-resolved refused addresses in safePost itself, sending nothing', async () => {
    const before = hits.length;
    const opts = { contentType: 'text/plain', timeoutMs: 2000, userAgent: 't' };
    await expect(safePost('http://169.254.169.254/', 'x', { ...opts, policy: { blockPrivate: false } })).rejects.toMatchObject({
      name: 'AddressRefused',
    });
    await expect(safePost(`http://localhost:${receiverPort}/dns`, 'x', { ...opts, policy: { blockPrivate: true } })).rejects.toMatchObject({
      name: 'AddressRefused',
    });
    await expect(safePost(`http://localhost:${receiverPort}/dns`, 'x', { ...opts, policy: { blockPrivate: false } })).resolves.toBe(200);
    expect(hits.slice(before).map((h) => h.path)).toEqual(['/dns']);
  });
});

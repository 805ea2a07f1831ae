// Signed requests end to end: Tencent's official Node SDK with the right keys passes every API call;
// each kind of bad request is refused with CI's documented code and status. Raw HTTP (signed with the
// SDK's own COS.getAuthorization) covers what the SDK will not send: no signature, garbage, a signed
// header changed in transit, a query-string signature.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const MAIN = { SecretId: 'AKIDmainKeyForTheEngine0001', SecretKey: 'main-secret-key-0001' };
const LIMITED = { SecretId: 'AKIDlimitedToOneBucket0002', SecretKey: 'limited-secret-key-0002' };
const TEMP = { SecretId: 'AKIDtemporaryKey0003', SecretKey: 'temporary-secret-key-0003', token: 'session-token-0003' };
const OTHER_BUCKET = 'other-1250000000';
const HOST = `${BUCKET}.ci.${REGION}.myqcloud.com`;

let engine: TestEngine;
let dir: string;

const JOB = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>missing/a.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output></Operation><CallBack>no</CallBack></Request>`;

interface Raw {
  status: number;
  code?: string;
  body: string;
}

/** A plain HTTP request to the engine with exactly these headers. */
function raw(opts: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Raw> {
  const url = new URL(engine.api.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: opts.method, path: opts.path, headers: { host: HOST, ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => {
          const code = body.startsWith('<?xml') ? (new XMLParser().parse(body) as { Error?: { Code?: string } }).Error?.Code : undefined;
          resolve({ status: res.statusCode ?? 0, code, body });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The SDK's own signer. */
function sdkAuth(
  keys: { SecretId: string; SecretKey: string },
  opts: { method: string; key: string; query?: Record<string, string>; headers?: Record<string, string>; keyTime?: string },
): string {
  return COS.getAuthorization({
    SecretId: keys.SecretId,
    SecretKey: keys.SecretKey,
    Method: opts.method,
    Key: opts.key,
    Query: opts.query ?? {},
    Headers: { host: HOST, ...opts.headers },
    ...(opts.keyTime ? { KeyTime: opts.keyTime } : {}),
  } as never);
}

const errorOf = (r: Awaited<ReturnType<typeof ciRequest>>) => ({ status: r.statusCode, code: r.body.Error?.Code as string | undefined });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'auth-e2e-'));
  const file = path.join(dir, 'credentials.json');
  writeFileSync(
    file,
    JSON.stringify([
      { secretId: LIMITED.SecretId, secretKey: LIMITED.SecretKey, buckets: [BUCKET] },
      {
        secretId: TEMP.SecretId,
        secretKey: TEMP.SecretKey,
        sessionToken: TEMP.token,
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      },
    ]),
  );
  engine = await startTestEngine({
    env: { CI_SECRET_ID: MAIN.SecretId, CI_SECRET_KEY: MAIN.SecretKey, CI_CREDENTIALS_FILE: file, CI_CLOCK_SKEW_SECONDS: '300' },
  });
});

afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('requests signed by the official SDK', () => {
  it('pass with the right keys: submit, describe, list, cancel', async () => {
    const cos = cosClient(engine.api.url, MAIN);
    const submitted = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: JOB });
    expect(submitted.statusCode, JSON.stringify(submitted.body)).toBe(200);
    const jobId = submitted.body.Response.JobsDetail.JobId as string;
    expect((await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail.JobId).toBe(jobId);
    const list = await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat', states: 'Submitted,Failed', size: '10' } });
    expect(list.statusCode).toBe(200);
    const cancel = await ciRequest(cos, { Method: 'PUT', Key: `jobs/${jobId}`, Query: { cancel: '' } });
    expect(cancel.statusCode).toBe(200);
  });

  it('refuses a wrong SecretKey: 401 AccessDenied', async () => {
    const r = await ciRequest(cosClient(engine.api.url, { SecretId: MAIN.SecretId, SecretKey: 'not-the-key' }), {
      Method: 'GET',
      Key: 'jobs',
      Query: { tag: 'Concat' },
    });
    expect(errorOf(r)).toEqual({ status: 401, code: 'AccessDenied' });
  });

  it('refuses an unknown SecretId: 401 SecretidNotExist', async () => {
    const r = await ciRequest(cosClient(engine.api.url, { SecretId: 'AKIDnobodyKnowsMe', SecretKey: MAIN.SecretKey }), {
      Method: 'POST',
      Key: 'jobs',
      Body: JOB,
    });
    expect(errorOf(r)).toEqual({ status: 401, code: 'SecretidNotExist' });
  });

  it('refuses an expired window (client clock an hour behind): 401 SignatureExpired', async () => {
    const late = new COS({ ...MAIN, Ip: new URL(engine.api.url).host, Protocol: 'http:', SystemClockOffset: -3600_000 });
    expect(errorOf(await ciRequest(late, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' } }))).toEqual({
      status: 401,
      code: 'SignatureExpired',
    });
  });

  it('accepts a clock off by less than CI_CLOCK_SKEW_SECONDS', async () => {
    // The window [now-1-1000, now-1-1000+900] ended 101 s ago: inside the 300 s allowance.
    const skewed = new COS({
      ...MAIN,
      Ip: new URL(engine.api.url).host,
      Protocol: 'http:',
      SystemClockOffset: -1000_000,
    });
    expect((await ciRequest(skewed, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' } })).statusCode).toBe(200);
  });

  it('limits a bucket-limited key to its buckets: 403 AccessDenied elsewhere', async () => {
    const cos = cosClient(engine.api.url, LIMITED);
    expect((await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' } })).statusCode).toBe(200);
    const r = await ciRequest(cos, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' }, bucket: OTHER_BUCKET });
    expect(errorOf(r)).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('accepts a temporary key with its session token (x-ci-security-token), refuses it without', async () => {
    const withToken = new COS({
      SecretId: TEMP.SecretId,
      SecretKey: TEMP.SecretKey,
      SecurityToken: TEMP.token,
      Ip: new URL(engine.api.url).host,
      Protocol: 'http:',
    });
    expect((await ciRequest(withToken, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' } })).statusCode).toBe(200);
    const without = cosClient(engine.api.url, { SecretId: TEMP.SecretId, SecretKey: TEMP.SecretKey });
    expect(errorOf(await ciRequest(without, { Method: 'GET', Key: 'jobs', Query: { tag: 'Concat' } }))).toEqual({
      status: 401,
      code: 'AccessDenied',
    });
  });
});

describe('raw requests', () => {
  it('refuses no signature: 401 MissingAuthorization', async () => {
    expect(await raw({ method: 'GET', path: '/jobs?tag=Concat' })).toMatchObject({ status: 401, code: 'MissingAuthorization' });
    expect(await raw({ method: 'POST', path: '/jobs', body: JOB })).toMatchObject({ status: 401, code: 'MissingAuthorization' });
  });

  it('refuses a garbage Authorization: 401 InvalidAuthorization', async () => {
    for (const authorization of [
      'garbage',
      'q-sign-algorithm=md5&q-ak=x',
      sdkAuth(MAIN, { method: 'get', key: 'jobs' }).replace(/q-signature=\w+/, 'q-signature=zz'),
    ]) {
      expect(await raw({ method: 'GET', path: '/jobs?tag=Concat', headers: { authorization } })).toMatchObject({
        status: 401,
        code: 'InvalidAuthorization',
      });
    }
  });

  it('refuses a signed header changed in transit: 401 AccessDenied', async () => {
    const authorization = sdkAuth(MAIN, { method: 'get', key: 'jobs', query: { tag: 'Concat' }, headers: { 'x-ci-meta': 'a' } });
    expect(await raw({ method: 'GET', path: '/jobs?tag=Concat', headers: { authorization, 'x-ci-meta': 'a' } })).toMatchObject({
      status: 200,
    });
    expect(await raw({ method: 'GET', path: '/jobs?tag=Concat', headers: { authorization, 'x-ci-meta': 'b' } })).toMatchObject({
      status: 401,
      code: 'AccessDenied',
    });
    // A changed signed parameter, path or Host is refused the same way.
    expect(await raw({ method: 'GET', path: '/jobs?tag=Animation', headers: { authorization, 'x-ci-meta': 'a' } })).toMatchObject({
      status: 401,
      code: 'AccessDenied',
    });
    expect(await raw({ method: 'GET', path: '/jobs/j1?tag=Concat', headers: { authorization, 'x-ci-meta': 'a' } })).toMatchObject({
      status: 401,
      code: 'AccessDenied',
    });
    expect(
      await raw({
        method: 'GET',
        path: '/jobs?tag=Concat',
        headers: { authorization, 'x-ci-meta': 'a', host: `${OTHER_BUCKET}.ci.${REGION}.myqcloud.com` },
      }),
    ).toMatchObject({ status: 401, code: 'AccessDenied' });
  });

  it('refuses a signature that does not cover the host: 401 AccessDenied', async () => {
    const authorization = COS.getAuthorization({
      ...MAIN,
      Method: 'get',
      Key: 'jobs',
      Query: { tag: 'Concat' },
      Headers: {},
    } as never);
    expect(authorization).toContain('q-header-list=&');
    expect(await raw({ method: 'GET', path: '/jobs?tag=Concat', headers: { authorization } })).toMatchObject({
      status: 401,
      code: 'AccessDenied',
      body: expect.stringContaining('host'),
    });
  });

  it('refuses an expired KeyTime: 401 SignatureExpired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const authorization = sdkAuth(MAIN, { method: 'get', key: 'jobs', query: { tag: 'Concat' }, keyTime: `${now - 7200};${now - 3600}` });
    expect(await raw({ method: 'GET', path: '/jobs?tag=Concat', headers: { authorization } })).toMatchObject({
      status: 401,
      code: 'SignatureExpired',
    });
  });

  it('accepts the signature in the query string', async () => {
    const auth = sdkAuth(MAIN, { method: 'get', key: 'jobs', query: { tag: 'Concat', size: '5' } });
    const query = auth
      .split('&')
      .map((pair) => {
        const [k, v = ''] = pair.split('=');
        return `${k}=${encodeURIComponent(v)}`;
      })
      .join('&');
    expect(await raw({ method: 'GET', path: `/jobs?tag=Concat&size=5&${query}` })).toMatchObject({ status: 200 });
    // The SDK's getObjectUrl style: the Authorization pasted after `?` as it is.
    expect(await raw({ method: 'GET', path: `/jobs?tag=Concat&size=5&${auth}` })).toMatchObject({ status: 200 });
    expect(await raw({ method: 'GET', path: `/jobs?tag=Concat&size=6&${query}` })).toMatchObject({ status: 401, code: 'AccessDenied' });
  });

  it('refuses a body that does not match its signed Content-MD5: 400 InvalidContent', async () => {
    const md5 = 'XUFAKrxLKna5cZ2REBfFkg=='; // MD5 of "hello"
    const authorization = sdkAuth(MAIN, { method: 'post', key: 'jobs', headers: { 'content-md5': md5 } });
    expect(
      await raw({
        method: 'POST',
        path: '/jobs',
        headers: { authorization, 'content-md5': md5, 'content-type': 'application/xml' },
        body: JOB,
      }),
    ).toMatchObject({ status: 400, code: 'InvalidContent' });
  });

  it('serves /healthz without a signature', async () => {
    expect((await raw({ method: 'GET', path: '/healthz', headers: { host: '127.0.0.1' } })).status).toBe(200);
  });
});

// Property-based fuzzing of the request path, seeded so every failure is reproducible:
//  * thousands of mutations of the documented request bodies (and some odd methods, paths and queries)
//    POSTed to the running API over plain HTTP: every answer is a 200 or a 4xx with a CI error body,
//    none takes long, and /healthz stays 200 throughout;
//  * thousands of mutated Authorization headers through the authenticator: every refusal is a CiError
//    with a documented 4xx code, never another exception.
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { authenticate } from '../../src/api/auth/authenticate.js';
import { buildAuthorization } from '../../src/api/auth/signature.js';
import { CiError } from '../../src/api/errors.js';
import { BUCKET, REGION } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { int, mutate, pick, prng, type Rand } from '../helpers/fuzz.js';
import { SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3 } from '../fixtures/seed-examples.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const HOST = `${BUCKET}.ci.${REGION}.myqcloud.com`;

const SEEDS = [
  SEED_REQUEST_1,
  SEED_REQUEST_2,
  SEED_REQUEST_3,
  `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>a.mp4</Url><StartTime>0</StartTime><EndTime>3</EndTime></ConcatFragment>
<ConcatFragment><Url>http://${BUCKET}.cos.${REGION}.myqcloud.com/b.mp4</Url></ConcatFragment><Container><Format>hls</Format></Container>
<SceneChangeInfo><Mode>Default</Mode></SceneChangeInfo></ConcatTemplate><Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>o/\${jobid}.\${ext}</Object></Output>
<JobLevel>2</JobLevel></Operation><CallBack>http://127.0.0.1:9/cb</CallBack></Request>`,
];

const CI_CODES = new Set([
  'InvalidArgument',
  'MissingContent',
  'InvalidContent',
  'InvalidHost',
  'InvalidUrl',
  'QueuePaused',
  'QueueSaturated',
  'MissingAuthorization',
  'InvalidAuthorization',
  'AccessDenied',
  'SecretidNotExist',
  'SignatureExpired',
  'MissingContentLength',
]);

let engine: TestEngine;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const xml = new XMLParser();

interface Answer {
  status: number;
  contentType: string;
  body: string;
  ms: number;
}

function send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(engine.api.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent,
        headers: {
          host: HOST,
          'content-type': 'application/xml',
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within 15 s: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A request to send: mostly a mutated POST /jobs body, sometimes another method, path or query. */
function fuzzCase(rand: Rand): { method: string; path: string; body?: string; label: string } {
  const { body, applied } = mutate(rand, pick(rand, SEEDS));
  const r = rand();
  if (r < 0.88) return { method: 'POST', path: '/jobs', body, label: applied.join('+') };
  if (r < 0.92)
    return {
      method: 'PUT',
      path: `/jobs/${pick(rand, ['j1', 'j' + '0'.repeat(32), '%00', '..%2F..', 'a'.repeat(5000), '%E0%A4%A', '%'])}?cancel`,
      body: rand() < 0.5 ? body : undefined,
      label: 'put',
    };
  if (r < 0.96) {
    const q = pick(rand, [
      'tag=Concat',
      'tag=Concat&size=0',
      'tag=Concat&size=1e9',
      'tag=%ZZ',
      'tag=Concat&states=All,Nope',
      'tag=Concat&nextToken=' + 'j'.repeat(3000),
      'tag=Concat&startCreationTime=2022-13-45T99:99:99+0800',
      'tag=Concat&tag=Concat&tag=x',
      '&&&==&',
      'q-sign-algorithm=sha1',
    ]);
    return { method: 'GET', path: `/jobs?${q}`, label: 'list' };
  }
  return {
    method: pick(rand, ['DELETE', 'PATCH', 'OPTIONS', 'GET', 'POST']),
    path: pick(rand, ['/', '/jobs/', '/jobs/a,b,,c', '/template', '/../etc/passwd', '/jobs?cancel', `/jobs/${'x,'.repeat(300)}`]),
    body,
    label: 'other',
  };
}

beforeAll(async () => {
  engine = await startTestEngine({ env: { MAX_BODY_BYTES: String(512 * 1024) } });
});

afterAll(async () => {
  agent.destroy();
  await engine.close();
});

describe('fuzzing the API', () => {
  it(`answers ${CASES} mutated requests with 200 or a CI 4xx, quickly, and stays healthy`, async () => {
    const rand = prng(SEED);
    const cases = Array.from({ length: CASES }, () => fuzzCase(rand));
    const statuses = new Map<number, number>();
    let slowest = 0;
    const byLabel = new Map<string, { n: number; ms: number }>();
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i]!;
        let a: Answer;
        try {
          a = await send(c.method, c.path, c.body);
        } catch (err) {
          failures.push(
            `case ${i} (${c.label}) ${c.method} ${c.path.slice(0, 80)} (${(c.body ?? '').length} bytes): ${(err as Error).message}`,
          );
          continue;
        }
        slowest = Math.max(slowest, a.ms);
        const stat = byLabel.get(`${a.status} ${c.label.split('+')[0]}`) ?? { n: 0, ms: 0 };
        stat.n++;
        stat.ms += a.ms;
        byLabel.set(`${a.status} ${c.label.split('+')[0]}`, stat);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const ok =
          a.status === 200 ||
          (a.status >= 400 &&
            a.status < 500 &&
            a.contentType.startsWith('application/xml') &&
            CI_CODES.has(String(xml.parse(a.body)?.Error?.Code)));
        if (!ok && failures.length < 5)
          failures.push(
            `case ${i} (${c.label}) ${c.method} ${c.path.slice(0, 80)} -> ${a.status} ${a.body.slice(0, 300)} | body: ${JSON.stringify((c.body ?? '').slice(0, 400))}`,
          );
        if (i % 500 === 0) {
          const health = await send('GET', '/healthz', undefined).catch((err: unknown) => ({ status: 0, body: (err as Error).message }));
          if (health.status !== 200) failures.push(`/healthz after case ${i}: ${health.status} ${health.body}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    if (process.env.FUZZ_STATS)
      console.log(Object.fromEntries(statuses), Object.fromEntries([...byLabel].map(([k, v]) => [k, `${v.n} / ${Math.round(v.ms)} ms`])));
    expect(failures).toEqual([]);
    expect((await send('GET', '/healthz', undefined)).status).toBe(200);
    expect(slowest).toBeLessThan(5000);
    // The mutations reach both sides: some requests are accepted, most are refused.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(10);
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
  });
});

describe('fuzzing the authenticator', () => {
  it('refuses thousands of mutated Authorization headers only with documented codes', () => {
    const rand = prng(SEED + 1);
    const creds = [{ secretId: 'AKIDfuzz', secretKey: 'fuzz-key' }];
    const byId = new Map(creds.map((c) => [c.secretId, c]));
    const now = 1_700_000_000;
    const good = buildAuthorization('AKIDfuzz', 'fuzz-key', {
      method: 'get',
      path: '/jobs',
      params: [['tag', 'Concat']],
      headers: [['host', HOST]],
      keyTime: `${now};${now + 900}`,
    });
    const pieces = [
      '&',
      '=',
      ';',
      '%',
      '%zz',
      'q-ak=',
      'q-sign-time=1;2',
      'q-header-list=host;date',
      'q-url-param-list=tag;x',
      'q-signature=' + 'a'.repeat(40),
      '\u0000',
      '腾',
      ' ',
      '+',
      'q-sign-algorithm=SHA1',
    ];
    const codes = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const chars = Array.from(good);
      for (let k = 1 + int(rand, 4); k > 0; k--) {
        const at = int(rand, chars.length + 1);
        if (rand() < 0.5) chars.splice(at, int(rand, 10));
        else chars.splice(at, 0, pick(rand, pieces));
      }
      const authorization = chars.join('');
      const url = pick(rand, ['/jobs?tag=Concat', `/jobs?${authorization}`, '/jobs?tag=Concat&q-ak=AKIDfuzz', '/jobs?tag=%E0%A4%A']);
      try {
        authenticate(
          { method: 'GET', url, headers: { host: HOST, ...(rand() < 0.8 ? { authorization } : {}) }, bucket: BUCKET },
          { credentials: creds, clockSkewSec: 300 },
          now + int(rand, 2000) - 500,
          byId,
        );
        codes.add('passed');
      } catch (err) {
        expect(err, `${authorization} ${url}`).toBeInstanceOf(CiError);
        const e = err as CiError;
        expect(e.status === 401 || e.status === 403).toBe(true);
        codes.add(e.code);
      }
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining(['AccessDenied', 'InvalidAuthorization', 'MissingAuthorization']));
  });
});

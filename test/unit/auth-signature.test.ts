// The q-sign signature: the four vectors of docs/ci-api.md 9.4 (every intermediate), parsing of the
// Authorization syntax, verification of a request against it, and the request authenticator's codes.
import { describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  canonicalPairs,
  ciUrlEncode,
  computeSignature,
  parseAuthorization,
  parseQueryPairs,
  sha1Hex,
  verifySignature,
  type Pair,
  type SignedRequest,
} from '../../src/api/auth/signature.js';
import { authenticate, checkContentMd5 } from '../../src/api/auth/authenticate.js';
import { parseCredentials, type ApiCredential } from '../../src/config/credentials.js';

const A_ID = 'AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q';
const A_KEY = 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz';

describe('ciUrlEncode', () => {
  it('encodes everything but the RFC 3986 unreserved set, with uppercase hex', () => {
    expect(ciUrlEncode('a-_.~Z9 !"#$%&\'()*+,/:;<=>?@[\\]^`{|}')).toBe(
      'a-_.~Z9%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D',
    );
    expect(ciUrlEncode('腾讯云')).toBe('%E8%85%BE%E8%AE%AF%E4%BA%91');
  });
});

describe('the 9.4 test vectors', () => {
  it('A: official PUT with headers', () => {
    const headers: Pair[] = [
      ['Host', 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com'],
      ['Date', 'Thu, 16 May 2019 06:45:51 GMT'],
      ['Content-Type', 'text/plain'],
      ['Content-Length', '13'],
      ['Content-MD5', 'mQ/fVh815F3k6TAUm8m0eg=='],
      ['x-cos-acl', 'private'],
      ['x-cos-grant-read', 'uin="100000000011"'],
    ];
    const p = computeSignature(A_KEY, {
      method: 'PUT',
      path: '/exampleobject(腾讯云)',
      params: [],
      headers,
      keyTime: '1557989151;1557996351',
    });
    const httpHeaders =
      'content-length=13&content-md5=mQ%2FfVh815F3k6TAUm8m0eg%3D%3D&content-type=text%2Fplain&date=Thu%2C%2016%20May%202019%2006%3A45%3A51%20GMT&host=examplebucket-1250000000.cos.ap-beijing.myqcloud.com&x-cos-acl=private&x-cos-grant-read=uin%3D%22100000000011%22';
    expect(p).toEqual({
      signKey: 'eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f',
      urlParamList: '',
      headerList: 'content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read',
      httpString: `put\n/exampleobject(腾讯云)\n\n${httpHeaders}\n`,
      stringToSign: `sha1\n1557989151;1557996351\n8b2751e77f43a0995d6e9eb9477f4b685cca4172\n`,
      signature: '3b8851a11a569213c17ba8fa7dcf2abec6935172',
    });
    expect(sha1Hex(p.httpString)).toBe('8b2751e77f43a0995d6e9eb9477f4b685cca4172');
  });

  it('B: official GET with query parameters, from the wire query', () => {
    const params = parseQueryPairs('response-content-type=application%2Foctet-stream&response-cache-control=max-age%3D600');
    const p = computeSignature(A_KEY, {
      method: 'GET',
      path: '/exampleobject(腾讯云)',
      params,
      headers: [
        ['Date', 'Thu, 16 May 2019 06:55:53 GMT'],
        ['Host', 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com'],
      ],
      keyTime: '1557989753;1557996953',
    });
    expect(p.signKey).toBe('937914bf490e9e8c189836aad2052e4feeb35eaf');
    expect(p.urlParamList).toBe('response-cache-control;response-content-type');
    expect(p.headerList).toBe('date;host');
    expect(p.httpString).toBe(
      'get\n/exampleobject(腾讯云)\nresponse-cache-control=max-age%3D600&response-content-type=application%2Foctet-stream\ndate=Thu%2C%2016%20May%202019%2006%3A55%3A53%20GMT&host=examplebucket-1250000000.cos.ap-beijing.myqcloud.com\n',
    );
    expect(sha1Hex(p.httpString)).toBe('54ecfe22f59d3514fdc764b87a32d8133ea611e6');
    expect(p.signature).toBe('01681b8c9d798a678e43b685a9f1bba0f6c0e012');
  });

  it('C: the Go SDK unit test', () => {
    const p = computeSignature('AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM', {
      method: 'PUT',
      path: '/testfile2',
      params: [],
      headers: [
        ['Host', 'testbucket-125000000.cos.ap-guangzhou.myqcloud.com'],
        ['x-cos-content-sha1', 'db8ac1c259eb89d4a131b253bacfca5f319d54f2'],
        ['x-cos-stroage-class', 'nearline'],
      ],
      keyTime: '1480932292;1481012292',
    });
    expect(p.headerList).toBe('host;x-cos-content-sha1;x-cos-stroage-class');
    expect(p.signKey).toBe('95d110a8ead64cac52083100db75b7e3f369e72f');
    expect(sha1Hex(p.httpString)).toBe('113b22e92b74237531fafbfc8bb9e67be55645c7');
    expect(p.signature).toBe('ce4ac0ecbcdb30538b3fee0a97cc6389694ce53a');
  });

  it('D: a CI-style list request (multi-parameter sorting, comma encoding)', () => {
    const p = computeSignature(A_KEY, {
      method: 'GET',
      path: '/jobs',
      params: parseQueryPairs('tag=Concat&size=10&states=Success,Failed'),
      headers: [['Host', 'examplebucket-1250000000.ci.ap-beijing.myqcloud.com']],
      keyTime: '1557989753;1557996953',
    });
    expect(p.urlParamList).toBe('size;states;tag');
    expect(p.httpString).toBe(
      'get\n/jobs\nsize=10&states=Success%2CFailed&tag=Concat\nhost=examplebucket-1250000000.ci.ap-beijing.myqcloud.com\n',
    );
    expect(sha1Hex(p.httpString)).toBe('916d4fb49f5f1453b91d9eb141480393a5a5f410');
    expect(p.signature).toBe('d63e0c0b48e98898103f7ce910e6c4743d554c0a');
  });

  it('verifies vector B from the documented Authorization line', () => {
    const auth = parseAuthorization(
      `q-sign-algorithm=sha1&q-ak=${A_ID}&q-sign-time=1557989753;1557996953&q-key-time=1557989753;1557996953&q-header-list=date;host&q-url-param-list=response-cache-control;response-content-type&q-signature=01681b8c9d798a678e43b685a9f1bba0f6c0e012`,
    );
    const headers: Record<string, string> = {
      date: 'Thu, 16 May 2019 06:55:53 GMT',
      host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com',
      'user-agent': 'x',
    };
    const req: SignedRequest = {
      method: 'GET',
      path: '/exampleobject(腾讯云)',
      query: parseQueryPairs('response-content-type=application%2Foctet-stream&response-cache-control=max-age%3D600&unsigned=1'),
      header: (n) => headers[n.toLowerCase()],
    };
    expect(verifySignature(auth, A_KEY, req, 1557990000, 0)).toEqual({ ok: true });
    expect(verifySignature(auth, 'wrong', req, 1557990000, 0)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifySignature(auth, A_KEY, { ...req, path: '/exampleobject' }, 1557990000, 0)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature(auth, A_KEY, { ...req, header: (n) => (n === 'date' ? 'Fri' : headers[n]) }, 1557990000, 0)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature(auth, A_KEY, req, 1557996953 + 301, 300)).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifySignature(auth, A_KEY, req, 1557996953 + 299, 300)).toEqual({ ok: true });
    expect(verifySignature(auth, A_KEY, req, 1557989753 - 301, 300)).toMatchObject({ ok: false, reason: 'expired' });
  });
});

describe('canonicalPairs', () => {
  it('sorts duplicate keys by value and keeps one list entry (Go)', () => {
    expect(
      canonicalPairs([
        ['b', '2'],
        ['a', 'y'],
        ['a', 'x'],
        ['A b', ''],
      ]),
    ).toEqual({ list: 'a;a%20b;b', string: 'a=x&a=y&a%20b=&b=2' });
  });
});

describe('parseAuthorization', () => {
  const good = buildAuthorization('AKIDx', 'k', { method: 'get', path: '/', params: [], headers: [['host', 'h']], keyTime: '10;20' });

  it('round-trips what buildAuthorization writes', () => {
    expect(parseAuthorization(good)).toMatchObject({
      secretId: 'AKIDx',
      headerList: ['host'],
      urlParamList: [],
      signTime: { start: 10, end: 20 },
    });
  });

  it.each([
    ['', /missing/],
    ['garbage', /missing/],
    [good.replace('sha1', 'md5'), /sha1/],
    [good.replace('q-sign-time=10;20', 'q-sign-time=ten'), /q-sign-time/],
    [good.replace('q-key-time=10;20', 'q-key-time=30;20'), /ends before/],
    [good.replace(/q-signature=[0-9a-f]+/, 'q-signature=xyz'), /40 hexadecimal/],
    [good.replace('q-ak=AKIDx', 'q-ak='), /SecretId/],
    [`${good}&q-ak=other`, /more than once/],
  ])('refuses %j', (text, message) => {
    expect(() => parseAuthorization(text)).toThrow(message);
  });
});

describe('authenticate', () => {
  const creds: ApiCredential[] = [
    { secretId: 'AKIDall', secretKey: 'key-all' },
    { secretId: 'AKIDone', secretKey: 'key-one', buckets: ['one-1250000000'] },
    { secretId: 'AKIDtmp', secretKey: 'key-tmp', sessionToken: 'token-123', expiresAtMs: 2_000_000 * 1000 },
  ];
  const byId = new Map(creds.map((c) => [c.secretId, c]));
  const host = 'one-1250000000.ci.ap-guangzhou.myqcloud.com';
  const now = 1_700_000;
  const sign = (
    id: string,
    key: string,
    opts: { path?: string; query?: string; keyTime?: string; extraHeaders?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { host, ...opts.extraHeaders };
    return buildAuthorization(id, key, {
      method: 'put',
      path: opts.path ?? '/jobs/j1',
      params: parseQueryPairs(opts.query ?? 'cancel'),
      headers: Object.entries(headers),
      keyTime: opts.keyTime ?? `${now - 1};${now + 900}`,
    });
  };
  const run = (authorization: string | undefined, opts: { url?: string; bucket?: string; headers?: Record<string, string> } = {}) =>
    authenticate(
      {
        method: 'PUT',
        url: opts.url ?? '/jobs/j1?cancel',
        headers: { host, ...(authorization ? { authorization } : {}), ...opts.headers },
        bucket: opts.bucket ?? 'one-1250000000',
      },
      { credentials: creds, clockSkewSec: 300 },
      now,
      byId,
    );
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      const err = e as { code: string; status: number };
      return { code: err.code, status: err.status };
    }
    return undefined;
  };

  it('accepts a good signature and names its key', () => {
    expect(run(sign('AKIDall', 'key-all'))).toBe('AKIDall');
    expect(run(sign('AKIDone', 'key-one'))).toBe('AKIDone');
  });

  it('accepts the signature in the query (its own pairs unsigned)', () => {
    const q = sign('AKIDall', 'key-all')
      .split('&')
      .map((p) => p.split('=').map(encodeURIComponent).join('='))
      .join('&');
    expect(run(undefined, { url: `/jobs/j1?cancel&${q}` })).toBe('AKIDall');
  });

  it('signs the decoded path', () => {
    expect(run(sign('AKIDall', 'key-all', { path: '/jobs/a b(腾讯云)' }), { url: '/jobs/a%20b(%E8%85%BE%E8%AE%AF%E4%BA%91)?cancel' })).toBe(
      'AKIDall',
    );
  });

  it.each<[string, () => unknown, string, number]>([
    ['no Authorization', () => run(undefined), 'MissingAuthorization', 401],
    ['a malformed one', () => run('q-sign-algorithm=sha1&q-ak=x'), 'InvalidAuthorization', 401],
    ['an unknown SecretId', () => run(sign('AKIDnobody', 'key-all')), 'SecretidNotExist', 401],
    ['a wrong key', () => run(sign('AKIDall', 'nope')), 'AccessDenied', 401],
    ['an expired window', () => run(sign('AKIDall', 'key-all', { keyTime: `${now - 3600};${now - 600}` })), 'SignatureExpired', 401],
    ['a window not yet open', () => run(sign('AKIDall', 'key-all', { keyTime: `${now + 600};${now + 900}` })), 'SignatureExpired', 401],
    [
      'a tampered signed header',
      () => run(sign('AKIDall', 'key-all', { extraHeaders: { 'x-ci-x': 'a' } }), { headers: { 'x-ci-x': 'b' } }),
      'AccessDenied',
      401,
    ],
    [
      'a tampered signed parameter',
      () => run(sign('AKIDall', 'key-all', { query: 'cancel=' }), { url: '/jobs/j1?cancel=1' }),
      'AccessDenied',
      401,
    ],
    ['another path', () => run(sign('AKIDall', 'key-all'), { url: '/jobs/j2?cancel' }), 'AccessDenied', 401],
    [
      'host not signed',
      () =>
        run(
          buildAuthorization('AKIDall', 'key-all', {
            method: 'put',
            path: '/jobs/j1',
            params: [['cancel', '']],
            headers: [],
            keyTime: `${now};${now + 9}`,
          }),
        ),
      'AccessDenied',
      401,
    ],
    ['a bucket the key may not use', () => run(sign('AKIDone', 'key-one'), { bucket: 'two-1250000000' }), 'AccessDenied', 403],
    ['a temporary key without its token', () => run(sign('AKIDtmp', 'key-tmp')), 'AccessDenied', 401],
    [
      'a temporary key with a wrong token',
      () => run(sign('AKIDtmp', 'key-tmp'), { headers: { 'x-ci-security-token': 'nope' } }),
      'AccessDenied',
      401,
    ],
  ])('refuses %s', (_what, fn, code, status) => {
    expect(refusal(fn)).toEqual({ code, status });
  });

  it('accepts a temporary key with its token in either header, unsigned', () => {
    expect(run(sign('AKIDtmp', 'key-tmp'), { headers: { 'x-ci-security-token': 'token-123' } })).toBe('AKIDtmp');
    expect(run(sign('AKIDtmp', 'key-tmp'), { headers: { 'x-cos-security-token': 'token-123' } })).toBe('AKIDtmp');
  });

  it('refuses a temporary key after its expiry', () => {
    const late = () =>
      authenticate(
        {
          method: 'PUT',
          url: '/jobs/j1?cancel',
          headers: { host, authorization: sign('AKIDtmp', 'key-tmp', { keyTime: '2000001;2000900' }), 'x-ci-security-token': 'token-123' },
          bucket: 'one-1250000000',
        },
        { credentials: creds, clockSkewSec: 300 },
        2_000_100,
        byId,
      );
    expect(refusal(late)).toEqual({ code: 'SignatureExpired', status: 401 });
  });

  it('passes everything when no key is configured', () => {
    expect(
      authenticate({ method: 'GET', url: '/jobs', headers: {}, bucket: 'b' }, { credentials: [], clockSkewSec: 0 }, now, new Map()),
    ).toBeUndefined();
  });
});

describe('checkContentMd5', () => {
  it('accepts the right MD5 and refuses another as InvalidContent', () => {
    expect(() => checkContentMd5('XUFAKrxLKna5cZ2REBfFkg==', 'hello')).not.toThrow();
    expect(() => checkContentMd5('XUFAKrxLKna5cZ2REBfFkg==', 'hellO')).toThrow(
      expect.objectContaining({ code: 'InvalidContent', status: 400 }),
    );
  });
});

describe('parseCredentials', () => {
  it('reads the documented format', () => {
    const text = JSON.stringify([
      { secretId: 'AKIDa', secretKey: 'ka' },
      { secretId: 'AKIDb', secretKey: 'kb', buckets: ['Media-1250000000'], sessionToken: 't', expiresAt: '2030-01-01T00:00:00Z' },
    ]);
    expect(parseCredentials(text, 'f')).toEqual({
      problems: [],
      credentials: [
        { secretId: 'AKIDa', secretKey: 'ka' },
        {
          secretId: 'AKIDb',
          secretKey: 'kb',
          buckets: ['media-1250000000'],
          sessionToken: 't',
          expiresAtMs: Date.parse('2030-01-01T00:00:00Z'),
        },
      ],
    });
  });

  it('lists every problem', () => {
    const text = JSON.stringify([
      { secretId: 'a b', secretKey: '' },
      { secretId: 'ok', secretKey: 'k', bucket: ['x'] },
      7,
      { secretId: 'x', secretKey: 'y', expiresAt: 'soon', buckets: [] },
    ]);
    const { problems, credentials } = parseCredentials(text, 'f');
    expect(credentials).toEqual([]);
    expect(problems.join('\n')).toMatch(
      /f\[0\]\.secretId[\s\S]*f\[0\]\.secretKey[\s\S]*f\[1\]\.bucket: unknown[\s\S]*f\[2\]: must be an object[\s\S]*f\[3\]\.buckets[\s\S]*f\[3\]\.expiresAt/,
    );
    expect(parseCredentials('{', 'f').problems[0]).toMatch(/not valid JSON/);
    expect(parseCredentials('{}', 'f').problems[0]).toMatch(/JSON array/);
  });
});

describe('verification cost', () => {
  it('stays linear with thousands of query parameters and listed names', () => {
    const query = parseQueryPairs(Array.from({ length: 5000 }, (_, i) => `p${i}=`).join('&'));
    const list = Array.from({ length: 8000 }, (_, i) => `p${i}`).join(';');
    const auth = parseAuthorization(
      `q-sign-algorithm=sha1&q-ak=AKIDx&q-sign-time=10;20&q-key-time=10;20&q-header-list=host&q-url-param-list=${list}&q-signature=${'0'.repeat(40)}`,
    );
    const t = performance.now();
    const verdict = verifySignature(auth, 'k', { method: 'GET', path: '/jobs', query, header: () => 'h' }, 15, 0);
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(performance.now() - t).toBeLessThan(200);
  });
});

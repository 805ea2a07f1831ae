// The command line's own signer (cli/sign.ts): Tencent's documented vectors (docs/ci-api.md 9.4), and
// the engine's verifier accepting what it signs, including the paths and queries the encoder must
// escape, and refusing it with another key or outside its window.
import { describe, expect, it } from 'vitest';
import { authorization, type SignInput } from '../../cli/sign.js';
import { parseAuthorization, parseQueryPairs, verifySignature } from '../../src/api/auth/signature.js';

const A_ID = 'AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q';
const A_KEY = 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz';

/** The part of an Authorization value after `name=`. */
function field(auth: string, name: string): string {
  return parseQueryPairs(auth).find(([k]) => k === name)?.[1] ?? '';
}

/** The engine's verdict on a request signed by the CLI, the request rebuilt from the same values. */
function engineVerdict(auth: string, key: string, input: SignInput, nowSec: number) {
  const headers = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return verifySignature(
    parseAuthorization(auth),
    key,
    { method: input.method, path: input.path, query: input.query, header: (name) => headers.get(name) },
    nowSec,
    300,
  );
}

describe('cli signer', () => {
  it('gives the signature of the official PUT example (vector A), its window starting a minute before now', () => {
    const auth = authorization(
      { secretId: A_ID, secretKey: A_KEY },
      {
        method: 'PUT',
        path: '/exampleobject(腾讯云)',
        query: [],
        headers: {
          Host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com',
          Date: 'Thu, 16 May 2019 06:45:51 GMT',
          'Content-Type': 'text/plain',
          'Content-Length': '13',
          'Content-MD5': 'mQ/fVh815F3k6TAUm8m0eg==',
          'x-cos-acl': 'private',
          'x-cos-grant-read': 'uin="100000000011"',
        },
      },
      1557989151 + 60,
      7200 - 60,
    );
    expect(field(auth, 'q-ak')).toBe(A_ID);
    expect(field(auth, 'q-sign-time')).toBe('1557989151;1557996351');
    expect(field(auth, 'q-header-list')).toBe('content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read');
    expect(field(auth, 'q-url-param-list')).toBe('');
    expect(field(auth, 'q-signature')).toBe('3b8851a11a569213c17ba8fa7dcf2abec6935172');
  });

  it('gives the signature of the official GET with query parameters (vector B)', () => {
    const auth = authorization(
      { secretId: A_ID, secretKey: A_KEY },
      {
        method: 'GET',
        path: '/exampleobject(腾讯云)',
        query: [
          ['response-content-type', 'application/octet-stream'],
          ['response-cache-control', 'max-age=600'],
        ],
        headers: { Date: 'Thu, 16 May 2019 06:55:53 GMT', Host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com' },
      },
      1557989753 + 60,
      7200 - 60,
    );
    expect(field(auth, 'q-url-param-list')).toBe('response-cache-control;response-content-type');
    expect(field(auth, 'q-signature')).toBe('01681b8c9d798a678e43b685a9f1bba0f6c0e012');
  });

  const now = 1_800_000_000;
  const requests: SignInput[] = [
    {
      method: 'GET',
      path: '/jobs',
      query: [
        ['tag', 'Concat'],
        ['states', 'Success,Failed'],
        ['size', '10'],
      ],
      headers: { host: 'b-1250000000.ci.ap-guangzhou.myqcloud.com' },
    },
    {
      method: 'PUT',
      path: '/jobs/j0123456789abcdef',
      query: [['cancel', '']],
      headers: { host: 'b-1250000000.ci.ap-guangzhou.myqcloud.com' },
    },
    {
      method: 'POST',
      path: "/a b/(腾讯云)!*'~",
      query: [
        ['x', 'a+b c*'],
        ['x', '1'],
        ['Upper', '%'],
      ],
      headers: { host: 'b-1250000000.ci.ap-guangzhou.myqcloud.com', 'content-type': 'application/xml' },
    },
  ];

  it.each(requests)('is accepted by the engine: $method $path', (input) => {
    const auth = authorization({ secretId: 'AKIDcli', secretKey: 'cli-secret' }, input, now);
    expect(engineVerdict(auth, 'cli-secret', input, now)).toEqual({ ok: true });
    expect(engineVerdict(auth, 'cli-secret', input, now + 900 + 300)).toEqual({ ok: true });
  });

  it('is refused by the engine with another key, another request, or past its window', () => {
    const input = requests[0]!;
    const auth = authorization({ secretId: 'AKIDcli', secretKey: 'cli-secret' }, input, now);
    expect(engineVerdict(auth, 'another-secret', input, now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(
      engineVerdict(
        auth,
        'cli-secret',
        {
          ...input,
          query: [
            ['tag', 'Concat'],
            ['states', 'All'],
            ['size', '10'],
          ],
        },
        now,
      ),
    ).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
    expect(engineVerdict(auth, 'cli-secret', input, now + 900 + 301)).toMatchObject({ ok: false, reason: 'expired' });
  });
});

import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, redactData, redactText, redactUrl } from '../../src/api/dashboard/redact.js';

const R = encodeURIComponent(REDACTED);

describe('redactUrl', () => {
  it('keeps a URL without userinfo, query or fragment exactly as it was', () => {
    for (const u of ['https://hooks.example.com/ci/finish', 'http://127.0.0.1:8080/cb', 'cos://bucket-125/a b.mp4']) {
      expect(redactUrl(u)).toBe(u);
    }
  });

  it('removes userinfo, keeps the query names with their values redacted, and drops the fragment', () => {
    expect(redactUrl('https://user:pa55@hooks.example.com/cb')).toBe(`https://${R}@hooks.example.com/cb`);
    expect(redactUrl('https://tok3n@hooks.example.com/cb')).toBe(`https://${R}@hooks.example.com/cb`);
    // A COS pre-signed URL and an S3 one: the signature and the key id go, the object stays.
    expect(
      redactUrl(
        'https://b-125.cos.ap-guangzhou.myqcloud.com/in/a.mp4?q-sign-algorithm=sha1&q-ak=AKIDxyz&q-signature=abcdef0123&x-cos-security-token=tkn',
      ),
    ).toBe(
      `https://b-125.cos.ap-guangzhou.myqcloud.com/in/a.mp4?q-sign-algorithm=${REDACTED}&q-ak=${REDACTED}&q-signature=${REDACTED}&x-cos-security-token=${REDACTED}`,
    );
    expect(redactUrl('https://s3.example.com/b/k?X-Amz-Credential=AK%2F20260101&X-Amz-Signature=ff00#frag')).toBe(
      `https://s3.example.com/b/k?X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}`,
    );
    expect(redactUrl('https://h/cb?t=1&t=2')).toBe(`https://h/cb?t=${REDACTED}`);
  });

  it('cuts what follows the query or userinfo marker of a URL it cannot parse', () => {
    expect(redactUrl('http://us:er@[bad/cb?sig=1')).toBe(`http://${REDACTED}@[bad/cb?${REDACTED}`);
  });
});

describe('redactText', () => {
  it('redacts every URL inside a message, and inline secrets', () => {
    const msg =
      'fetch https://a:b@h.example/x.mp4?sig=s1 failed; retry http://h2.example/y?token=t2 (Authorization: Bearer eyJhbGci.x.y) password=hunter2, api_key: "k-99"';
    const out = redactText(msg);
    for (const secret of ['a:b', 's1', 't2', 'eyJhbGci', 'hunter2', 'k-99']) expect(out).not.toContain(secret);
    expect(out).toContain('https://h.example/x.mp4'.replace('https://', `https://${R}@`));
    expect(out).toContain('http://h2.example/y?token=');
    expect(out).toContain('failed; retry');
  });

  it('leaves text without URLs or secrets alone', () => {
    for (const t of ['ResourceNotFound: in/missing.mp4 does not exist', 'the receiver answered HTTP 500', 'media-p01abc', '']) {
      expect(redactText(t)).toBe(t);
    }
  });
});

describe('redactData', () => {
  it('passes a media task through unchanged', () => {
    expect(redactData({ kind: 'concat', jobId: 'j01' })).toEqual({ kind: 'concat', jobId: 'j01' });
  });

  it('redacts a callback task: the URL keeps its host and path', () => {
    expect(redactData({ kind: 'TaskFinish', jobId: 'j01', url: 'https://u:p@hooks.example.com/cb?sig=abc', format: 'XML' })).toEqual({
      kind: 'TaskFinish',
      jobId: 'j01',
      url: `https://${R}@hooks.example.com/cb?sig=${REDACTED}`,
      format: 'XML',
    });
  });

  it('replaces whole values under keys that name a secret, at any depth, and copies instead of changing the input', () => {
    const input = {
      password: 'p',
      nested: [{ SecretKey: 'sk', apiKey: 1, sessionToken: { a: 1 }, x_cos_security_token: 't', name: 'ok' }],
      signingKey: 'k',
      count: 3,
      flag: true,
      none: null,
    };
    const copy = structuredClone(input);
    expect(redactData(input)).toEqual({
      password: REDACTED,
      nested: [{ SecretKey: REDACTED, apiKey: REDACTED, sessionToken: REDACTED, x_cos_security_token: REDACTED, name: 'ok' }],
      signingKey: REDACTED,
      count: 3,
      flag: true,
      none: null,
    });
    expect(input).toEqual(copy);
  });

  it('names secret keys and not ordinary ones', () => {
    for (const k of ['password', 'Authorization', 'CI_SECRET_KEY', 'accessKeyId', 'X-Amz-Signature', 'cookie', 'private_key'])
      expect([k, isSecretKey(k)]).toEqual([k, true]);
    for (const k of ['jobId', 'kind', 'url', 'format', 'queueId', 'keyPrefix', 'design']) expect([k, isSecretKey(k)]).toEqual([k, false]);
  });

  it('stops at a depth no job payload reaches', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(JSON.stringify(redactData(deep))).toContain(REDACTED);
  });
});

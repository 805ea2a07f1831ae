// Object keys and bucket names a request may name, and how the source resolver applies them together
// with FETCH_ALLOWED_HOSTS.
import { describe, expect, it } from 'vitest';
import { bucketNameProblem, objectKeyProblem } from '../../src/domain/object-key.js';
import { hostAllowed, resolveObjectUrl, resolveSourceUrl } from '../../src/storage/resolve-url.js';

const S3 = 'http://127.0.0.1:4568';

describe('objectKeyProblem', () => {
  it.each(['a.mp4', 'dir/sub/a b(腾讯云).mp4', 'out/${jobid}.${ext}', 'a..b/c...mp4', '.hidden/x', 'x'.repeat(850)])(
    'accepts %s',
    (key) => {
      expect(objectKeyProblem(key)).toBeUndefined();
    },
  );

  it.each([
    ['', /no object/],
    ['../etc/passwd', /"\.\."/],
    ['a/../../b', /"\.\."/],
    ['a/./b', /"\."/],
    ['a\\..\\b', /"\.\."/],
    ['..', /"\.\."/],
    ['/etc/passwd', /absolute/],
    ['\\\\server\\share', /absolute/],
    ['C:\\windows', /absolute/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['a\u007fb', /control/],
    ['a\u0085b', /control/],
    ['中'.repeat(300), /850 bytes/],
  ])('refuses %j', (key, message) => {
    expect(objectKeyProblem(key)).toMatch(message);
  });
});

describe('bucketNameProblem', () => {
  it('accepts S3/COS names and refuses the rest', () => {
    for (const b of ['test-123456789', 'media', 'a.b-c']) expect(bucketNameProblem(b)).toBeUndefined();
    for (const b of ['..', '../x', 'A-bucket', 'ab', 'a..b', '-ab', 'a/b', 'x'.repeat(64)]) expect(bucketNameProblem(b)).toBeDefined();
  });
});

describe('resolveObjectUrl key checks', () => {
  it.each([
    ['../secret.mp4', /"\.\."/],
    ['http://test-123456789.cos.ap-chongqing.myqcloud.com/a/%2E%2E/b.mp4', /"\.\."/],
    ['http://test-123456789.cos.ap-chongqing.myqcloud.com/a%2F..%2Fb.mp4', /"\.\."/],
    ['http://test-123456789.cos.ap-chongqing.myqcloud.com//etc/passwd', /absolute/],
    ['//etc/passwd', /absolute/],
    ['clip%00.mp4', /control/],
    ['http://127.0.0.1:4568/..%2Fother/a.mp4', /bucket/],
  ])('refuses %s', (url, message) => {
    expect(() => resolveObjectUrl(url, 'job-bucket', S3)).toThrow(message);
  });
});

describe('FETCH_ALLOWED_HOSTS', () => {
  const allowed = ['media.example.com', 'cdn.example.org:8443', '*.assets.example.net'];

  it('matches hosts, ports and subdomain wildcards', () => {
    expect(hostAllowed(new URL('https://media.example.com/a.mp4'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://MEDIA.example.com:8080/a.mp4'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://cdn.example.org:8443/a'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://cdn.example.org/a'), allowed)).toBe(false);
    expect(hostAllowed(new URL('https://x.assets.example.net/a'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://assets.example.net/a'), allowed)).toBe(false);
    expect(hostAllowed(new URL('https://evilassets.example.net/a'), allowed)).toBe(false);
    expect(hostAllowed(new URL('https://media.example.com.evil.io/a'), allowed)).toBe(false);
  });

  it('sends storage URLs to the storage and allowed hosts to HTTP; refuses the rest', () => {
    expect(resolveSourceUrl('http://test-123456789.cos.ap-chongqing.myqcloud.com/a.mp4', 'b', S3, allowed)).toEqual({
      kind: 'object',
      ref: { bucket: 'test-123456789', keys: ['a.mp4'] },
    });
    expect(resolveSourceUrl('https://media.example.com/x/a.mp4?sig=1#frag', 'b', S3, allowed)).toEqual({
      kind: 'http',
      url: 'https://media.example.com/x/a.mp4?sig=1',
    });
    expect(() => resolveSourceUrl('https://evil.example.com/a.mp4', 'b', S3, allowed)).toThrow(/not in FETCH_ALLOWED_HOSTS/);
    expect(() => resolveSourceUrl('https://media.example.com/a.mp4', 'b', S3, [])).toThrow(/not this engine's storage/);
    expect(() => resolveSourceUrl('ftp://media.example.com/a.mp4', 'b', S3, allowed)).toThrow(/only http and https/);
  });
});

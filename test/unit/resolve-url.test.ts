import { describe, expect, it } from 'vitest';
import { resolveObjectUrl } from '../../src/storage/resolve-url.js';

const S3 = 'http://127.0.0.1:4568';

describe('resolveObjectUrl', () => {
  it.each([
    ['http://test-123456789.cos.ap-chongqing.myqcloud.com/start.mp4', { bucket: 'test-123456789', keys: ['start.mp4'] }],
    [
      'https://test-123456789.cos.ap-chongqing.myqcloud.com/dir/a%20b.mp4',
      { bucket: 'test-123456789', keys: ['dir/a b.mp4', 'dir/a%20b.mp4'] },
    ],
    ['https://test-123456789.cos.ap-chongqing.myqcloud.com/dir/a b.mp4', { bucket: 'test-123456789', keys: ['dir/a b.mp4'] }],
    ['https://test-123456789.cos.ap-chongqing.myqcloud.com/100%.mp4', { bucket: 'test-123456789', keys: ['100%.mp4'] }],
    ['https://b-1.cos.ap-guangzhou.tencentcos.cn/x.mp3?sign=abc', { bucket: 'b-1', keys: ['x.mp3'] }],
    ['http://127.0.0.1:4568/media/clips/a.mp4', { bucket: 'media', keys: ['clips/a.mp4'] }],
    ['clips/a.mp4', { bucket: 'job-bucket', keys: ['clips/a.mp4'] }],
    ['/clips/%E4%B8%AD.mp4', { bucket: 'job-bucket', keys: ['clips/中.mp4', 'clips/%E4%B8%AD.mp4'] }],
  ])('resolves %s', (url, expected) => {
    expect(resolveObjectUrl(url, 'job-bucket', S3)).toEqual(expected);
  });

  it('resolves a virtual-host URL on a named S3 endpoint', () => {
    expect(resolveObjectUrl('http://media.minio:9000/clips/a.mp4', 'b', 'http://minio:9000')).toEqual({
      bucket: 'media',
      keys: ['clips/a.mp4'],
    });
  });

  it.each([
    ['http://evil.example.com/a.mp4', /not this engine's storage/],
    ['http://127.0.0.1:9999/media/a.mp4', /not this engine's storage/],
    ['http://169.254.169.254/latest/meta-data', /not this engine's storage/],
    ['file:///etc/passwd', /only http and https/],
    ['http://test-123456789.cos.ap-chongqing.myqcloud.com/', /names no object/],
    ['  ', /names no object/],
  ])('refuses %s', (url, message) => {
    expect(() => resolveObjectUrl(url, 'job-bucket', S3)).toThrow(message);
  });
});

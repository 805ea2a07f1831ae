import { describe, expect, it } from 'vitest';
import { idLowerBound, isId, newId, newRequestId } from '../../src/domain/ids.js';
import { formatCiTime, parseCiTime } from '../../src/domain/time.js';
import { parseCiHost } from '../../src/api/host.js';

describe('ids', () => {
  it('have CI shapes', () => {
    expect(newId('job')).toMatch(/^j[0-9a-f]{32}$/);
    expect(newId('queue')).toMatch(/^p[0-9a-f]{32}$/);
    expect(newId('workflow')).toMatch(/^w[0-9a-f]{32}$/);
    expect(newId('template')).toMatch(/^t1[0-9a-f]{32}$/);
    expect(isId('job', newId('job'))).toBe(true);
    expect(isId('job', 'j123')).toBe(false);
    expect(newRequestId()).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('sort by creation time, also within one millisecond', () => {
    const ids = [newId('job', 1000), newId('job', 1000), newId('job', 1000), newId('job', 2000)];
    expect([...ids].sort()).toEqual(ids);
    expect(idLowerBound('job', 2000) <= ids[3]!).toBe(true);
    expect(idLowerBound('job', 2000) > ids[2]!).toBe(true);
  });
});

describe('CI time format', () => {
  it('formats local time with a colon-less offset', () => {
    expect(formatCiTime(Date.now())).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/);
  });

  it('round-trips through parseCiTime', () => {
    const ms = Math.floor(Date.now() / 1000) * 1000;
    expect(parseCiTime(formatCiTime(ms))).toBe(ms);
  });

  it('parses +hhmm, +hh:mm and Z, and refuses the rest', () => {
    expect(parseCiTime('2022-06-27T15:23:10+0800')).toBe(Date.UTC(2022, 5, 27, 7, 23, 10));
    expect(parseCiTime('2022-06-27T15:23:10+08:00')).toBe(Date.UTC(2022, 5, 27, 7, 23, 10));
    expect(parseCiTime('2022-06-27T07:23:10Z')).toBe(Date.UTC(2022, 5, 27, 7, 23, 10));
    expect(parseCiTime('2022-02-30T00:00:00+0800')).toBeUndefined();
    expect(parseCiTime('yesterday')).toBeUndefined();
  });
});

describe('parseCiHost', () => {
  it('takes bucket and region from <BucketName-APPID>.ci.<Region>.<domain>, any domain, any port', () => {
    expect(parseCiHost('test-123456789.ci.ap-chongqing.myqcloud.com')).toEqual({ bucket: 'test-123456789', region: 'ap-chongqing' });
    expect(parseCiHost('Media-1250000000.ci.ap-guangzhou.media.example.org:8080')).toEqual({
      bucket: 'media-1250000000',
      region: 'ap-guangzhou',
    });
  });

  it('finds no bucket in a bare host', () => {
    expect(parseCiHost('localhost:8080')).toBeUndefined();
    expect(parseCiHost('127.0.0.1')).toBeUndefined();
    expect(parseCiHost('test-1.cos.ap-chongqing.myqcloud.com')).toBeUndefined();
    expect(parseCiHost(undefined)).toBeUndefined();
  });
});

// Callback (and allowed-fetch) address classification in every spelling, the DNS step, and the socket
// lookup that checks the address actually connected to.
import { describe, expect, it } from 'vitest';
import {
  addressesProblem,
  checkHost,
  classifyIp,
  guardedLookup,
  hostProblem,
  parseIPv4Loose,
  parseIPv6,
} from '../../src/net/address-policy.js';
import { CallbackTargetChecker } from '../../src/api/callback-target.js';

const OPEN = { blockPrivate: false };
const CLOSED = { blockPrivate: true };

describe('parseIPv4Loose (inet_aton spellings)', () => {
  it.each([
    ['169.254.169.254', 0xa9fea9fe],
    ['0xA9FEA9FE', 0xa9fea9fe],
    ['2852039166', 0xa9fea9fe],
    ['0251.0376.0251.0376', 0xa9fea9fe],
    ['0xa9.0xfe.0xa9.0xfe', 0xa9fea9fe],
    ['169.254.43518', 0xa9fea9fe],
    ['169.16689662', 0xa9fea9fe],
    ['0', 0],
    ['127.1', 0x7f000001],
  ])('%s', (text, n) => {
    expect(parseIPv4Loose(text)).toBe(n);
  });

  it.each(['256.1.1.1', '1.2.3.4.5', '08.1.1.1', 'a.b.c.d', '', '1..1', '4294967296', 'example.com'])('refuses %s', (text) => {
    expect(parseIPv4Loose(text)).toBeUndefined();
  });
});

describe('parseIPv6', () => {
  it('expands every form to 16 bytes', () => {
    expect(parseIPv6('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIPv6('::ffff:169.254.169.254')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 169, 254, 169, 254]);
    expect(parseIPv6('::ffff:a9fe:a9fe')).toEqual(parseIPv6('::ffff:169.254.169.254'));
    expect(parseIPv6('fe80::1%eth0')?.slice(0, 2)).toEqual([0xfe, 0x80]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parseIPv6('1.2.3.4')).toBeUndefined();
  });
});

describe('classifyIp', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['0xA9FEA9FE', 'metadata'],
    ['2852039166', 'metadata'],
    ['0251.0376.0251.0376', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['[fe80::1]', 'link-local'],
    ['fe80::1%25eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['[::ffff:a9fe:1]', 'link-local'],
    ['::169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['example.com', undefined],
  ])('%s is %s', (ip, cls) => {
    expect(classifyIp(ip)).toBe(cls);
  });
});

describe('hostProblem', () => {
  it('always refuses link-local, metadata and unspecified hosts, whatever the policy', () => {
    for (const h of [
      '169.254.169.254',
      '[fe80::1]',
      'fe80::1',
      '0xA9FEA9FE',
      'metadata.google.internal',
      'METADATA.google.internal.',
      'metadata',
      '0.0.0.0',
      '[::]',
    ]) {
      expect(hostProblem(h, OPEN).problem).toBeDefined();
    }
  });

  it('allows private and loopback by default, refuses them when blocked', () => {
    for (const h of ['127.0.0.1', '10.0.0.1', '[::1]', '192.168.0.10']) {
      expect(hostProblem(h, OPEN)).toEqual({ literal: true });
      expect(hostProblem(h, CLOSED).problem).toMatch(/CALLBACK_BLOCK_PRIVATE/);
    }
  });

  it('leaves names to DNS', () => {
    expect(hostProblem('receiver.example.com', CLOSED)).toEqual({});
  });
});

describe('checkHost (DNS step)', () => {
  const fakeDns = (table: Record<string, string[]>) => (h: string) => {
    const a = table[h];
    if (!a) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    return Promise.resolve(a);
  };
  const dns = fakeDns({ 'rebind.example': ['8.8.8.8', '169.254.169.254'], 'lan.example': ['10.0.0.5'], 'ok.example': ['93.184.216.34'] });

  it('refuses a name when any of its addresses is refused', async () => {
    expect(await checkHost('rebind.example', OPEN, dns)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/169\.254\.169\.254.*metadata/),
    });
    expect(await checkHost('lan.example', OPEN, dns)).toEqual({ ok: true });
    expect(await checkHost('lan.example', CLOSED, dns)).toMatchObject({ ok: false });
    expect(await checkHost('ok.example', CLOSED, dns)).toEqual({ ok: true });
    expect(await checkHost('nowhere.example', OPEN, dns)).toMatchObject({ ok: 'unresolved' });
  });

  it('names the address in the refusal', () => {
    expect(addressesProblem('x', ['::ffff:169.254.169.254'], OPEN)).toMatch(/resolves to ::ffff:169\.254\.169\.254/);
  });

  it('at submit: refuses with 400 InvalidArgument naming Request.CallBack, accepts an unresolved name', async () => {
    const checker = new CallbackTargetChecker(OPEN, dns);
    await expect(checker.check('http://rebind.example/cb')).rejects.toMatchObject({
      code: 'InvalidArgument',
      status: 400,
      message: expect.stringMatching(/^Request\.CallBack: /),
    });
    await expect(checker.check('http://nowhere.example/cb')).resolves.toBeUndefined();
    await expect(checker.check('no')).resolves.toBeUndefined();
    await expect(checker.check(undefined)).resolves.toBeUndefined();
  });
});

describe('CallbackTargetChecker lookups', () => {
  it('makes one lookup for a burst of submissions naming the same host', async () => {
    let calls = 0;
    let release: (a: string[]) => void = () => undefined;
    const slow = (_host: string) => {
      calls++;
      return new Promise<string[]>((resolve) => (release = resolve));
    };
    const checker = new CallbackTargetChecker(OPEN, slow);
    const all = Promise.all(Array.from({ length: 20 }, () => checker.check('http://burst.example/cb')));
    release(['93.184.216.34']);
    await all;
    expect(calls).toBe(1);
    await checker.check('http://burst.example/cb');
    expect(calls).toBe(1);
  });
});

describe('guardedLookup', () => {
  const lookup = (policy: { blockPrivate: boolean }, host: string, all: boolean) =>
    new Promise<unknown>((resolve, reject) => {
      guardedLookup(policy)(host, { all }, (err, address) => (err ? reject(err) : resolve(address)));
    });

  it('answers like dns.lookup for an allowed name, in both forms', async () => {
    expect(await lookup(OPEN, 'localhost', false)).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(await lookup(OPEN, 'localhost', true)).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]),
    );
  });

  it('fails with AddressRefused for a refused one', async () => {
    await expect(lookup(CLOSED, 'localhost', true)).rejects.toMatchObject({ name: 'AddressRefused' });
    await expect(lookup(OPEN, 'metadata.google.internal', false)).rejects.toMatchObject({ name: 'AddressRefused' });
  });
});

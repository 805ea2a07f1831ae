// Which addresses a callback (or an allowed fetch) may connect to. Link-local and cloud-metadata
// addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal…),
// "this host" (0.0.0.0/8, ::), multicast and reserved ranges are always refused, whatever their
// spelling: IPv4 in decimal, octal or hex parts (inet_aton forms such as 0xA9FEA9FE or 2852039166),
// IPv4-mapped, -compatible, NAT64 and 6to4 IPv6. Private and loopback ranges are allowed unless the
// policy blocks them (CALLBACK_BLOCK_PRIVATE), because on-prem receivers live there.
// classifyIp and hostProblem are pure; checkHost adds the DNS step; guardedLookup is the same check
// as a socket `lookup`, so the address connected to is the address checked (no DNS-rebinding gap).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';
import { CiFailure } from '../domain/errors.js';

type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

export interface AddressPolicy {
  /** Refuse private and loopback addresses too. */
  blockPrivate: boolean;
}

/** Names that reach a cloud metadata service without looking like an address. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.tencentyun.com',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.platformequinix.com',
]);

const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(['link-local', 'metadata', 'unspecified', 'multicast', 'reserved']);

/** inet_aton: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the rest. */
export function parseIPv4Loose(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length === 0 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0x[0-9a-f]*$/i.test(p)) v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = p.length === 1 ? 0 : parseInt(p.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return undefined;
    if (!Number.isSafeInteger(v)) return undefined;
    nums.push(v);
  }
  const last = nums[nums.length - 1]!;
  const head = nums.slice(0, -1);
  if (head.some((n) => n > 255) || last >= 2 ** (8 * (5 - nums.length))) return undefined;
  return head.reduce((acc, n, i) => acc + n * 2 ** (8 * (3 - i)), 0) + last;
}

/** 16 bytes of an IPv6 address (zone id ignored), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  const addr = text.replace(/%.*$/, '');
  if (!isIPv6(addr)) return undefined;
  let s = addr;
  let tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4) {
    const n = parseIPv4Loose(v4[2]!) ?? 0;
    tail = [Math.floor(n / 65536), n % 65536];
    s = v4[1]!;
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const hex = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const gap = s.indexOf('::');
  let words: number[];
  if (gap === -1) {
    words = hex(s);
  } else {
    const left = hex(s.slice(0, gap));
    const right = hex(s.slice(gap + 2));
    words = [...left, ...new Array<number>(Math.max(0, 8 - tail.length - left.length - right.length)).fill(0), ...right];
  }
  words.push(...tail);
  if (words.length !== 8 || words.some((w) => !(w >= 0 && w <= 0xffff))) return undefined;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

function classifyV4(n: number): AddressClass {
  const a = Math.floor(n / 2 ** 24);
  const b = Math.floor(n / 2 ** 16) & 0xff;
  const dotted = [a, b, Math.floor(n / 256) & 0xff, n & 0xff].join('.');
  if (dotted === '169.254.169.254' || dotted === '169.254.170.2' || dotted === '169.254.0.23' || dotted === '100.100.100.200')
    return 'metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if ((a === 100 && b >= 64 && b <= 127) || (a === 198 && (b === 18 || b === 19))) return 'private';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

function v4At(bytes: number[], at: number): number {
  return (bytes[at] ?? 0) * 2 ** 24 + ((bytes[at + 1] ?? 0) << 16) + ((bytes[at + 2] ?? 0) << 8) + (bytes[at + 3] ?? 0);
}

function classifyV6(b: number[]): AddressClass {
  const zero = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 16)) return 'unspecified';
  if (zero(0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96 and 64:ff9b:1::/48.
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(v4At(b, 12));
  if (zero(0, 12)) return classifyV4(v4At(b, 12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && (zero(4, 12) || (b[4] === 0 && b[5] === 1)))
    return classifyV4(v4At(b, 12));
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(v4At(b, 2)); // 6to4
  const first = ((b[0] ?? 0) << 8) + (b[1] ?? 0);
  if (first === 0xfd00 && b[2] === 0x0e && b[3] === 0xc2 && zero(4, 14) && b[14] === 0x02 && b[15] === 0x54) return 'metadata'; // fd00:ec2::254
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0 || (first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/** The class of an IP address in any spelling (brackets allowed), or undefined when it is no address. */
export function classifyIp(text: string): AddressClass | undefined {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(t)) return classifyV4(parseIPv4Loose(t)!);
  const v6 = parseIPv6(t);
  if (v6) return classifyV6(v6);
  const loose = parseIPv4Loose(t);
  return loose === undefined ? undefined : classifyV4(loose);
}

function isRefused(cls: AddressClass, policy: AddressPolicy): boolean {
  return ALWAYS_REFUSED.has(cls) || (policy.blockPrivate && (cls === 'private' || cls === 'loopback'));
}

function refusal(what: string, cls: AddressClass): string {
  const why = ALWAYS_REFUSED.has(cls) ? 'never allowed' : 'refused because CALLBACK_BLOCK_PRIVATE is true';
  return `${what} is a ${cls} address: ${why}`;
}

/**
 * The problem with a host before any DNS: an address literal of a refused class, or a metadata name.
 * Returns { problem } to refuse, { literal: true } for an acceptable literal, {} for a name to resolve.
 */
export function hostProblem(hostname: string, policy: AddressPolicy): { problem?: string; literal?: boolean } {
  const host = hostname
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (host === '') return { problem: 'the URL names no host' };
  const cls = classifyIp(host);
  if (cls !== undefined) return isRefused(cls, policy) ? { problem: refusal(`host ${host}`, cls) } : { literal: true };
  if (METADATA_HOSTS.has(host)) return { problem: `host ${host} is a cloud metadata service: never allowed` };
  return {};
}

/** Which of the resolved addresses are refused; undefined when all are fine. */
export function addressesProblem(hostname: string, addresses: readonly string[], policy: AddressPolicy): string | undefined {
  for (const a of addresses) {
    const cls = classifyIp(a) ?? 'reserved';
    if (isRefused(cls, policy)) return refusal(`host ${hostname} resolves to ${a}, which`, cls);
  }
  return undefined;
}

export type LookupAll = (hostname: string) => Promise<string[]>;

export const lookupAll: LookupAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
  });

export type HostCheck = { ok: true } | { ok: false; problem: string } | { ok: 'unresolved'; error: string };

/** hostProblem, then every address the name resolves to. */
export async function checkHost(hostname: string, policy: AddressPolicy, lookup: LookupAll = lookupAll): Promise<HostCheck> {
  const pre = hostProblem(hostname, policy);
  if (pre.problem !== undefined) return { ok: false, problem: pre.problem };
  if (pre.literal) return { ok: true };
  let addresses: string[];
  try {
    addresses = await lookup(hostname.replace(/\.$/, ''));
  } catch (err) {
    return {
      ok: 'unresolved',
      error: `host ${hostname} does not resolve: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
  const problem = addressesProblem(hostname, addresses, policy);
  return problem === undefined ? { ok: true } : { ok: false, problem };
}

/** A destination the policy refuses; storage reports it as ResourceAccessDenied, callbacks as a refusal. */
export class AddressRefused extends CiFailure {
  constructor(message: string) {
    super('ResourceAccessDenied', message);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A socket `lookup` that resolves like dns.lookup and fails with AddressRefused on a refused address. */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const pre = hostProblem(hostname, policy);
    if (pre.problem !== undefined) {
      callback(new AddressRefused(pre.problem), '');
      return;
    }
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '');
        return;
      }
      const problem = addressesProblem(
        hostname,
        addresses.map((a) => a.address),
        policy,
      );
      if (problem !== undefined) {
        callback(new AddressRefused(problem), '');
        return;
      }
      if (options.all) {
        callback(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) {
        callback(Object.assign(new Error(`host ${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

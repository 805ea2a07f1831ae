// The COS/CI "q-sign" request signature (docs/ci-api.md 9), as pure functions: the encoder, the
// canonical strings, signing (for tests and tools) and verification of a parsed Authorization against a
// request's own method, decoded path, query and headers. No I/O, no clock: the caller passes `now`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CiFailure } from '../../domain/errors.js';

/** 9.1: encodeURIComponent plus `! ' ( ) *`, so only RFC 3986 unreserved characters stay as they are. */
export function ciUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmacSha1Hex(key: string, msg: string): string {
  return createHmac('sha1', key).update(msg, 'utf8').digest('hex');
}

export function sha1Hex(msg: string): string {
  return createHash('sha1').update(msg, 'utf8').digest('hex');
}

/** One `name=value` pair as the request carries it (decoded). Names may repeat (query keys). */
export type Pair = readonly [name: string, value: string];

interface Canonical {
  /** `k1;k2;…`: the q-header-list / q-url-param-list. */
  list: string;
  /** `k1=v1&k2=v2…`: HttpHeaders / HttpParameters. */
  string: string;
}

/** 9.2 steps 3 and 4: encode, lowercase the key, sort by key then value (byte order), join. */
export function canonicalPairs(pairs: readonly Pair[]): Canonical {
  const encoded = pairs.map(([k, v]) => [ciUrlEncode(k).toLowerCase(), ciUrlEncode(v)] as const);
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return {
    list: [...new Set(encoded.map(([k]) => k))].join(';'),
    string: encoded.map(([k, v]) => `${k}=${v}`).join('&'),
  };
}

interface SignInput {
  method: string;
  /** The decoded path, e.g. `/jobs` or `/exampleobject(腾讯云)`. */
  path: string;
  /** The pairs to sign (already the signed subset). */
  params: readonly Pair[];
  headers: readonly Pair[];
  /** `<start>;<end>` in Unix seconds. */
  keyTime: string;
}

interface SignParts {
  signKey: string;
  headerList: string;
  urlParamList: string;
  httpString: string;
  stringToSign: string;
  signature: string;
}

/** Every intermediate of 9.2, so tests can compare each with the documented vectors. */
export function computeSignature(secretKey: string, input: SignInput): SignParts {
  const signKey = hmacSha1Hex(secretKey, input.keyTime);
  const params = canonicalPairs(input.params);
  const headers = canonicalPairs(input.headers);
  const httpString = `${input.method.toLowerCase()}\n${input.path}\n${params.string}\n${headers.string}\n`;
  const stringToSign = `sha1\n${input.keyTime}\n${sha1Hex(httpString)}\n`;
  return {
    signKey,
    headerList: headers.list,
    urlParamList: params.list,
    httpString,
    stringToSign,
    signature: hmacSha1Hex(signKey, stringToSign),
  };
}

/** The Authorization value a client sends (9.2 step 8). */
export function buildAuthorization(secretId: string, secretKey: string, input: SignInput): string {
  const p = computeSignature(secretKey, input);
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${secretId}`,
    `q-sign-time=${input.keyTime}`,
    `q-key-time=${input.keyTime}`,
    `q-header-list=${p.headerList}`,
    `q-url-param-list=${p.urlParamList}`,
    `q-signature=${p.signature}`,
  ].join('&');
}

// ---------------------------------------------------------------------------------------------- parsing

interface ParsedAuthorization {
  secretId: string;
  signTime: { start: number; end: number; text: string };
  keyTime: { start: number; end: number; text: string };
  /** Lowercased names, as listed. */
  headerList: string[];
  urlParamList: string[];
  signature: string;
}

/** A malformed signature; the authenticator answers it as InvalidAuthorization, naming where it was. */
export class AuthorizationSyntaxError extends CiFailure {
  constructor(message: string) {
    super('InvalidAuthorization', message);
  }
}

const TIME = /^(\d{1,12});(\d{1,12})$/;
const SIGNATURE = /^[0-9a-f]{40}$/i;
const REQUIRED = ['q-sign-algorithm', 'q-ak', 'q-sign-time', 'q-key-time', 'q-header-list', 'q-url-param-list', 'q-signature'] as const;

/** Percent-decoding with `+` as a space (9.5); a malformed escape leaves the text as it is. */
function decodeComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** `a=1&b=2&cancel` -> pairs, decoded (a key without `=` has the value ""). */
export function parseQueryPairs(rawQuery: string): Pair[] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1
        ? ([decodeComponent(part), ''] as const)
        : ([decodeComponent(part.slice(0, eq)), decodeComponent(part.slice(eq + 1))] as const);
    });
}

function parseTime(name: string, value: string): { start: number; end: number; text: string } {
  const m = TIME.exec(value);
  if (!m) throw new AuthorizationSyntaxError(`${name} must be <start>;<end> in Unix seconds, got ${JSON.stringify(value.slice(0, 40))}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end) throw new AuthorizationSyntaxError(`${name} ends before it starts`);
  return { start, end, text: value };
}

function parseList(value: string): string[] {
  return value === '' ? [] : value.split(';').map((s) => s.trim().toLowerCase());
}

/**
 * Reads the q-* pairs, from an Authorization header value or from the query's pairs. Each pair must
 * appear once; anything else is an AuthorizationSyntaxError (the API's InvalidAuthorization).
 */
export function parseAuthorization(source: string | readonly Pair[]): ParsedAuthorization {
  const pairs = typeof source === 'string' ? parseQueryPairs(source.trim()) : source;
  const found = new Map<string, string>();
  for (const [k, v] of pairs) {
    const key = k.trim().toLowerCase();
    if (!key.startsWith('q-')) continue;
    if (found.has(key)) throw new AuthorizationSyntaxError(`${key} appears more than once`);
    found.set(key, v.trim());
  }
  const missing = REQUIRED.filter((k) => !found.has(k));
  if (missing.length > 0) throw new AuthorizationSyntaxError(`missing ${missing.join(', ')}`);
  const get = (k: (typeof REQUIRED)[number]): string => found.get(k) ?? '';
  if (get('q-sign-algorithm').toLowerCase() !== 'sha1') {
    throw new AuthorizationSyntaxError(`q-sign-algorithm must be sha1, got ${JSON.stringify(get('q-sign-algorithm').slice(0, 20))}`);
  }
  const secretId = get('q-ak');
  if (secretId === '' || secretId.length > 256) throw new AuthorizationSyntaxError('q-ak must name a SecretId');
  const signature = get('q-signature');
  if (!SIGNATURE.test(signature)) throw new AuthorizationSyntaxError('q-signature must be 40 hexadecimal digits');
  return {
    secretId,
    signTime: parseTime('q-sign-time', get('q-sign-time')),
    keyTime: parseTime('q-key-time', get('q-key-time')),
    headerList: parseList(get('q-header-list')),
    urlParamList: parseList(get('q-url-param-list')),
    signature: signature.toLowerCase(),
  };
}

// ---------------------------------------------------------------------------------------------- verifying

export interface SignedRequest {
  method: string;
  /** The decoded path. */
  path: string;
  /** Every query pair, decoded (the q-* pairs of a query signature excluded by the caller). */
  query: readonly Pair[];
  /** Header lookup by lowercase name; undefined when absent. */
  header(name: string): string | undefined;
}

type Verdict = { ok: true } | { ok: false; reason: 'expired' | 'mismatch' | 'unsigned-host'; message: string };

/**
 * Recomputes the signature from the request's own values of the headers and parameters the
 * Authorization lists, and checks the signing window with `skewSec` of tolerance either side.
 */
export function verifySignature(
  auth: ParsedAuthorization,
  secretKey: string,
  req: SignedRequest,
  nowSec: number,
  skewSec: number,
): Verdict {
  for (const t of [auth.signTime, auth.keyTime]) {
    if (nowSec < t.start - skewSec)
      return { ok: false, reason: 'expired', message: `the signature is valid from ${t.start} (Unix seconds), it is now ${nowSec}` };
    if (nowSec > t.end + skewSec)
      return { ok: false, reason: 'expired', message: `the signature expired at ${t.end} (Unix seconds), it is now ${nowSec}` };
  }
  if (!auth.headerList.includes('host')) {
    return { ok: false, reason: 'unsigned-host', message: 'the signature must cover the host header (q-header-list must list host)' };
  }
  const headers: Pair[] = [];
  for (const name of new Set(auth.headerList)) {
    const value = req.header(decodeComponent(name));
    if (value === undefined)
      return { ok: false, reason: 'mismatch', message: `the signed header ${name.slice(0, 100)} is not in the request` };
    headers.push([name, value]);
  }
  // Keys compare as the signer lists them: encoded and lowercased (one pass, then lookups).
  const queryByName = new Map<string, Pair[]>();
  for (const pair of req.query) {
    const name = ciUrlEncode(pair[0]).toLowerCase();
    const list = queryByName.get(name);
    if (list) list.push(pair);
    else queryByName.set(name, [pair]);
  }
  const params: Pair[] = [];
  for (const name of new Set(auth.urlParamList)) {
    const values = queryByName.get(name);
    if (values === undefined)
      return { ok: false, reason: 'mismatch', message: `the signed query parameter ${name.slice(0, 100)} is not in the request` };
    params.push(...values);
  }
  // The SignKey derives from q-key-time, the StringToSign from q-sign-time (SDKs send them equal).
  const signKey = hmacSha1Hex(secretKey, auth.keyTime.text);
  const p = canonicalPairs(params);
  const h = canonicalPairs(headers);
  const httpString = `${req.method.toLowerCase()}\n${req.path}\n${p.string}\n${h.string}\n`;
  const expected = hmacSha1Hex(signKey, `sha1\n${auth.signTime.text}\n${sha1Hex(httpString)}\n`);
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(auth.signature, 'hex'))) {
    return {
      ok: false,
      reason: 'mismatch',
      message: 'the signature does not match the request (check the SecretKey, the signed headers and the path)',
    };
  }
  return { ok: true };
}

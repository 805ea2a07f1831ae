// The COS/CI "q-sign" signature (docs/ci-api.md 9) as Tencent's SDKs make it, for the command line's
// requests. The CLI is a client of the HTTP API and shares no code with the engine, so it carries its own
// signer; the tests check it against the engine's verifier.
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  secretId: string;
  secretKey: string;
  /** A temporary key's session token, sent unsigned as the Node SDK does (docs/ci-api.md 9.6). */
  sessionToken?: string;
}

/** What a signature covers: the method, the decoded path, the query pairs and the headers to sign. */
export interface SignInput {
  method: string;
  /** Decoded, e.g. `/jobs/j123`. */
  path: string;
  /** Query pairs, decoded (`?cancel` is `['cancel', '']`). All of them are signed, as the SDKs do. */
  query: readonly (readonly [string, string])[];
  /** Headers to sign, by name; `host` must be among them for the engine to accept the signature. */
  headers: Readonly<Record<string, string>>;
}

/** 9.1: encodeURIComponent plus `! ' ( ) *`, so only RFC 3986 unreserved characters stay as they are. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmacSha1Hex(key: string, message: string): string {
  return createHmac('sha1', key).update(message, 'utf8').digest('hex');
}

/** 9.2 steps 3 and 4: the `k=v&…` string and the `k;…` list, keys encoded and lowercased, sorted. */
function canonical(pairs: readonly (readonly [string, string])[]): { list: string; text: string } {
  const encoded = pairs.map(([k, v]) => [encode(k).toLowerCase(), encode(v)] as const);
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return {
    list: [...new Set(encoded.map(([k]) => k))].join(';'),
    text: encoded.map(([k, v]) => `${k}=${v}`).join('&'),
  };
}

/**
 * The Authorization header value for a request, valid from a minute before `nowSec` (clocks differ)
 * for `validSec` seconds.
 */
export function authorization(credentials: Credentials, input: SignInput, nowSec: number, validSec = 900): string {
  const keyTime = `${nowSec - 60};${nowSec + validSec}`;
  const signKey = hmacSha1Hex(credentials.secretKey, keyTime);
  const params = canonical(input.query);
  const headers = canonical(Object.entries(input.headers));
  const httpString = `${input.method.toLowerCase()}\n${input.path}\n${params.text}\n${headers.text}\n`;
  const stringToSign = `sha1\n${keyTime}\n${createHash('sha1').update(httpString, 'utf8').digest('hex')}\n`;
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${credentials.secretId}`,
    `q-sign-time=${keyTime}`,
    `q-key-time=${keyTime}`,
    `q-header-list=${headers.list}`,
    `q-url-param-list=${params.list}`,
    `q-signature=${hmacSha1Hex(signKey, stringToSign)}`,
  ].join('&');
}

// Where a fragment, Input, AudioSource or watermark image lives: an object of the configured
// S3-compatible storage. Accepted: COS-style URLs `http(s)://<bucket>.cos.<region>.myqcloud.com/<key>`
// (the drop-in case: the bucket is the S3 bucket of the same name), path-style or virtual-host URLs on
// S3_ENDPOINT, and bare keys in the job's bucket. Any other host is refused, unless FETCH_ALLOWED_HOSTS
// names it: then resolveSourceUrl hands the URL back for a plain HTTP fetch. Keys are checked by
// objectKeyProblem (no `..`, no absolute paths, no control characters), decoded and as written.
// Keys may arrive percent-encoded or not (the docs allow both), so a URL yields its candidate keys,
// decoded first; the fetcher takes the first that exists.
import { CiFailure } from '../domain/errors.js';
import { bucketNameProblem, objectKeyProblem } from '../domain/object-key.js';

export interface ObjectRef {
  bucket: string;
  /** Candidate keys, most likely first (decoded, then as written). */
  keys: string[];
}

/** A source URL the engine will not fetch: InvalidArgument, the caller names the field. */
export class UrlRefused extends CiFailure {
  constructor(message: string) {
    super('InvalidArgument', message);
    this.name = 'UrlRefused';
  }
}

/** A URL on a host that is neither the storage nor (for resolveSourceUrl) allowed. */
class ForeignHost extends UrlRefused {}

const COS_HOST = /^([a-z0-9][a-z0-9-]{0,61}[a-z0-9])\.cos\.[a-z0-9-]+\.(?:myqcloud\.com|tencentcos\.cn)$/;

/** The keys a path may mean; its one leading `/` is the separator, not part of the key. */
function candidates(rawKey: string, value: string): string[] {
  const key = rawKey.startsWith('/') ? rawKey.slice(1) : rawKey;
  let decoded = key;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    // not valid percent-encoding: the key is as written
  }
  const keys = [...new Set([decoded, key])].filter((k) => k !== '');
  for (const k of keys) {
    const problem = objectKeyProblem(k);
    if (problem) throw new UrlRefused(`${JSON.stringify(value)}: the object key ${JSON.stringify(k.slice(0, 200))} ${problem}`);
  }
  return keys;
}

export function resolveObjectUrl(value: string, jobBucket: string, s3Endpoint: string): ObjectRef {
  const text = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const keys = candidates(text, value);
    if (keys.length === 0) throw new UrlRefused(`${JSON.stringify(value)} names no object`);
    return { bucket: jobBucket, keys };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlRefused(`${JSON.stringify(value)} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlRefused(`${JSON.stringify(value)}: only http and https URLs of the storage are accepted`);
  }
  // The raw path (URL keeps it percent-encoded as sent, except for characters it must encode).
  const rawPath = text.replace(/^[a-z]+:\/\/[^/?#]*/i, '').replace(/[?#].*$/, '');
  const host = url.hostname.toLowerCase();
  const cos = COS_HOST.exec(host);
  if (cos) return { bucket: cos[1]!, keys: nonEmpty(candidates(rawPath, value), value) };

  const endpoint = new URL(s3Endpoint);
  const endpointHost = endpoint.hostname.toLowerCase();
  const samePort = (url.port || defaultPort(url.protocol)) === (endpoint.port || defaultPort(endpoint.protocol));
  if (host === endpointHost && samePort) {
    const [bucket, ...rest] = rawPath.replace(/^\/+/, '').split('/');
    if (!bucket) throw new UrlRefused(`${JSON.stringify(value)} names no bucket`);
    const name = safeDecode(bucket);
    const problem = bucketNameProblem(name);
    if (problem) throw new UrlRefused(`${JSON.stringify(value)}: the bucket ${JSON.stringify(name.slice(0, 80))} ${problem}`);
    return { bucket: name, keys: nonEmpty(candidates(rest.join('/'), value), value) };
  }
  if (host.endsWith(`.${endpointHost}`) && samePort) {
    const bucket = host.slice(0, -endpointHost.length - 1);
    return { bucket, keys: nonEmpty(candidates(rawPath, value), value) };
  }
  throw new ForeignHost(
    `${JSON.stringify(value)}: host ${host} is not this engine's storage (use <bucket>.cos.<region>.myqcloud.com, the S3 endpoint, or a key in the bucket)`,
  );
}

export type SourceRef = { kind: 'object'; ref: ObjectRef } | { kind: 'http'; url: string };

/**
 * FETCH_ALLOWED_HOSTS entries: `host` (any port), `host:port`, or `*.domain` (any subdomain of
 * domain, not domain itself); compared case-insensitively.
 */
export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = url.port || defaultPort(url.protocol);
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    const m = /^(.*?)(?::(\d+))?$/.exec(e);
    const pattern = m?.[1] ?? e;
    if (m?.[2] !== undefined && m[2] !== port) return false;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern;
  });
}

/**
 * Like resolveObjectUrl, but an http(s) URL on a host of `allowedHosts` (FETCH_ALLOWED_HOSTS) is
 * returned for a plain HTTP fetch instead of being refused.
 */
export function resolveSourceUrl(value: string, jobBucket: string, s3Endpoint: string, allowedHosts: readonly string[]): SourceRef {
  try {
    return { kind: 'object', ref: resolveObjectUrl(value, jobBucket, s3Endpoint) };
  } catch (err) {
    if (!(err instanceof ForeignHost) || allowedHosts.length === 0) throw err;
    const url = new URL(value.trim());
    if (!hostAllowed(url, allowedHosts)) throw new UrlRefused(`${err.message}, and not in FETCH_ALLOWED_HOSTS`);
    url.hash = '';
    return { kind: 'http', url: url.toString() };
  }
}

function nonEmpty(keys: string[], value: string): string[] {
  if (keys.length === 0) throw new UrlRefused(`${JSON.stringify(value)} names no object`);
  return keys;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

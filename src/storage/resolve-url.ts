// Where a fragment, Input or AudioSource lives: an object of the configured S3-compatible storage.
// Accepted: COS-style URLs `http(s)://<bucket>.cos.<region>.myqcloud.com/<key>` (the drop-in case: the
// bucket is the S3 bucket of the same name), path-style or virtual-host URLs on S3_ENDPOINT, and bare
// keys in the job's bucket. Any other host is refused: the engine never fetches from elsewhere.
// Keys may arrive percent-encoded or not (the docs allow both), so a URL yields its candidate keys,
// decoded first; the fetcher takes the first that exists.

export interface ObjectRef {
  bucket: string;
  /** Candidate keys, most likely first (decoded, then as written). */
  keys: string[];
}

export class UrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlRefused';
  }
}

const COS_HOST = /^([a-z0-9][a-z0-9-]{0,61}[a-z0-9])\.cos\.[a-z0-9-]+\.(?:myqcloud\.com|tencentcos\.cn)$/;

function candidates(rawKey: string): string[] {
  const key = rawKey.replace(/^\/+/, '');
  let decoded = key;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    // not valid percent-encoding: the key is as written
  }
  return [...new Set([decoded, key])].filter((k) => k !== '');
}

export function resolveObjectUrl(value: string, jobBucket: string, s3Endpoint: string): ObjectRef {
  const text = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const keys = candidates(text);
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
  if (cos) return { bucket: cos[1] as string, keys: nonEmpty(candidates(rawPath), value) };

  const endpoint = new URL(s3Endpoint);
  const endpointHost = endpoint.hostname.toLowerCase();
  const samePort = (url.port || defaultPort(url.protocol)) === (endpoint.port || defaultPort(endpoint.protocol));
  if (host === endpointHost && samePort) {
    const [bucket, ...rest] = rawPath.replace(/^\/+/, '').split('/');
    if (!bucket) throw new UrlRefused(`${JSON.stringify(value)} names no bucket`);
    return { bucket: decodeURIComponent(bucket), keys: nonEmpty(candidates(rest.join('/')), value) };
  }
  if (host.endsWith(`.${endpointHost}`) && samePort) {
    const bucket = host.slice(0, -endpointHost.length - 1);
    return { bucket, keys: nonEmpty(candidates(rawPath), value) };
  }
  throw new UrlRefused(`${JSON.stringify(value)}: host ${host} is not this engine's storage (use <bucket>.cos.<region>.myqcloud.com, the S3 endpoint, or a key in the bucket)`);
}

function nonEmpty(keys: string[], value: string): string[] {
  if (keys.length === 0) throw new UrlRefused(`${JSON.stringify(value)} names no object`);
  return keys;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

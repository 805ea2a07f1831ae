// What an object key may look like wherever a request names one (fragment, Input, AudioSource and
// watermark-image keys once resolved, Output.Object): a name inside a bucket, never a path that climbs
// out of one or hides something from a log line; and what a bucket name may look like. Pure.

/** COS's own limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 850;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `key` is not acceptable as an object key, or undefined when it is. */
export function objectKeyProblem(key: string): string | undefined {
  if (key === '') return 'names no object';
  if (CONTROL.test(key)) return 'must not contain control characters';
  if (key.startsWith('/') || key.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(key))
    return 'must be a key inside the bucket, not an absolute path';
  if (key.split(/[\\/]/).some((seg) => seg === '..' || seg === '.')) return 'must not contain "." or ".." path segments';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes long`;
  return undefined;
}

/** S3's bucket naming rules (COS names, `<name>-<appid>`, follow them too). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why `bucket` is not a bucket name, or undefined when it is. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET.test(bucket) || bucket.includes('..')) return 'must be 3 to 63 lowercase letters, digits, "-" or "." (a bucket name)';
  return undefined;
}

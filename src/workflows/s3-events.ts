// S3 event notifications (the AWS format, which MinIO's webhook and the embedded store also use):
// the object-created records, with their keys decoded.

export interface ObjectCreated {
  bucket: string;
  key: string;
  eventName: string;
  size?: number;
  contentType?: string;
  /** User metadata when the sender includes it (MinIO does). */
  userMetadata?: Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** AWS and MinIO send keys URL-encoded with `+` for spaces; the embedded store sends them as they are. */
function decodeKey(key: string, encoded: boolean): string {
  if (!encoded) return key;
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

export function objectCreatedEvents(body: unknown, opts: { keysEncoded: boolean } = { keysEncoded: true }): ObjectCreated[] {
  if (!isObject(body) || !Array.isArray(body.Records)) return [];
  const out: ObjectCreated[] = [];
  for (const r of body.Records) {
    if (!isObject(r) || typeof r.eventName !== 'string' || !/^(s3:)?ObjectCreated:/.test(r.eventName)) continue;
    const s3 = r.s3;
    if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object)) continue;
    const bucket = s3.bucket.name;
    const key = s3.object.key;
    if (typeof bucket !== 'string' || typeof key !== 'string' || key === '') continue;
    const meta = isObject(s3.object.userMetadata) ? (s3.object.userMetadata as Record<string, string>) : undefined;
    out.push({
      bucket,
      key: decodeKey(key, opts.keysEncoded),
      eventName: r.eventName.replace(/^s3:/, ''),
      size: typeof s3.object.size === 'number' ? s3.object.size : undefined,
      contentType: typeof s3.object.contentType === 'string' ? s3.object.contentType : undefined,
      userMetadata: meta,
    });
  }
  return out;
}

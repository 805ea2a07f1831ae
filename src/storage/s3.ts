// The S3 client for the configured store (the embedded one or an external S3 such as MinIO).
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

interface S3Settings {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export function createS3(s: S3Settings): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    // Stores like s3rver and older MinIO do not speak the newer checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  });
}

/** The bucket the probe asks about; whether it exists does not matter. */
const PROBE_BUCKET = 'ci-engine-healthz-probe';

/**
 * Reachability probe for /healthz. Any answer of the store's own below 500 (200, NotFound, AccessDenied,
 * even a refused key) proves it is up; a connection error, a timeout or a 5xx does not. A HEAD of a bucket
 * gets such an answer whatever the key may do; ListBuckets, which a bucket-scoped production key may not
 * call, would report a healthy store as down.
 */
export async function pingS3(s3: S3Client): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: PROBE_BUCKET }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined && status < 500) return;
    throw err;
  }
}

// The S3 client for the configured store (the embedded one or an external S3 such as MinIO).
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

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

/** Reachability probe for /healthz. */
export async function pingS3(s3: S3Client): Promise<void> {
  await s3.send(new ListBucketsCommand({}));
}

// An object's metadata as the COS headers a workflow execution reports for its input (Content-Type and
// x-cos-meta-*), read with one HeadObject. Both ways a workflow starts (the manual trigger and an
// upload) describe their object this way, so they report it alike.
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

interface CosHeader {
  key: string;
  value: string;
}

export interface ObjectHeaders {
  /** Content-Type (when the object has one), then one x-cos-meta-<name> per user metadata entry. */
  headers: CosHeader[];
  /** The user metadata as stored (names without the x-amz-meta- prefix). */
  metadata: Record<string, string>;
  size: number | undefined;
}

/** Throws the S3 client's error when the object cannot be read. */
export async function objectHeaders(s3: S3Client, bucket: string, key: string): Promise<ObjectHeaders> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const metadata = head.Metadata ?? {};
  return {
    headers: [
      ...(head.ContentType ? [{ key: 'Content-Type', value: head.ContentType }] : []),
      ...Object.entries(metadata).map(([k, v]) => ({ key: `x-cos-meta-${k}`, value: v })),
    ],
    metadata,
    size: head.ContentLength,
  };
}
